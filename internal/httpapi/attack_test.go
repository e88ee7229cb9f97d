package httpapi

// Attacks: forged and misused tokens, brute force, login
// timing, mass assignment, object-level authorization, hostile bodies, SQL
// metacharacters and absurd page sizes, each against a real server on
// loopback. Every attack gets the right status AND leaves the database as it
// was: a snapshot of the rows (and of the audit count) before and after.

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// snapshot dumps what an attack could change: every business row, the
// number of audit entries, the sessions and refresh tokens.
func (a *apiTest) snapshot() string {
	a.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT * FROM employees ORDER BY id",
		"SELECT * FROM clients ORDER BY id",
		"SELECT * FROM contracts ORDER BY id",
		"SELECT * FROM events ORDER BY id",
		"SELECT count(*) FROM audit_entries",
		"SELECT id, employee_id, expires_at, revoked_at FROM sessions ORDER BY id",
		"SELECT hash, session_id, used_at FROM refresh_tokens ORDER BY hash",
	} {
		rows, err := a.db.SQL().Query(q)
		if err != nil {
			a.t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		fmt.Fprintf(&b, "%s\n", q)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				a.t.Fatal(err)
			}
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					vals[i] = string(bs)
				}
			}
			fmt.Fprintf(&b, "  %v\n", vals)
		}
		if err := rows.Err(); err != nil {
			a.t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// unchanged fails unless the database still matches before.
func (a *apiTest) unchanged(before, what string) {
	a.t.Helper()
	after := a.snapshot()
	if after == before {
		return
	}
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	for i := range min(len(bl), len(al)) {
		if bl[i] != al[i] {
			a.t.Fatalf("%s changed the database:\nbefore: %s\nafter:  %s", what, bl[i], al[i])
		}
	}
	a.t.Fatalf("%s changed the database:\nbefore:\n%s\nafter:\n%s", what, before, after)
}

// claimsOf decodes the payload of a JWT without checking it.
func claimsOf(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.MapClaims
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// fixtures are one of each object, owned by sales and support: a client, a
// signed and an unsigned contract, an event assigned to support and one
// without support.
type fixtures struct {
	client, signed, unsigned, assigned, unassigned int64
}

func (a *apiTest) fixtures() fixtures {
	a.t.Helper()
	t := a.t
	var f fixtures
	var cl crm.Client
	a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io",
		CompanyName: ptr("Cool Startup LLC")}).decode(t, http.StatusCreated, &cl)
	f.client = cl.ID
	var k crm.Contract
	a.do("POST", "/api/v1/contracts", "mgr", crm.NewContract{ClientID: cl.ID, TotalAmount: 500000, AmountDue: ptr(crm.Cents(100000)), Signed: true}).
		decode(t, http.StatusCreated, &k)
	f.signed = k.ID
	a.do("POST", "/api/v1/contracts", "mgr", crm.NewContract{ClientID: cl.ID, TotalAmount: 200000}).decode(t, http.StatusCreated, &k)
	f.unsigned = k.ID
	start := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
	var e crm.Event
	a.do("POST", "/api/v1/events", "sales", crm.NewEvent{ContractID: f.signed, Name: "Wedding", Start: start, End: start.Add(5 * time.Hour),
		Location: "Candé-sur-Beuvron", Attendees: 75}).decode(t, http.StatusCreated, &e)
	f.assigned = e.ID
	a.do("POST", "/api/v1/events/"+strconv.FormatInt(e.ID, 10)+"/assign", "mgr", SupportRequest{SupportContactID: a.ids["support"]}).
		expect(t, http.StatusOK)
	a.do("POST", "/api/v1/events", "sales", crm.NewEvent{ContractID: f.signed, Name: "Party", Start: start, End: start.Add(2 * time.Hour),
		Location: "Paris", Attendees: 10}).decode(t, http.StatusCreated, &e)
	f.unassigned = e.ID
	return f
}

func objPath(plural string, id int64, suffix ...string) string {
	return "/api/v1/" + plural + "/" + strconv.FormatInt(id, 10) + strings.Join(suffix, "")
}

