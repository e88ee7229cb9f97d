package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi/openapitest"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

const srvPassword = "violet tractor under the bridge"

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// apiTest is a server over a fresh database with one employee of each kind,
// logged in through the API.
type apiTest struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	svc   *crm.Service
	db    *sqlstore.DB
	logs  *syncBuffer
	ids   map[string]int64  // employee ids by key
	token map[string]string // access tokens by key
	// checked sends through the OpenAPI document's validating transport,
	// so that every exchange of these tests also checks the document.
	checked *http.Client
}

func newAPITest(t *testing.T, engine string, tune ...func(*ServerOptions)) *apiTest {
	t.Helper()
	db := testdb.Open(t, engine)
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{
		Store:            db,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Config:           crm.Config{ThrottleMax: 3, ThrottleWindow: 15 * time.Minute},
	})
	logs := &syncBuffer{}
	opts := ServerOptions{
		Logger:  slog.New(slog.NewJSONHandler(logs, nil)),
		Ready:   db.Ping,
		DBStats: db.SQL().Stats,
	}
	for _, f := range tune {
		f(&opts)
	}
	a := &apiTest{t: t, srv: NewServer(svc, opts), svc: svc, db: db, logs: logs,
		ids: map[string]int64{}, token: map[string]string{}}
	a.ts = httptest.NewServer(a.srv.Handler())
	t.Cleanup(a.ts.Close)
	a.checked = &http.Client{Transport: openapitest.Load(t).Transport(t, a.ts.Client().Transport)}

	boss, err := svc.Bootstrap(context.Background(), crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "mgr@epic.example", Password: srvPassword})
	if err != nil {
		t.Fatal(err)
	}
	a.ids["mgr"] = boss.ID
	a.token["mgr"] = a.login("mgr@epic.example")
	for _, e := range []struct {
		key, first, last string
		role             crm.Role
	}{
		{"mgr2", "Grace", "Hopper", crm.RoleManagement},
		{"sales", "Bill", "Boquet", crm.RoleSales},
		{"sales2", "Sam", "Seller", crm.RoleSales},
		{"support", "Kate", "Hastroff", crm.RoleSupport},
	} {
		r := a.do("POST", "/api/v1/employees", "mgr", crm.NewEmployee{FirstName: e.first, LastName: e.last,
			Email: e.key + "@epic.example", Role: e.role, Password: srvPassword})
		var emp crm.Employee
		r.decode(t, http.StatusCreated, &emp)
		a.ids[e.key] = emp.ID
		a.token[e.key] = a.login(e.key + "@epic.example")
	}
	return a
}

func (a *apiTest) login(email string) string {
	a.t.Helper()
	var tok crm.Tokens
	a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: email, Password: srvPassword}).decode(a.t, http.StatusOK, &tok)
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		a.t.Fatalf("login %s: tokens %+v", email, tok)
	}
	return tok.AccessToken
}

// reply is a response, read whole.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// decode checks the status and the JSON content type, then decodes the body.
func (r reply) decode(t *testing.T, status int, v any) {
	t.Helper()
	r.expect(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q, want application/json; body %s", ct, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) expect(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
}

// problem checks that the answer is a problem with status and code, and
// that it names fields (when given) in its errors.
func (r reply) problem(t *testing.T, status int, code crm.Code, fields ...string) Problem {
	t.Helper()
	r.expect(t, status)
	if ct := r.header.Get("Content-Type"); ct != ProblemType {
		t.Fatalf("content type %q, want %s; body %s", ct, ProblemType, r.body)
	}
	var p Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("decode problem %s: %v", r.body, err)
	}
	if p.Status != status || p.Code != code || p.Title != http.StatusText(status) || p.Detail == "" ||
		p.RequestID == "" || p.RequestID != r.header.Get("X-Request-ID") {
		t.Fatalf("problem %+v, want status %d code %s with a title, detail and request id", p, status, code)
	}
	for _, f := range fields {
		found := false
		for _, e := range p.Errors {
			found = found || (e.Field == f && e.Message != "")
		}
		if !found {
			t.Fatalf("problem %s does not name field %q", r.body, f)
		}
	}
	return p
}

// do sends a request as the employee who (or anonymously for ""). body is
// nil (none), a string or []byte (sent as is) or a value (marshalled); hdr
// are header name/value pairs that override the defaults.
func (a *apiTest) do(method, path, who string, body any, hdr ...string) reply {
	a.t.Helper()
	return a.send(a.checked, method, path, who, body, hdr...)
}

// doUnchecked is do for routes the document does not describe (test hooks,
// unknown paths).
func (a *apiTest) doUnchecked(method, path, who string, body any, hdr ...string) reply {
	a.t.Helper()
	return a.send(a.ts.Client(), method, path, who, body, hdr...)
}

