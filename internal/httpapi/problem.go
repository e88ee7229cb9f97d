package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/epicevents/epicevents/internal/crm"
)

// requestError is a malformed request refused by the transport itself (bad
// JSON, unknown field, bad query parameter, wrong content type, body too
// large). It carries its own status, because the one code → status table maps
// CodeInvalid to 422 (invalid values), and a malformed request is 400.
type requestError struct {
	status int
	err    *crm.Error
}

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// badRequest is a 400 with CodeInvalid; field names the JSON field, query
// parameter or header at fault, or is empty when none is.
func badRequest(field, message string) error {
	e := &crm.Error{Code: crm.CodeInvalid, Message: message}
	if field != "" {
		e.Message = field + ": " + message
		e.Fields = []crm.FieldError{{Field: field, Message: message}}
	}
	return &requestError{status: http.StatusBadRequest, err: e}
}

// malformed turns a CodeInvalid error of the service into a 400: used where
// every input is a query parameter (lists), since the API treats a bad query
// parameter as a malformed request, not an invalid value.
func malformed(err error) error {
	if e, ok := crm.AsError(err); ok && e.Code == crm.CodeInvalid {
		return &requestError{status: http.StatusBadRequest, err: e}
	}
	return err
}

// errTooLarge is the body-size refusal (413).
var errTooLarge = &requestError{status: http.StatusRequestEntityTooLarge, err: &crm.Error{
	Code:    crm.CodeInvalid,
	Message: "the request body is larger than 1 MiB",
}}

// fail writes err as a problem+json response. A *crm.Error shows its message,
// which is safe by contract; anything else is logged in full and answered
// with a reference only, so that no raw driver or library text leaks.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	info := infoOf(r.Context())
	p := Problem{Type: "about:blank", RequestID: info.requestID}
	if cerr := r.Context().Err(); cerr != nil && errors.Is(err, cerr) {
		// The client hung up (or the server is cutting off requests at the
		// end of its grace period): nothing went wrong here, and nobody
		// will read the answer.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request abandoned",
			slog.String("request_id", info.requestID), slog.String("route", info.route))
		p.Status, p.Code, p.Detail = http.StatusServiceUnavailable, crm.CodeUnavailable, "the request was cancelled"
		writeProblem(w, p)
		return
	}
	var re *requestError
	e, isCRM := crm.AsError(err)
	switch {
	case errors.As(err, &re):
		p.Status, e = re.status, re.err
	case isCRM:
		p.Status = StatusOf(e.Code)
	}
	if e == nil || (e.Code == crm.CodeInternal && e.Message == "") {
		attrs := []slog.Attr{slog.String("request_id", info.requestID), slog.String("route", info.route),
			slog.String("err", err.Error())}
		if e != nil && e.Err != nil {
			attrs = append(attrs, slog.String("cause", e.Err.Error()))
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", attrs...)
		s.capture(r, err)
		p.Status, p.Code = http.StatusInternalServerError, crm.CodeInternal
		p.Detail = "internal error (reference " + info.requestID + ")"
	} else {
		p.Code, p.Detail, p.Reason, p.Errors = e.Code, e.Error(), e.Reason, e.Fields
		if p.Status >= 500 {
			// Safe to show, but the cause (e.Err) is what an operator needs.
			s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
				slog.String("request_id", info.requestID), slog.String("route", info.route),
				slog.String("code", string(e.Code)), slog.String("cause", causeOf(e)))
			if p.Status == http.StatusInternalServerError {
				s.capture(r, err)
			}
		}
		if e.Code == crm.CodeThrottled && e.RetryAfter > 0 {
			p.RetryAfter = e.RetryAfter
			w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		}
	}
	writeProblem(w, p)
}

// writeProblem writes p with its status and the problem media type.
func writeProblem(w http.ResponseWriter, p Problem) {
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Type == "" {
		p.Type = "about:blank"
	}
	h := w.Header()
	// RFC 9110: a 401 must say how to authenticate.
	if p.Status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	// An ETag or Location set before the failure would describe a resource
	// this response does not carry.
	h.Del("ETag")
	h.Del("Location")
	h.Set("Content-Type", ProblemType)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(p)
}

// causeOf is the underlying error of e as text, for the logs.
func causeOf(e *crm.Error) string {
	if e.Err == nil {
		return ""
	}
	return e.Err.Error()
}