// TestAttackForgedTokens: tokens that are not exactly what the server
// issues, each presented to create a MANAGEMENT employee → 401, nothing
// created.
func TestAttackForgedTokens(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		real := claimsOf(t, a.token["mgr"])
		salesClaims := claimsOf(t, a.token["sales"])
		with := func(change func(c jwt.MapClaims)) jwt.MapClaims {
			c := jwt.MapClaims{}
			for k, v := range real {
				c[k] = v
			}
			change(c)
			return c
		}
		sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
			s, err := jwt.NewWithClaims(m, c).SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		// Sanity: the key and claims the forgeries start from do work.
		a.do("GET", "/api/v1/me", sign(jwt.SigningMethodHS256, rigKey, with(func(jwt.MapClaims) {})), nil).expect(t, http.StatusOK)
		parts := strings.Split(a.token["sales"], ".")
		// sales's token with mgr's id in sub, signature kept.
		tampered := with(func(c jwt.MapClaims) {
			for k, v := range salesClaims {
				c[k] = v
			}
			c["sub"] = strconv.FormatInt(a.ids["mgr"], 10)
		})
		tamperedPayload, _ := json.Marshal(tampered)
		// The header says HS256 but an alg of none is appended: "none" needs the
		// library's explicit unsafe opt-in to even sign.
		noneTok := sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, with(func(jwt.MapClaims) {}))
		expired, err := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, func() time.Time { return now.Add(-time.Hour) })
		if err != nil {
			t.Fatal(err)
		}
		sid := int64(real["sid"].(float64))
		expiredTok, _, err := expired.Issue(crm.AccessClaims{EmployeeID: a.ids["mgr"], SessionID: sid})
		if err != nil {
			t.Fatal(err)
		}
		// 15 min 20 s ago: expired 20 s ago, inside the leeway (30 s; never more than 60 s).
		justExpired, _ := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, func() time.Time { return now.Add(-15*time.Minute - 20*time.Second) })
		leewayTok, _, _ := justExpired.Issue(crm.AccessClaims{EmployeeID: a.ids["mgr"], SessionID: sid})
		a.do("GET", "/api/v1/me", leewayTok, nil).expect(t, http.StatusOK)
		// 15 min 90 s ago: expired 90 s ago, past any leeway allowed (60 s at most).
		pastLeeway, _ := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, func() time.Time { return now.Add(-16*time.Minute - 30*time.Second) })
		pastLeewayTok, _, _ := pastLeeway.Issue(crm.AccessClaims{EmployeeID: a.ids["mgr"], SessionID: sid})
		var pair crm.Tokens
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "mgr@epic.example", Password: srvPassword}).decode(t, http.StatusOK, &pair)

		cases := []struct {
			name, token, reason string
		}{
			{"alg none", noneTok, ""},
			{"alg none, no signature, HS256 header kept", parts[0] + "." + strings.Split(noneTok, ".")[1] + ".", ""},
			{"HS384 with the real key", sign(jwt.SigningMethodHS384, rigKey, with(func(jwt.MapClaims) {})), ""},
			{"HS512 with the real key", sign(jwt.SigningMethodHS512, rigKey, with(func(jwt.MapClaims) {})), ""},
			{"RS256", sign(jwt.SigningMethodRS256, rsaKey, with(func(jwt.MapClaims) {})), ""},
			{"HS256 with another key", sign(jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), with(func(jwt.MapClaims) {})), ""},
			{"tampered sub, signature kept", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2], ""},
			{"wrong aud", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["aud"] = "other" })), ""},
			{"no aud", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { delete(c, "aud") })), ""},
			{"wrong iss", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["iss"] = "evil" })), ""},
			{"no iss", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { delete(c, "iss") })), ""},
			{"wrong typ", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["typ"] = "refresh" })), ""},
			{"no typ", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { delete(c, "typ") })), ""},
			{"no exp", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { delete(c, "exp") })), ""},
			{"sub 007", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["sub"] = "00" + c["sub"].(string) })), ""},
			{"another employee's session", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["sid"] = salesClaims["sid"] })), ""},
			{"unknown session", sign(jwt.SigningMethodHS256, rigKey, with(func(c jwt.MapClaims) { c["sid"] = 999999 })), ""},
			{"expired", expiredTok, "expired"},
			{"expired past the leeway", pastLeewayTok, "expired"},
			{"refresh token as access token", pair.RefreshToken, ""},
			{"empty bearer", " ", ""},
			{"huge token", strings.Repeat("a", 5000), ""},
		}
		body := crm.NewEmployee{FirstName: "Mallory", LastName: "Evil", Email: "mallory@epic.example", Role: crm.RoleManagement, Password: srvPassword}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.t = t
				defer func() { a.t = t }()
				before := a.snapshot()
				p := a.doUnchecked("POST", "/api/v1/employees", c.token, body).problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
				if p.Reason != c.reason {
					t.Fatalf("reason %q, want %q", p.Reason, c.reason)
				}
				a.unchanged(before, c.name)
			})
		}
		a.t = t
		// The real tokens still work after all that.
		a.do("GET", "/api/v1/me", "mgr", nil).expect(t, http.StatusOK)
	})
}

// TestAttackTokenInURL: a valid access token in the query string is refused
// (400) before anything runs, even with a valid body and route.
func TestAttackTokenInURL(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		before := a.snapshot()
		body := crm.NewClient{FirstName: "A", LastName: "B", Email: "ab@x.example"}
		for _, path := range []string{
			"/api/v1/clients?access_token=" + a.token["sales"],
			"/api/v1/clients?token=" + a.token["sales"],
			"/api/v1/clients?x=1&access_token=" + a.token["sales"],
			"/api/v1/clients?access_token=" + a.token["sales"] + "&%zz", // even in a malformed query
		} {
			a.doUnchecked("POST", path, "", body).problem(t, http.StatusBadRequest, crm.CodeInvalid)
			a.doUnchecked("POST", path, "sales", body).problem(t, http.StatusBadRequest, crm.CodeInvalid)
		}
		a.unchanged(before, "a token in the URL")
	})
}

// TestAttackLoginBruteForce: per account and per address, once the failures
// reach the allowance even the right password gets 429 with Retry-After, and
// no session is opened.
func TestAttackLoginBruteForce(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{config: &crm.Config{ThrottleMax: 3, IPThrottleMax: 8}})[0]
		sessions := a.count("sessions")
		for range 3 {
			a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: "guess number one two three"}).
				problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		for _, pw := range []string{"guess number four five six", srvPassword} {
			r := a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "SALES@epic.example ", Password: pw})
			r.problem(t, http.StatusTooManyRequests, crm.CodeThrottled)
			if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 15*60 {
				t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
		// Another account is not locked by it…
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales2@epic.example", Password: srvPassword}).expect(t, http.StatusOK)
		// …but the address is: 3 failures so far, 5 more on other emails.
		for i := range 5 {
			a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: fmt.Sprintf("nobody%d@epic.example", i), Password: "whatever it is, it is wrong"}).
				problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		}
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "support@epic.example", Password: srvPassword}).
			problem(t, http.StatusTooManyRequests, crm.CodeThrottled)
		if got := a.count("sessions"); got != sessions+1 {
			t.Fatalf("%d sessions, want %d: only sales2's login opened one", got, sessions+1)
		}
	})
}