func (a *apiTest) send(client *http.Client, method, path, who string, body any, hdr ...string) reply {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.ts.URL+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		tok, ok := a.token[who]
		if !ok {
			tok = who // a raw token
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

func ptr[T any](v T) *T { return &v }

func TestAuthentication(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)

		var pair crm.Tokens
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: srvPassword}).
			decode(t, http.StatusOK, &pair)

		r := a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: "wrong password, long enough"})
		a.checkUnauthorized(r, "Bearer")

		// GET /me, with its ETag.
		var me crm.Employee
		r = a.do("GET", "/api/v1/me", pair.AccessToken, nil)
		r.decode(t, http.StatusOK, &me)
		if me.ID != a.ids["sales"] || me.Role != crm.RoleSales || r.header.Get("ETag") == "" {
			t.Fatalf("me = %+v, ETag %q", me, r.header.Get("ETag"))
		}
		if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "argon2") {
			t.Fatalf("an employee must never carry a password: %s", r.body)
		}

		// Refresh rotates; reusing the old refresh token ends the session.
		var next crm.Tokens
		a.do("POST", "/api/v1/auth/refresh", "", RefreshRequest{RefreshToken: pair.RefreshToken}).decode(t, http.StatusOK, &next)
		if next.RefreshToken == pair.RefreshToken || next.AccessToken == "" {
			t.Fatalf("refresh did not rotate: %+v", next)
		}
		a.checkUnauthorized(a.do("POST", "/api/v1/auth/refresh", "", RefreshRequest{RefreshToken: pair.RefreshToken}), "Bearer")
		a.checkUnauthorized(a.do("GET", "/api/v1/me", next.AccessToken, nil), `Bearer error="invalid_token"`)

		// No token, a bad one, another scheme.
		a.checkUnauthorized(a.do("GET", "/api/v1/clients", "", nil), "Bearer")
		a.checkUnauthorized(a.do("GET", "/api/v1/clients", "not-a-jwt", nil), `Bearer error="invalid_token"`)
		a.checkUnauthorized(a.do("GET", "/api/v1/clients", "", nil, "Authorization", "Basic "+a.token["mgr"]), "Bearer")

		// A token in the URL is refused before anything else.
		a.do("GET", "/api/v1/clients?access_token="+a.token["mgr"], "", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "access_token")
		a.do("GET", "/api/v1/me?token=x", "mgr", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "token")

		// Password change answers a fresh pair; the old access token is dead.
		var fresh crm.Tokens
		a.do("POST", "/api/v1/me/password", "support", PasswordChange{CurrentPassword: srvPassword,
			NewPassword: "a brand new passphrase for kate"}).decode(t, http.StatusOK, &fresh)
		a.do("GET", "/api/v1/me", fresh.AccessToken, nil).expect(t, http.StatusOK)
		a.checkUnauthorized(a.do("GET", "/api/v1/me", "support", nil), `Bearer error="invalid_token"`)
		a.do("POST", "/api/v1/me/password", fresh.AccessToken, PasswordChange{CurrentPassword: "not it at all, not at all",
			NewPassword: "another passphrase entirely"}).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "current_password")

		// Logout: 204, then the token no longer works.
		r = a.do("POST", "/api/v1/auth/logout", "sales2", nil)
		r.expect(t, http.StatusNoContent)
		if len(r.body) != 0 {
			t.Fatalf("204 with a body: %s", r.body)
		}
		a.checkUnauthorized(a.do("GET", "/api/v1/me", "sales2", nil), `Bearer error="invalid_token"`)
		a.checkUnauthorized(a.do("POST", "/api/v1/auth/logout", "", nil), "Bearer")
	})
}

func (a *apiTest) checkUnauthorized(r reply, challenge string) {
	a.t.Helper()
	r.problem(a.t, http.StatusUnauthorized, crm.CodeUnauthenticated)
	if got := r.header.Get("WWW-Authenticate"); got != challenge {
		a.t.Fatalf("WWW-Authenticate %q, want %q", got, challenge)
	}
}

func TestTemporaryPassword(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		id := strconv.FormatInt(a.ids["sales2"], 10)
		r := a.do("POST", "/api/v1/employees/"+id+"/set-password", "mgr", SetPasswordRequest{Password: "temporary but long enough"})
		r.expect(t, http.StatusNoContent)
		var tok crm.Tokens
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales2@epic.example", Password: "temporary but long enough"}).
			decode(t, http.StatusOK, &tok)
		p := a.do("GET", "/api/v1/clients", tok.AccessToken, nil).problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		if p.Reason != "password_change" {
			t.Fatalf("reason %q, want password_change", p.Reason)
		}
		a.do("POST", "/api/v1/employees/"+id+"/set-password", "mgr", SetPasswordRequest{Password: "short"}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "password")
		a.do("POST", "/api/v1/employees/"+id+"/set-password", "sales", SetPasswordRequest{Password: "temporary but long enough"}).
			problem(t, http.StatusForbidden, crm.CodeForbidden)
	})
}

