package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/webui"
)

// serve's garbage collector, unless the environment sets GOGC or GOMEMLIMIT:
// a heap allowed to grow to five times the live data before a collection
// (the default is twice) cut the server's CPU per request by about a fifth
// under load (BENCHMARKS.md), and the soft memory limit makes collections
// more frequent as the heap nears it, so that the process stays well under
// the server's 100 MB memory target (without it, that setting alone peaked
// at 134 MiB).
const (
	serveGCPercent   = 400
	serveMemoryLimit = 64 << 20
)

// tuneGC applies serve's garbage-collector settings where the operator has
// not chosen their own through the Go runtime's variables.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(serveGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

// shutdownGrace is how long in-flight requests get to finish once a stop is
// asked (SIGTERM, interrupt); orchestrators usually wait 30 s before a kill.
const shutdownGrace = 20 * time.Second

type serveOptions struct {
	addr, tlsCert, tlsKey string
}

func (a *App) serveCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: the web UI and the HTTP API",
		Long: `serve runs the CRM's server on --addr: the web UI at / for employees'
browsers, and the JSON API under /api/v1, so that employees' machines use the
CRM with ` + "`--server URL`" + ` and never hold database credentials or signing
keys. It reads EPICEVENTS_DATABASE_URL and the other settings from the
environment and from a .env file in the current folder, and refuses to start on
a database whose schema is behind (run ` + "`epicevents migrate up`" + `).

Set EPICEVENTS_JWT_SECRET in production: without it the signing key is kept in
the database, and serve warns about it. Serve TLS with --tls-cert and --tls-key,
or run behind a reverse proxy that does: browsers keep the web UI's session
cookie only over HTTPS or on this machine, and serve warns when it listens on
another address without TLS. Logs are JSON lines on stderr, one per request;
/healthz, /readyz and /metrics (Prometheus) are for operations.
On SIGTERM or interrupt, in-flight requests get 20 seconds to finish.`,
		Example: `  epicevents serve
  epicevents serve --addr 0.0.0.0:8443 --tls-cert server.crt --tls-key server.key
  EPICEVENTS_DATABASE_URL=postgres://app@db/epicevents epicevents serve --addr :8080`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error { return a.runServe(ctx, o) }),
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on, HOST:PORT (port 0 picks a free one)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate (chain) file, to serve HTTPS")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file of --tls-cert")
	return cmd
}

func (a *App) runServe(ctx context.Context, o *serveOptions) error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return crm.Errorf(crm.CodeInvalid, "--tls-cert and --tls-key go together: give both, or neither")
	}
	level := slog.LevelInfo
	if a.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	a.log = log

	// Operator command: .env is read, the default home may be created.
	if _, err := a.config(true); err != nil {
		return err
	}
	db, err := a.openDB(ctx, true, false)
	if err != nil {
		return err
	}
	// service refuses an empty database (run init) and a schema behind
	// (run migrate up), so a stale binary never serves a newer schema or
	// the reverse.
	a.serving = true
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	if err := warnPrivileges(ctx, log, db); err != nil {
		return err
	}
	if _, generated, err := signingKeys(ctx, db, a.cfg); err != nil {
		return err
	} else if generated {
		log.Warn("EPICEVENTS_JWT_SECRET is not set: access tokens are signed with a key kept in the database, " +
			"so whoever can read the database can forge tokens; set EPICEVENTS_JWT_SECRET (32 bytes or more) in production")
	}

	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return crm.Errorf(crm.CodeInvalid, "cannot load the TLS certificate and key: %v", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}

	opts := httpapi.ServerOptions{
		Logger:  log,
		Ready:   db.Ping,
		DBStats: db.SQL().Stats,
	}
	if a.reporter != nil { // a nil *Reporter in the interface would not be nil
		opts.Reporter = a.reporter
	}
	// One registry for the API's and the web UI's metrics, on /metrics.
	opts.Registry = prometheus.NewRegistry()
	opts.Registry.MustRegister(collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api := httpapi.NewServer(svc, opts)
	ui, err := webui.New(svc, webui.Options{Location: a.cfg.Location, Logger: log,
		Reporter: opts.Reporter, Registry: opts.Registry})
	if err != nil {
		return err
	}
	tuneGC()
	srv := &http.Server{
		Handler:           mount(api.Handler(), ui),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.addr)
	if err != nil {
		return crm.Errorf(crm.CodeInvalid, "cannot listen on %s: %v", o.addr, err)
	}
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	} else if warning := plainHTTPWarning(ln.Addr()); warning != "" {
		log.Warn(warning)
	}
	// One plain line, the real address (port 0 picks one), for people and
	// for scripts that wait for the server to be up.
	fmt.Fprintf(a.stderr, "listening on %s://%s\n", scheme, ln.Addr())

	purgeCtx, stopPurge := context.WithCancel(ctx)
	purged := make(chan struct{})
	go func() {
		defer close(purged)
		purgeEvery(purgeCtx, svc, log, purgeInterval)
	}()
	defer func() { stopPurge(); <-purged }()

	served := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-served:
		return &crm.Error{Code: crm.CodeInternal, Message: fmt.Sprintf("the server stopped: %v", err), Err: err}
	case <-ctx.Done():
	}

	log.Info("shutting down: finishing in-flight requests", "grace", shutdownGrace.String())
	// Not derived from ctx, which is already cancelled: the grace period
	// starts now.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		log.Warn("server error while stopping", "err", serr.Error())
	}
	if err != nil {
		log.Warn("requests still running after the grace period were cut off", "err", err.Error())
		_ = srv.Close()
	}
	log.Info("stopped")
	return nil
}

