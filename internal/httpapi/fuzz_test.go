package httpapi

// Fuzzing: request decoding, query parameters, the list
// cursor and every parser. Under `go test` the seeds (f.Add and
// testdata/fuzz/<FuzzName>/) run as ordinary tests; scripts/fuzz.sh runs
// each target for a while. The targets live here, in one package, because
// they drive the parsers the way the server does; the crm, auth and sqlstore
// functions are called through their public API.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// bodyTypes are the request bodies the server decodes, each a fresh value,
// with the route that decodes it (whose request body in the document says
// which fields are required or may be null).
var bodyTypes = []struct {
	pattern string
	mk      func() any
}{
	{"POST /api/v1/employees", func() any { return &crm.NewEmployee{} }},
	{"PATCH /api/v1/employees/{id}", func() any { return &crm.EmployeePatch{} }},
	{"POST /api/v1/clients", func() any { return &crm.NewClient{} }},
	{"PATCH /api/v1/clients/{id}", func() any { return &crm.ClientPatch{} }},
	{"POST /api/v1/contracts", func() any { return &crm.NewContract{} }},
	{"PATCH /api/v1/contracts/{id}", func() any { return &crm.ContractPatch{} }},
	{"POST /api/v1/events", func() any { return &crm.NewEvent{} }},
	{"PATCH /api/v1/events/{id}", func() any { return &crm.EventPatch{} }},
	{"POST /api/v1/auth/login", func() any { return &LoginRequest{} }},
	{"POST /api/v1/auth/refresh", func() any { return &RefreshRequest{} }},
	{"POST /api/v1/me/password", func() any { return &PasswordChange{} }},
	{"POST /api/v1/employees/{id}/set-password", func() any { return &SetPasswordRequest{} }},
	{"POST /api/v1/employees/{id}/deactivate", func() any { return &DeactivateRequest{} }},
	{"POST /api/v1/clients/{id}/reassign", func() any { return &SalesContactRequest{} }},
	{"POST /api/v1/events/{id}/assign", func() any { return &SupportRequest{} }},
	{"POST /api/v1/contracts/{id}/sign", func() any { return &struct{}{} }},
}

// FuzzDecodeBody: the body decoder, for every input type, never panics and
// fails only with 400, 413 or 422; what it accepts is valid UTF-8 JSON.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"first_name":"Kevin","last_name":"Casey","email":"kevin@startup.io"}`), "application/json")
	f.Add([]byte(`{"total_amount":"1500.50","amount_due":12.5,"client_id":1,"signed":true}`), "application/json; charset=utf-8")
	f.Add([]byte(`{"start":"2023-06-04T13:00:00+02:00","attendees":75,"notes":null}`), "application/json")
	f.Add([]byte(`{"reassign_to":null}`), "application/json")
	f.Add([]byte(``), "text/plain")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for i, bt := range bodyTypes {
			for _, rule := range []bodyRule{bodyRequired, bodyOptional} {
				r := httptest.NewRequest("POST", "/api/v1/x", bytes.NewReader(body))
				r.Header.Set("Content-Type", contentType)
				r.Pattern = bt.pattern
				err := decodeBody(httptest.NewRecorder(), r, bt.mk(), rule)
				if err == nil {
					if len(bytes.TrimSpace(body)) > 0 && (!utf8.Valid(body) || !json.Valid(body)) {
						t.Fatalf("type %d accepted a body that is not valid UTF-8 JSON: %q", i, body)
					}
					continue
				}
				var re *requestError
				switch e, ok := crm.AsError(err); {
				case errors.As(err, &re):
					if re.status != http.StatusBadRequest && re.status != http.StatusRequestEntityTooLarge {
						t.Fatalf("type %d: status %d for %q", i, re.status, body)
					}
				case ok && e.Code == crm.CodeInvalid:
				default:
					t.Fatalf("type %d: unexpected error %v (%T) for %q", i, err, err, body)
				}
			}
		}
	})
}

// fuzzServer is a server on a fresh SQLite database with a manager and a
// SALES employee, a client, a contract and an event, and their access
// tokens; set up once per fuzzing process.
type fuzzServer struct {
	h     http.Handler
	token map[string]string
}

