package cli_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/cli"
	"github.com/epicevents/epicevents/internal/webui"
)

const servePassword = "violet tractor under the bridge"

// serveBuffer is a bytes.Buffer safe for the server's goroutines.
type serveBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *serveBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *serveBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveEnv is an environment of its own: home, SQLite database, no keychain.
func serveEnv(t *testing.T, extra ...string) func(string) string {
	home := t.TempDir()
	vars := map[string]string{
		"EPICEVENTS_HOME":         home,
		"EPICEVENTS_KEYRING":      "off",
		"EPICEVENTS_DATABASE_URL": "sqlite:" + filepath.Join(home, "crm.db"),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return func(k string) string { return vars[k] }
}

// runCLI runs the program to its end.
func runCLI(t *testing.T, env func(string) string, stdin string, args ...string) (int, string) {
	t.Helper()
	var out, errs serveBuffer
	code := cli.Main(context.Background(), args, strings.NewReader(stdin), &out, &errs, env)
	return code, errs.String()
}

func initCRM(t *testing.T, env func(string) string) {
	t.Helper()
	if code, stderr := runCLI(t, env, servePassword+"\n", "init", "--email", "ada@epic.example",
		"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin"); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
}

var listening = regexp.MustCompile(`listening on (https?://127\.0\.0\.1:[0-9]+)\n`)

// startServe runs `serve` until the returned stop is called; it returns the
// base URL read from the "listening on" line.
func startServe(t *testing.T, env func(string) string, args ...string) (base string, stderr *serveBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &serveBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...),
			strings.NewReader(""), &serveBuffer{}, stderr, env)
	}()
	deadline := time.After(10 * time.Second)
	for base == "" {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before listening: %s", code, stderr.String())
		case <-deadline:
			cancel()
			t.Fatalf("serve did not say it was listening: %s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(25 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	t.Cleanup(func() { stop() })
	return base, stderr, stop
}

func TestServe(t *testing.T) {
	env := serveEnv(t)

	// An empty database: say to run init.
	code, stderr := runCLI(t, env, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "epicevents init") {
		t.Fatalf("serve on an empty database: exit %d: %s", code, stderr)
	}
	initCRM(t, env)

	// A schema behind: say to migrate, and do not listen.
	if code, stderr := runCLI(t, env, "", "migrate", "down", "--yes"); code != 0 {
		t.Fatalf("migrate down: exit %d: %s", code, stderr)
	}
	code, stderr = runCLI(t, env, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "the database schema is behind") ||
		!strings.Contains(stderr, "run `epicevents migrate up`") || strings.Contains(stderr, "listening") {
		t.Fatalf("serve on a schema behind: exit %d: %s", code, stderr)
	}
	if code, stderr := runCLI(t, env, "", "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d: %s", code, stderr)
	}

	// A session that ended (logout) before serve starts: serve's first
	// purge deletes it.
	for _, args := range [][]string{{"login", "--email", "ada@epic.example", "--password-stdin"}, {"logout"}} {
		if code, stderr := runCLI(t, env, servePassword+"\n", args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", args[0], code, stderr)
		}
	}

	base, logs, stop := startServe(t, env)
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	resp, err = http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"ada@epic.example","password":"`+servePassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d after the stop: %s", code, logs.String())
	}
	out := logs.String()
	for _, want := range []string{`"level":"WARN"`, "EPICEVENTS_JWT_SECRET is not set", `"route":"POST /api/v1/auth/login"`, `"msg":"stopped"`,
		`"msg":"purged expired data","sessions":1,"login_failures":0`} {
		if !strings.Contains(out, want) {
			t.Errorf("serve's stderr lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, servePassword) {
		t.Error("the password is in the logs")
	}
}

func TestServeRefusals(t *testing.T) {
	env := serveEnv(t)
	initCRM(t, env)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "http://127.0.0.1:1"}, "--server"},
		{[]string{"--tls-cert", "x.pem"}, "--tls-key"},
		{[]string{"--tls-cert", "missing.pem", "--tls-key", "missing.key"}, "TLS certificate"},
		{[]string{"--addr", "256.0.0.1:80"}, "cannot listen"},
		{[]string{"extra"}, "no arguments"},
	} {
		args := append([]string{"serve"}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--addr") {
			args = append(args, "--addr", "127.0.0.1:0")
		}
		code, stderr := runCLI(t, env, "", args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("serve %v: exit %d, want 2 saying %q: %s", c.args, code, c.want, stderr)
		}
	}
}

