// Package webui is the web UI of `epicevents serve`: server-rendered HTML
// pages for employees who would rather not use a terminal, mounted at / beside
// the JSON API. Its handlers call the same crm.Service in process and map its
// error codes to statuses with the API's table; it adds pages, never a rule.
//
// Every page works without JavaScript; htmx (vendored) makes links and forms
// load without a full reload when JavaScript is on. Templates, styles and
// scripts are embedded; static files are served under content-hashed names.
// Every response carries a strict Content-Security-Policy (no inline script
// or style anywhere), and every state change is a POST that
// net/http.CrossOriginProtection refuses when it comes from another site.
package webui

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
)

// ContentSecurityPolicy is sent with every response of the UI: scripts,
// styles, images and requests only from the server itself, no inline script
// or style, no eval, forms only to the server, and no framing.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

//go:embed templates/*.html
var templateFiles embed.FS

// The licences go with the files they cover; README.md (the inventory) stays
// in the repository.
//
//go:embed static/*.css static/*.js static/*.svg static/vendor/*.css static/vendor/*.js static/vendor/*.txt
var staticFiles embed.FS

// Options are the UI's collaborators; every field is optional.
type Options struct {
	// Location is the company's time zone (EPICEVENTS_TZ); the pages show
	// every time in it, and name it. time.Local when nil.
	Location *time.Location
	// Logger receives one line per request and the details of every
	// unexpected error; slog.Default() when nil.
	Logger *slog.Logger
	// Reporter, when set, receives every unexpected error and recovered
	// panic (each 500), under the reference the page shows.
	Reporter httpapi.Reporter
	// Registry, when set, receives the UI's request metrics.
	Registry *prometheus.Registry
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Server is the web UI. It is an http.Handler for every path that is not the
// API's.
type Server struct {
	svc     *crm.Service // every page reads and every action writes through it, in process
	clock   clock        // times in the company's zone
	zone    string       // the name of that zone, shown on the pages
	now     func() time.Time
	log     *slog.Logger
	report  httpapi.Reporter
	metrics *metrics
	assets  *assets
	pages   *pages
	mux     *http.ServeMux
	handler http.Handler
}

// New builds the UI over svc. It parses every template and reads every
// static file once, here: an error means the binary itself is broken.
func New(svc *crm.Service, opts Options) (*Server, error) {
	s := &Server{svc: svc, log: opts.Logger, report: opts.Reporter, now: opts.Now, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	s.clock = clock{loc: loc}
	s.zone = zoneName(loc, s.now())
	var err error
	if s.assets, err = loadAssets(staticFiles, "static"); err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	if s.pages, err = parsePages(templateFiles, "templates", s.funcs()); err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	if s.metrics, err = newMetrics(opts.Registry); err != nil {
		return nil, fmt.Errorf("web UI: %w", err)
	}
	s.routes()

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.crossOriginRefused))
	// Outermost first: the request id and the security headers exist
	// before anything can fail, and the log line sees the final status.
	s.handler = s.begin(s.recoverPanics(cop.Handler(http.HandlerFunc(s.dispatch))))
	return s, nil
}

// ServeHTTP answers one request of the UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// routes is every page and action of the UI, on one screen.
func (s *Server) routes() {
	s.mux.Handle("GET "+staticPrefix, s.assets)

	// Anyone.
	s.handlePublic("GET /login", s.loginPage)
	s.handlePublic("POST /login", s.login)
	// An employee with a session, even with a temporary password.
	s.handleOwnAccount("POST /logout", s.logout)
	s.handleOwnAccount("GET /me", s.mePage)
	s.handleOwnAccount("POST /me/password", s.changePassword)
	// An employee with a session and a password of their own.
	s.handle("GET /{$}", s.homePage)

	// Clients and contracts.
	s.handle("GET /clients", s.clientsPage)
	s.handle("GET /clients/new", s.newClientPage)
	s.handle("POST /clients", s.createClient)
	s.handle("GET /clients/{id}", s.clientPage)
	s.handle("GET /clients/{id}/edit", s.editClientPage)
	s.handle("POST /clients/{id}", s.updateClient)
	s.handle("POST /clients/{id}/reassign", s.reassignClient)
	s.handle("GET /contracts", s.contractsPage)
	s.handle("GET /contracts/new", s.newContractPage)
	s.handle("POST /contracts", s.createContract)
	s.handle("GET /contracts/{id}", s.contractPage)
	s.handle("GET /contracts/{id}/edit", s.editContractPage)
	s.handle("POST /contracts/{id}", s.updateContract)
	s.handle("POST /contracts/{id}/sign", s.signContract)
	s.handle("POST /contracts/{id}/reassign", s.reassignContract)

	// Payments: the ledger is on the contract's page; money received, and
	// money given back from one payment.
	s.handle("POST /contracts/{id}/payments", s.recordPayment)
	s.handle("POST /contracts/{id}/payments/{pid}/refund", s.refundPayment)

	// Events: the list, an event's page, its creation from a signed
	// contract, its edit and notes, its support contact.
	s.handle("GET /events", s.eventsPage)
	s.handle("GET /events/new", s.newEventPage)
	s.handle("POST /events", s.createEvent)
	s.handle("GET /events/{id}", s.eventPage)
	s.handle("GET /events/{id}/edit", s.editEventPage)
	s.handle("POST /events/{id}", s.updateEvent)
	s.handle("POST /events/{id}/assign", s.assignSupport)
	s.handle("POST /events/{id}/unassign", s.unassignSupport)

	// Employees and the audit log (MANAGEMENT).
	s.handle("GET /employees", s.employeesPage)
	s.handle("GET /employees/new", s.newEmployeePage)
	s.handle("POST /employees", s.createEmployee)
	s.handle("GET /employees/{id}", s.employeePage)
	s.handle("GET /employees/{id}/edit", s.editEmployeePage)
	s.handle("POST /employees/{id}", s.updateEmployee)
	s.handle("POST /employees/{id}/deactivate", s.deactivateEmployee)
	s.handle("POST /employees/{id}/reactivate", s.reactivateEmployee)
	s.handle("POST /employees/{id}/delete", s.deleteEmployee)
	s.handle("POST /employees/{id}/set-password", s.setEmployeePassword)
	s.handle("GET /audit", s.auditPage)
}

// handlerFunc is a page or an action; its error is answered by fail (an
// error page, or a redirect to the login page). handle, handleOwnAccount
// and handlePublic (session.go) register one behind its session check.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// dispatch hands the request to its route; the mux's own plain-text 404 and
// 405 become pages like every other error.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		stateOf(r.Context()).route = pattern
		s.mux.ServeHTTP(w, r) // matches again, and sets the path values
		return
	}
	// A page that does not exist still shows the menu of an employee who is
	// logged in; nobody is sent to log in for it.
	if actor, err := s.authenticate(r); err == nil {
		r = withViewer(r, actor)
	}
	rec := &headerRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.errorPage(w, r, http.StatusMethodNotAllowed, "")
		return
	}
	s.errorPage(w, r, http.StatusNotFound, "")
}

// headerRecorder keeps the status and headers of the mux's own answers, and
// drops their text.
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

// funcs are the functions the templates may call.
func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":       s.assets.url,
		"dateTime":    s.clock.dateTime,
		"date":        s.clock.date,
		"machineTime": machineTime,
		"htmxConfig":  func() string { return htmxConfig },
		"roleName":    roleName,
	}
}