func newFuzzServer(tb testing.TB) *fuzzServer {
	tb.Helper()
	ctx := context.Background()
	db := testdb.Open(tb, "sqlite")
	jwt, err := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, nil)
	if err != nil {
		tb.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{Store: db, Tokens: jwt, Refresh: auth.RefreshTokens{}, IsCommonPassword: auth.IsCommonPassword,
		Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Config: crm.Config{ThrottleMax: 1 << 30, IPThrottleMax: 1 << 30}})
	fs := &fuzzServer{h: NewServer(svc, ServerOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler(),
		token: map[string]string{}}
	if _, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace", Email: "mgr@epic.example", Password: srvPassword}); err != nil {
		tb.Fatal(err)
	}
	login := func(email string) context.Context {
		tok, err := svc.Login(ctx, email, srvPassword)
		if err != nil {
			tb.Fatal(err)
		}
		fs.token[strings.Split(email, "@")[0]] = tok.AccessToken
		return crm.WithAccessToken(ctx, tok.AccessToken)
	}
	mgr := login("mgr@epic.example")
	if _, err := svc.CreateEmployee(mgr, crm.NewEmployee{FirstName: "Bill", LastName: "Boquet", Email: "sales@epic.example",
		Role: crm.RoleSales, Password: srvPassword}); err != nil {
		tb.Fatal(err)
	}
	sales := login("sales@epic.example")
	cl, err := svc.CreateClient(sales, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io"})
	if err != nil {
		tb.Fatal(err)
	}
	k, err := svc.CreateContract(mgr, crm.NewContract{ClientID: cl.ID, TotalAmount: 100000, Signed: true})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	if _, err := svc.CreateEvent(sales, crm.NewEvent{ContractID: k.ID, Name: "Party", Start: start, End: start.Add(time.Hour),
		Location: "Paris", Attendees: 3}); err != nil {
		tb.Fatal(err)
	}
	return fs
}

// serve runs one request through the whole handler, in memory; nil when
// target is not a request target net/http would accept.
func (fs *fuzzServer) serve(method, target, who string, body []byte) *httptest.ResponseRecorder {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	r := httptest.NewRequest(method, "/", bytes.NewReader(body))
	r.URL, r.RequestURI = u, target
	r.Header.Set("Content-Type", "application/json")
	if who != "" {
		r.Header.Set("Authorization", "Bearer "+fs.token[who])
	}
	w := httptest.NewRecorder()
	fs.h.ServeHTTP(w, r)
	return w
}

// writeRoutes are the routes that decode a body, with who calls them.
var writeRoutes = []struct{ method, path, who string }{
	{"POST", "/api/v1/clients", "sales"},
	{"PATCH", "/api/v1/clients/1", "sales"},
	{"POST", "/api/v1/contracts", "mgr"},
	{"PATCH", "/api/v1/contracts/1", "mgr"},
	{"POST", "/api/v1/events", "sales"},
	{"PATCH", "/api/v1/events/1", "mgr"},
	{"POST", "/api/v1/employees", "mgr"},
	{"PATCH", "/api/v1/employees/2", "mgr"},
	{"POST", "/api/v1/clients/1/reassign", "mgr"},
	{"POST", "/api/v1/events/1/assign", "mgr"},
	{"POST", "/api/v1/employees/2/deactivate", "sales"},
	{"POST", "/api/v1/auth/login", ""},
	{"POST", "/api/v1/auth/refresh", ""},
}

// FuzzRequestBodies: any body on any write route, through the whole server
// on SQLite: never a panic, never a 5xx, and an error is always problem+json.
func FuzzRequestBodies(f *testing.F) {
	fs := newFuzzServer(f)
	f.Add(uint8(0), []byte(`{"first_name":"A","last_name":"B","email":"ab@x.example","phone":"+33 6 12 34 56 78"}`))
	f.Add(uint8(3), []byte(`{"amount_due":"0.5"}`))
	f.Add(uint8(4), []byte(`{"contract_id":1,"name":"N","start":"2040-01-01T10:00:00Z","end":"2040-01-01T09:00:00Z","location":"L","attendees":-1}`))
	f.Add(uint8(11), []byte(`{"email":"mgr@epic.example","password":""}`))
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		rt := writeRoutes[int(route)%len(writeRoutes)]
		w := fs.serve(rt.method, rt.path, rt.who, body)
		checkAnswer(t, rt.method+" "+rt.path, w, body)
	})
}

