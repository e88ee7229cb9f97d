package webui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
)

// state is what the layers learn about a request on the way down (route,
// viewer) and need on the way back up (the log line, the metrics). One
// pointer travels in the context, so that inner layers fill in what outer
// layers report.
type state struct {
	id     string
	addr   string
	route  string     // the ServeMux pattern, "" when no route matched
	viewer *crm.Actor // nil until a session names the employee

	flash      string // the flash message, once taken from its cookie
	flashTaken bool
}

type stateKey struct{}

// stateOf returns the request's state; an empty one outside the middleware.
func stateOf(ctx context.Context) *state {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{}
}

// withViewer records the employee that the request's session names: the
// pages show them and their menu, the log line names their id, and the
// service acts as them.
func withViewer(r *http.Request, a crm.Actor) *http.Request {
	stateOf(r.Context()).viewer = &a
	return r.WithContext(crm.WithActor(r.Context(), a))
}

// newRequestID returns 16 random hex characters: the reference a 500 page
// shows, found again in the log line and in Sentry.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// begin is the outermost layer: it gives the request an id, a deadline and
// the caller's address, sets the headers every response of the UI carries,
// and writes the request's log line and metrics at the end.
//
// The API sets its own headers in its own layer; serve sends each request
// to one of the two, so that each response has exactly one
// Content-Security-Policy.
func (s *Server) begin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &state{id: newRequestID(), addr: hostOf(r.RemoteAddr)}
		ctx := context.WithValue(r.Context(), stateKey{}, st)
		// The service audits the address and throttles logins per address.
		ctx = crm.WithClientAddr(ctx, st.addr)
		// As in the API: a database that stops answering must not hold the
		// request (and a pooled connection) beyond the server's timeouts.
		ctx, cancel := context.WithTimeout(ctx, httpapi.RequestDeadline)
		defer cancel()
		r = r.WithContext(ctx)

		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pages show per-employee data: no cache may keep them. The login
		// page and the static files say otherwise for themselves.
		h.Set("Cache-Control", "no-store")
		h.Set("X-Request-ID", st.id)
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}

		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := st.route
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
			slog.String("request_id", st.id),
			slog.String("client_addr", st.addr),
		}
		if st.viewer != nil {
			attrs = append(attrs, slog.Int64("employee_id", st.viewer.ID))
		}
		// The route pattern, never the URL: a path or a query may hold
		// personal data (a search for a client's name).
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
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

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanics turns a panic in a handler into the 500 page and a log line
// with the stack, so that one bad request never takes the server down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // compared as net/http does
				panic(v)
			}
			st := stateOf(r.Context())
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic",
				slog.String("request_id", st.id), slog.String("route", st.route),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			s.capture(r, panicError(v))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				// The status is sent: abort the connection so that the
				// browser sees a broken page, not a truncated one that looks
				// whole.
				panic(http.ErrAbortHandler)
			}
			s.errorPage(w, r, http.StatusInternalServerError, "")
		}()
		next.ServeHTTP(w, r)
	})
}

// panicError turns a recovered panic value into an error for the tracker.
func panicError(v any) error {
	if err, ok := v.(error); ok {
		return fmt.Errorf("panic: %w", err)
	}
	return fmt.Errorf("panic: %v", v)
}

// capture sends an unexpected failure to the error tracker, under the request
// id that the page showed as the reference. The tags say where (method,
// route pattern, never the URL) and who (the employee's id only).
func (s *Server) capture(r *http.Request, err error) {
	if s.report == nil {
		return
	}
	st := stateOf(r.Context())
	route := st.route
	if route == "" {
		route = "unmatched"
	}
	tags := map[string]string{"method": r.Method, "route": route, "component": "webui"}
	if st.viewer != nil {
		tags["employee_id"] = strconv.FormatInt(st.viewer.ID, 10)
	}
	s.report.CaptureError(err, st.id, tags)
}

// metrics are the UI's Prometheus series, labelled by route pattern (a fixed
// set) and status, never by a raw path.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// newMetrics registers the UI's series on reg; with a nil reg, nothing is
// recorded.
func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "epicevents_webui_requests_total",
			Help: "Web UI requests answered, by route pattern and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "epicevents_webui_request_duration_seconds",
			Help:    "Time to answer a web UI request, by route pattern and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, code).Inc()
	m.duration.WithLabelValues(route, code).Observe(d.Seconds())
}
