package main

// Helpers of the fault-injection and bad-input tests (faults_test.go,
// badinput_test.go): the epicevents binary run as a subprocess in a process
// group of its own, `epicevents serve` subprocesses, a private PostgreSQL
// cluster (initdb in a temporary folder, another port: the shared server is
// never touched), table dumps and the consistency checks of a database.
//
// Every name here starts with fi, so that the other test files of the
// package cannot collide with them.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/sqlstore"
)

// fiPassword is the password of every employee the tests create: long
// enough, and not in the list of common passwords.
const fiPassword = "violet-harbour-lantern-92"

// fiJWTSecret signs the access tokens of every serve these tests start, so
// that a token stays valid across a restart of the server.
const fiJWTSecret = "fault-injection-test-secret-0123456789abcdef"

// fiBin returns the epicevents stand-in that TestMain puts on PATH: this
// test binary, which runs the CLI when called epicevents.
func fiBin(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("epicevents")
	if err != nil {
		t.Fatalf("the epicevents stand-in is not on PATH: %v", err)
	}
	return bin
}

// fiBaseEnv is the environment of every subprocess: this process's, without
// any EPICEVENTS_ or SENTRY_ setting of the developer's, plus the settings of
// the end-to-end scripts.
func fiBaseEnv() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "EPICEVENTS_") || strings.HasPrefix(kv, "SENTRY_") ||
			strings.HasPrefix(kv, "GORACE=") || strings.HasPrefix(kv, "PG")
	})
	return append(env,
		"EPICEVENTS_KEYRING=off",
		"EPICEVENTS_TZ=Europe/Paris",
		"NO_COLOR=1",
		// Under -race every process would sleep a second at exit.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	)
}

// fiWith returns env with the settings kv ("NAME=value") replacing any
// earlier value of the same names.
func fiWith(env []string, kv ...string) []string {
	out := slices.Clone(env)
	for _, s := range kv {
		name, _, _ := strings.Cut(s, "=")
		out = slices.DeleteFunc(out, func(e string) bool { return strings.HasPrefix(e, name+"=") })
		out = append(out, s)
	}
	return out
}

// fiResult is how one CLI process ended.
type fiResult struct {
	code           int
	stdout, stderr string
	dur            time.Duration
}

func (r fiResult) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout: %s\nstderr: %s", r.code, r.dur.Round(time.Millisecond), r.stdout, r.stderr)
}

