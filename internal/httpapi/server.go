package httpapi

import (
	"context"
	"database/sql"
	_ "embed" // the OpenAPI document
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epicevents/epicevents/internal/crm"
)

// openAPI is the document of this API, served as is at
// /api/v1/openapi.json; tests check that responses conform to it.
//
//go:embed openapi.json
var openAPI []byte

// ServerOptions are the server's collaborators; every field is optional.
type ServerOptions struct {
	// Logger receives one line per request and the details of every
	// unexpected error; slog.Default() when nil.
	Logger *slog.Logger
	// Ready reports whether the server can do its job (the database answers),
	// for /readyz. Without it, /readyz answers like /healthz.
	Ready func(ctx context.Context) error
	// Registry receives the server's metrics. When nil, the server makes its
	// own, with the Go and process collectors; a caller's registry is
	// expected to hold those already.
	Registry *prometheus.Registry
	// DBStats, when set, exposes the database pool's statistics as metrics.
	DBStats func() sql.DBStats
	// Reporter, when set, receives every unexpected error and recovered
	// panic (each 500) with the request id as its reference: Sentry.
	Reporter Reporter
}

// Reporter sends an unexpected error to an error tracker under reference,
// the id the client is shown (telemetry.Reporter).
type Reporter interface {
	CaptureError(err error, reference string, tags map[string]string)
}

// Server is the HTTP API of `epicevents serve`. Its handlers call the
// service, which checks every permission: the server only authenticates,
// decodes, and maps errors to statuses.
type Server struct {
	svc     *crm.Service
	log     *slog.Logger
	ready   func(ctx context.Context) error
	metrics *metrics
	mux     *http.ServeMux
	handler http.Handler
	report  Reporter // nil: no error tracker
}

