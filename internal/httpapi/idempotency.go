package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// idempotent makes a POST that records something honour Idempotency-Key:
// the service's Once runs h the first time a key is sent, keeps the answer
// it wrote (status and body), and gives that answer again, byte for byte,
// to a request that sends the same key and the same body; the same key with
// another body is 422. A request without the header runs h as usual.
func (s *Server) idempotent(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		keys, sent := r.Header[IdempotencyHeader]
		if !sent {
			return h(w, r)
		}
		if len(keys) != 1 {
			return badRequest(IdempotencyHeader, "is given more than once")
		}
		// A key that is not valid syntax is a malformed request, like an
		// If-Match that is not.
		if err := crm.CheckIdempotencyKey(IdempotencyHeader, keys[0]); err != nil {
			return malformed(err)
		}
		if r.ContentLength > MaxBodyBytes {
			return errTooLarge
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return errTooLarge
		case err != nil:
			return badRequest("", "the request body could not be read")
		}
		sum := sha256.Sum256(body)
		answer, replayed, err := s.svc.Once(r.Context(), IdempotencyHeader, requestRoute(r), keys[0],
			hex.EncodeToString(sum[:]), func(ctx context.Context) crm.IdempotentAnswer {
				rec := &answerRecorder{header: http.Header{}}
				rr := r.WithContext(ctx)
				rr.Body = io.NopCloser(bytes.NewReader(body))
				if err := h(rec, rr); err != nil {
					s.fail(rec, rr, err)
				}
				if rec.status == 0 {
					rec.status = http.StatusOK
				}
				return crm.IdempotentAnswer{Status: rec.status, Body: rec.body.Bytes()}
			})
		if err != nil && answer.Status == 0 {
			return err
		}
		if err != nil {
			// The work is done and its answer is due; the key stays
			// claimed, so a retry is refused rather than run twice.
			s.log.LogAttrs(r.Context(), slog.LevelError, "the answer of a keyed request could not be kept",
				slog.String("request_id", infoOf(r.Context()).requestID), slog.String("err", err.Error()))
			s.capture(r, err)
		}
		if replayed {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "keyed request answered again",
				slog.String("request_id", infoOf(r.Context()).requestID), slog.Int("status", answer.Status))
		}
		ct := "application/json"
		if answer.Status >= 300 {
			ct = ProblemType
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(answer.Status)
		_, _ = w.Write(answer.Body)
		return nil
	}
}

// requestRoute names what a request was sent to, for its keys: its method
// and path, the route's wildcards replaced by the values sent.
func requestRoute(r *http.Request) string {
	route := r.Pattern
	for _, name := range []string{"id", "pid"} {
		route = strings.ReplaceAll(route, "{"+name+"}", r.PathValue(name))
	}
	return route
}

// answerRecorder keeps what a handler answers, to be kept and then sent.
type answerRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (a *answerRecorder) Header() http.Header { return a.header }
func (a *answerRecorder) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}
func (a *answerRecorder) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.body.Write(b)
}
