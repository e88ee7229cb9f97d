package main

// Several servers, one database: two `epicevents serve`
// processes on one PostgreSQL database behave as one. A session opened on one
// works on the other; logout and deactivation through one are refused by the
// other on the very next request; login throttling, per account and per
// address, counts across both; audit entries made through either record the
// client's address.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/testdb"
)

// multiIPAllowance is EPICEVENTS_LOGIN_IP_THROTTLE's allowance for the test:
// larger than the failures the test makes before it checks the per-address
// throttle, which it then reaches on purpose.
const multiIPAllowance = 8

func TestMultiServerPostgres(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" {
		t.Skip(testdb.PostgresEnv + " is not set: skipping the several-servers-one-database test (PostgreSQL only)")
	}
	// The test binary doubles as epicevents (TestMain); testscript.Main put
	// it on PATH, as remote_test.go uses it.
	bin, err := exec.LookPath("epicevents")
	if err != nil {
		t.Fatalf("the epicevents stand-in is not on PATH: %v", err)
	}
	dbURL := testdb.URL(t, "postgres") // dropped at the end, after the servers stop (cleanups run last in, first out)

	secret := make([]byte, 48)
	_, _ = rand.Read(secret)
	env := multiEnv(map[string]string{
		"EPICEVENTS_DATABASE_URL":      dbURL,
		"EPICEVENTS_HOME":              t.TempDir(),
		"EPICEVENTS_KEYRING":           "off",
		"EPICEVENTS_JWT_SECRET":        base64.RawURLEncoding.EncodeToString(secret),
		"EPICEVENTS_LOGIN_THROTTLE":    "3/15m",
		"EPICEVENTS_LOGIN_IP_THROTTLE": strconv.Itoa(multiIPAllowance) + "/15m",
		"NO_COLOR":                     "1",
		// Under -race every process sleeps a second at exit otherwise.
		"GORACE": strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0"),
	})
	workDir := t.TempDir() // empty: no .env is read

	const (
		mgrEmail = "ada@epicevents.example"
		mgrPass  = "correct-horse-battery-staple"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	initCmd := exec.CommandContext(ctx, bin, "init", "--email", mgrEmail, "--first-name", "Ada",
		"--last-name", "Lovelace", "--password-stdin")
	initCmd.Env, initCmd.Dir = env, workDir
	initCmd.Stdin = strings.NewReader(mgrPass + "\n")
	if out, err := initCmd.CombinedOutput(); err != nil {
		t.Fatalf("epicevents init: %v\n%s", err, out)
	}

	a := startMultiServer(t, bin, env, workDir, "A")
	b := startMultiServer(t, bin, env, workDir, "B")
	if a.url == b.url {
		t.Fatalf("both servers listen on %s", a.url)
	}
	addrFailures := 0 // failed logins from 127.0.0.1 so far, on either server

	// A manager's session opened on A works on B, and refreshes there.
	mgr := a.login(t, mgrEmail, mgrPass)
	me := b.do(t, "GET", "/api/v1/me", mgr.AccessToken, nil)
	me.want(t, http.StatusOK)
	if id := me.json(t)["id"]; id != float64(1) {
		t.Fatalf("GET /me on B with A's token: id %v, want 1", id)
	}
	r := b.do(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": mgr.RefreshToken})
	r.want(t, http.StatusOK)
	mgr2 := r.tokens(t)
	if mgr2.RefreshToken == mgr.RefreshToken {
		t.Fatal("refresh on B returned the same refresh token: no rotation")
	}
	a.do(t, "GET", "/api/v1/me", mgr2.AccessToken, nil).want(t, http.StatusOK)
	// Reusing the rotated refresh token on A is detected, and ends the
	// session that B's refresh continued: its access token stops on B.
	a.do(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": mgr.RefreshToken}).
		want(t, http.StatusUnauthorized)
	b.do(t, "GET", "/api/v1/me", mgr2.AccessToken, nil).want(t, http.StatusUnauthorized)
	a.do(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": mgr2.RefreshToken}).
		want(t, http.StatusUnauthorized)

	mgr = b.login(t, mgrEmail, mgrPass)

	// Two employees, made through B.
	const samPass, supPass = "sam-initial-password-1", "sup-initial-password-1"
	cr := b.do(t, "POST", "/api/v1/employees", mgr.AccessToken, map[string]any{"first_name": "Sam",
		"last_name": "Seller", "email": "sam@epicevents.example", "role": "SALES", "password": samPass})
	cr.want(t, http.StatusCreated)
	samID := int64(cr.json(t)["id"].(float64))
	b.do(t, "POST", "/api/v1/employees", mgr.AccessToken, map[string]any{"first_name": "Sue",
		"last_name": "Porter", "email": "sue@epicevents.example", "role": "SUPPORT", "password": supPass}).
		want(t, http.StatusCreated)

	// Payments racing over both servers keep the ledger exact.
	checkParallelPayments(t, a, b, mgr.AccessToken, samPass)

	// Logout through A: B refuses the access token on the very next
	// request, and its refresh token too.
	sam := a.login(t, "sam@epicevents.example", samPass)
	b.do(t, "GET", "/api/v1/me", sam.AccessToken, nil).want(t, http.StatusOK)
	a.do(t, "POST", "/api/v1/auth/logout", sam.AccessToken, nil).want(t, http.StatusNoContent)
	b.do(t, "GET", "/api/v1/me", sam.AccessToken, nil).want(t, http.StatusUnauthorized)
	b.do(t, "GET", "/api/v1/clients", sam.AccessToken, nil).want(t, http.StatusUnauthorized)
	b.do(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": sam.RefreshToken}).
		want(t, http.StatusUnauthorized)

	// Deactivation through B: A refuses the employee's token on the very
	// next request, and their login.
	sam = b.login(t, "sam@epicevents.example", samPass)
	a.do(t, "GET", "/api/v1/me", sam.AccessToken, nil).want(t, http.StatusOK)
	b.do(t, "POST", "/api/v1/employees/"+strconv.FormatInt(samID, 10)+"/deactivate", mgr.AccessToken, nil).
		want(t, http.StatusOK)
	a.do(t, "GET", "/api/v1/me", sam.AccessToken, nil).want(t, http.StatusUnauthorized)
	a.do(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": sam.RefreshToken}).
		want(t, http.StatusUnauthorized)
	a.loginStatus(t, "sam@epicevents.example", samPass).want(t, http.StatusUnauthorized)
	addrFailures++

	// Per-account throttle (3/15m) across both: two failures on A and one
	// on B, then the right password is refused on either with 429.
	a.loginStatus(t, "sue@epicevents.example", "not-the-password-1").want(t, http.StatusUnauthorized)
	a.loginStatus(t, "sue@epicevents.example", "not-the-password-2").want(t, http.StatusUnauthorized)
	b.loginStatus(t, "sue@epicevents.example", "not-the-password-3").want(t, http.StatusUnauthorized)
	addrFailures += 3
	for _, s := range []*multiServer{a, b} {
		s.loginStatus(t, "sue@epicevents.example", supPass).wantThrottled(t)
	}
	// Another account from the same address is not throttled yet.
	mgr = a.login(t, mgrEmail, mgrPass)

	// Audit entries made through either server record the client's address.
	checkAuditAddrs(t, a, b, mgr.AccessToken, samID)

	// Per-address throttle across both: failures with unknown emails (which
	// the per-account throttle never reaches), alternately on A and B, up
	// to the allowance; then every login from the address is refused with
	// 429 on either server, even with the right password.
	for i := 0; addrFailures < multiIPAllowance; i++ {
		s := []*multiServer{a, b}[i%2]
		s.loginStatus(t, fmt.Sprintf("nobody%d@epicevents.example", i), "whatever-password-123").
			want(t, http.StatusUnauthorized)
		addrFailures++
	}
	for _, s := range []*multiServer{a, b} {
		s.loginStatus(t, mgrEmail, mgrPass).wantThrottled(t)
	}
	// Sessions already open are not affected.
	b.do(t, "GET", "/api/v1/me", mgr.AccessToken, nil).want(t, http.StatusOK)

	// Both stop on SIGTERM, and exit 0.
	for _, s := range []*multiServer{a, b} {
		if code := s.stop(); code != 0 {
			t.Errorf("server %s exited with code %d after SIGTERM, want 0\n%s", s.name, code, s.logs.String())
		}
	}
}

// checkParallelPayments sends 30 payments of 45.00 at once, alternately to A
// and B, on a contract of 1000.00 that its sales contact (Sam) has: 22 fit
// and are recorded (201), the other 8 are refused as overpayments (409), and
// the amount due is exactly 10.00, with 22 entries in the ledger.
func checkParallelPayments(t *testing.T, a, b *multiServer, mgrToken, samPass string) {
	t.Helper()
	sam := a.login(t, "sam@epicevents.example", samPass)
	cl := a.do(t, "POST", "/api/v1/clients", sam.AccessToken, map[string]any{"first_name": "Paula",
		"last_name": "Parallel", "email": "paula@parallel.example"})
	cl.want(t, http.StatusCreated)
	ct := b.do(t, "POST", "/api/v1/contracts", mgrToken, map[string]any{"client_id": cl.json(t)["id"],
		"total_amount": "1000.00"})
	ct.want(t, http.StatusCreated)
	path := fmt.Sprintf("/api/v1/contracts/%v/payments", ct.json(t)["id"])

	const n = 30 // 30 × 45.00 = 1350.00 > 1000.00: 22 fit
	statuses := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		s := []*multiServer{a, b}[i%2]
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			req, err := http.NewRequest("POST", s.url+path, strings.NewReader(`{"amount": "45.00"}`))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+sam.AccessToken)
			resp, err := s.client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	for range n {
		<-done
	}
	got := map[int]int{}
	for i, st := range statuses {
		if errs[i] != nil {
			t.Fatalf("payment %d: %v", i, errs[i])
		}
		got[st]++
	}
	if got[http.StatusCreated] != 22 || got[http.StatusConflict] != 8 || len(got) != 2 {
		t.Fatalf("30 parallel payments over two servers: statuses %v, want 22 × 201 and 8 × 409", got)
	}
	contract := strings.TrimSuffix(path, "/payments")
	for _, s := range []*multiServer{a, b} {
		k := s.do(t, "GET", contract, sam.AccessToken, nil)
		k.want(t, http.StatusOK)
		if due := k.json(t)["amount_due"]; due != "10.00" {
			t.Errorf("amount due read through %s = %v, want 10.00", s.name, due)
		}
	}
	l := a.do(t, "GET", path+"?limit=100", sam.AccessToken, nil)
	l.want(t, http.StatusOK)
	var ledger struct {
		Items []struct {
			AmountDueAfter string `json:"amount_due_after"`
		} `json:"items"`
	}
	if err := json.Unmarshal(l.body, &ledger); err != nil {
		t.Fatal(err)
	}
	if len(ledger.Items) != 22 || ledger.Items[21].AmountDueAfter != "10.00" {
		t.Fatalf("the ledger has %d entries (want 22), the last leaving %v due (want 10.00)",
			len(ledger.Items), ledger.Items)
	}
}

// checkAuditAddrs checks that the audit entries of actions made through A
// (the manager's login) and through B (the creation and deactivation of
// samID) record 127.0.0.1, read through each server.
func checkAuditAddrs(t *testing.T, a, b *multiServer, token string, samID int64) {
	t.Helper()
	for _, s := range []*multiServer{a, b} {
		r := s.do(t, "GET", "/api/v1/audit?limit=500", token, nil)
		r.want(t, http.StatusOK)
		var page struct {
			Items []struct {
				ID         int64   `json:"id"`
				Action     string  `json:"action"`
				Entity     string  `json:"entity"`
				EntityID   *int64  `json:"entity_id"`
				ActorID    *int64  `json:"actor_id"`
				ClientAddr *string `json:"client_addr"`
			} `json:"items"`
			Next *string `json:"next"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatalf("GET /audit on %s: %v\n%s", s.name, err, r.body)
		}
		if page.Next != nil {
			t.Fatalf("GET /audit on %s: more than one page", s.name)
		}
		var viaServer, login, samChanges int
		for _, e := range page.Items {
			if e.ClientAddr == nil {
				// Only what init did on the database directly has no
				// address: the first employee and its creation.
				if e.EntityID == nil || *e.EntityID != 1 || e.Entity != "employee" {
					t.Errorf("audit entry %d (%s on %s) has no client_addr", e.ID, e.Action, e.Entity)
				}
				continue
			}
			if *e.ClientAddr != "127.0.0.1" {
				t.Errorf("audit entry %d (%s): client_addr %q, want 127.0.0.1", e.ID, e.Action, *e.ClientAddr)
			}
			viaServer++
			if e.Action == "auth.login" && e.ActorID != nil && *e.ActorID == 1 {
				login++
			}
			if e.Entity == "employee" && e.EntityID != nil && *e.EntityID == samID &&
				e.ActorID != nil && *e.ActorID == 1 && !strings.HasPrefix(e.Action, "auth.") {
				samChanges++
			}
		}
		// Logins of the manager on A and B; Sam's creation and
		// deactivation through B.
		if login < 2 || samChanges < 2 || viaServer < 10 {
			t.Errorf("GET /audit on %s: %d entries with client_addr, %d manager logins, %d changes of employee %d; want ≥ 10, ≥ 2, ≥ 2\n%s",
				s.name, viaServer, login, samChanges, samID, r.body)
		}
	}
}

// multiEnv is the environment of the test's processes: the test's own, minus
// every setting of epicevents or Sentry, plus set.
func multiEnv(set map[string]string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "EPICEVENTS_") || strings.HasPrefix(kv, "SENTRY_") ||
			strings.HasPrefix(kv, "GORACE=")
	})
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

// multiServer is one `epicevents serve` subprocess.
type multiServer struct {
	name   string
	url    string
	cmd    *exec.Cmd
	done   chan struct{} // closed once cmd has exited
	logs   syncBuffer
	client *http.Client
}

// startMultiServer starts `epicevents serve --addr 127.0.0.1:0`, reads its
// address from the "listening on" line, and waits until /readyz answers 200.
// The server is stopped at the end of the test whatever happens.
func startMultiServer(t *testing.T, bin string, env []string, dir, name string) *multiServer {
	t.Helper()
	s := &multiServer{name: name, done: make(chan struct{}), client: &http.Client{Timeout: 30 * time.Second}}
	s.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0")
	s.cmd.Env, s.cmd.Dir = env, dir
	s.cmd.Stdout = &s.logs
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start server %s: %v", name, err)
	}
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
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server %s said:\n%s", name, s.logs.String())
		}
	})

	select {
	case line := <-listening:
		u, err := url.Parse(line)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			t.Fatalf("server %s: unreadable address %q", name, line)
		}
		s.url = u.String()
	case <-s.done:
		t.Fatalf("server %s exited before listening: %v\n%s", name, s.cmd.ProcessState, s.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("server %s: no \"listening on\" line within a minute\n%s", name, s.logs.String())
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := s.client.Get(s.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s is not ready after 30 s (last: %v)\n%s", name, err, s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM, waits for the exit (killing the process after 30 s)
// and returns the exit code; it may be called more than once.
func (s *multiServer) stop() int {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	return s.cmd.ProcessState.ExitCode()
}

// multiResponse is an answer of a server, read in full.
type multiResponse struct {
	server, method, path string
	status               int
	header               http.Header
	body                 []byte
}

// do sends a request with a JSON body (when body is not nil) and the access
// token (when not empty).
func (s *multiServer) do(t *testing.T, method, path, token string, body any) *multiResponse {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s on server %s: %v", method, path, s.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s on server %s: reading the body: %v", method, path, s.name, err)
	}
	return &multiResponse{server: s.name, method: method, path: path, status: resp.StatusCode,
		header: resp.Header, body: b}
}

func (s *multiServer) loginStatus(t *testing.T, email, password string) *multiResponse {
	t.Helper()
	return s.do(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
}

// multiTokens is the answer of login and refresh.
type multiTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func (s *multiServer) login(t *testing.T, email, password string) multiTokens {
	t.Helper()
	r := s.loginStatus(t, email, password)
	r.want(t, http.StatusOK)
	return r.tokens(t)
}

func (r *multiResponse) want(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s on server %s: status %d, want %d\n%s", r.method, r.path, r.server, r.status, status, r.body)
	}
	if status >= 400 && !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("%s %s on server %s: Content-Type %q, want application/problem+json",
			r.method, r.path, r.server, r.header.Get("Content-Type"))
	}
}

// wantThrottled checks a 429 with a Retry-After of a positive number of
// seconds, at most the 15-minute window.
func (r *multiResponse) wantThrottled(t *testing.T) {
	t.Helper()
	r.want(t, http.StatusTooManyRequests)
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 || ra > 15*60 {
		t.Fatalf("%s %s on server %s: Retry-After %q, want 1 to 900 seconds", r.method, r.path, r.server,
			r.header.Get("Retry-After"))
	}
}

func (r *multiResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%s %s on server %s: %v\n%s", r.method, r.path, r.server, err, r.body)
	}
	return m
}

func (r *multiResponse) tokens(t *testing.T) multiTokens {
	t.Helper()
	var tk multiTokens
	if err := json.Unmarshal(r.body, &tk); err != nil || tk.AccessToken == "" || tk.RefreshToken == "" ||
		tk.TokenType != "Bearer" || tk.ExpiresIn <= 0 {
		t.Fatalf("%s %s on server %s: not a token pair (%v)\n%s", r.method, r.path, r.server,
			err, r.body)
	}
	return tk
}