// TestAttackParallelBruteForce: the allowance holds when the guesses arrive
// all at once: of 20 parallel wrong passwords for one account, at most the
// allowance (3) is checked (401), the rest are refused (429).
func TestAttackParallelBruteForce(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2, config: &crm.Config{ThrottleMax: 3, IPThrottleMax: 1000}})
		const n = 20
		statuses, bodies := race(t, servers, n, func(i int) (string, string, string, any, []string) {
			return "POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: fmt.Sprintf("guess number %d is wrong", i)}, nil
		})
		got := tally(t, statuses, bodies, http.StatusUnauthorized, http.StatusTooManyRequests)
		t.Logf("parallel guesses: %v", got)
		if got[http.StatusUnauthorized] > 3 {
			t.Fatalf("%d of %d parallel wrong passwords were checked, allowance 3 (%v)", got[http.StatusUnauthorized], n, got)
		}
	})
}

// TestAttackLoginTiming: an unknown email costs what a wrong password costs
// (median within 20%), with the production argon2id parameters, so that
// timing does not tell which emails are employees'.
func TestAttackLoginTiming(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{hasher: auth.NewHasher(auth.DefaultParams),
			config: &crm.Config{ThrottleMax: 1000, IPThrottleMax: 1000}})[0]
		client := a.ts.Client()
		login := func(email string) time.Duration {
			body, _ := json.Marshal(LoginRequest{Email: email, Password: "not the password, not at all"})
			start := time.Now()
			resp, err := client.Post(a.ts.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
			d := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("login %s: %d", email, resp.StatusCode)
			}
			return d
		}
		median := func(d []time.Duration) time.Duration {
			slices.Sort(d)
			return d[len(d)/2]
		}
		const n = 15
		measure := func() (unknown, wrong time.Duration) {
			login("warmup@epic.example")
			login("sales@epic.example")
			var u, w []time.Duration
			for i := range n {
				// Interleaved, so that a burst of load elsewhere hits both.
				u = append(u, login(fmt.Sprintf("nobody%d@epic.example", i)))
				w = append(w, login("sales@epic.example"))
			}
			return median(u), median(w)
		}
		var unknown, wrong time.Duration
		var diff float64
		for attempt := range 2 {
			unknown, wrong = measure()
			diff = float64(unknown-wrong) / float64(wrong)
			t.Logf("attempt %d: median unknown email %s, wrong password %s (%+.1f%%)", attempt+1, unknown, wrong, 100*diff)
			if diff >= -0.2 && diff <= 0.2 {
				return
			}
		}
		t.Fatalf("median of an unknown email %s vs a wrong password %s: %+.1f%%, want within 20%%", unknown, wrong, 100*diff)
	})
}