func TestLoginThrottle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		bad := LoginRequest{Email: "sales@epic.example", Password: "wrong password, long enough"}
		for range 3 {
			a.do("POST", "/api/v1/auth/login", "", bad).problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		r := a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: srvPassword})
		p := r.problem(t, http.StatusTooManyRequests, crm.CodeThrottled)
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra <= 0 || ra > 15*60+1 || p.RetryAfter != ra {
			t.Fatalf("Retry-After %q, retry_after %d", r.header.Get("Retry-After"), p.RetryAfter)
		}
		// Unknown emails are throttled the same way.
		for range 3 {
			a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "nobody@epic.example", Password: "x"}).
				problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "nobody@epic.example", Password: "x"}).
			problem(t, http.StatusTooManyRequests, crm.CodeThrottled)

		m := a.do("GET", "/metrics", "", nil)
		for _, want := range []string{"epicevents_login_failures_total 6", "epicevents_login_throttled_total 2"} {
			if !strings.Contains(string(m.body), want) {
				t.Fatalf("metrics lack %q", want)
			}
		}
	})
}

func TestEmployees(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		in := crm.NewEmployee{FirstName: "Alienor", LastName: "Vichum", Email: "alienor@epic.example",
			Role: crm.RoleSupport, Password: srvPassword}

		// Create: 201, Location, ETag; no password in the answer.
		r := a.do("POST", "/api/v1/employees", "mgr", in)
		var emp crm.Employee
		r.decode(t, http.StatusCreated, &emp)
		path := "/api/v1/employees/" + strconv.FormatInt(emp.ID, 10)
		if r.header.Get("Location") != path || r.header.Get("ETag") != ETag(1) {
			t.Fatalf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
		}
		if strings.Contains(string(r.body), srvPassword) {
			t.Fatal("the password came back")
		}
		a.do("POST", "/api/v1/employees", "mgr", in).problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", "/api/v1/employees", "sales", crm.NewEmployee{FirstName: "X", LastName: "Y", Email: "xy@epic.example",
			Role: crm.RoleSales, Password: srvPassword}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", "/api/v1/employees", "mgr", crm.NewEmployee{Email: "not an email", Role: "BOSS", Password: "short"}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "first_name", "last_name", "email", "role")

		// Read.
		r = a.do("GET", path, "support", nil)
		r.decode(t, http.StatusOK, &emp)
		etag := r.header.Get("ETag")
		a.do("GET", "/api/v1/employees/999999", "mgr", nil).problem(t, http.StatusNotFound, crm.CodeNotFound)

		// Update with If-Match: the right version wins once, then is stale.
		r = a.do("PATCH", path, "mgr", crm.EmployeePatch{FirstName: ptr("Aliénor")}, "If-Match", etag)
		r.decode(t, http.StatusOK, &emp)
		if emp.FirstName != "Aliénor" || r.header.Get("ETag") == etag {
			t.Fatalf("after patch: %+v, ETag %q", emp, r.header.Get("ETag"))
		}
		a.do("PATCH", path, "mgr", crm.EmployeePatch{LastName: ptr("V")}, "If-Match", etag).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		// A weak tag is valid syntax that never matches (strong comparison).
		a.do("PATCH", path, "mgr", crm.EmployeePatch{LastName: ptr("V")}, "If-Match", "W/"+etag).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		a.do("PATCH", path, "mgr", crm.EmployeePatch{LastName: ptr("V")}, "If-Match", strings.Trim(etag, `"`)).problem(t, http.StatusBadRequest, crm.CodeInvalid, "If-Match")
		a.do("PATCH", path, "mgr", crm.EmployeePatch{LastName: ptr("Vichum")}, "If-Match", "*").expect(t, http.StatusOK)
		a.do("PATCH", path, "mgr", `{}`).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid)
		a.do("PATCH", path, "sales", crm.EmployeePatch{LastName: ptr("V")}).problem(t, http.StatusForbidden, crm.CodeForbidden)

		// Deactivate (with and without a body), reactivate.
		r = a.do("POST", path+"/deactivate", "mgr", nil)
		r.decode(t, http.StatusOK, &emp)
		if emp.Active || emp.DeactivatedAt == nil || r.header.Get("ETag") == "" {
			t.Fatalf("deactivated: %+v", emp)
		}
		a.do("POST", path+"/deactivate", "mgr", nil).problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", path+"/reactivate", "mgr", nil).decode(t, http.StatusOK, &emp)
		if !emp.Active {
			t.Fatalf("reactivated: %+v", emp)
		}
		a.do("POST", path+"/reactivate", "mgr", `{"x":1}`).problem(t, http.StatusBadRequest, crm.CodeInvalid, "x")
		a.do("POST", path+"/deactivate", "mgr", DeactivateRequest{ReassignTo: ptr(a.ids["support"])}).decode(t, http.StatusOK, &emp)
		a.do("POST", path+"/reactivate", "mgr", `{}`).expect(t, http.StatusOK)

		// Lists: role and all.
		var page Page[crm.Employee]
		a.do("GET", "/api/v1/employees?role=SALES", "support", nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != 2 || page.Next != nil {
			t.Fatalf("SALES: %+v", page)
		}
		a.do("GET", "/api/v1/employees?role=BOSS", "support", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "role")
		a.do("POST", path+"/deactivate", "mgr", nil).expect(t, http.StatusOK)
		a.do("GET", "/api/v1/employees", "mgr", nil).decode(t, http.StatusOK, &page)
		active := len(page.Items)
		a.do("GET", "/api/v1/employees?all=true", "mgr", nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != active+1 {
			t.Fatalf("all=true: %d items, active %d", len(page.Items), active)
		}

		// Delete: refused while referenced, 204 otherwise, then 404.
		sales := "/api/v1/employees/" + strconv.FormatInt(a.ids["sales"], 10)
		a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io"}).
			expect(t, http.StatusCreated)
		a.do("DELETE", sales, "mgr", nil).problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("DELETE", path, "sales", nil).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("DELETE", path, "mgr", nil, "If-Match", `"1"`).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		r = a.do("DELETE", path, "mgr", nil)
		r.expect(t, http.StatusNoContent)
		a.do("DELETE", path, "mgr", nil).problem(t, http.StatusNotFound, crm.CodeNotFound)
		self := "/api/v1/employees/" + strconv.FormatInt(a.ids["mgr"], 10)
		a.do("DELETE", self, "mgr", nil).problem(t, http.StatusForbidden, crm.CodeForbidden)
	})
}

