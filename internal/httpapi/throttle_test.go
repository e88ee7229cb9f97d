package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// fromAddr sends a request to the server's handler as if it came from the
// client address remote (host:port), the address the server throttles by.
func (a *apiTest) fromAddr(remote, method, path, who string, body any) reply {
	a.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		a.t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+a.token[who])
	}
	w := httptest.NewRecorder()
	a.srv.Handler().ServeHTTP(w, req)
	return reply{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func wantRetryAfter(t *testing.T, r reply) {
	t.Helper()
	r.problem(t, http.StatusTooManyRequests, crm.CodeThrottled)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
		t.Fatalf("Retry-After %q, want 1 to 900 seconds", r.header.Get("Retry-After"))
	}
}

// TestThrottleByClientAddress: through the server, failures count per
// account and client address (IPv6 by /64): a stranger's guesses from one
// address do not stop the employee's right password from another.
func TestThrottleByClientAddress(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine) // 3 failures per account and address
		wrong := LoginRequest{Email: "sales@epic.example", Password: "a stranger's guess, long enough"}
		right := LoginRequest{Email: "sales@epic.example", Password: srvPassword}
		for range 3 {
			a.fromAddr("127.0.0.1:40001", "POST", "/api/v1/auth/login", "", wrong).problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		wantRetryAfter(t, a.fromAddr("127.0.0.1:40002", "POST", "/api/v1/auth/login", "", right))
		a.fromAddr("127.0.0.2:40001", "POST", "/api/v1/auth/login", "", right).expect(t, http.StatusOK)

		wrong.Email, right.Email = "sales2@epic.example", "sales2@epic.example"
		for _, remote := range []string{"[2001:db8::1]:1", "[2001:db8::2]:1", "[2001:db8::3]:1"} {
			a.fromAddr(remote, "POST", "/api/v1/auth/login", "", wrong).problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		wantRetryAfter(t, a.fromAddr("[2001:db8::ffff:ffff]:2", "POST", "/api/v1/auth/login", "", right))
		a.fromAddr("[2001:db8:0:1::1]:1", "POST", "/api/v1/auth/login", "", right).expect(t, http.StatusOK)
	})
}

// TestChangePasswordThrottledOverHTTP: POST /me/password counts a wrong
// current password against the login allowances (422 each), then answers
// 429 with Retry-After even for the right one; every failure is audited
// with the client's address.
func TestChangePasswordThrottledOverHTTP(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine) // 3 failures per account and address
		change := PasswordChange{CurrentPassword: "not my password, not at all", NewPassword: "a brand new passphrase for kate"}
		for range 3 {
			a.do("POST", "/api/v1/me/password", "support", change).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "current_password")
		}
		change.CurrentPassword = srvPassword
		r := a.do("POST", "/api/v1/me/password", "support", change)
		wantRetryAfter(t, r)
		// The same counters as a login from that address.
		wantRetryAfter(t, a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "support@epic.example", Password: srvPassword}))

		var page struct {
			Items []crm.AuditEntry `json:"items"`
		}
		a.do("GET", "/api/v1/audit?entity=employee&entity_id="+strconv.FormatInt(a.ids["support"], 10), "mgr", nil).
			decode(t, http.StatusOK, &page)
		failed := 0
		for _, e := range page.Items {
			if e.Action == "auth.password_check_failed" {
				failed++
				if e.ActorID == nil || *e.ActorID != a.ids["support"] || e.ClientAddr == nil || *e.ClientAddr != "127.0.0.1" {
					t.Errorf("entry %+v", e)
				}
			}
		}
		if failed != 3 {
			t.Fatalf("%d auth.password_check_failed entries, want 3", failed)
		}
	})
}