// TestAttackMassAssignment: read-only and privileged fields in bodies are
// refused (400 naming the field) and change nothing.
func TestAttackMassAssignment(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		f := a.fixtures()
		sales2, mgr := strconv.FormatInt(a.ids["sales2"], 10), strconv.FormatInt(a.ids["mgr"], 10)
		cases := []struct {
			name, who, method, path, body string
			status                        int
			field                         string
		}{
			{"client created for another sales contact", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","sales_contact_id":` + sales2 + `}`, 400, "sales_contact_id"},
			{"client created with an id", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","id":1}`, 400, "id"},
			{"client created with created_at", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","created_at":"2000-01-01T00:00:00Z"}`, 400, "created_at"},
			{"client created with a version", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","version":9}`, 400, "version"},
			{"field name in another case", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","Sales_Contact_ID":` + sales2 + `}`, 400, "Sales_Contact_ID"},
			{"field name escaped", "sales", "POST", "/api/v1/clients",
				`{"first_name":"A","last_name":"B","email":"ab@x.example","sales\u005fcontact_id":` + sales2 + `}`, 400, "sales_contact_id"},
			{"client moved to another sales contact", "sales", "PATCH", objPath("clients", f.client),
				`{"sales_contact_id":` + sales2 + `}`, 400, "sales_contact_id"},
			{"client id rewritten", "sales", "PATCH", objPath("clients", f.client), `{"id":999}`, 400, "id"},
			{"client updated_at rewritten", "mgr", "PATCH", objPath("clients", f.client), `{"updated_at":"2000-01-01T00:00:00Z"}`, 400, "updated_at"},
			{"contract signed by PATCH", "sales", "PATCH", objPath("contracts", f.unsigned), `{"signed":true}`, 400, "signed"},
			{"contract signed_at by PATCH", "sales", "PATCH", objPath("contracts", f.unsigned), `{"signed_at":"2020-01-01T00:00:00Z"}`, 400, "signed_at"},
			{"contract moved by PATCH", "sales", "PATCH", objPath("contracts", f.unsigned), `{"sales_contact_id":` + sales2 + `}`, 400, "sales_contact_id"},
			{"contract moved to another client", "mgr", "PATCH", objPath("contracts", f.unsigned), `{"client_id":1}`, 400, "client_id"},
			{"contract created with a sales contact", "mgr", "POST", "/api/v1/contracts",
				`{"client_id":` + strconv.FormatInt(f.client, 10) + `,"total_amount":"10.00","sales_contact_id":` + sales2 + `}`, 400, "sales_contact_id"},
			{"contract created signed by SALES", "sales", "POST", "/api/v1/contracts",
				`{"client_id":` + strconv.FormatInt(f.client, 10) + `,"total_amount":"10.00","signed":true}`, 403, ""},
			{"event support set by PATCH", "support", "PATCH", objPath("events", f.assigned), `{"support_contact_id":` + strconv.FormatInt(a.ids["support2"], 10) + `}`, 400, "support_contact_id"},
			{"event moved to another contract", "mgr", "PATCH", objPath("events", f.assigned), `{"contract_id":` + strconv.FormatInt(f.unsigned, 10) + `}`, 400, "contract_id"},
			{"event created with a support contact", "sales", "POST", "/api/v1/events",
				`{"contract_id":` + strconv.FormatInt(f.signed, 10) + `,"name":"X","start":"2040-01-01T10:00:00Z","end":"2040-01-01T12:00:00Z","location":"L","attendees":1,"support_contact_id":` + strconv.FormatInt(a.ids["support"], 10) + `}`, 400, "support_contact_id"},
			{"SALES promotes themself", "sales", "PATCH", objPath("employees", a.ids["sales"]), `{"role":"MANAGEMENT"}`, 403, ""},
			{"SUPPORT promotes another", "support", "PATCH", objPath("employees", a.ids["sales2"]), `{"role":"MANAGEMENT"}`, 403, ""},
			{"employee active by PATCH", "mgr", "PATCH", objPath("employees", a.ids["sales2"]), `{"active":false}`, 400, "active"},
			{"employee password by PATCH", "mgr", "PATCH", objPath("employees", a.ids["sales2"]), `{"password":"a password long enough"}`, 400, "password"},
			{"employee created with must_change_password", "mgr", "POST", "/api/v1/employees",
				`{"first_name":"A","last_name":"B","email":"ab@epic.example","role":"SALES","password":"` + srvPassword + `","must_change_password":false}`, 400, "must_change_password"},
			{"employee created with a password hash", "mgr", "POST", "/api/v1/employees",
				`{"first_name":"A","last_name":"B","email":"ab@epic.example","role":"SALES","password":"` + srvPassword + `","password_hash":"$argon2id$"}`, 400, "password_hash"},
			{"reassign with extra fields", "mgr", "POST", objPath("clients", f.client, "/reassign"),
				`{"sales_contact_id":` + sales2 + `,"id":` + mgr + `}`, 400, "id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.t = t
				defer func() { a.t = t }()
				before := a.snapshot()
				var fields []string
				if c.field != "" {
					fields = []string{c.field}
				}
				code := crm.CodeInvalid
				if c.status == http.StatusForbidden {
					code = crm.CodeForbidden
				}
				a.doUnchecked(c.method, c.path, c.who, c.body).problem(t, c.status, code, fields...)
				a.unchanged(before, c.name)
			})
		}
	})
}

// TestAttackObjectLevelAuthorization: every write route, called by an
// employee who may not touch that object (another's client, contract or
// event), is 403 and changes nothing. The same calls by the owner or a
// manager succeed afterwards, so the 403 is about the object, not the call.
func TestAttackObjectLevelAuthorization(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		f := a.fixtures()
		start := time.Now().UTC().Add(96 * time.Hour).Truncate(time.Second)
		newEvent := crm.NewEvent{ContractID: f.signed, Name: "Intrusion", Start: start, End: start.Add(time.Hour), Location: "Nowhere", Attendees: 1}
		cases := []struct {
			name, who, method, path string
			body                    any
		}{
			{"SALES updates another's client", "sales2", "PATCH", objPath("clients", f.client), crm.ClientPatch{CompanyName: ptr("Mine now")}},
			{"SALES reassigns another's client to themself", "sales2", "POST", objPath("clients", f.client, "/reassign"), SalesContactRequest{SalesContactID: a.ids["sales2"]}},
			{"SALES updates another's unsigned contract", "sales2", "PATCH", objPath("contracts", f.unsigned), crm.ContractPatch{AmountDue: ptr(crm.Cents(0))}},
			{"SALES updates another's signed contract", "sales2", "PATCH", objPath("contracts", f.signed), crm.ContractPatch{AmountDue: ptr(crm.Cents(0))}},
			{"SALES signs another's contract", "sales2", "POST", objPath("contracts", f.unsigned, "/sign"), nil},
			{"SALES reassigns another's contract", "sales2", "POST", objPath("contracts", f.signed, "/reassign"), SalesContactRequest{SalesContactID: a.ids["sales2"]}},
			{"SALES creates an event on another's contract", "sales2", "POST", "/api/v1/events", newEvent},
			{"SALES changes the total of their signed contract", "sales", "PATCH", objPath("contracts", f.signed), crm.ContractPatch{TotalAmount: ptr(crm.Cents(1))}},
			{"SALES updates an event", "sales", "PATCH", objPath("events", f.assigned), crm.EventPatch{Location: ptr("Elsewhere")}},
			{"SUPPORT updates an event assigned to another", "support2", "PATCH", objPath("events", f.assigned), crm.EventPatch{Location: ptr("Elsewhere")}},
			{"SUPPORT updates an event without support", "support", "PATCH", objPath("events", f.unassigned), crm.EventPatch{Attendees: ptr(5)}},
			{"SUPPORT renames their own event", "support", "PATCH", objPath("events", f.assigned), crm.EventPatch{Name: ptr("Renamed")}},
			{"SUPPORT assigns themself", "support2", "POST", objPath("events", f.unassigned, "/assign"), SupportRequest{SupportContactID: a.ids["support2"]}},
			{"SUPPORT takes another's event", "support2", "POST", objPath("events", f.assigned, "/assign"), SupportRequest{SupportContactID: a.ids["support2"]}},
			{"SUPPORT unassigns another", "support2", "POST", objPath("events", f.assigned, "/unassign"), nil},
			{"SALES creates an employee", "sales", "POST", "/api/v1/employees", crm.NewEmployee{FirstName: "M", LastName: "E", Email: "me@epic.example", Role: crm.RoleManagement, Password: srvPassword}},
			{"SALES updates another employee", "sales", "PATCH", objPath("employees", a.ids["sales2"]), crm.EmployeePatch{Email: ptr("mine@epic.example")}},
			{"SUPPORT deletes an employee", "support", "DELETE", objPath("employees", a.ids["support2"]), nil},
			{"SALES deactivates a manager", "sales", "POST", objPath("employees", a.ids["mgr"], "/deactivate"), nil},
			{"SALES reactivates an employee", "sales", "POST", objPath("employees", a.ids["sales2"], "/reactivate"), nil},
			{"SALES resets a manager's password", "sales", "POST", objPath("employees", a.ids["mgr"], "/set-password"), SetPasswordRequest{Password: "a password of my choosing"}},
			{"SUPPORT creates a client", "support", "POST", "/api/v1/clients", crm.NewClient{FirstName: "A", LastName: "B", Email: "ab@x.example"}},
			{"SALES creates a contract", "sales", "POST", "/api/v1/contracts", crm.NewContract{ClientID: f.client, TotalAmount: 100}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a.t = t
				defer func() { a.t = t }()
				before := a.snapshot()
				a.do(c.method, c.path, c.who, c.body).problem(t, http.StatusForbidden, crm.CodeForbidden)
				a.unchanged(before, c.name)
			})
		}
		a.t = t
		// Raising the amount due is no permission of anyone's: only a refund
		// does it (409), even for the contract's sales contact.
		before := a.snapshot()
		a.do("PATCH", objPath("contracts", f.signed), "sales", crm.ContractPatch{AmountDue: ptr(crm.Cents(200000))}).
			problem(t, http.StatusConflict, crm.CodeConflict)
		a.unchanged(before, "SALES raises the amount due of their signed contract")
		// The rightful owners can.
		a.do("PATCH", objPath("clients", f.client), "sales", crm.ClientPatch{CompanyName: ptr("Still ours")}).expect(t, http.StatusOK)
		a.do("POST", "/api/v1/events", "sales", newEvent).expect(t, http.StatusCreated)
		a.do("PATCH", objPath("events", f.assigned), "support", crm.EventPatch{Location: ptr("Elsewhere")}).expect(t, http.StatusOK)
		a.do("POST", objPath("contracts", f.unsigned, "/sign"), "sales", nil).expect(t, http.StatusOK)
	})
}

