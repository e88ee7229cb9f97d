package main

// Remote mode end to end: the same scripts, where every employee command goes
// through a real `epicevents serve` subprocess on a loopback port, so that
// equal outputs and exit codes show that both modes behave the same.
//
// The server cannot simply be started before a script: most scripts begin
// with `init`, and serve refuses a database that is not set up. So it starts
// on demand. In remote mode the epicevents stand-in (TestMain) asks the test,
// over a loopback control endpoint, for the server of its script before it
// runs an employee command; the test starts `epicevents serve --addr
// 127.0.0.1:0` with the script's environment (restarting it on the same port
// when a setting the server reads has changed, such as
// EPICEVENTS_LOGIN_THROTTLE), and the command runs with EPICEVENTS_SERVER
// set to it. Operator commands (init, migrate, demo) run locally on the same
// database, as an operator would on the server machine. At the end of the
// script the server is stopped with SIGTERM.
//
// The CLI reaches the server through a reverse proxy of the script's that
// checks every request and response against the OpenAPI document
// (openapitest): the scripts double as a conformance test of the API as the
// CLI uses it. The proxy's URL stays the same when the server restarts, so
// the CLI keeps its tokens; while no server runs, the proxy drops
// connections, as a server that is down would.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/epicevents/epicevents/internal/httpapi/openapitest"
)

// controlEnv carries the control endpoint of the script to the epicevents
// stand-in; it is set only in remote mode.
const controlEnv = "EPICEVENTS_E2E_CONTROL"

// localCommands never talk to a server: the operator commands, which work on
// the database directly, and those that need nothing at all.
var localCommands = map[string]bool{"": true, "init": true, "migrate": true, "serve": true, "demo": true,
	"version": true, "completion": true, "help": true}

// useRemoteServer runs in the epicevents stand-in before the CLI: in remote
// mode it points an employee command at the script's server, unless the script
// chose a server itself.
func useRemoteServer(args []string) {
	ctl := os.Getenv(controlEnv)
	if ctl == "" {
		return
	}
	_ = os.Unsetenv(controlEnv)
	if os.Getenv("EPICEVENTS_SERVER") != "" || !needsServer(args) {
		return
	}
	dir, _ := os.Getwd()
	body, _ := json.Marshal(serverRequest{Env: os.Environ(), Dir: dir})
	resp, err := http.Post(ctl, "application/json", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e harness: cannot ask for the server: %v\n", err)
		os.Exit(99)
	}
	defer resp.Body.Close()
	u, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "e2e harness: %s\n", u)
		os.Exit(99)
	}
	_ = os.Setenv("EPICEVENTS_SERVER", string(u))
}

// needsServer reports whether the command of args talks to the API: not an
// operator or helper command, not --help, and no --server of its own. The
// shell's completion requests (`__complete WORDS…`) need it as the command
// they complete does: employee flags complete with the server's employees.
func needsServer(args []string) bool {
	cmd := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "--help" || a == "--server" || strings.HasPrefix(a, "--server="):
			return false
		case a == "-o" || a == "--output":
			i++ // its value
		case strings.HasPrefix(a, "-"):
		case cmd == "" && i == 0 && strings.HasPrefix(a, "__complete"):
		case cmd == "":
			cmd = a
		}
	}
	return !localCommands[cmd]
}

// serverRequest is what the stand-in sends: its environment (the script's)
// and working folder.
type serverRequest struct {
	Env []string
	Dir string
}

// control answers the stand-ins of every script of one test run.
type control struct {
	srv     *httptest.Server
	spec    *openapitest.Spec
	mu      sync.Mutex
	servers map[string]*scriptServer
}

func newControl(t *testing.T) *control {
	c := &control{servers: map[string]*scriptServer{}, spec: openapitest.Load(t)}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serveHTTP))
	t.Cleanup(c.srv.Close)
	// After every script: a harness that never reached the server would
	// pass by running everything locally.
	t.Cleanup(func() {
		if !t.Failed() && !t.Skipped() && c.spec.Checked() == 0 {
			t.Error("no request went through epicevents serve: the scripts did not run in remote mode")
		}
	})
	return c
}

func (c *control) serveHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	s := c.servers[strings.TrimPrefix(r.URL.Path, "/")]
	c.mu.Unlock()
	var req serverRequest
	if s == nil || r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "no such script, or a bad request", http.StatusBadRequest)
		return
	}
	u, err := s.ensure(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	fmt.Fprint(w, u)
}