func TestClientsContractsEvents(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)

		// Clients
		var cl crm.Client
		r := a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Kevin", LastName: "Casey",
			Email: "Kevin@Startup.io", Phone: ptr("+678 123 456 78"), CompanyName: ptr("Cool Startup LLC")})
		r.decode(t, http.StatusCreated, &cl)
		clientPath := "/api/v1/clients/" + strconv.FormatInt(cl.ID, 10)
		if r.header.Get("Location") != clientPath || cl.SalesContactID != a.ids["sales"] || cl.Email != "kevin@startup.io" {
			t.Fatalf("client %+v at %q", cl, r.header.Get("Location"))
		}
		a.do("POST", "/api/v1/clients", "support", crm.NewClient{FirstName: "A", LastName: "B", Email: "ab@x.example"}).
			problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "A", LastName: "B", Email: "kevin@startup.io"}).
			problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "A", LastName: "", Email: "nope", Phone: ptr("12")}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "last_name", "email", "phone")
		a.do("GET", clientPath, "support", nil).decode(t, http.StatusOK, &cl)
		a.do("PATCH", clientPath, "sales", crm.ClientPatch{CompanyName: ptr("Cooler Startup")}).decode(t, http.StatusOK, &cl)
		if cl.CompanyName == nil || *cl.CompanyName != "Cooler Startup" {
			t.Fatalf("patched client %+v", cl)
		}
		a.do("PATCH", clientPath, "sales2", crm.ClientPatch{CompanyName: ptr("Mine now")}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", clientPath+"/reassign", "sales", SalesContactRequest{SalesContactID: a.ids["sales2"]}).
			problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", clientPath+"/reassign", "mgr", SalesContactRequest{SalesContactID: a.ids["support"]}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "sales_contact_id")
		a.do("POST", clientPath+"/reassign", "mgr", SalesContactRequest{SalesContactID: 999999}).
			problem(t, http.StatusNotFound, crm.CodeNotFound)

		var clients Page[crm.Client]
		a.do("GET", "/api/v1/clients?search=CASEY&mine=true", "sales", nil).decode(t, http.StatusOK, &clients)
		if len(clients.Items) != 1 || clients.Items[0].ID != cl.ID {
			t.Fatalf("search: %+v", clients)
		}
		a.do("GET", "/api/v1/clients?mine=true", "sales2", nil).decode(t, http.StatusOK, &clients)
		if len(clients.Items) != 0 || clients.Items == nil || !strings.Contains(string(a.do("GET", "/api/v1/clients?mine=true", "sales2", nil).body), `"items":[]`) {
			t.Fatalf("mine for sales2: %+v", clients)
		}

		// Contracts
		var k crm.Contract
		r = a.do("POST", "/api/v1/contracts", "mgr", `{"client_id":`+strconv.FormatInt(cl.ID, 10)+`,"total_amount":"5000.00","amount_due":1500.5}`)
		r.decode(t, http.StatusCreated, &k)
		contractPath := "/api/v1/contracts/" + strconv.FormatInt(k.ID, 10)
		if r.header.Get("Location") != contractPath || k.TotalAmount != 500000 || k.AmountDue != 150050 || k.Signed {
			t.Fatalf("contract %+v", k)
		}
		if !strings.Contains(string(r.body), `"total_amount":"5000.00"`) {
			t.Fatalf("money must be a string with two decimals: %s", r.body)
		}
		a.do("POST", "/api/v1/contracts", "sales", crm.NewContract{ClientID: cl.ID, TotalAmount: 100}).
			problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", "/api/v1/contracts", "mgr", `{"client_id":1,"total_amount":"12.345"}`).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "total_amount")
		a.do("POST", "/api/v1/contracts", "mgr", `{"client_id":1,"total_amount":"-1"}`).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "total_amount")
		a.do("POST", "/api/v1/contracts", "mgr", `{"client_id":"one","total_amount":true}`).
			problem(t, http.StatusBadRequest, crm.CodeInvalid, "client_id", "total_amount")
		r = a.do("PATCH", contractPath, "sales", crm.ContractPatch{AmountDue: ptr(crm.Cents(0))})
		r.decode(t, http.StatusOK, &k)
		etag := r.header.Get("ETag")
		a.do("PATCH", contractPath, "mgr", crm.ContractPatch{AmountDue: ptr(crm.Cents(600000))}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "amount_due")

		// Create an event on an unsigned contract: conflict.
		start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)
		ev := crm.NewEvent{ContractID: k.ID, Name: "John Ouick Wedding", Start: start, End: start.Add(13 * time.Hour),
			Location: "53 Rue du Château, 41120 Candé-sur-Beuvron, France", Attendees: 75}
		a.do("POST", "/api/v1/events", "sales", ev).problem(t, http.StatusConflict, crm.CodeConflict)

		a.do("POST", contractPath+"/sign", "sales", nil, "If-Match", `"1"`).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		r = a.do("POST", contractPath+"/sign", "sales", nil, "If-Match", etag)
		r.decode(t, http.StatusOK, &k)
		if !k.Signed || k.SignedAt == nil || r.header.Get("ETag") == etag {
			t.Fatalf("signed: %+v", k)
		}
		a.do("POST", contractPath+"/sign", "mgr", nil).problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", contractPath+"/reassign", "mgr", SalesContactRequest{SalesContactID: a.ids["sales2"]}).decode(t, http.StatusOK, &k)
		if k.SalesContactID != a.ids["sales2"] {
			t.Fatalf("reassigned contract: %+v", k)
		}
		a.do("POST", contractPath+"/reassign", "mgr", SalesContactRequest{SalesContactID: a.ids["sales"]}).expect(t, http.StatusOK)

		var contracts Page[crm.Contract]
		a.do("GET", "/api/v1/contracts?unsigned=false&unpaid=false&client_id="+strconv.FormatInt(cl.ID, 10), "support", nil).
			decode(t, http.StatusOK, &contracts)
		if len(contracts.Items) != 1 {
			t.Fatalf("contracts of the client: %+v", contracts)
		}
		a.do("GET", "/api/v1/contracts?unsigned=true", "support", nil).decode(t, http.StatusOK, &contracts)
		if len(contracts.Items) != 0 {
			t.Fatalf("unsigned: %+v", contracts)
		}

		// Events
		var e crm.Event
		r = a.do("POST", "/api/v1/events", "sales", ev)
		r.decode(t, http.StatusCreated, &e)
		eventPath := "/api/v1/events/" + strconv.FormatInt(e.ID, 10)
		if r.header.Get("Location") != eventPath || e.ClientID != cl.ID || !e.Start.Equal(start) || e.SupportContactID != nil {
			t.Fatalf("event %+v", e)
		}
		a.do("POST", "/api/v1/events", "sales", `{"contract_id":1,"name":"x","start":"tomorrow","end":"2030-01-01T00:00:00Z","location":"x","attendees":1}`).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "start")
		a.do("POST", "/api/v1/events", "sales", crm.NewEvent{ContractID: k.ID, Name: "x", Start: start, End: start.Add(-time.Hour),
			Location: "x", Attendees: -1}).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "end", "attendees")
		a.do("PATCH", eventPath, "support", crm.EventPatch{Attendees: ptr(80)}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", eventPath+"/assign", "sales", SupportRequest{SupportContactID: a.ids["support"]}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", eventPath+"/assign", "mgr", SupportRequest{SupportContactID: a.ids["support"]}).decode(t, http.StatusOK, &e)
		if e.SupportContactID == nil || *e.SupportContactID != a.ids["support"] {
			t.Fatalf("assigned: %+v", e)
		}
		r = a.do("PATCH", eventPath, "support", crm.EventPatch{Attendees: ptr(80), Notes: ptr("DJ after party")})
		r.decode(t, http.StatusOK, &e)
		if e.Attendees != 80 || e.Notes == nil {
			t.Fatalf("patched event %+v", e)
		}
		a.do("PATCH", eventPath, "support", crm.EventPatch{Name: ptr("Renamed")}).problem(t, http.StatusForbidden, crm.CodeForbidden)

		var events Page[crm.Event]
		from := qesc(start.Add(-time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339))
		a.do("GET", "/api/v1/events?mine=true&from="+from+"&to="+start.Format(time.RFC3339), "support", nil).decode(t, http.StatusOK, &events)
		if len(events.Items) != 1 || events.Items[0].ID != e.ID {
			t.Fatalf("events in range: %+v", events)
		}
		a.do("GET", "/api/v1/events?from="+qesc(start.Add(time.Hour).Format(time.RFC3339)), "support", nil).
			decode(t, http.StatusOK, &events)
		if len(events.Items) != 0 {
			t.Fatalf("events after the start: %+v", events)
		}
		// An unescaped + offset arrives as a space: refused, as the document says.
		a.do("GET", "/api/v1/events?from="+start.In(time.FixedZone("", 2*3600)).Format(time.RFC3339), "support", nil).
			problem(t, http.StatusBadRequest, crm.CodeInvalid, "from")
		a.do("GET", "/api/v1/events?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "support", nil).
			problem(t, http.StatusBadRequest, crm.CodeInvalid, "from")
		a.do("POST", eventPath+"/unassign", "mgr", nil).decode(t, http.StatusOK, &e)
		a.do("GET", "/api/v1/events?without_support=true&contract_id="+strconv.FormatInt(k.ID, 10), "support", nil).decode(t, http.StatusOK, &events)
		if e.SupportContactID != nil || len(events.Items) != 1 {
			t.Fatalf("unassigned: %+v; without support: %+v", e, events)
		}
		a.do("GET", eventPath, "sales2", nil).decode(t, http.StatusOK, &e)

		// Audit: MANAGEMENT only.
		var audit Page[crm.AuditEntry]
		a.do("GET", "/api/v1/audit?entity=contract&entity_id="+strconv.FormatInt(k.ID, 10), "mgr", nil).decode(t, http.StatusOK, &audit)
		actions := map[string]bool{}
		for _, en := range audit.Items {
			actions[en.Action] = true
			if en.ClientAddr == nil || *en.ClientAddr != "127.0.0.1" {
				t.Fatalf("audit entry without the client address: %+v", en)
			}
		}
		if !actions["contract.sign"] || !actions["contract.create"] {
			t.Fatalf("audit of the contract: %v", actions)
		}
		a.do("GET", "/api/v1/audit?actor_id="+strconv.FormatInt(a.ids["mgr"], 10)+"&limit=1", "mgr", nil).decode(t, http.StatusOK, &audit)
		if len(audit.Items) != 1 || audit.Next == nil {
			t.Fatalf("audit page: %+v", audit)
		}
		a.do("GET", "/api/v1/audit", "sales", nil).problem(t, http.StatusForbidden, crm.CodeForbidden)
	})
}