// TestAttackHostileBodies: oversized, deeply nested, invalid UTF-8 and
// truncated bodies are refused quickly with 413 or 400, without a crash, and
// change nothing.
func TestAttackHostileBodies(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		f := a.fixtures()
		before := a.snapshot()
		client := a.ts.Client()
		send := func(method, path string, body io.Reader, length int64) reply {
			t.Helper()
			req, err := http.NewRequest(method, a.ts.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = length // -1: chunked, the size unknown in advance
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.token["sales"])
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return reply{status: resp.StatusCode, header: resp.Header, body: b}
		}
		timed := func(what string, max time.Duration, fn func()) {
			t.Helper()
			start := time.Now()
			fn()
			if d := time.Since(start); d > max {
				t.Errorf("%s took %s, want under %s", what, d, max)
			}
		}

		// Over 1 MiB: with a Content-Length, chunked, and exactly at the limit.
		big := []byte(`{"first_name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`)
		timed("1 MiB + with a length", 5*time.Second, func() {
			send("POST", "/api/v1/clients", bytes.NewReader(big), int64(len(big))).problem(t, http.StatusRequestEntityTooLarge, crm.CodeInvalid)
		})
		timed("1 MiB + chunked", 5*time.Second, func() {
			send("POST", "/api/v1/clients", io.MultiReader(bytes.NewReader(big)), -1).problem(t, http.StatusRequestEntityTooLarge, crm.CodeInvalid)
		})
		timed("64 MiB chunked", 10*time.Second, func() {
			// The server stops reading at the limit; the client may see the
			// connection close before it has sent everything.
			req, _ := http.NewRequest("PATCH", a.ts.URL+objPath("clients", f.client), io.LimitReader(zeros{}, 64<<20))
			req.ContentLength = -1
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+a.token["sales"])
			if resp, err := client.Do(req); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Errorf("64 MiB: %d %s", resp.StatusCode, b)
				}
			}
		})
		exact := []byte(`{"company_name":"` + strings.Repeat("a", MaxBodyBytes-19) + `"}`)
		if len(exact) != MaxBodyBytes {
			t.Fatalf("exact body is %d bytes", len(exact))
		}
		send("PATCH", objPath("clients", f.client), bytes.NewReader(exact), int64(len(exact))).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "company_name") // read whole, then too long a name
		a.unchanged(before, "big bodies")

		// Deeply nested JSON, open and closed, at the top and in a field.
		const depth = 10000
		for _, c := range []struct{ name, body string }{
			{"10,000 [ at the top", strings.Repeat("[", depth)},
			{"10,000 { at the top", strings.Repeat(`{"a":`, depth)},
			{"10,000 [ closed at the top", strings.Repeat("[", depth) + strings.Repeat("]", depth)},
			{"10,000 [ in a field", `{"first_name":` + strings.Repeat("[", depth)},
			{"10,000 { in a field", `{"first_name":` + strings.Repeat(`{"a":`, depth)},
			{"10,000 [ closed in a field", `{"first_name":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`},
			{"10,000 { closed in a field", `{"first_name":` + strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) + `}`},
			{"100,000 [ in a field", `{"first_name":` + strings.Repeat("[", 10*depth) + strings.Repeat("]", 10*depth) + `}`},
		} {
			timed(c.name, 2*time.Second, func() {
				send("POST", "/api/v1/clients", strings.NewReader(c.body), int64(len(c.body))).problem(t, http.StatusBadRequest, crm.CodeInvalid)
			})
		}
		a.do("GET", "/healthz", "", nil).expect(t, http.StatusOK)

		// Invalid UTF-8, in values and in keys.
		for name, body := range map[string]string{
			"0xff in a value":         "{\"first_name\":\"\xff\",\"last_name\":\"B\",\"email\":\"u1@x.example\"}",
			"0xff in a key":           "{\"first_\xffname\":\"A\",\"last_name\":\"B\",\"email\":\"u2@x.example\"}",
			"overlong /":              "{\"first_name\":\"\xc0\xaf\",\"last_name\":\"B\",\"email\":\"u3@x.example\"}",
			"UTF-8 encoded surrogate": "{\"first_name\":\"\xed\xa0\x80\",\"last_name\":\"B\",\"email\":\"u4@x.example\"}",
			"truncated sequence":      "{\"first_name\":\"\xe2\x82\",\"last_name\":\"B\",\"email\":\"u5@x.example\"}",
			"latin-1 é":               "{\"first_name\":\"Ren\xe9\",\"last_name\":\"B\",\"email\":\"u6@x.example\"}",
		} {
			r := send("POST", "/api/v1/clients", strings.NewReader(body), int64(len(body)))
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s, want 400", name, r.status, r.body)
			}
		}
		a.unchanged(before, "invalid UTF-8")

		// Every truncation of a valid body is 400, never a partial create.
		valid := `{"first_name":"Trunc","last_name":"Ated","email":"trunc@x.example","phone":"+33 6 12 34 56 78","company_name":"T"}`
		for i := 1; i < len(valid); i++ {
			r := send("POST", "/api/v1/clients", strings.NewReader(valid[:i]), int64(i))
			if r.status != http.StatusBadRequest {
				t.Fatalf("truncated to %q: %d %s, want 400", valid[:i], r.status, r.body)
			}
		}
		a.unchanged(before, "truncated bodies")
		send("POST", "/api/v1/clients", strings.NewReader(valid), int64(len(valid))).expect(t, http.StatusCreated)
	})
}

