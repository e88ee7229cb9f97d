package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/cli"
)

// remoteRun runs the program with vars as its whole environment.
func remoteRun(t *testing.T, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs serveBuffer
	code = cli.Main(context.Background(), args, strings.NewReader(stdin), &out, &errs, func(k string) string { return vars[k] })
	return code, out.String(), errs.String()
}

// deadURL is an http address where nothing listens.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "http://" + l.Addr().String()
}

func remembered(t *testing.T, home string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, "config.json"))
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Server string }
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r.Server
}

// TestRemoteMode runs the CLI against `serve` from a machine without the
// database: login --server remembers the server, later commands use it, the
// database URL is ignored, and logout goes back to local mode.
func TestRemoteMode(t *testing.T) {
	serverEnv := serveEnv(t)
	initCRM(t, serverEnv)
	base, _, _ := startServe(t, serverEnv)

	home := privateHome(t)
	vars := map[string]string{
		"EPICEVENTS_HOME":    home,
		"EPICEVENTS_KEYRING": "off",
		// Ignored in remote mode: a local command would fail on it.
		"EPICEVENTS_DATABASE_URL": "sqlite:" + filepath.Join(home, "no", "such.db"),
		"EPICEVENTS_TZ":           "UTC",
	}
	code, _, stderr := remoteRun(t, vars, "", "whoami")
	if code != 3 || !strings.Contains(stderr, "not connected to a CRM") || !strings.Contains(stderr, filepath.Join(home, "no", "such.db")+", which does not exist") {
		t.Fatalf("local whoami: exit %d: %s", code, stderr)
	}

	code, _, stderr = remoteRun(t, vars, servePassword+"\n", "login", "--server", base+"/", "--email", "ada@epic.example", "--password-stdin")
	if code != 0 || !strings.Contains(stderr, "Logged in as Ada Lovelace (MANAGEMENT).") {
		t.Fatalf("login --server: exit %d: %s", code, stderr)
	}
	if got := remembered(t, home); got != base {
		t.Fatalf("remembered server %q, want %q", got, base)
	}
	tokens, err := os.ReadFile(filepath.Join(home, "tokens.json"))
	if err != nil || !strings.Contains(string(tokens), base) || strings.Contains(string(tokens), servePassword) {
		t.Fatalf("tokens.json (%v): %s", err, tokens)
	}

	code, stdout, stderr := remoteRun(t, vars, "", "whoami", "-o", "json")
	if code != 0 || !strings.Contains(stdout, `"email": "ada@epic.example"`) {
		t.Fatalf("whoami through the remembered server: exit %d: %s%s", code, stdout, stderr)
	}
	code, _, stderr = remoteRun(t, vars, "", "clients", "show", "42")
	if code != 5 || stderr != "error: client 42 not found; list them with `epicevents clients list`\n" {
		t.Fatalf("clients show 42: exit %d: %q", code, stderr)
	}
	code, stdout, stderr = remoteRun(t, vars, "", "employees", "list", "-o", "csv", "--limit", "1")
	if code != 0 || !strings.HasPrefix(stdout, `"id","first_name",`) || stderr != "" {
		t.Fatalf("employees list: exit %d: %s%s", code, stdout, stderr)
	}

	// Operator commands: the remembered server does not move them, the flag
	// and the variable refuse them.
	for _, args := range [][]string{{"init", "--server", base}, {"migrate", "status", "--server", base}, {"--server", base, "serve"}} {
		code, _, stderr = remoteRun(t, vars, "", args...)
		want := fmt.Sprintf("error: %s works on the database directly; run it on the server machine without --server\n", args[0])
		if args[0] == "--server" {
			want = "error: serve works on the database directly; run it on the server machine without --server\n"
		}
		if code != 2 || stderr != want {
			t.Errorf("%v: exit %d: %q", args, code, stderr)
		}
	}
	withEnv := map[string]string{"EPICEVENTS_SERVER": base}
	for k, v := range vars {
		withEnv[k] = v
	}
	code, _, stderr = remoteRun(t, withEnv, "", "migrate", "status")
	if code != 2 || !strings.Contains(stderr, "without EPICEVENTS_SERVER") {
		t.Errorf("migrate with EPICEVENTS_SERVER: exit %d: %s", code, stderr)
	}

	// Precedence: --server, then EPICEVENTS_SERVER, then the remembered one.
	dead := deadURL(t)
	code, _, stderr = remoteRun(t, vars, servePassword+"\n", "login", "--server", dead, "--email", "ada@epic.example", "--password-stdin")
	want := "error: the server at " + dead + " cannot be reached; check the address or try again later\n"
	if code != 7 || stderr != want {
		t.Fatalf("login on a dead server: exit %d: %q", code, stderr)
	}
	if got := remembered(t, home); got != base {
		t.Fatalf("a failed login changed the remembered server to %q", got)
	}
	withEnv["EPICEVENTS_SERVER"] = dead
	if code, _, _ = remoteRun(t, withEnv, "", "whoami"); code != 3 { // no tokens for that server
		t.Errorf("whoami with EPICEVENTS_SERVER over the remembered one: exit %d, want 3", code)
	}
	if code, _, stderr = remoteRun(t, withEnv, "", "whoami", "--server", base); code != 0 {
		t.Errorf("whoami --server over EPICEVENTS_SERVER: exit %d: %s", code, stderr)
	}
	for _, bad := range []string{"crm.example.com", "ftp://crm.example.com", ""} {
		code, _, stderr = remoteRun(t, vars, "", "whoami", "--server", bad)
		if code != 2 || !strings.Contains(stderr, "error: server: ") {
			t.Errorf("whoami --server %q: exit %d: %s", bad, code, stderr)
		}
	}

	// logout ends the session and forgets the server: back to local mode.
	code, _, stderr = remoteRun(t, vars, "", "logout")
	if code != 0 || stderr != "Logged out.\n" {
		t.Fatalf("logout: exit %d: %s", code, stderr)
	}
	if got := remembered(t, home); got != "" {
		t.Fatalf("logout left the server %q remembered", got)
	}
	code, _, stderr = remoteRun(t, vars, "", "whoami")
	if code != 3 || !strings.Contains(stderr, "not connected to a CRM") {
		t.Fatalf("whoami after logout: exit %d: %s", code, stderr)
	}
}

// TestRemoteInternalError shows the server's reference for its own failures,
// and "internal error" for an answer that is not the API's.
func TestRemoteInternalError(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(500)
		fmt.Fprint(w, body)
	}))
	defer srv.Close()
	vars := map[string]string{"EPICEVENTS_HOME": privateHome(t), "EPICEVENTS_KEYRING": "off", "EPICEVENTS_SERVER": srv.URL}

	body = `{"status":500,"code":"internal","detail":"internal error (reference 0123abcd)","request_id":"0123abcd"}`
	code, _, stderr := remoteRun(t, vars, "pw\n", "login", "--email", "a@b.example", "--password-stdin")
	if code != 1 || !strings.Contains(stderr, "error: internal error (reference 0123abcd)") {
		t.Errorf("a server failure: exit %d: %s", code, stderr)
	}
	body = `<html>oops</html>`
	code, _, stderr = remoteRun(t, vars, "pw\n", "login", "--email", "a@b.example", "--password-stdin")
	if code != 1 || !strings.Contains(stderr, "error: internal error (reference ") || strings.Contains(stderr, "error: <html>") {
		t.Errorf("not the API: exit %d: %s", code, stderr)
	}
}