func TestServeTLS(t *testing.T) {
	env := serveEnv(t, "EPICEVENTS_JWT_SECRET", strings.Repeat("s", 32))
	initCRM(t, env)
	certFile, keyFile, pool := selfSigned(t)
	base, logs, stop := startServe(t, env, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("base %q", base)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("healthz over TLS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(logs.String(), "EPICEVENTS_JWT_SECRET is not set") {
		t.Error("warned about the signing key although EPICEVENTS_JWT_SECRET is set")
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns a
// pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// TestServeWebUI: serve answers the web UI at / beside the API, each with
// its own headers: exactly one Content-Security-Policy per response.
func TestServeWebUI(t *testing.T) {
	env := serveEnv(t)
	initCRM(t, env)
	base, logs, stop := startServe(t, env)
	get := func(method, path string, h ...string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	uiPolicy := webui.ContentSecurityPolicy
	apiPolicy := "default-src 'none'; frame-ancestors 'none'"
	for _, c := range []struct {
		method, path string
		headers      []string
		status       int
		ctype        string
		policy       string
	}{
		{"GET", "/login", nil, 200, "text/html; charset=utf-8", uiPolicy},
		{"GET", "/no/such/page", nil, 404, "text/html; charset=utf-8", uiPolicy},
		{"POST", "/login", []string{"Sec-Fetch-Site", "cross-site"}, 403, "text/html; charset=utf-8", uiPolicy},
		{"GET", "/api/v1/me", nil, 401, "application/problem+json", apiPolicy},
		{"GET", "/api/v1/no/such/route", nil, 404, "application/problem+json", apiPolicy},
		{"GET", "/healthz", nil, 200, "application/json", apiPolicy},
	} {
		resp, b := get(c.method, c.path, c.headers...)
		if resp.StatusCode != c.status || resp.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s %s: %d %s, want %d %s: %s", c.method, c.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), c.status, c.ctype, b)
		}
		if got := resp.Header.Values("Content-Security-Policy"); len(got) != 1 || got[0] != c.policy {
			t.Errorf("%s %s: Content-Security-Policy %q, want exactly %q", c.method, c.path, got, c.policy)
		}
	}
	// The login page's files are served under their hashed names.
	_, page := get("GET", "/login")
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("no stylesheet in the login page:\n%s", page)
	}
	if resp, _ := get("GET", css[1]); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("%s: %d, Cache-Control %q", css[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	// One /metrics for both.
	if _, m := get("GET", "/metrics"); !strings.Contains(m, `epicevents_webui_requests_total{route="GET /login",status="200"}`) ||
		!strings.Contains(m, "epicevents_http_requests_total") || !strings.Contains(m, "go_goroutines") {
		t.Errorf("/metrics lacks the web UI's or the API's series")
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	out := logs.String()
	if !strings.Contains(out, `"route":"GET /login"`) {
		t.Errorf("no log line for the web UI:\n%s", out)
	}
	if strings.Contains(out, "over plain HTTP") {
		t.Errorf("warned about plain HTTP on the loopback address:\n%s", out)
	}
}

// TestServePlainHTTPElsewhere: serving plain HTTP on every interface warns
// that browsers will not keep the web UI's session cookie.
func TestServePlainHTTPElsewhere(t *testing.T) {
	env := serveEnv(t)
	initCRM(t, env)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &serveBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--addr", "0.0.0.0:0"}, strings.NewReader(""), &serveBuffer{}, stderr, env)
	}()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(stderr.String(), "listening on") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-deadline:
			cancel()
			t.Fatalf("serve did not listen: %s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
	if out := stderr.String(); !strings.Contains(out, "over plain HTTP") || !strings.Contains(out, "session cookie") {
		t.Errorf("no warning about the cookie over plain HTTP:\n%s", out)
	}
}