// purgeInterval is how often serve deletes what is kept no longer than
// needed (throttle records past their window, sessions that ended, with their
// refresh tokens): well within the rule that they go within ten minutes,
// which TestPurgeEvery holds.
const purgeInterval = 5 * time.Minute

// purger is what purgeEvery needs of the service.
type purger interface {
	Purge(ctx context.Context) (crm.Purged, error)
}

// purgeEvery purges at once, then every interval until ctx ends. A failure
// is logged, never fatal: the next tick tries again, and serving goes on.
func purgeEvery(ctx context.Context, p purger, log *slog.Logger, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, err := p.Purge(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("purge of expired sessions and login failures failed; retrying at the next interval",
				"err", err.Error(), "interval", interval.String())
		case n != crm.Purged{}:
			log.Info("purged expired data", "sessions", n.Sessions, "login_failures", n.LoginFailures,
				"idempotency_keys", n.IdempotencyKeys)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// warnPrivileges warns loudly when serve connects to PostgreSQL with more
// rights than it needs: as a superuser, or as the role that owns
// the tables. Either one could alter or drop the schema, or rewrite the
// audit trail, through any flaw of the server.
func warnPrivileges(ctx context.Context, log *slog.Logger, db *sqlstore.DB) error {
	p, err := db.Privileges(ctx)
	if err != nil {
		return err
	}
	const fix = "connect as an application role instead: run `epicevents migrate up --app-role NAME` as the owner, " +
		"then point EPICEVENTS_DATABASE_URL at NAME (see docs/postgresql.md)"
	if p.Superuser {
		log.Warn("SECURITY: serve is connected to PostgreSQL as the SUPERUSER "+p.Role+
			", which bypasses every privilege: a flaw in the server could read, alter or drop anything in the cluster; "+fix,
			"role", p.Role, "superuser", true)
	} else if p.OwnsTables {
		log.Warn("SECURITY: serve is connected to PostgreSQL as "+p.Role+", the OWNER of the CRM tables "+
			"(or a member of the owner role): a flaw in the server could alter or drop the schema and rewrite the audit trail; "+fix,
			"role", p.Role, "owner", true)
	}
	return nil
}

// mount sends the API's paths (/api/v1 and the operations routes) to the API
// and every other path to the web UI. Each side sets its own security
// headers, so that every response carries exactly one
// Content-Security-Policy: the API's strict one for JSON, the UI's for pages.
func mount(api, ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAPIPath(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}

// isAPIPath reports whether path belongs to the API.
func isAPIPath(path string) bool {
	switch path {
	case httpapi.Prefix, "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(path, httpapi.Prefix+"/")
}

// plainHTTPWarning is the warning for serving plain HTTP on an address other
// machines can reach: browsers keep the web UI's session cookie
// (__Host-epicevents_session, Secure) only over HTTPS or on the loopback
// address, so nobody could stay logged in to the web UI from another
// machine. "" on a loopback address.
func plainHTTPWarning(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return ""
	}
	return "serve is listening on " + addr.String() + " over plain HTTP: browsers keep the web UI's session " +
		"cookie only over HTTPS (or on this machine), so nobody can log in to the web UI from another machine; " +
		"give --tls-cert and --tls-key, or serve it through a reverse proxy that terminates TLS (see docs/deploy.md)"
}