// TestAttackSurrogateEscapes: a JSON escape of a lone UTF-16 surrogate
// ("\ud800") is not a character; encoding/json silently turns it into U+FFFD,
// so the name stored would not be the one sent. It must be refused like raw
// invalid UTF-8.
func TestAttackSurrogateEscapes(t *testing.T) {
	a := newRig(t, "sqlite", rigOptions{})[0]
	before := a.snapshot()
	for _, s := range []string{`\ud800`, `\udfff`, `A\ud83dB`} {
		body := `{"first_name":"` + s + `","last_name":"B","email":"s@x.example"}`
		r := a.doUnchecked("POST", "/api/v1/clients", "sales", body)
		if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Fatalf("first_name %s is accepted (%d %s) and stored as U+FFFD instead of refused", s, r.status, r.body)
		}
	}
	a.unchanged(before, "lone surrogates")
	// A proper pair is a character, stored as sent.
	var cl crm.Client
	a.doUnchecked("POST", "/api/v1/clients", "sales", `{"first_name":"\ud83d\ude00","last_name":"B","email":"s@x.example"}`).
		decode(t, http.StatusCreated, &cl)
	if cl.FirstName != "😀" {
		t.Fatalf("first name %q", cl.FirstName)
	}
}

// zeros reads NUL bytes forever.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// sqlPayloads are SQL (and LIKE) metacharacters; NUL is refused as a control
// character, the others are stored and read back verbatim.
var sqlPayloads = []string{
	`' OR 1=1 --`,
	`"; DROP TABLE clients; --`,
	`Robert'); DROP TABLE employees;--`,
	`' UNION SELECT password_hash FROM employees --`,
	`%`,
	`_`,
	`\`,
	`100%_\_%`,
	`$1 ? :name @p1`,
	`a` + "\x00" + `b`,
	`'; SELECT pg_sleep(10); --`,
	`*/ /* -- #`,
}