// NewServer builds the server over svc.
func NewServer(svc *crm.Service, opts ServerOptions) *Server {
	s := &Server{svc: svc, log: opts.Logger, ready: opts.Ready, mux: http.NewServeMux(),
		metrics: newMetrics(opts.Registry, opts.DBStats), report: opts.Reporter}
	if s.log == nil {
		s.log = slog.Default()
	}
	documentRules() // read the document's rules now: a broken document fails at start-up
	s.routes()
	// Outermost first: the id and headers exist before anything can fail;
	// observe sees the final status, including the 500 that recoverPanics
	// writes.
	s.handler = s.begin(s.observe(s.recoverPanics(http.HandlerFunc(s.dispatch))))
	return s
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// routeFlag tunes how a route is wrapped.
type routeFlag int

const (
	// routePublic: the route needs no access token.
	routePublic routeFlag = 1 << iota
	// routeAnyQuery: the route reads or ignores the query string itself;
	// every other route refuses one, so that a misplaced filter is not
	// silently ignored.
	routeAnyQuery
)

func (s *Server) routes() {
	const p = Prefix
	// Authentication
	s.route("POST "+p+"/auth/login", serveCall(http.StatusOK, s.login), routePublic)
	s.route("POST "+p+"/auth/refresh", serveCall(http.StatusOK, s.refresh), routePublic)
	s.route("POST "+p+"/auth/logout", s.logout)
	s.route("GET "+p+"/me", s.me)
	s.route("POST "+p+"/me/password", serveCall(http.StatusOK, s.changePassword))

	// Employees
	s.route("GET "+p+"/employees", s.listEmployees, routeAnyQuery)
	s.route("POST "+p+"/employees", serveCreate(s.svc.CreateEmployee))
	s.route("GET "+p+"/employees/{id}", serveOne(s.svc.GetEmployee))
	s.route("PATCH "+p+"/employees/{id}", servePatch(s.svc.UpdateEmployee))
	s.route("DELETE "+p+"/employees/{id}", serveRemove(s.svc.DeleteEmployee))
	s.route("POST "+p+"/employees/{id}/deactivate", serveChange(bodyOptional, s.deactivate))
	s.route("POST "+p+"/employees/{id}/reactivate", serveAction(s.svc.Reactivate))
	s.route("POST "+p+"/employees/{id}/set-password", serveChange(bodyRequired, s.setPassword))
	s.route("POST "+p+"/employees/check", serveCall(http.StatusNoContent, s.checkCreateEmployee))
	s.route("POST "+p+"/employees/{id}/set-password/check", serveAction(s.checkSetPassword))

	// Clients
	s.route("GET "+p+"/clients", s.listClients, routeAnyQuery)
	s.route("POST "+p+"/clients", serveCreate(s.svc.CreateClient))
	s.route("GET "+p+"/clients/{id}", serveOne(s.svc.GetClient))
	s.route("PATCH "+p+"/clients/{id}", servePatch(s.svc.UpdateClient))
	s.route("POST "+p+"/clients/{id}/reassign", serveChange(bodyRequired, s.reassignClient))

	// Contracts
	s.route("GET "+p+"/contracts", s.listContracts, routeAnyQuery)
	s.route("POST "+p+"/contracts", serveCreate(s.svc.CreateContract))
	s.route("GET "+p+"/contracts/{id}", serveOne(s.svc.GetContract))
	s.route("PATCH "+p+"/contracts/{id}", servePatch(s.svc.UpdateContract))
	s.route("POST "+p+"/contracts/{id}/sign", serveAction(s.svc.SignContract))
	s.route("POST "+p+"/contracts/{id}/reassign", serveChange(bodyRequired, s.reassignContract))
	s.route("GET "+p+"/contracts/{id}/payments", s.listPayments, routeAnyQuery)
	s.route("POST "+p+"/contracts/{id}/payments", s.idempotent(s.recordPayment))
	s.route("POST "+p+"/contracts/{id}/payments/{pid}/refund", s.idempotent(s.refundPayment))

	// Events
	s.route("GET "+p+"/events", s.listEvents, routeAnyQuery)
	s.route("POST "+p+"/events", serveCreate(s.svc.CreateEvent))
	s.route("GET "+p+"/events/{id}", serveOne(s.svc.GetEvent))
	s.route("PATCH "+p+"/events/{id}", servePatch(s.svc.UpdateEvent))
	s.route("POST "+p+"/events/{id}/assign", serveChange(bodyRequired, s.assignSupport))
	s.route("POST "+p+"/events/{id}/unassign", serveAction(s.svc.UnassignSupport))

	// Audit
	s.route("GET "+p+"/audit", s.listAudit, routeAnyQuery)

	// Operations
	s.route("GET "+p+"/openapi.json", s.openAPI, routePublic, routeAnyQuery)
	s.route("GET /healthz", s.healthz, routePublic, routeAnyQuery)
	s.route("GET /readyz", s.readyz, routePublic, routeAnyQuery)
	s.route("GET /metrics", func(w http.ResponseWriter, r *http.Request) error {
		s.metrics.handler().ServeHTTP(w, r)
		return nil
	}, routePublic, routeAnyQuery)
}

// route registers h for pattern, behind authentication unless public.
func (s *Server) route(pattern string, h apiHandler, flags ...routeFlag) {
	var f routeFlag
	for _, fl := range flags {
		f |= fl
	}
	var next http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f&routeAnyQuery == 0 && r.URL.RawQuery != "" {
			s.fail(w, r, badRequest("", "this route takes no query parameters"))
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
	if f&routePublic == 0 {
		next = s.authenticate(next)
	}
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Recorded first, so that even a 401 is logged and counted under
		// its route rather than as unmatched.
		infoOf(r.Context()).route = r.Pattern
		next.ServeHTTP(w, r)
	}))
}

// dispatch hands the request to its route. The mux's own 404 and 405 are
// plain text; they are answered as problems instead, like every error.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // matches again, and sets the path values
		return
	}
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	p := Problem{Status: rec.status, Code: crm.CodeNotFound, RequestID: infoOf(r.Context()).requestID,
		Detail: "there is no such route; the routes are described at " + Prefix + "/openapi.json"}
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		p.Code = crm.CodeInvalid
		p.Detail = "this route does not take " + r.Method + "; it takes " + rec.header.Get("Allow")
	}
	writeProblem(w, p)
}

// headerRecorder keeps the status and headers of the mux's own answers, and
// drops their text body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPI)
	return nil
}

// healthz says the process is up; it checks nothing else, so that a database
// outage does not get the process restarted.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeResource(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the server can serve (the database answers), so that a
// load balancer sends traffic elsewhere meanwhile.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			return &crm.Error{Code: crm.CodeUnavailable, Err: err,
				Message: "the database cannot be reached; try again later"}
		}
	}
	return writeResource(w, http.StatusOK, map[string]string{"status": "ok"})
}