// fiCommand prepares epicevents args in dir with env, in a process group of
// its own so that a kill reaches anything it started.
func fiCommand(t testing.TB, dir string, env []string, stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command(fiBin(t), args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// fiRun runs epicevents args to the end (a minute at most) and returns how it
// ended.
func fiRun(t testing.TB, dir string, env []string, stdin string, args ...string) fiResult {
	t.Helper()
	cmd := fiCommand(t, dir, env, stdin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start epicevents %q: %v", args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		t.Fatalf("epicevents %q did not end within a minute\nstderr: %s", args, errb.String())
	}
	r := fiResult{stdout: out.String(), stderr: errb.String(), dur: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("epicevents %q: %v", args, err)
	}
	return r
}

// fiMust runs epicevents args and fails the test unless it succeeds.
func fiMust(t testing.TB, dir string, env []string, stdin string, args ...string) fiResult {
	t.Helper()
	r := fiRun(t, dir, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("epicevents %q: %s", args, r)
	}
	return r
}

// fiJSONID reads the "id" of a JSON object printed by `-o json`.
func fiJSONID(t testing.TB, out string) int64 {
	t.Helper()
	var v struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == 0 {
		t.Fatalf("no id in %q: %v", out, err)
	}
	return v.ID
}

// fiCRM is a CRM set up for a test: a database, a working folder, and one
// EPICEVENTS_HOME per employee, each logged in (local mode).
type fiCRM struct {
	dir   string
	dbURL string
	env   []string          // base environment with the database URL
	homes map[string]string // login name → EPICEVENTS_HOME
	ids   map[string]int64  // login name → employee id
}

// as returns the environment of the employee called name.
func (c *fiCRM) as(name string) []string {
	h, ok := c.homes[name]
	if !ok {
		panic("fiCRM: no employee " + name)
	}
	return fiWith(c.env, "EPICEVENTS_HOME="+h)
}

// fiEmployee is one employee to create: login name, role, first and last
// name; login says whether to log them in.
type fiEmployee struct {
	name, role, first, last string
	login                   bool
}

// fiNewCRM runs init (manager "ada") on dbURL, creates the employees and logs
// in those asked, each in a home of their own under dir.
func fiNewCRM(t testing.TB, dir, dbURL string, extra []string, employees ...fiEmployee) *fiCRM {
	t.Helper()
	c := &fiCRM{dir: dir, dbURL: dbURL, homes: map[string]string{}, ids: map[string]int64{}}
	c.env = fiWith(fiBaseEnv(), append([]string{"EPICEVENTS_DATABASE_URL=" + dbURL}, extra...)...)
	c.homes["ada"] = filepath.Join(dir, "home-ada")
	pw := fiPassword + "\n"
	fiMust(t, dir, c.as("ada"), pw, "init", "--email", "ada@epicevents.example", "--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
	fiMust(t, dir, c.as("ada"), pw, "login", "--email", "ada@epicevents.example", "--password-stdin")
	c.ids["ada"] = 1
	for _, e := range employees {
		r := fiMust(t, dir, c.as("ada"), pw, "employees", "create", "--first-name", e.first, "--last-name", e.last,
			"--email", e.name+"@epicevents.example", "--role", e.role, "--password-stdin", "-o", "json")
		c.ids[e.name] = fiJSONID(t, r.stdout)
		c.homes[e.name] = filepath.Join(dir, "home-"+e.name)
		if e.login {
			fiMust(t, dir, c.as(e.name), pw, "login", "--email", e.name+"@epicevents.example", "--password-stdin")
		}
	}
	return c
}

// fiServer is an `epicevents serve` subprocess.
type fiServer struct {
	cmd  *exec.Cmd
	URL  string
	done chan struct{}
	logs *syncBuffer
}

// fiStartServe starts `epicevents serve` on a free loopback port and waits
// for its "listening on" line. The server is killed at the end of the test
// if it still runs.
func fiStartServe(t testing.TB, dir string, env []string) *fiServer {
	t.Helper()
	s := &fiServer{done: make(chan struct{}), logs: &syncBuffer{}}
	s.cmd = fiCommand(t, dir, env, "", "serve", "--addr", "127.0.0.1:0")
	s.cmd.Stdin = nil
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s.cmd.Stdout = s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.logs, line)
			if u, ok := strings.CutPrefix(line, "listening on "); ok {
				select {
				case listening <- strings.TrimSpace(u):
				default:
				}
			}
		}
		_, _ = io.Copy(s.logs, stderr)
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("epicevents serve said:\n%s\nits errors, by cause:\n%s", fiTail(s.logs.String(), 60), fiErrorCauses(s.logs.String()))
		}
	})
	select {
	case u := <-listening:
		s.URL = u
	case <-s.done:
		t.Fatalf("serve exited before listening:\n%s", s.logs.String())
	case <-time.After(time.Minute):
		t.Fatalf("serve did not listen within a minute:\n%s", s.logs.String())
	}
	return s
}

// kill ends the server at once (SIGKILL to its process group), as a crash
// or the OOM killer would.
func (s *fiServer) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// stop asks the server to stop (SIGTERM) and kills it after 30 s.
func (s *fiServer) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
	}
}

// fiTail returns the last n lines of s.
func fiTail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// fiAPI is a minimal HTTP client of the API for load generators: it never
// goes through the CLI, so that each request's status and time are known.
type fiAPI struct {
	base   func() string // the server's URL, which changes when it restarts
	client *http.Client
}

func fiNewAPI(base func() string) *fiAPI {
	return &fiAPI{base: base, client: &http.Client{
		// Longer than every server timeout: a hang shows as a duration,
		// not as a client timeout.
		Timeout:   90 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
	}}
}

// fiReply is one exchange with the server.
type fiReply struct {
	status      int
	contentType string
	body        []byte
	err         error // transport failure: no answer
	start       time.Time
	dur         time.Duration
}