// TestAttackSQLMetacharacters: SQL metacharacters in every string field are
// stored and read back identical, or refused with 422 (NUL) — never a 500,
// never a broken table; a search for them matches them literally.
func TestAttackSQLMetacharacters(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		f := a.fixtures()
		clients := a.count("clients")
		type stored struct{ first, last, company string }
		var created []stored
		for i, p := range sqlPayloads {
			nul := strings.ContainsRune(p, 0)
			// Names and company.
			in := crm.NewClient{FirstName: p, LastName: p, Email: fmt.Sprintf("sql%d@x.example", i), CompanyName: ptr(p)}
			r := a.do("POST", "/api/v1/clients", "sales", in)
			if nul {
				r.problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "first_name", "last_name", "company_name")
			} else {
				var cl crm.Client
				r.decode(t, http.StatusCreated, &cl)
				a.do("GET", objPath("clients", cl.ID), "support", nil).decode(t, http.StatusOK, &cl)
				if cl.FirstName != p || cl.LastName != p || cl.CompanyName == nil || *cl.CompanyName != p {
					t.Fatalf("payload %q read back as %q %q %v", p, cl.FirstName, cl.LastName, cl.CompanyName)
				}
				created = append(created, stored{p, p, p})
				// And through a PATCH.
				a.do("PATCH", objPath("clients", cl.ID), "sales", crm.ClientPatch{LastName: ptr("x" + p + "x")}).decode(t, http.StatusOK, &cl)
				if cl.LastName != "x"+p+"x" {
					t.Fatalf("patched payload %q read back as %q", p, cl.LastName)
				}
				created[len(created)-1].last = "x" + p + "x"
			}
			// Email: the payload in the local part is a valid address or a 422.
			r = a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "E", LastName: "Mail", Email: "a" + p + fmt.Sprintf("%d@x.example", i)})
			if r.status == http.StatusCreated {
				var cl crm.Client
				r.decode(t, http.StatusCreated, &cl)
				if cl.Email != strings.ToLower("a"+p+fmt.Sprintf("%d@x.example", i)) {
					t.Fatalf("email %q read back as %q", "a"+p, cl.Email)
				}
				created = append(created, stored{"E", "Mail", ""})
			} else {
				r.problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "email")
			}
			// Event name, location and notes.
			start := time.Now().UTC().Add(200 * time.Hour).Truncate(time.Second)
			r = a.do("POST", "/api/v1/events", "sales", crm.NewEvent{ContractID: f.signed, Name: p, Start: start, End: start.Add(time.Hour),
				Location: p, Attendees: 1, Notes: ptr(p)})
			if nul {
				r.problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "name", "location")
			} else {
				var e crm.Event
				r.decode(t, http.StatusCreated, &e)
				a.do("GET", objPath("events", e.ID), "support", nil).decode(t, http.StatusOK, &e)
				if e.Name != p || e.Location != p || e.Notes == nil || *e.Notes != p {
					t.Fatalf("event payload %q read back as %q %q %v", p, e.Name, e.Location, e.Notes)
				}
			}
			// Employee names, by a manager.
			var emp crm.Employee
			r = a.do("PATCH", objPath("employees", a.ids["support2"]), "mgr", crm.EmployeePatch{FirstName: ptr(p)})
			if nul {
				r.problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "first_name")
			} else {
				r.decode(t, http.StatusOK, &emp)
				if emp.FirstName != p {
					t.Fatalf("employee payload %q read back as %q", p, emp.FirstName)
				}
			}
			// Login and audit filters: refused or empty, never an error.
			if !nul { // NUL: TestAttackNULInFreeText
				a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: p, Password: p + " long enough to be a password"}).
					problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
			}
			// The audit entity is one of an allow-list.
			a.doUnchecked("GET", "/api/v1/audit?entity="+url.QueryEscape(p), "mgr", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "entity")
		}
		// Searches match literally: % and _ are not wildcards.
		for _, p := range sqlPayloads {
			if strings.ContainsRune(p, 0) {
				continue // NUL in a search: TestAttackNULInFreeText
			}
			var page Page[crm.Client]
			a.do("GET", "/api/v1/clients?limit=500&search="+url.QueryEscape(p), "support", nil).decode(t, http.StatusOK, &page)
			want := 0
			for _, c := range created {
				hay := strings.ToLower(c.first + " " + c.last + " " + c.company)
				if strings.Contains(hay, strings.ToLower(p)) {
					want++
				}
			}
			got := 0
			for _, c := range page.Items {
				hay := strings.ToLower(c.FirstName + " " + c.LastName + " " + c.Email + " " + deref(c.CompanyName))
				if !strings.Contains(hay, strings.ToLower(p)) {
					t.Fatalf("search %q matched %q %q %q %v, which does not contain it", p, c.FirstName, c.LastName, c.Email, c.CompanyName)
				}
				got++
			}
			if got < want {
				t.Fatalf("search %q found %d clients, want at least %d", p, got, want)
			}
		}
		// The tables are whole.
		if got, want := a.count("clients"), clients+len(created); got != want {
			t.Fatalf("%d clients, want %d", got, want)
		}
		for _, tbl := range []string{"employees", "clients", "contracts", "events", "audit_entries"} {
			a.count(tbl)
		}
		a.do("GET", "/api/v1/clients?limit=500", "support", nil).expect(t, http.StatusOK)
	})
}

