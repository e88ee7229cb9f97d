package cli_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPayRetriesOnceOnADroppedConnection: `contracts pay` in remote mode,
// through a proxy that passes the first payment on to serve (which records
// it) and then hangs up without an answer. The CLI sends the payment once
// more with the same Idempotency-Key, gets the first answer, and the ledger
// holds one entry.
func TestPayRetriesOnceOnADroppedConnection(t *testing.T) {
	serverEnv := serveEnv(t)
	initCRM(t, serverEnv)
	base, _, _ := startServe(t, serverEnv)
	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var payments atomic.Int32
	keys := make(chan string, 4)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/payments") {
			proxy.ServeHTTP(w, r)
			return
		}
		keys <- r.Header.Get("Idempotency-Key")
		if payments.Add(1) > 1 {
			proxy.ServeHTTP(w, r)
			return
		}
		// The first: recorded by serve, its answer lost with the connection.
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		proxy.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	defer front.Close()

	home := privateHome(t)
	vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off", "EPICEVENTS_TZ": "UTC"}
	run := func(stdin string, args ...string) string {
		t.Helper()
		code, stdout, stderr := remoteRun(t, vars, stdin, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	run(servePassword+"\n", "login", "--server", front.URL, "--email", "ada@epic.example", "--password-stdin")
	run(servePassword+"\n", "employees", "create", "--first-name", "Bill", "--last-name", "Boquet",
		"--email", "bill@epic.example", "--role", "SALES", "--password-stdin")
	bill := map[string]string{"EPICEVENTS_HOME": privateHome(t), "EPICEVENTS_KEYRING": "off", "EPICEVENTS_TZ": "UTC"}
	for _, args := range [][]string{
		{"login", "--server", front.URL, "--email", "bill@epic.example", "--password-stdin"},
		{"clients", "create", "--first-name", "Kevin", "--last-name", "Casey", "--email", "kevin@startup.example"},
	} {
		if code, _, stderr := remoteRun(t, bill, servePassword+"\n", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
	}
	run("", "contracts", "create", "--client", "1", "--total", "1000")

	out := run("", "contracts", "pay", "1", "--amount", "250", "-o", "csv")
	if !strings.Contains(out, `1,1,"payment","250.00","transfer"`) || !strings.HasSuffix(out, "\"750.00\"\n") {
		t.Fatalf("pay answered %q", out)
	}
	if n := payments.Load(); n != 2 {
		t.Fatalf("%d payment requests, want the first and one retry", n)
	}
	if first, again := <-keys, <-keys; first == "" || first != again {
		t.Fatalf("keys %q then %q, want one key sent twice", first, again)
	}
	if out := run("", "contracts", "payments", "1", "-o", "csv"); strings.Count(out, "\n") != 2 {
		t.Fatalf("the ledger after a retried payment:\n%s", out)
	}
	if out := run("", "contracts", "show", "1", "-o", "json"); !strings.Contains(out, `"amount_due": "750.00"`) {
		t.Fatalf("contract after a retried payment:\n%s", out)
	}
}