func (a *fiAPI) do(method, path, token string, body any) fiReply {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r := fiReply{start: time.Now()}
	req, err := http.NewRequest(method, a.base()+path, rd)
	if err != nil {
		r.err = err
		return r
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err == nil {
		r.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		r.status, r.contentType = resp.StatusCode, resp.Header.Get("Content-Type")
	}
	r.err, r.dur = err, time.Since(r.start)
	return r
}

// login returns an access token of email.
func (a *fiAPI) login(t testing.TB, email string) string {
	t.Helper()
	r := a.do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": fiPassword})
	if r.err != nil || r.status != 200 {
		t.Fatalf("login %s: %v %d %s", email, r.err, r.status, r.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(r.body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: no access token in %s", email, r.body)
	}
	return tok.AccessToken
}

// id reads the id of the resource a 201 or 200 answered.
func (r fiReply) id() int64 {
	var v struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.ID
}

// isProblem503 reports whether r is a 503 problem+json whose body says 503.
func (r fiReply) isProblem503() bool {
	if r.status != 503 || !strings.HasPrefix(r.contentType, "application/problem+json") {
		return false
	}
	var p struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	return json.Unmarshal(r.body, &p) == nil && p.Status == 503 && p.Detail != ""
}

// fiPG is a PostgreSQL cluster of the test's own: initdb in a temporary
// folder, a port of its own, trust authentication on loopback only. Tests
// stop and restart it at will; the shared server is never touched.
type fiPG struct {
	t    testing.TB
	bin  string // folder of initdb and postgres
	root string // temporary folder: data/ and the socket
	port int
	cred *syscall.Credential // run as the postgres OS user when we are root

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *syncBuffer
}

// fiStartCluster creates and starts a private cluster, or skips the test
// when the PostgreSQL server binaries are not installed, or when running as
// root without a postgres OS user to run them as.
func fiStartCluster(t testing.TB) *fiPG {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: not starting a PostgreSQL cluster")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server binaries (initdb, postgres): install postgresql to run the PostgreSQL fault tests")
	}
	sort.Slice(bins, func(i, j int) bool { return fiVersionOf(bins[i]) < fiVersionOf(bins[j]) })
	p := &fiPG{t: t, bin: filepath.Dir(bins[len(bins)-1]), logs: &syncBuffer{}}
	if _, err := os.Stat(filepath.Join(p.bin, "postgres")); err != nil {
		t.Skipf("no postgres binary next to %s", bins[len(bins)-1])
	}
	// Not t.TempDir(): its parents are private to root, and the postgres
	// user must reach the folder.
	root, err := os.MkdirTemp("", "epicevents-pgfault-")
	if err != nil {
		t.Fatal(err)
	}
	p.root = root
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres OS user to run a PostgreSQL cluster as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	out, err := p.command(filepath.Join(p.bin, "initdb"), "-D", p.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// A port of its own, well away from the shared server's 5432, and below
	// Linux's ephemeral range (32768–60999): the tests stop the cluster and
	// start it again on the same port, and while it is down any outgoing
	// connection of the machine may be given a free ephemeral port as its
	// own (it happened once: "could not bind … Address already in use").
	for range 50 {
		port := 20000 + rand.IntN(10000)
		if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			ln.Close()
			p.port = port
			break
		}
	}
	if p.port == 0 {
		t.Fatal("no free port for the test cluster")
	}
	t.Cleanup(func() {
		p.stop(syscall.SIGQUIT)
		if t.Failed() {
			t.Logf("the test cluster said:\n%s", fiTail(p.logs.String(), 40))
		}
	})
	p.start()
	return p
}

func fiVersionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func (p *fiPG) data() string { return filepath.Join(p.root, "data") }

// command prepares a PostgreSQL program, as the postgres user when we are
// root, in a process group of its own.
func (p *fiPG) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = p.root
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + p.root, "LC_ALL=C", "TZ=UTC"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: p.cred}
	return cmd
}

// start runs the postmaster and waits until it accepts connections.
func (p *fiPG) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	cmd := p.command(filepath.Join(p.bin, "postgres"), "-D", p.data(), "-p", strconv.Itoa(p.port),
		"-k", p.root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
		"-c", "max_connections=100", "-c", "shared_buffers=16MB")
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start postgres: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.done = cmd, done
	deadline := time.Now().Add(60 * time.Second)
	for {
		db, err := sql.Open("pgx", p.URL("postgres"))
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
		}
		if err == nil {
			return
		}
		select {
		case <-done:
			p.t.Fatalf("postgres exited:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("postgres did not accept connections within a minute: %v\n%s", err, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops the postmaster with sig: SIGTERM (smart), SIGINT (fast: ends
// sessions, checkpoints) or SIGQUIT (immediate: a crash, recovered at the
// next start). It kills the process group after 30 s.
func (p *fiPG) stop(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
		select {
		case <-p.done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	}
	p.cmd = nil
}

// signal sends sig to every process of the cluster: the postmaster first,
// then its children (each backend is a process group of its own, so the
// postmaster's group does not reach them).
func (p *fiPG) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pid := p.cmd.Process.Pid
	_ = syscall.Kill(pid, sig)
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after ")".
		_, rest, ok := strings.Cut(string(b), ") ")
		fields := strings.Fields(rest)
		if !ok || len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			_ = syscall.Kill(child, sig)
		}
	}
}

// URL is the URL of database name on the cluster.
func (p *fiPG) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// createDB creates database name and returns its URL.
func (p *fiPG) createDB(t testing.TB, name string) string {
	t.Helper()
	db, err := sql.Open("pgx", p.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return p.URL(name)
}

// fiOpen opens the database of url for the test's own checks.
func fiOpen(t testing.TB, url string) *sql.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close() })
	return db.SQL()
}