// register sets a script up for remote mode: its control URL, and the
// server's stop at the end of the script.
func (c *control) register(env *testscript.Env) error {
	bin, err := exec.LookPath("epicevents")
	if err != nil {
		return fmt.Errorf("the epicevents stand-in is not on PATH: %w", err)
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	dir, err := os.MkdirTemp("", "epicevents-serve-")
	if err != nil {
		return err
	}
	s := &scriptServer{bin: bin, dir: dir}
	tb, ok := env.T().(testing.TB)
	if !ok {
		return fmt.Errorf("the script's T (%T) is not a testing.TB", env.T())
	}
	s.front = s.proxy(c.spec.Transport(tb, nil))
	c.mu.Lock()
	c.servers[id] = s
	c.mu.Unlock()
	env.Setenv(controlEnv, c.srv.URL+"/"+id)
	env.Setenv("REMOTE", "1")
	env.Defer(func() {
		c.mu.Lock()
		delete(c.servers, id)
		c.mu.Unlock()
		s.stop()
		s.front.Close()
		_ = os.RemoveAll(dir)
		if f, ok := env.T().(interface{ Failed() bool }); ok && f.Failed() {
			env.T().Log("epicevents serve said:\n" + s.logs.String())
		}
	})
	return nil
}

// scriptServer is the `epicevents serve` of one script, behind its proxy.
type scriptServer struct {
	bin   string
	dir   string           // its working folder: empty, so that no .env is read
	front *httptest.Server // the checking proxy the CLI talks to

	target atomic.Pointer[url.URL] // the running server, nil when none

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	key  string        // the settings it was started with
	logs syncBuffer
}

// proxy returns the front of the server: a reverse proxy to whichever server
// runs, through the checking transport.
func (s *scriptServer) proxy(transport http.RoundTripper) *httptest.Server {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			if u := s.target.Load(); u != nil {
				r.SetURL(u)
			} else {
				r.Out.URL.Host = "127.0.0.1:9" // nothing listens: ErrorHandler
			}
			r.Out.Host = r.In.Host
		},
		Transport: transport,
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) {
			// No server: close the connection without an answer, as the
			// CLI would find it with no proxy in between.
			panic(http.ErrAbortHandler)
		},
	}
	front := httptest.NewUnstartedServer(rp)
	front.Config.ErrorLog = log.New(io.Discard, "", 0) // the aborted connections
	front.Start()
	return front
}

// ensure starts or restarts the server as the settings of req need, and
// returns the URL for the CLI: the proxy's, whether a server runs or not.
func (s *scriptServer) ensure(req serverRequest) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := serverSettings(req.Env)
	if s.running() && key == s.key {
		return s.front.URL, nil
	}
	s.stopLocked()
	u, err := s.start(req)
	if err != nil {
		fmt.Fprintf(&s.logs, "e2e harness: the server did not start: %v\n", err)
		return s.front.URL, nil
	}
	s.target.Store(u)
	s.key = key
	return s.front.URL, nil
}

func (s *scriptServer) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// start runs `epicevents serve` on a free loopback port and waits for its
// "listening on" line.
func (s *scriptServer) start(req serverRequest) (*url.URL, error) {
	cmd := exec.Command(s.bin, "serve", "--addr", "127.0.0.1:0")
	cmd.Dir = s.dir
	cmd.Env = slices.DeleteFunc(slices.Clone(req.Env), func(kv string) bool {
		return strings.HasPrefix(kv, "EPICEVENTS_SERVER=") || strings.HasPrefix(kv, controlEnv+"=")
	})
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = &s.logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(&s.logs, line)
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				select {
				case listening <- strings.TrimSpace(u):
				default:
				}
			}
		}
		_, _ = io.Copy(&s.logs, stderr)
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done
	select {
	case line := <-listening:
		u, err := url.Parse(line)
		if err != nil || u.Host == "" {
			s.stopLocked()
			return nil, fmt.Errorf("unreadable address %q", line)
		}
		return u, nil
	case <-done:
		return nil, fmt.Errorf("it exited: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
		s.stopLocked()
		return nil, errors.New("no \"listening on\" line within a minute")
	}
}

func (s *scriptServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
}

// stopLocked stops the server with SIGTERM, as an operator would, and kills
// it if it is still there after the grace period.
func (s *scriptServer) stopLocked() {
	s.target.Store(nil)
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// serverSettings is the part of an environment that the server reads: a
// change restarts it. Settings only the CLI reads are left out.
func serverSettings(env []string) string {
	var keep []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		// EPICEVENTS_TZ is the server's too: it dates the notes that
		// `events update --add-note` adds.
		case name == "EPICEVENTS_SERVER", name == "EPICEVENTS_HOME", name == "EPICEVENTS_KEYRING",
			name == controlEnv:
		case strings.HasPrefix(name, "EPICEVENTS_"), strings.HasPrefix(name, "SENTRY_"):
			keep = append(keep, kv)
		}
	}
	slices.Sort(keep)
	return strings.Join(keep, "\n")
}

// syncBuffer is a bytes.Buffer safe for the goroutines that write to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestScriptsRemoteSQLite runs every script in remote mode, the server on an
// SQLite file of the script's own.
func TestScriptsRemoteSQLite(t *testing.T) {
	t.Parallel() // the four modes share the -parallel limit, script by script
	c := newControl(t)
	testscript.Run(t, params("sqlite", true, func(env *testscript.Env) error {
		if err := setupSQLite(env); err != nil {
			return err
		}
		return c.register(env)
	}))
}

// TestScriptsRemotePostgres runs every script in remote mode, the server on
// a fresh PostgreSQL database of the script's own.
func TestScriptsRemotePostgres(t *testing.T) {
	t.Parallel() // the four modes share the -parallel limit, script by script
	setup := postgresSetup(t)
	c := newControl(t)
	testscript.Run(t, params("postgres", true, func(env *testscript.Env) error {
		if err := setup(env); err != nil {
			return err
		}
		return c.register(env)
	}))
}