// qesc escapes a query value.
func qesc(s string) string { return strings.NewReplacer("+", "%2B", ":", "%3A").Replace(s) }

func TestPagination(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		for i := range 5 {
			a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "C", LastName: fmt.Sprintf("Client%d", i),
				Email: fmt.Sprintf("c%d@x.example", i)}).expect(t, http.StatusCreated)
		}
		seen := map[int64]bool{}
		path, pages := "/api/v1/clients?sales_contact_id="+strconv.FormatInt(a.ids["sales"], 10)+"&limit=2", 0
		for {
			var p Page[crm.Client]
			a.do("GET", path, "support", nil).decode(t, http.StatusOK, &p)
			pages++
			for _, c := range p.Items {
				if seen[c.ID] {
					t.Fatalf("client %d twice", c.ID)
				}
				seen[c.ID] = true
			}
			if p.Next == nil {
				break
			}
			if len(p.Items) != 2 {
				t.Fatalf("a page before the last has %d items", len(p.Items))
			}
			path = "/api/v1/clients?sales_contact_id=" + strconv.FormatInt(a.ids["sales"], 10) + "&limit=2&cursor=" + *p.Next
		}
		if len(seen) != 5 || pages != 3 {
			t.Fatalf("%d clients in %d pages, want 5 in 3", len(seen), pages)
		}
		// A cursor of another list, or garbage, is a bad query parameter.
		var p Page[crm.Client]
		a.do("GET", "/api/v1/clients?limit=2", "support", nil).decode(t, http.StatusOK, &p)
		a.do("GET", "/api/v1/events?cursor="+*p.Next, "support", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "cursor")
		a.do("GET", "/api/v1/clients?cursor=garbage", "support", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "cursor")
	})
}

