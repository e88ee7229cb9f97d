package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// evil is what a hostile server puts in every text it sends: 7-bit and 8-bit
// CSI and OSC sequences (clear the screen, retitle the window, a hyperlink),
// BEL, backspace, a carriage return followed by a fake prompt, DEL, NUL and a
// right-to-left override.
const evil = "\x1b[2J\x1b[H\x1b]0;owned\x07\u009b31m\u009d8;;http://evil.example\u009c" +
	"\b\b\rPassword: \x7f\x00\u202e"

// terminalSafe fails when out holds a character that a terminal obeys:
// anything below U+0020 but tab and line feed, DEL, a C1 control, a
// bidirectional control, or a byte that is not UTF-8.
func terminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		bad := (r == utf8.RuneError && size == 1) ||
			(r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) ||
			r == 0x202e || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f
		if bad {
			t.Errorf("%s: %q reached the terminal raw at byte %d:\n%q", what, out[i:i+size], i, out)
			return
		}
		i += size
	}
}

// hostileServer answers the API with evil in every text: names, emails,
// roles, a next cursor, problem details, field messages, request ids.
func hostileServer(t *testing.T) *httptest.Server {
	t.Helper()
	employee := map[string]any{"id": 1, "first_name": "Ada" + evil, "last_name": evil + "Lovelace", "email": "ada@x.example" + evil,
		"role": "MANAGEMENT" + evil, "active": true, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z",
		"deactivated_at": nil}
	client := func(id int) map[string]any {
		return map[string]any{"id": id, "first_name": "Kevin" + evil, "last_name": "Casey" + evil, "email": "kevin@startup.io" + evil,
			"phone": "+33612345678" + evil, "company_name": "Cool" + evil + "\nStartup;=cmd|' /C calc'!A0", "sales_contact_id": 1,
			"sales_contact_name": "Bill" + evil, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}
	}
	problem := func(w http.ResponseWriter, status int, p map[string]any) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(p)
	}
	answer := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, map[string]any{"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 900})
	})
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, _ *http.Request) { answer(w, 200, employee) })
	mux.HandleFunc("GET /api/v1/clients", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, map[string]any{"items": []any{client(1), client(2)}, "next": "eyJpZCI6Mn0"})
	})
	mux.HandleFunc("GET /api/v1/employees", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, map[string]any{"items": []any{employee}, "next": "cursor" + evil})
	})
	mux.HandleFunc("GET /api/v1/clients/1", func(w http.ResponseWriter, _ *http.Request) { answer(w, 200, client(1)) })
	mux.HandleFunc("GET /api/v1/clients/2", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 404, map[string]any{"status": 404, "title": "Not Found" + evil, "code": "not_found", "detail": "client 2 not found" + evil})
	})
	mux.HandleFunc("POST /api/v1/clients", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 422, map[string]any{"status": 422, "code": "invalid" + evil, "errors": []any{
			map[string]any{"field": "email" + evil, "message": "is taken" + evil},
			map[string]any{"field": "first_name", "message": evil + "is required"}}})
	})
	mux.HandleFunc("GET /api/v1/contracts/1", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 500, map[string]any{"status": 500, "code": "internal", "detail": "boom" + evil, "request_id": "ref" + evil})
	})
	mux.HandleFunc("GET /api/v1/events/1", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 401, map[string]any{"status": 401, "code": "unauthenticated", "reason": "expired" + evil, "detail": "session over" + evil})
	})
	mux.HandleFunc("GET /api/v1/employees/1", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 429, map[string]any{"status": 429, "code": "throttled", "detail": "slow down" + evil, "retry_after": 60})
	})
	entry := map[string]any{"id": 7, "contract_id": 1, "kind": "refund" + evil, "amount": "10.00", "method": "cash" + evil,
		"reference": "CHQ" + evil, "received_on": "2025-01-01" + evil, "refund_of": 6, "reason": "why" + evil,
		"recorded_by_id": 1, "recorded_by_name": "Ada" + evil, "recorded_at": "2025-01-01T00:00:00Z", "amount_due_after": "90.00"}
	mux.HandleFunc("GET /api/v1/contracts/1/payments", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, 200, map[string]any{"items": []any{entry}, "next": nil})
	})
	mux.HandleFunc("POST /api/v1/contracts/1/payments", func(w http.ResponseWriter, _ *http.Request) { answer(w, 201, entry) })
	mux.HandleFunc("POST /api/v1/contracts/2/payments", func(w http.ResponseWriter, _ *http.Request) {
		problem(w, 409, map[string]any{"status": 409, "code": "conflict", "detail": "record at most 9.00" + evil})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// The CLI trusts no text from the network: whatever a server answers, no
// control character reaches the terminal, in data (table, JSON, CSV), in
// the line that says more rows exist, in messages (login, errors, field
// errors, references) — and the text around it still shows.
func TestHostileServerCannotDriveTheTerminal(t *testing.T) {
	srv := hostileServer(t)
	home := privateHome(t)
	vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off", "EPICEVENTS_TZ": "UTC"}

	code, stdout, stderr := remoteRun(t, vars, "a long enough password\n", "login", "--server", srv.URL, "--email", "ada@x.example", "--password-stdin")
	if code != 0 || !strings.Contains(stderr, "Logged in as Ada") {
		t.Fatalf("login: exit %d: %q", code, stderr)
	}
	terminalSafe(t, "login stderr", stderr)
	terminalSafe(t, "login stdout", stdout)

	for _, tc := range []struct {
		args []string
		code int
		show string // a piece of the answer that must still show
	}{
		{[]string{"whoami"}, 0, "Lovelace"},
		{[]string{"whoami", "-o", "json"}, 0, `\u001b[2J`},
		{[]string{"whoami", "-o", "csv"}, 0, "Lovelace"},
		{[]string{"clients", "list", "--limit", "2"}, 0, "Kevin"},
		{[]string{"clients", "list", "--limit", "2", "-o", "json"}, 0, `"Kevin\u001b[2J`},
		{[]string{"clients", "list", "--limit", "2", "-o", "csv"}, 0, "Startup;'=cmd"},
		{[]string{"employees", "list", "--limit", "1"}, 1, "internal error"}, // a cursor that is not plain text
		{[]string{"clients", "show", "1"}, 0, "Cool"},
		{[]string{"clients", "show", "1", "-o", "csv"}, 0, "Casey"},
		{[]string{"clients", "show", "2"}, 5, "client 2 not found"},
		{[]string{"clients", "create", "--first-name", "K", "--last-name", "C", "--email", "k@c.example"}, 2, "is taken"},
		{[]string{"contracts", "show", "1"}, 1, "internal error"},
		{[]string{"--debug", "contracts", "show", "1"}, 1, "boom"},
		{[]string{"contracts", "payments", "1"}, 0, "CHQ"},
		{[]string{"contracts", "payments", "1", "-o", "json"}, 0, `"why\u001b[2J`},
		{[]string{"contracts", "payments", "1", "-o", "csv"}, 0, "Ada"},
		{[]string{"contracts", "pay", "1", "--amount", "10", "--on", "2025-01-01"}, 0, "why"},
		{[]string{"contracts", "pay", "2", "--amount", "10", "--on", "2025-01-01"}, 6, "record at most 9.00"},
		{[]string{"employees", "show", "1"}, 3, "slow down"},
		{[]string{"events", "show", "1"}, 3, "session over"}, // and the tokens are forgotten: last
	} {
		code, stdout, stderr := remoteRun(t, vars, "", tc.args...)
		what := strings.Join(tc.args, " ")
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d: %q", what, code, tc.code, stderr)
		}
		if !strings.Contains(stdout+stderr, tc.show) {
			t.Errorf("%s: %q is not shown:\n%s%s", what, tc.show, stdout, stderr)
		}
		terminalSafe(t, what+": stdout", stdout)
		terminalSafe(t, what+": stderr", stderr)
		if tc.args[0] == "clients" && tc.args[1] == "list" && !strings.Contains(stderr, "more") {
			t.Errorf("%s: no line about more rows: %q", what, stderr)
		}
	}
}

// JSON keeps the data exact: the escapes stand for the very characters the
// server sent, so a program reading the output sees what the server said.
func TestHostileServerJSONIsExact(t *testing.T) {
	srv := hostileServer(t)
	vars := map[string]string{"EPICEVENTS_HOME": privateHome(t), "EPICEVENTS_KEYRING": "off"}
	if code, _, stderr := remoteRun(t, vars, "a long enough password\n", "login", "--server", srv.URL, "--email", "a@x.example", "--password-stdin"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := remoteRun(t, vars, "", "clients", "show", "1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var c struct {
		FirstName string `json:"first_name"`
	}
	if err := json.Unmarshal([]byte(stdout), &c); err != nil || c.FirstName != "Kevin"+evil {
		t.Errorf("first_name = %q, %v; want %q", c.FirstName, err, "Kevin"+evil)
	}
}

// The employees that shell completion offers come from the server too: their
// names, the descriptions of the completions, go through the same cleaning
// before the shell shows them, and cannot add a completion of their own (a
// line) or a description of their own (a tab).
func TestHostileServerCompletion(t *testing.T) {
	answer := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	person := func(id int, first, last, role string) map[string]any {
		return map[string]any{"id": id, "first_name": first, "last_name": last, "email": "x@x.example", "role": role,
			"active": true, "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z", "deactivated_at": nil}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, map[string]any{"access_token": "a", "refresh_token": "r", "token_type": "Bearer", "expires_in": 900})
	})
	mux.HandleFunc("GET /api/v1/me", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, person(1, "Ada", "Lovelace", "MANAGEMENT"))
	})
	mux.HandleFunc("GET /api/v1/employees", func(w http.ResponseWriter, _ *http.Request) {
		answer(w, map[string]any{"items": []any{person(2, "Bill"+evil, "Boquet\n99\tFake Person\r\n:0", "SALES")}, "next": nil})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	vars := map[string]string{"EPICEVENTS_HOME": privateHome(t), "EPICEVENTS_KEYRING": "off"}
	if code, _, stderr := remoteRun(t, vars, "a long enough password\n", "login", "--server", srv.URL, "--email", "ada@x.example", "--password-stdin"); code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}

	code, stdout, stderr := remoteRun(t, vars, "", "__complete", "clients", "list", "--sales-contact", "")
	if code != 0 {
		t.Fatalf("__complete: exit %d: %s", code, stderr)
	}
	terminalSafe(t, "completion stdout", stdout)
	terminalSafe(t, "completion stderr", stderr)
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 2 || lines[1] != ":4" {
		t.Fatalf("want one completion and the directive, got %q", stdout)
	}
	value, desc, _ := strings.Cut(lines[0], "\t")
	if value != "2" || strings.Contains(desc, "\t") || !strings.HasPrefix(desc, "Bill") || !strings.Contains(desc, "Fake Person") {
		t.Errorf("completion %q: want employee 2, its whole name on one line as the only description", lines[0])
	}
}