// TestAttackNULInFreeText: the inputs that reach the database without the
// validation of names (a search, a login email, the keys of a cursor) holding
// NUL or other control characters are answered (200 matching nothing, 401)
// or refused (400), never a 500. PostgreSQL refuses NUL in any text
// parameter, and SQLite's full-text MATCH ends a string at NUL.
func TestAttackNULInFreeText(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{config: &crm.Config{ThrottleMax: 100, IPThrottleMax: 1000}})[0]
		a.fixtures()
		var bugs []string
		check := func(what string, r reply, ok ...int) {
			t.Helper()
			if r.status == http.StatusInternalServerError {
				bugs = append(bugs, what)
				return
			}
			if !slices.Contains(ok, r.status) {
				t.Fatalf("%s: %d %s, want one of %v", what, r.status, r.body, ok)
			}
		}
		for _, s := range []string{"a\x00b", "\x00", "Kev\x00", "\x00\x00\x00", "Cas\x01ey", "Ca\x1fsey", "Kevin\u2028"} {
			check(fmt.Sprintf("search %q", s), a.doUnchecked("GET", "/api/v1/clients?search="+url.QueryEscape(s), "support", nil),
				http.StatusOK, http.StatusBadRequest)
		}
		for _, s := range []string{"sales\x00@epic.example", "\x00", "a\x01b@x.example"} {
			check(fmt.Sprintf("login email %q", s), a.doUnchecked("POST", "/api/v1/auth/login", "",
				LoginRequest{Email: s, Password: "a wrong password, long enough"}), http.StatusUnauthorized, http.StatusBadRequest, http.StatusUnprocessableEntity)
		}
		for _, c := range []string{
			`{"k":"clients","l":"\u0000","f":"a","i":1}`,
			`{"k":"employees","l":"a","f":"\u0000","i":1}`,
		} {
			list := "/api/v1/" + strings.SplitN(strings.SplitN(c, `"k":"`, 2)[1], `"`, 2)[0]
			check(fmt.Sprintf("cursor %s", c), a.doUnchecked("GET", list+"?cursor="+base64.RawURLEncoding.EncodeToString([]byte(c)), "mgr", nil),
				http.StatusOK, http.StatusBadRequest)
		}
		if len(bugs) > 0 {
			t.Fatalf("500 on %s for: %s", engine, strings.Join(bugs, "; "))
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestAttackPathsAndQueries: SQL and garbage in path ids, query ids, page
// limits and cursors are 400 (or 404 for a well-formed id that does not
// exist) on every route, and change nothing.
func TestAttackPathsAndQueries(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newRig(t, engine, rigOptions{})[0]
		f := a.fixtures()
		before := a.snapshot()
		for _, id := range []string{
			"1%20OR%201=1", "1;DROP", "1%3BDROP%20TABLE%20clients", "1'", "1%27%20OR%20%271%27=%271", "-1", "0", "0x1", "1e3", "1.0",
			"99999999999999999999", "%00", "1%00", "%E2%80%AE1", " 1",
		} {
			for _, route := range []struct{ method, path string }{
				{"GET", "/api/v1/clients/" + id},
				{"PATCH", "/api/v1/clients/" + id},
				{"PATCH", "/api/v1/contracts/" + id},
				{"POST", "/api/v1/contracts/" + id + "/sign"},
				{"PATCH", "/api/v1/events/" + id},
				{"DELETE", "/api/v1/employees/" + id},
			} {
				var body any
				if route.method == "PATCH" {
					body = `{"company_name":"x"}`
				}
				if _, err := http.NewRequest(route.method, a.ts.URL+route.path, nil); err != nil {
					continue // not even a URL for the client: nothing is sent
				}
				r := a.doUnchecked(route.method, route.path, "mgr", body)
				if r.status != http.StatusBadRequest && r.status != http.StatusNotFound {
					t.Fatalf("%s %s: %d %s, want 400 or 404", route.method, route.path, r.status, r.body)
				}
			}
		}
		a.unchanged(before, "SQL in path ids")

		lists := []string{"/api/v1/employees", "/api/v1/clients", "/api/v1/contracts", "/api/v1/events", "/api/v1/audit"}
		for _, list := range lists {
			for _, q := range []string{
				"limit=-1", "limit=0", "limit=501", "limit=99999999999999999999", "limit=1.5", "limit=", "limit=%201", "limit=1e2",
				"limit=0x10", "limit=1%20OR%201=1", "cursor=garbage", "cursor=%27%20OR%201=1%20--",
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{}`)),
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"k":"nothing","i":1}`)),
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"k":"clients","i":-1}`)),
				"cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`[1,2,3]`)),
				"cursor=" + strings.Repeat("A", 100000),
			} {
				a.doUnchecked("GET", list+"?"+q, "mgr", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid)
			}
			for _, q := range []string{"limit=1", "limit=500"} {
				a.do("GET", list+"?"+q, "mgr", nil).expect(t, http.StatusOK)
			}
		}
		for _, q := range []string{
			"/api/v1/clients?sales_contact_id=1%20OR%201=1", "/api/v1/contracts?client_id=1;DROP", "/api/v1/events?contract_id=-1",
			"/api/v1/audit?entity_id=99999999999999999999", "/api/v1/audit?actor_id=1'", "/api/v1/employees?role=SALES'%20OR%20'1'='1",
			"/api/v1/events?from=2020-01-01T00:00:00Z'%20OR%201=1",
		} {
			a.doUnchecked("GET", q, "mgr", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid)
		}
		// A well-made cursor of the right list whose keys hold SQL: the
		// keys are bound parameters, so it is only an odd place to resume.
		for _, c := range []string{
			`{"k":"clients","l":"' OR 1=1 --","f":"\"; DROP TABLE clients; --","i":1}`,
			`{"k":"contracts","t":"2020-01-01T00:00:00Z","i":9223372036854775807}`,
		} {
			list := "/api/v1/" + strings.SplitN(strings.SplitN(c, `"k":"`, 2)[1], `"`, 2)[0]
			a.do("GET", list+"?cursor="+base64.RawURLEncoding.EncodeToString([]byte(c)), "mgr", nil).expect(t, http.StatusOK)
		}
		a.unchanged(before, "SQL in queries")
		a.do("GET", objPath("clients", f.client), "mgr", nil).expect(t, http.StatusOK)
	})
}

// TestAttackLoginBurst: a burst of logins with the real hasher is
// served without error: the hashes queue (at most one per core at once)
// rather than exhausting memory.
func TestAttackLoginBurst(t *testing.T) {
	a := newRig(t, "sqlite", rigOptions{hasher: auth.NewHasher(auth.DefaultParams),
		config: &crm.Config{ThrottleMax: 1000, IPThrottleMax: 1000}})[0]
	const n = 8
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, _, err := hit(a.ts.Client(), a.ts.URL, "POST", "/api/v1/auth/login", "",
				LoginRequest{Email: fmt.Sprintf("burst%d@epic.example", i), Password: "a wrong password, long enough"})
			if err != nil {
				t.Error(err)
			}
			statuses[i] = s
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusUnauthorized {
			t.Errorf("login %d: %d, want 401", i, s)
		}
	}
}