func TestMalformedRequests(t *testing.T) {
	a := newAPITest(t, "sqlite")
	client := crm.NewClient{FirstName: "A", LastName: "B", Email: "ab@x.example"}
	cases := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		fields             []string
	}{
		{"wrong content type", "POST", "/api/v1/clients", client, []string{"Content-Type", "text/plain"}, 400, []string{"Content-Type"}},
		{"form content type", "POST", "/api/v1/clients", "first_name=A", []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, []string{"Content-Type"}},
		{"no content type", "POST", "/api/v1/clients", client, []string{"Content-Type", ""}, 400, []string{"Content-Type"}},
		{"latin-1 charset", "POST", "/api/v1/clients", client, []string{"Content-Type", "application/json; charset=latin1"}, 400, []string{"Content-Type"}},
		{"bad JSON", "POST", "/api/v1/clients", `{"first_name": "A",}`, nil, 400, nil},
		{"truncated JSON", "POST", "/api/v1/clients", `{"first_name": "A"`, nil, 400, nil},
		{"not an object", "POST", "/api/v1/clients", `["A"]`, nil, 400, nil},
		{"trailing data", "POST", "/api/v1/clients", `{"first_name":"A"} {}`, nil, 400, nil},
		{"duplicate key", "POST", "/api/v1/clients", `{"first_name":"A","first_name":"B"}`, nil, 400, []string{"first_name"}},
		{"unknown field", "POST", "/api/v1/clients", `{"first_name":"A","nickname":"B"}`, nil, 400, []string{"nickname"}},
		{"read-only field", "POST", "/api/v1/clients", `{"first_name":"A","sales_contact_id":1}`, nil, 400, []string{"sales_contact_id"}},
		{"read-only id", "PATCH", "/api/v1/clients/1", `{"id":2}`, nil, 400, []string{"id"}},
		{"wrong type", "POST", "/api/v1/clients", `{"first_name":1}`, nil, 400, []string{"first_name"}},
		{"invalid UTF-8", "POST", "/api/v1/clients", []byte("{\"first_name\":\"\xff\"}"), nil, 400, nil},
		{"empty body", "POST", "/api/v1/clients", "", nil, 400, nil},
		{"no body on PATCH", "PATCH", "/api/v1/clients/1", nil, nil, 400, nil},
		{"too large", "POST", "/api/v1/clients", `{"first_name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, nil, 413, nil},
		{"path id", "GET", "/api/v1/clients/abc", nil, nil, 400, []string{"id"}},
		{"zero path id", "GET", "/api/v1/clients/0", nil, nil, 400, []string{"id"}},
		{"limit 0", "GET", "/api/v1/clients?limit=0", nil, nil, 400, []string{"limit"}},
		{"limit 501", "GET", "/api/v1/clients?limit=501", nil, nil, 400, []string{"limit"}},
		{"limit text", "GET", "/api/v1/clients?limit=ten", nil, nil, 400, []string{"limit"}},
		{"bad bool", "GET", "/api/v1/clients?mine=yes", nil, nil, 400, []string{"mine"}},
		{"bad id", "GET", "/api/v1/clients?sales_contact_id=x", nil, nil, 400, []string{"sales_contact_id"}},
		{"bad time", "GET", "/api/v1/events?from=2023-06-04", nil, nil, 400, []string{"from"}},
		{"unknown parameter", "GET", "/api/v1/contracts?unsinged=true", nil, nil, 400, []string{"unsinged"}},
		{"repeated parameter", "GET", "/api/v1/contracts?mine=true&mine=false", nil, nil, 400, []string{"mine"}},
		{"several at once", "GET", "/api/v1/events?limit=0&mine=1", nil, nil, 400, []string{"limit", "mine"}},
		{"malformed query", "GET", "/api/v1/clients?search=100%&mine=true", nil, nil, 400, nil},
		{"query on a resource", "GET", "/api/v1/clients/1?verbose=true", nil, nil, 400, nil},
		{"malformed If-Match", "PATCH", "/api/v1/clients/1", client, []string{"If-Match", "3"}, 400, []string{"If-Match"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a.t = t
			r := a.do(c.method, c.path, "sales", c.body, c.hdr...)
			r.problem(t, c.status, crm.CodeInvalid, c.fields...)
		})
	}
	a.t = t

	// The mux's own refusals are problems too.
	a.doUnchecked("GET", "/api/v1/nothing", "sales", nil).problem(t, http.StatusNotFound, crm.CodeNotFound)
	r := a.doUnchecked("PUT", "/api/v1/clients", "sales", client)
	r.problem(t, http.StatusMethodNotAllowed, crm.CodeInvalid)
	if !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
	// A charset of UTF-8 is fine.
	a.do("POST", "/api/v1/clients", "sales", client, "Content-Type", "application/json; charset=UTF-8").expect(t, http.StatusCreated)
}

func TestSecurityHeaders(t *testing.T) {
	a := newAPITest(t, "sqlite")
	for _, r := range []reply{
		a.do("GET", "/api/v1/me", "sales", nil),
		a.do("GET", "/api/v1/me", "", nil),
		a.do("GET", "/healthz", "", nil),
		a.doUnchecked("GET", "/nowhere", "", nil),
	} {
		for h, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "no-referrer",
			"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			"Cache-Control":           "no-store",
		} {
			if got := r.header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		if len(r.header.Get("X-Request-ID")) != 16 {
			t.Errorf("X-Request-ID %q", r.header.Get("X-Request-ID"))
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS over plain HTTP")
		}
	}
	// Over TLS, HSTS too.
	ts := httptest.NewTLSServer(a.srv.Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
}

func TestOperationsRoutes(t *testing.T) {
	var ready error
	a := newAPITest(t, "sqlite", func(o *ServerOptions) {
		o.Ready = func(context.Context) error { return ready }
	})
	var status map[string]string
	a.do("GET", "/healthz", "", nil).decode(t, http.StatusOK, &status)
	a.do("GET", "/readyz", "", nil).decode(t, http.StatusOK, &status)
	ready = fmt.Errorf("dial tcp 10.0.0.1:5432: connection refused")
	r := a.do("GET", "/readyz", "", nil)
	r.problem(t, http.StatusServiceUnavailable, crm.CodeUnavailable)
	if strings.Contains(string(r.body), "10.0.0.1") {
		t.Fatalf("readyz leaks the cause: %s", r.body)
	}
	if !strings.Contains(a.logs.String(), "connection refused") {
		t.Fatal("the cause of the 503 is not logged")
	}
	a.do("GET", "/healthz", "", nil).expect(t, http.StatusOK)

	// The OpenAPI document, public.
	var doc map[string]any
	a.do("GET", "/api/v1/openapi.json", "", nil).decode(t, http.StatusOK, &doc)
	if !strings.HasPrefix(fmt.Sprint(doc["openapi"]), "3.1") {
		t.Fatalf("openapi: %v", doc["openapi"])
	}

	// Metrics: the request histogram by route and status, pool stats, Go.
	a.do("GET", "/api/v1/clients", "sales", nil).expect(t, http.StatusOK)
	m := a.do("GET", "/metrics", "", nil)
	m.expect(t, http.StatusOK)
	for _, want := range []string{
		`epicevents_http_request_duration_seconds_bucket{route="GET /api/v1/clients",status="200",le=`,
		`epicevents_http_requests_total{route="GET /readyz",status="503"} 1`,
		`epicevents_http_requests_total{route="POST /api/v1/auth/login",status="200"}`,
		"epicevents_db_open_connections",
		"go_goroutines",
	} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestPanicAndInternalErrors(t *testing.T) {
	a := newAPITest(t, "sqlite")
	a.srv.route("GET /test/panic", func(http.ResponseWriter, *http.Request) error {
		panic("something impossible happened")
	}, routePublic)
	a.srv.route("GET /test/error", func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("sqlstore: pq: password authentication failed for user secret_owner")
	}, routePublic)
	a.srv.route("GET /test/internal", func(http.ResponseWriter, *http.Request) error {
		return &crm.Error{Code: crm.CodeInternal, Err: fmt.Errorf("raw cause")}
	}, routePublic)

	for _, path := range []string{"/test/panic", "/test/error", "/test/internal"} {
		r := a.doUnchecked("GET", path, "", nil)
		p := r.problem(t, http.StatusInternalServerError, crm.CodeInternal)
		if p.Detail != "internal error (reference "+p.RequestID+")" {
			t.Fatalf("%s: detail %q", path, p.Detail)
		}
		if strings.Contains(string(r.body), "secret_owner") || strings.Contains(string(r.body), "impossible") ||
			strings.Contains(string(r.body), "raw cause") {
			t.Fatalf("%s leaks the cause: %s", path, r.body)
		}
		if !strings.Contains(a.logs.String(), p.RequestID) {
			t.Fatalf("%s: the reference is not in the logs", path)
		}
	}
	logs := a.logs.String()
	for _, want := range []string{"something impossible happened", "goroutine", "secret_owner", "raw cause"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	// Still serving.
	a.do("GET", "/healthz", "", nil).expect(t, http.StatusOK)
}

func TestRequestLog(t *testing.T) {
	a := newAPITest(t, "sqlite")
	a.do("GET", "/api/v1/clients?search=Casey", "sales", nil).expect(t, http.StatusOK)
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(a.logs.String()), "\n") {
		if strings.Contains(l, `"route":"GET /api/v1/clients"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no log line for the list:\n%s", a.logs.String())
	}
	for _, k := range []string{"method", "route", "status", "duration_ms", "request_id", "employee_id"} {
		if _, ok := line[k]; !ok {
			t.Errorf("log line lacks %s: %v", k, line)
		}
	}
	if line["employee_id"] != float64(a.ids["sales"]) || line["status"] != float64(200) {
		t.Errorf("log line %v", line)
	}
	logs := a.logs.String()
	for key, tok := range a.token {
		if strings.Contains(logs, tok) {
			t.Fatalf("the access token of %s is in the logs", key)
		}
	}
	for _, secret := range []string{srvPassword, "Casey", "refresh_token"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("%q is in the logs", secret)
		}
	}
}

func TestGracefulShutdown(t *testing.T) {
	a := newAPITest(t, "sqlite")
	started, release := make(chan struct{}), make(chan struct{})
	a.srv.route("GET /test/slow", func(w http.ResponseWriter, _ *http.Request) error {
		close(started)
		<-release
		return writeResource(w, http.StatusOK, map[string]string{"status": "done"})
	}, routePublic)

	hs := &http.Server{Handler: a.srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = hs
	ts.Start()
	defer ts.Close()

	got := make(chan reply, 1)
	go func() {
		resp, err := ts.Client().Get(ts.URL + "/test/slow")
		if err != nil {
			got <- reply{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- reply{status: resp.StatusCode, body: b}
	}()
	<-started
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(context.Background()) }()
	// Shutdown waits for the request: it must not return before it ends.
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if r := <-got; r.status != http.StatusOK || !strings.Contains(string(r.body), "done") {
		t.Fatalf("in-flight request: %d %s", r.status, r.body)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}