func checkAnswer(t *testing.T, what string, w *httptest.ResponseRecorder, input []byte) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: %d %s for %q", what, w.Code, w.Body, input)
	}
	if w.Code >= 400 {
		var p Problem
		if w.Header().Get("Content-Type") != ProblemType || json.Unmarshal(w.Body.Bytes(), &p) != nil || p.Status != w.Code {
			t.Fatalf("%s: %d is not a problem: %s", what, w.Code, w.Body)
		}
	}
}

// listRoutes are the lists and who reads them.
var listRoutes = []string{"/api/v1/employees", "/api/v1/clients", "/api/v1/contracts", "/api/v1/events", "/api/v1/audit",
	"/api/v1/contracts/{id}/payments"}

// FuzzListQuery: any query string on any list: 200 or 400, never a panic or
// a 5xx.
func FuzzListQuery(f *testing.F) {
	fs := newFuzzServer(f)
	f.Add(uint8(1), "search=Casey&mine=true&limit=2")
	f.Add(uint8(3), "from=2023-06-04T13:00:00%2B02:00&to=2040-01-01T00:00:00Z&without_support=true")
	f.Add(uint8(4), "entity=client&entity_id=1&actor_id=1&limit=500")
	f.Add(uint8(0), "role=SALES&all=true&cursor=eyJrIjoiZW1wbG95ZWVzIiwiaSI6MX0")
	f.Add(uint8(5), "limit=1&cursor=eyJrIjoicGF5bWVudHMiLCJpIjoxfQ")
	f.Fuzz(func(t *testing.T, list uint8, query string) {
		path := strings.ReplaceAll(listRoutes[int(list)%len(listRoutes)], "{id}", "1")
		if strings.ContainsAny(query, "# \t\r\n") {
			return // not a request target a client can send
		}
		w := fs.serve("GET", path+"?"+query, "mgr", nil)
		if w == nil {
			return
		}
		checkAnswer(t, "GET "+path+"?"+query, w, []byte(query))
		if w.Code != http.StatusOK && w.Code != http.StatusBadRequest {
			t.Fatalf("GET %s?%s: %d %s, want 200 or 400", path, query, w.Code, w.Body)
		}
	})
}

// FuzzCursor: any cursor given to every list of the store is either refused
// as invalid or used; it never panics nor fails otherwise.
func FuzzCursor(f *testing.F) {
	db := testdb.Open(f, "sqlite")
	f.Add("eyJrIjoiY2xpZW50cyIsImwiOiJDYXNleSIsImYiOiJLZXZpbiIsImkiOjF9")
	f.Add("")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, cursor string) {
		ctx := context.Background()
		p := crm.Page{Limit: 2, Cursor: cursor}
		check := func(list string, err error) {
			if err == nil {
				return
			}
			if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInvalid {
				t.Fatalf("%s with cursor %q: %v", list, cursor, err)
			}
		}
		_, err := db.ListClients(ctx, crm.ClientFilter{Page: p}, func(crm.Client) error { return nil })
		check("clients", err)
		_, err = db.ListEmployees(ctx, crm.EmployeeFilter{Page: p}, func(crm.Employee) error { return nil })
		check("employees", err)
		_, err = db.ListContracts(ctx, crm.ContractFilter{Page: p}, func(crm.Contract) error { return nil })
		check("contracts", err)
		_, err = db.ListEvents(ctx, crm.EventFilter{Page: p}, func(crm.Event) error { return nil })
		check("events", err)
		_, err = db.ListAudit(ctx, crm.AuditFilter{Page: p}, func(crm.AuditEntry) error { return nil })
		check("audit", err)
	})
}

// FuzzParseCents: an accepted amount is within 0..MaxAmount and reads back
// the same from its own spelling, as text and as JSON.
func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"1500", "1500.5", "1500.50", "0", "100000000.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := crm.ParseCents(s)
		if err != nil {
			return
		}
		if c < 0 || c > crm.MaxAmount {
			t.Fatalf("%q parsed as %d, out of range", s, c)
		}
		back, err := crm.ParseCents(c.String())
		if err != nil || back != c {
			t.Fatalf("%q → %s → %d, %v", s, c, back, err)
		}
		var j crm.Cents
		raw, _ := json.Marshal(c)
		if err := json.Unmarshal(raw, &j); err != nil || j != c {
			t.Fatalf("%q → JSON %s → %d, %v", s, raw, j, err)
		}
	})
}