// fiQueryStrings runs q and returns its rows, each as one line of text.
func fiQueryStrings(t testing.TB, db *sql.DB, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case []byte:
				parts[i] = strconv.Quote(string(v))
			case string:
				parts[i] = strconv.Quote(v)
			case time.Time:
				parts[i] = v.UTC().Format(time.RFC3339Nano)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func fiCount(t testing.TB, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// fiCheckConsistent checks what a crash must never break: the engine's own
// integrity (SQLite), an audit entry for every client, contract and event and
// a row for every creation audited (nothing deletes them), the limits of
// amounts and events, and the signature rule.
func fiCheckConsistent(t testing.TB, db *sql.DB, engine string) {
	t.Helper()
	if engine == "sqlite" {
		if got := fiQueryStrings(t, db, "PRAGMA integrity_check"); len(got) != 1 || got[0] != `"ok"` {
			t.Errorf("PRAGMA integrity_check: %v", got)
		}
		if got := fiQueryStrings(t, db, "PRAGMA foreign_key_check"); len(got) != 0 {
			t.Errorf("PRAGMA foreign_key_check found dangling references: %v", got)
		}
	}
	for _, e := range []struct{ entity, table string }{
		{"employee", "employees"}, {"client", "clients"}, {"contract", "contracts"}, {"event", "events"},
	} {
		// The constant names come from this list, never from input.
		q := fmt.Sprintf(`SELECT id FROM %s r WHERE NOT EXISTS (SELECT 1 FROM audit_entries a
			WHERE a.entity = '%s' AND a.action = '%s.create' AND a.entity_id = r.id) ORDER BY id`, e.table, e.entity, e.entity)
		if got := fiQueryStrings(t, db, q); len(got) > 0 {
			t.Errorf("%s without an audit entry of their creation: ids %v", e.table, got)
		}
		// Only employees can be deleted (employee.delete).
		q = fmt.Sprintf(`SELECT a.id, a.entity_id FROM audit_entries a WHERE a.entity = '%s' AND a.action = '%s.create'
			AND NOT EXISTS (SELECT 1 FROM %s r WHERE r.id = a.entity_id)
			AND NOT EXISTS (SELECT 1 FROM audit_entries d WHERE d.entity = a.entity AND d.entity_id = a.entity_id AND d.action = '%s.delete')
			ORDER BY a.id`, e.entity, e.entity, e.table, e.entity)
		if got := fiQueryStrings(t, db, q); len(got) > 0 {
			t.Errorf("audit entries of %s creations whose row does not exist (audit id|entity id): %v", e.entity, got)
		}
		n := fiCount(t, db, "SELECT count(*) FROM "+e.table)
		m := fiCount(t, db, fmt.Sprintf("SELECT count(*) FROM audit_entries WHERE entity = '%s' AND action = '%s.create'", e.entity, e.entity))
		if e.entity != "employee" && n != m {
			t.Errorf("%d %s but %d audited creations", n, e.table, m)
		}
	}
	for _, c := range []struct{ what, q string }{
		{"contracts outside the amount limits", `SELECT id, total_amount, amount_due FROM contracts
			WHERE NOT (total_amount > 0 AND total_amount <= 10000000000 AND amount_due >= 0 AND amount_due <= total_amount)`},
		{"contracts whose signature and date disagree", `SELECT id FROM contracts WHERE (signed_at IS NULL) = (signed = TRUE)`},
		{"events outside their limits", `SELECT id FROM events WHERE NOT (start_at < end_at AND attendees BETWEEN 0 AND 100000)`},
		{"events on unsigned contracts", `SELECT e.id FROM events e JOIN contracts c ON c.id = e.contract_id WHERE c.signed_at IS NULL`},
	} {
		q := c.q
		if engine == "sqlite" {
			q = strings.ReplaceAll(q, "TRUE", "1")
		}
		if got := fiQueryStrings(t, db, q); len(got) > 0 {
			t.Errorf("%s: %v", c.what, got)
		}
	}
}

// fiErrorCauses summarizes serve's error log lines: one line per message and
// cause, with how many and when the first and last were logged, so that a
// failure's cause is found among thousands of lines.
func fiErrorCauses(logs string) string {
	type group struct {
		n           int
		first, last string
	}
	groups := map[string]*group{}
	var order []string
	for _, line := range strings.Split(logs, "\n") {
		var l struct {
			Time, Level, Msg, Cause, Err, Route string
		}
		if json.Unmarshal([]byte(line), &l) != nil || (l.Level != "ERROR" && l.Level != "WARN") {
			continue
		}
		key := l.Level + " " + l.Msg + " " + l.Route + ": " + l.Cause + l.Err
		g := groups[key]
		if g == nil {
			g = &group{first: l.Time}
			groups[key] = g
			order = append(order, key)
		}
		g.n++
		g.last = l.Time
	}
	var b strings.Builder
	for _, k := range order {
		g := groups[k]
		fmt.Fprintf(&b, "  %d× %s (%s … %s)\n", g.n, k, g.first, g.last)
	}
	return b.String()
}
