package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/cli"
	"github.com/epicevents/epicevents/internal/httpapi"
	"github.com/epicevents/epicevents/internal/telemetry/telemetrytest"
	"github.com/epicevents/epicevents/internal/testdb"
)

// engineEnv is an environment of its own on a fresh database of engine,
// reporting to Sentry at dsn (when set).
type engineEnv struct {
	home, dbURL string
	vars        map[string]string
}

func newEngineEnv(t *testing.T, engine, dsn string) *engineEnv {
	home := t.TempDir()
	e := &engineEnv{home: home, dbURL: testdb.URL(t, engine)}
	e.vars = map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off",
		"EPICEVENTS_DATABASE_URL": e.dbURL, "SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "test"}
	return e
}

// as returns the environment of another employee: same database, own home.
func (e *engineEnv) as(t *testing.T, name string) func(string) string {
	home := filepath.Join(e.home, name)
	return func(k string) string {
		if k == "EPICEVENTS_HOME" {
			return home
		}
		return e.vars[k]
	}
}

func (e *engineEnv) env(k string) string { return e.vars[k] }

// exec runs SQL straight on the database, behind the program's back.
func (e *engineEnv) exec(t *testing.T, query string) {
	t.Helper()
	driver, dsn := "pgx", e.dbURL
	if p, ok := strings.CutPrefix(e.dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", p
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// storedSecrets returns the tokens kept in home and every password hash in
// the database: none may reach Sentry or the logs.
func (e *engineEnv) storedSecrets(t *testing.T, homes ...string) []string {
	t.Helper()
	var out []string
	for _, h := range homes {
		b, err := os.ReadFile(filepath.Join(h, "tokens.json"))
		if err != nil {
			continue
		}
		out = append(out, jsonStrings(b)...)
	}
	driver, dsn := "pgx", e.dbURL
	if p, ok := strings.CutPrefix(e.dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", p
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT password_hash FROM employees")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

// jsonStrings returns the long string values of a JSON document: tokens.
func jsonStrings(b []byte) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if len(x) >= 20 {
				out = append(out, x)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var v any
	_ = json.Unmarshal(b, &v)
	walk(v)
	return out
}

func mustRun(t *testing.T, env func(string) string, stdin string, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := cli.Main(context.Background(), args, strings.NewReader(stdin), &out, &errs, env); code != 0 {
		t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errs.String())
	}
	return out.String()
}

var referenceRE = regexp.MustCompile(`internal error \(reference ([0-9a-f]+)\)`)

// TestInternalErrorReported: a table dropped under the program's feet gives
// exit 1, "internal error" and a reference on stderr, never the driver's
// words, and a Sentry event with the details under the same reference.
func TestInternalErrorReported(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		in := telemetrytest.New(t)
		e := newEngineEnv(t, engine, in.DSN())
		mustRun(t, e.env, servePassword+"\n", "init", "--email", "ada@epic.example",
			"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
		mustRun(t, e.env, servePassword+"\n", "login", "--email", "ada@epic.example", "--password-stdin")
		e.exec(t, map[string]string{"sqlite": "DROP TABLE clients", "postgres": "DROP TABLE clients CASCADE"}[engine])

		var out, errs bytes.Buffer
		code := cli.Main(context.Background(), []string{"clients", "list"}, strings.NewReader(""), &out, &errs, e.env)
		stderr := errs.String()
		m := referenceRE.FindStringSubmatch(stderr)
		if code != 1 || m == nil {
			t.Fatalf("clients list on a dropped table: exit %d: %s", code, stderr)
		}
		for _, word := range []string{"no such table", "SQLSTATE", "relation", "clients (", "does not exist"} {
			if strings.Contains(stderr, word) {
				t.Errorf("stderr holds the driver's words %q: %s", word, stderr)
			}
		}
		ref := m[1]
		ev := in.Wait(t, "with reference "+ref, func(ev telemetrytest.Event) bool { return ev.Tags["reference"] == ref })
		detail := map[string]string{"sqlite": "no such table: clients", "postgres": `relation "clients" does not exist`}[engine]
		values := ""
		for _, x := range ev.Exception {
			values += x.Type + ": " + x.Value + "\n"
		}
		if ev.Level != "error" || ev.Tags["command"] != "clients list" || ev.Env != "test" ||
			!strings.HasPrefix(ev.Release, "epicevents@") || !strings.Contains(values, detail) || strings.Contains(values, "runError") {
			t.Errorf("the event lacks the details (%q, command, environment, release): %s", detail, ev.Raw)
		}
		secrets := append(e.storedSecrets(t, e.home), servePassword, "ada@epic.example", "Lovelace")
		in.AssertClean(t, secrets...)

		// With --debug, the same reference and the details are logged.
		errs.Reset()
		code = cli.Main(context.Background(), []string{"clients", "list", "--debug"}, strings.NewReader(""), &out, &errs, e.env)
		m = referenceRE.FindStringSubmatch(errs.String())
		if code != 1 || m == nil || !strings.Contains(errs.String(), "ref="+m[1]) || !strings.Contains(errs.String(), "clients") {
			t.Errorf("--debug: exit %d: %s", code, errs.String())
		}
	})
}

// TestNotifyEvents: employee creation, update and deactivation and contract
// signatures reach Sentry with the employee id as the only personal data.
func TestNotifyEvents(t *testing.T) {
	in := telemetrytest.New(t)
	e := newEngineEnv(t, "sqlite", in.DSN())
	ada, bill := e.env, e.as(t, "bill")
	const billPassword, timPassword = "orange kettle over the moon", "seven quiet harbour lights"
	mustRun(t, ada, servePassword+"\n", "init", "--email", "ada@epic.example",
		"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
	mustRun(t, ada, servePassword+"\n", "login", "--email", "ada@epic.example", "--password-stdin")
	mustRun(t, ada, billPassword+"\n", "employees", "create", "--first-name", "Bill", "--last-name", "Boquet",
		"--email", "bill@epic.example", "--role", "SALES", "--password-stdin") // 2
	mustRun(t, ada, timPassword+"\n", "employees", "create", "--first-name", "Tim", "--last-name", "Porary",
		"--email", "tim@epic.example", "--role", "SUPPORT", "--password-stdin") // 3
	mustRun(t, ada, "", "employees", "update", "3", "--last-name", "Poraryson", "--email", "tim.p@epic.example")
	mustRun(t, ada, "", "employees", "deactivate", "3")
	mustRun(t, bill, billPassword+"\n", "login", "--email", "bill@epic.example", "--password-stdin")
	mustRun(t, bill, "", "clients", "create", "--first-name", "Kevin", "--last-name", "Casey",
		"--email", "kevin@startup.example", "--phone", "+33 6 12 34 56 78", "--company", "Cool Startup")
	mustRun(t, ada, "", "contracts", "create", "--client", "1", "--total", "1200")
	mustRun(t, bill, "", "contracts", "sign", "1")
	mustRun(t, ada, "", "contracts", "create", "--client", "1", "--total", "50", "--signed")

	for _, want := range []struct{ action, entity, actor string }{
		{"employee.create", "2", "1"}, {"employee.create", "3", "1"}, {"employee.update", "3", "1"},
		{"employee.deactivate", "3", "1"}, {"contract.sign", "1", "2"}, {"contract.sign", "2", "1"},
	} {
		ev := in.Wait(t, want.action+" "+want.entity, func(ev telemetrytest.Event) bool {
			return ev.Tags["action"] == want.action && ev.Tags["entity_id"] == want.entity
		})
		if ev.Message != want.action || ev.Level != "info" || len(ev.User) != 1 || ev.User["id"] != want.actor {
			t.Errorf("%s %s: want the actor %s as the only user data: %s", want.action, want.entity, want.actor, ev.Raw)
		}
	}
	secrets := append(e.storedSecrets(t, e.home, filepath.Join(e.home, "bill")),
		servePassword, billPassword, timPassword, "@epic.example", "@startup.example", "Lovelace", "Boquet", "Porary",
		"Kevin", "Casey", "Cool Startup", "612345678")
	in.AssertClean(t, secrets...)
}

// TestServeReportsInternalErrors: a 500 of serve reaches Sentry with the
// request id as its reference, and the server stays up.
func TestServeReportsInternalErrors(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		in := telemetrytest.New(t)
		e := newEngineEnv(t, engine, in.DSN())
		e.vars["SENTRY_RELEASE"] = "crm@9.9.9"
		mustRun(t, e.env, servePassword+"\n", "init", "--email", "ada@epic.example",
			"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
		base, logs, stop := startServe(t, e.env)
		tok := apiLogin(t, base, "ada@epic.example", servePassword)

		e.exec(t, map[string]string{"sqlite": "DROP TABLE clients", "postgres": "DROP TABLE clients CASCADE"}[engine])
		status, body := apiDo(t, "GET", base+"/api/v1/clients", tok.AccessToken, nil)
		var p httpapi.Problem
		_ = json.Unmarshal(body, &p)
		if status != http.StatusInternalServerError || p.RequestID == "" || p.Detail != "internal error (reference "+p.RequestID+")" {
			t.Fatalf("list on a dropped table: %d %s", status, body)
		}
		ev := in.Wait(t, "with reference "+p.RequestID, func(ev telemetrytest.Event) bool { return ev.Tags["reference"] == p.RequestID })
		if ev.Tags["route"] != "GET /api/v1/clients" || ev.Tags["method"] != "GET" || ev.User["id"] != "1" ||
			ev.Release != "crm@9.9.9" || ev.Env != "test" || !strings.Contains(string(ev.Raw), "clients") {
			t.Errorf("event: %s", ev.Raw)
		}
		if status, _ := apiDo(t, "GET", base+"/healthz", "", nil); status != http.StatusOK {
			t.Errorf("healthz after the 500: %d", status)
		}
		if code := stop(); code != 0 {
			t.Fatalf("serve exited %d: %s", code, logs.String())
		}
		if !strings.Contains(logs.String(), p.RequestID) {
			t.Errorf("the reference is not in the logs:\n%s", logs.String())
		}
		in.AssertClean(t, servePassword, "ada@epic.example", "Lovelace", tok.AccessToken, tok.RefreshToken)
	})
}

// TestServeLogsNoSecrets runs the whole life of a session through serve,
// logging everything (--debug), and finds no password, token, hash or email
// in the logs, yet one line per request with what an operator needs.
func TestServeLogsNoSecrets(t *testing.T) {
	in := telemetrytest.New(t)
	e := newEngineEnv(t, "sqlite", in.DSN())
	mustRun(t, e.env, servePassword+"\n", "init", "--email", "ada@epic.example",
		"--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
	base, logs, stop := startServe(t, e.env, "--debug")

	const newPassword = "a brand new password of mine"
	first := apiLogin(t, base, "ada@epic.example", servePassword)
	if status, _ := apiDo(t, "POST", base+"/api/v1/auth/login", "", httpapi.LoginRequest{Email: "ada@epic.example", Password: "wrong " + servePassword}); status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", status)
	}
	var second tokensJSON
	status, body := apiDo(t, "POST", base+"/api/v1/auth/refresh", "", httpapi.RefreshRequest{RefreshToken: first.RefreshToken})
	if status != http.StatusOK || json.Unmarshal(body, &second) != nil {
		t.Fatalf("refresh: %d %s", status, body)
	}
	// Reusing a rotated token revokes the session.
	if status, _ := apiDo(t, "POST", base+"/api/v1/auth/refresh", "", httpapi.RefreshRequest{RefreshToken: first.RefreshToken}); status != http.StatusUnauthorized {
		t.Errorf("refresh reuse: %d", status)
	}
	third := apiLogin(t, base, "ada@epic.example", servePassword)
	if status, _ := apiDo(t, "GET", base+"/api/v1/me", third.AccessToken, nil); status != http.StatusOK {
		t.Errorf("me: %d", status)
	}
	var fourth tokensJSON
	status, body = apiDo(t, "POST", base+"/api/v1/me/password", third.AccessToken,
		httpapi.PasswordChange{CurrentPassword: servePassword, NewPassword: newPassword})
	if status != http.StatusOK || json.Unmarshal(body, &fourth) != nil {
		t.Fatalf("password change: %d %s", status, body)
	}
	// A token in the URL is refused before anything could log it.
	if status, _ := apiDo(t, "GET", base+"/api/v1/me?access_token="+fourth.AccessToken, "", nil); status != http.StatusBadRequest {
		t.Errorf("token in the URL: %d", status)
	}
	// An internal error logs its cause, still without secrets.
	e.exec(t, "DROP TABLE clients")
	if status, _ := apiDo(t, "GET", base+"/api/v1/clients?search=ada@epic.example", fourth.AccessToken, nil); status != http.StatusInternalServerError {
		t.Errorf("list on a dropped table: %d", status)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}

	out := logs.String()
	secrets := append(e.storedSecrets(t), servePassword, newPassword, "ada@epic.example", "Lovelace", "$argon2")
	for _, tk := range []tokensJSON{first, second, third, fourth} {
		secrets = append(secrets, tk.AccessToken, tk.RefreshToken)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the logs hold %q", s)
		}
	}
	in.AssertClean(t, secrets...)

	// One JSON line per request, with the route pattern, status, duration,
	// request id, and the employee once authenticated.
	var meLine map[string]any
	requests := 0
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("not a JSON log line: %s", l)
		}
		if line["msg"] == "request" {
			requests++
			if line["route"] == "GET /api/v1/me" {
				meLine = line
			}
		}
	}
	if requests != 9 {
		t.Errorf("%d request lines for 9 requests:\n%s", requests, out)
	}
	for _, k := range []string{"method", "route", "status", "duration_ms", "request_id", "employee_id"} {
		if _, ok := meLine[k]; !ok {
			t.Errorf("the request line lacks %s: %v", k, meLine)
		}
	}
}

type tokensJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

func apiLogin(t *testing.T, base, email, password string) tokensJSON {
	t.Helper()
	var tok tokensJSON
	status, body := apiDo(t, "POST", base+"/api/v1/auth/login", "", httpapi.LoginRequest{Email: email, Password: password})
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("login: %d %s", status, body)
	}
	return tok
}

func apiDo(t *testing.T, method, url, token string, in any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}