// FuzzParseDateTime: an accepted time is UTC at the second and reads back
// the same from its RFC 3339 spelling; a bound is never before the day.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2023-06-04 13:00", "2023-06-04T13:00:00+02:00", "2023-03-26 02:30", "2023-10-29 02:30", "2023-06-04"} {
		f.Add(s, false)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		if tm, err := crm.ParseDateTime(s, paris); err == nil {
			if tm.Location() != time.UTC || tm.Nanosecond() != 0 {
				t.Fatalf("%q → %v: not UTC at the second", s, tm)
			}
			back, err := crm.ParseDateTime(tm.Format(time.RFC3339), paris)
			if err != nil || !back.Equal(tm) {
				t.Fatalf("%q → %v → %v, %v", s, tm, back, err)
			}
		}
		_, _ = crm.ParseBound(s, paris, end, time.Date(2023, 6, 4, 12, 0, 0, 0, time.UTC))
	})
}

// FuzzNormalizePhone: an accepted number is "+" and 6–15 digits, and
// normalizing it again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"+33 6 12 34 56 78", "+1 (234) 567-8901", "+44.20.7946.0958", "0612345678", "+"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := crm.NormalizePhone(s)
		if !ok {
			return
		}
		if len(p) < 7 || len(p) > 16 || p[0] != '+' || strings.Trim(p[1:], "0123456789") != "" {
			t.Fatalf("%q → %q", s, p)
		}
		if again, ok := crm.NormalizePhone(p); !ok || again != p {
			t.Fatalf("%q → %q → %q %v", s, p, again, ok)
		}
		_ = crm.FormatPhone(p)
	})
}

// FuzzParseETag: an accepted ETag is a positive version that ETag writes
// back in a form ParseETag reads the same.
func FuzzParseETag(f *testing.F) {
	for _, s := range []string{`"3"`, `W/"3"`, `"0"`, `"-1"`, `*`, `"9223372036854775807"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseETag(s)
		if !ok {
			return
		}
		if v <= 0 {
			t.Fatalf("%q → %d", s, v)
		}
		if back, ok := ParseETag(ETag(v)); !ok || back != v {
			t.Fatalf("%q → %d → %s → %d", s, v, ETag(v), back)
		}
	})
}

// FuzzParseIfMatch: any If-Match value parses or is refused without a panic;
// every version it yields was written in it as ETag writes it, and a value
// that refuses is never half read.
func FuzzParseIfMatch(f *testing.F) {
	for _, s := range []string{`"3"`, `W/"3", "4"`, `*`, `, ,"a,b",`, `"3" "4"`, `*, "3"`, `"é"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseIfMatch(http.Header{"If-Match": {s}})
		if err != nil {
			if c.present || c.any || c.versions != nil {
				t.Fatalf("%q refused but read as %+v", s, c)
			}
			return
		}
		if c.any && (len(c.versions) > 0 || strings.TrimSpace(s) != "*") {
			t.Fatalf("%q → %+v", s, c)
		}
		for _, v := range c.versions {
			if !strings.Contains(s, ETag(v)) {
				t.Fatalf("%q → version %d, whose tag %s it does not hold", s, v, ETag(v))
			}
		}
	})
}

// fuzzNow is the clock of FuzzJWTVerify: the seed token stays valid.
var fuzzNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// FuzzJWTVerify: Verify never panics, refuses everything but a token this
// key issued (the seed, employee 7 and session 42; each fuzzing process
// issues its own, with another jti) with CodeUnauthenticated, and never names
// the key in an error.
func FuzzJWTVerify(f *testing.F) {
	j, err := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, func() time.Time { return fuzzNow })
	if err != nil {
		f.Fatal(err)
	}
	issued, _, err := j.Issue(crm.AccessClaims{EmployeeID: 7, SessionID: 42})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(issued)
	f.Add(issued + "=")
	f.Add(strings.Replace(issued, ".", "..", 1))
	f.Fuzz(func(t *testing.T, token string) {
		c, err := j.Verify(token)
		if err == nil {
			if c.EmployeeID != 7 || c.SessionID != 42 || strings.Count(token, ".") != 2 || len(token) != len(issued) {
				t.Fatalf("accepted %q as %+v", token, c)
			}
			return
		}
		e, ok := crm.AsError(err)
		if !ok || e.Code != crm.CodeUnauthenticated {
			t.Fatalf("%q: %v", token, err)
		}
		if strings.Contains(err.Error(), string(rigKey)) || (e.Err != nil && strings.Contains(e.Err.Error(), string(rigKey))) {
			t.Fatalf("the error names the key: %v", err)
		}
	})
}
