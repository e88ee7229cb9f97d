package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// requestInfo is what the middleware learns about a request as it goes down
// the chain (route, employee) and what it needs on the way back up (for the
// log line and the metrics). One pointer travels in the context, so that
// inner layers fill in what outer layers report, whatever copies of the
// *http.Request the layers in between make.
type requestInfo struct {
	requestID  string
	clientAddr string
	route      string // the ServeMux pattern, "" when no route matched
	employeeID int64  // 0 until authenticated
}

type infoKey struct{}

// infoOf returns the request's info; an empty one outside the middleware
// (handlers called directly in tests).
func infoOf(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// newRequestID returns 16 random hex characters: enough to find one request in
// the logs, and nothing that a client chose (a client-supplied id could forge
// log lines or collide on purpose).
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// begin is the outermost layer: it gives the request an id and the caller's
// address, sets the security headers every response carries, and refuses an
// access token in the URL before anything could log it.
func (s *Server) begin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{requestID: newRequestID(), clientAddr: hostOf(r.RemoteAddr)}
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		// The service audits the address and throttles logins per address.
		// Without a proxy setting, RemoteAddr is the only address we can trust.
		ctx = crm.WithClientAddr(ctx, info.clientAddr)
		// The server's timeouts close the connection but do not stop the
		// handler: a database that stops answering would hold the request
		// (and a pooled connection) for as long as it stays silent. The
		// deadline makes the store give up in time to answer 503.
		ctx, cancel := context.WithTimeout(ctx, RequestDeadline)
		defer cancel()
		r = r.WithContext(ctx)

		h := w.Header()
		h.Set("X-Request-ID", info.requestID)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		// Every answer is per-user or live state: no cache may keep it.
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}

		q := r.URL.Query()
		if q.Has("access_token") || q.Has("token") {
			field := "access_token"
			if !q.Has(field) {
				field = "token"
			}
			// A URL ends up in proxy logs and browser history; refuse rather
			// than use it, so that clients fix the habit. The refusal goes
			// through observe like any request: a log line (without the
			// URL) and metrics.
			s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.fail(w, r, badRequest(field, "send the token in the Authorization header, never in the URL"))
			})).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostOf returns the host part of a host:port address.
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (Flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe writes one log line per request and records its metrics. It logs the
// route pattern, never the raw URL: a path or query may hold personal data
// (a search for a client's name), and no header or body is ever logged.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK // nothing written: net/http sends 200
		}
		elapsed := time.Since(start)
		info := infoOf(r.Context())
		route := info.route
		if route == "" {
			route = "unmatched"
		}
		s.metrics.observe(route, sw.status, elapsed)

		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.Int64("bytes", sw.bytes),
			slog.String("request_id", info.requestID),
			slog.String("client_addr", info.clientAddr),
		}
		if info.employeeID != 0 {
			attrs = append(attrs, slog.Int64("employee_id", info.employeeID))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// recoverPanics turns a panic in a handler into a 500 problem and a log line
// with the stack, so that one bad request never takes the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // the sentinel is compared as net/http does
				panic(v) // net/http's own way to abort a response: let it
			}
			info := infoOf(r.Context())
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", info.requestID), slog.String("route", info.route),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			s.capture(r, panicError(v))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				// Too late for a problem: the status is sent. Abort the
				// connection so that the client sees a broken response,
				// not a truncated one that looks whole.
				panic(http.ErrAbortHandler)
			}
			writeProblem(w, Problem{Status: http.StatusInternalServerError, Code: crm.CodeInternal,
				Detail: "internal error (reference " + info.requestID + ")", RequestID: info.requestID})
		}()
		next.ServeHTTP(w, r)
	})
}

// authenticate requires a valid access token and puts the actor it names in
// the context. It checks no role: the service decides what the actor may do.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			s.fail(w, r, &crm.Error{Code: crm.CodeUnauthenticated,
				Message: "you are not logged in; log in with `epicevents login` and send the access token as `Authorization: Bearer <token>`"})
			return
		}
		actor, err := s.svc.Authenticate(r.Context(), token)
		if err != nil {
			if crm.IsUnauthenticated(err) {
				// RFC 6750 §3.1: tell the client the token itself is at fault.
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			s.fail(w, r, err)
			return
		}
		infoOf(r.Context()).employeeID = actor.ID
		next.ServeHTTP(w, r.WithContext(crm.WithActor(r.Context(), actor)))
	})
}

// bearer extracts the token of an "Authorization: Bearer <token>" header; the
// scheme is case-insensitive (RFC 9110 §11.1).
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
