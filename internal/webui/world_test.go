package webui

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// This file is the fixture of the tests of pages: a world, that is the UI
// over a real service on a fresh database, with a small CRM in it, and
// clients (handler tests) and browsers (browser tests) logged in as any of
// its people through the real login form. docs/webui.md ("How to add a
// page") shows how to use it.
//
// The people (every password is testPassword):
//
//	key      name            role        email
//	ada      Ada Lovelace    MANAGEMENT  ada@epic.example
//	bill     Bill Boquet     SALES       bill@epic.example
//	chloe    Chloé Durand    SALES       chloe@epic.example
//	kate     Kate Hastroff   SUPPORT     kate@epic.example
//	alienor  Aliénor Vichum  SUPPORT     alienor@epic.example
//	olga     Olga Former     SALES       olga@epic.example    (deactivated)
//
// Their clients, contracts and events, "now" being worldNow (Monday 4 May
// 2026, 09:00 in Paris):
//
//	client  name (company)                     sales  first contact
//	kevin   Kevin Casey (Cool Startup LLC)     bill   18 Apr 2021 (last update 29 Mar 2023)
//	john    John Ouick                         bill   10 Jan 2023
//	jacky   Jacky Blangier (Lou Bouzin)        chloe  1 Feb 2023
//	lea     Léa Martin (Atelier Lumière)       chloe  4 Apr 2026
//
//	contract       client  total      due        signed
//	wedding        john    12000.00   0.00       yes (contract of the wedding)
//	assembly       jacky   3000.00    0.00       yes (contract of the assembly)
//	kevinUnsigned  kevin   5000.00    5000.00    no
//	kevinSigned    kevin   20000.00   8000.00    yes
//	leaSigned      lea     9500.00    9500.00    yes
//	leaUnsigned    lea     1200.00    1200.00    no
//
//	event        name                           contract     when (Paris)                   support
//	wedding      John Ouick Wedding             wedding      4 Jun 2023 13:00 → 5 Jun 02:00 kate
//	assembly     Lou Bouzin General Assembly    assembly     5 May 2023 15:00 → 17:00       alienor
//	launch       Cool Startup Launch Party      kevinSigned  today 18:00 → 23:00            kate
//	offsite      Cool Startup Team Offsite      kevinSigned  tomorrow 09:00 → 17:00         kate
//	dinner       Cool Startup Board Dinner      kevinSigned  Friday 19:30 → 23:00           alienor
//	anniversary  Cool Startup Anniversary       kevinSigned  in 45 days, 18:00 → 23:30      kate
//	gala         Atelier Lumière Gala           leaSigned    in 20 days, 19:00 → 23:59      nobody
//
// The first two clients and events are the product's sample records (those
// `epicevents demo` adds), with their details.

// worldNow is the world's "now": Monday 4 May 2026, 09:00 in Paris.
var worldNow = time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)

// testClock is the service's clock, which a test moves (idle and absolute
// session limits) without sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

// Now is the clock's time.
func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Set puts the clock at t.
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// world is the UI over a real service on a fresh database holding the CRM
// described above.
type world struct {
	t      testing.TB
	engine string
	db     *sqlstore.DB
	svc    *crm.Service
	srv    *Server
	ts     *httptest.Server // plain HTTP on 127.0.0.1: browsers keep __Host- cookies there
	clock  *testClock
	paris  *time.Location
	logs   *syncBuffer // the UI's log lines (JSON)

	people    map[string]crm.Employee
	clients   map[string]crm.Client
	contracts map[string]crm.Contract
	events    map[string]crm.Event
}

// worldOption changes how a world is built.
type worldOption func(*crm.Config)

// withConfig sets the service's tunables (throttle allowances, session
// limits); zero fields keep the product's defaults.
func withConfig(c crm.Config) worldOption {
	return func(cfg *crm.Config) { *cfg = c }
}

// forEachEngine runs fn with a new world on SQLite, and on PostgreSQL when
// EPICEVENTS_TEST_POSTGRES_URL is set (skipped with a message otherwise).
func forEachEngine(t *testing.T, fn func(t *testing.T, w *world), opts ...worldOption) {
	t.Helper()
	testdb.ForEach(t, func(t *testing.T, engine string) {
		fn(t, newWorld(t, engine, opts...))
	})
}

// newWorld builds the UI over a fresh database of engine ("sqlite" or
// "postgres") and fills it; the server stops when the test ends.
func newWorld(t testing.TB, engine string, opts ...worldOption) *world {
	t.Helper()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cfg := crm.Config{}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.Location = paris
	clk := &testClock{t: worldNow}
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	db := testdb.Open(t, engine)
	w := &world{t: t, engine: engine, db: db, clock: clk, paris: paris, logs: &syncBuffer{},
		people: map[string]crm.Employee{}, clients: map[string]crm.Client{},
		contracts: map[string]crm.Contract{}, events: map[string]crm.Event{}}
	w.svc = crm.NewService(crm.Deps{
		Store:            db,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Now:              clk.Now,
		Config:           cfg,
	})
	w.srv, err = New(w.svc, Options{Location: paris, Logger: slog.New(slog.NewJSONHandler(w.logs, nil)), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.seed()
	w.ts = httptest.NewServer(w.srv)
	t.Cleanup(w.ts.Close)
	return w
}

// roleKeys are the people a test logs in as for a role.
var roleKeys = map[crm.Role]string{crm.RoleManagement: "ada", crm.RoleSales: "bill", crm.RoleSupport: "kate"}

// as is a context acting as the person key, for calls to the service that
// set a test up (no session: the service trusts the actor it is given).
func (w *world) as(key string) context.Context {
	return crm.WithActor(context.Background(), crm.Actor{Employee: w.person(key)})
}

// person, client, contract and event return a record of the world by its
// key, and fail the test for a key the world does not have.
func (w *world) person(key string) crm.Employee       { return lookup(w.t, "person", w.people, key) }
func (w *world) client(key string) crm.Client         { return lookup(w.t, "client", w.clients, key) }
func (w *world) contract(key string) crm.Contract     { return lookup(w.t, "contract", w.contracts, key) }
func (w *world) event(key string) crm.Event           { return lookup(w.t, "event", w.events, key) }
func (w *world) ofRole(role crm.Role) crm.Employee    { return w.person(roleKeys[role]) }
func (w *world) at(day string, hhmm string) time.Time { return w.parse(day + " " + hhmm) }

func lookup[T any](t testing.TB, what string, m map[string]T, key string) T {
	t.Helper()
	v, ok := m[key]
	if !ok {
		t.Fatalf("the test world has no %s %q", what, key)
	}
	return v
}

// parse reads "2006-01-02 15:04" in Paris.
func (w *world) parse(s string) time.Time {
	w.t.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, w.paris)
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

// seed fills the world, at the dates the tables above say.
func (w *world) seed() {
	t := w.t
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	w.clock.Set(w.parse("2021-01-04 09:00"))
	ada, err := w.svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@epic.example", Password: testPassword})
	must(err)
	w.people["ada"] = ada
	for _, p := range []struct {
		key, first, last string
		role             crm.Role
	}{
		{"bill", "Bill", "Boquet", crm.RoleSales},
		{"chloe", "Chloé", "Durand", crm.RoleSales},
		{"kate", "Kate", "Hastroff", crm.RoleSupport},
		{"alienor", "Aliénor", "Vichum", crm.RoleSupport},
		{"olga", "Olga", "Former", crm.RoleSales},
	} {
		e, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: p.first, LastName: p.last,
			Email: p.key + "@epic.example", Role: p.role, Password: testPassword})
		must(err)
		w.people[p.key] = e
	}
	olga, err := w.svc.Deactivate(w.as("ada"), w.people["olga"].ID, nil)
	must(err)
	w.people["olga"] = olga

	client := func(key, sales, when, first, last, email, phone, company string) {
		t.Helper()
		w.clock.Set(w.parse(when))
		in := crm.NewClient{FirstName: first, LastName: last, Email: email}
		if phone != "" {
			in.Phone = &phone
		}
		if company != "" {
			in.CompanyName = &company
		}
		c, err := w.svc.CreateClient(w.as(sales), in)
		must(err)
		w.clients[key] = c
	}
	contract := func(key, client, when string, total, due crm.Cents, signed bool) {
		t.Helper()
		w.clock.Set(w.parse(when))
		c, err := w.svc.CreateContract(w.as("ada"), crm.NewContract{ClientID: w.clients[client].ID,
			TotalAmount: total, AmountDue: &due, Signed: signed})
		must(err)
		w.contracts[key] = c
	}
	event := func(key, contract, when, name string, start, end time.Time, location string, attendees int, notes, support string) {
		t.Helper()
		w.clock.Set(w.parse(when))
		k := w.contracts[contract]
		sales := "bill"
		if k.SalesContactID == w.people["chloe"].ID {
			sales = "chloe"
		}
		in := crm.NewEvent{ContractID: k.ID, Name: name, Start: start, End: end, Location: location, Attendees: attendees}
		if notes != "" {
			in.Notes = &notes
		}
		e, err := w.svc.CreateEvent(w.as(sales), in)
		must(err)
		if support != "" {
			e, err = w.svc.AssignSupport(w.as("ada"), e.ID, w.people[support].ID)
			must(err)
		}
		w.events[key] = e
	}

	// The sample records, as `epicevents demo` adds them.
	client("kevin", "bill", "2021-04-18 10:30", "Kevin", "Casey", "kevin@startup.io", "+678 123 456 78", "")
	client("john", "bill", "2023-01-10 11:00", "John", "Ouick", "john.ouick@gmail.com", "+1 234 567 8901", "")
	client("jacky", "chloe", "2023-02-01 14:00", "Jacky", "Blangier", "jacky@loubouzin.grd", "+666 12345", "Lou Bouzin")
	contract("wedding", "john", "2023-03-01 10:00", 1_200_000, 0, true)
	contract("assembly", "jacky", "2023-03-15 10:00", 300_000, 0, true)
	w.clock.Set(w.parse("2023-03-29 16:20"))
	kevin, err := w.svc.UpdateClient(w.as("bill"), w.clients["kevin"].ID, crm.ClientPatch{CompanyName: ptrTo("Cool Startup LLC")})
	must(err)
	w.clients["kevin"] = kevin
	event("wedding", "wedding", "2023-04-02 09:00", "John Ouick Wedding",
		w.at("2023-06-04", "13:00"), w.at("2023-06-05", "02:00"), "53 Rue du Château, 41120 Candé-sur-Beuvron, France", 75,
		"Wedding starts at 3PM, by the river. Catering is organized, reception starts at 5PM. Kate needs to organize the DJ for after party.",
		"kate")
	event("assembly", "assembly", "2023-04-03 09:00", "Lou Bouzin General Assembly",
		w.at("2023-05-05", "15:00"), w.at("2023-05-05", "17:00"), "Salle des fêtes de Mufflins", 200, "", "alienor")

	// Today's business.
	client("lea", "chloe", "2026-04-04 15:00", "Léa", "Martin", "lea@atelier-lumiere.example", "", "Atelier Lumière")
	contract("kevinUnsigned", "kevin", "2026-04-10 10:00", 500_000, 500_000, false)
	contract("kevinSigned", "kevin", "2026-04-12 10:00", 2_000_000, 800_000, true)
	contract("leaSigned", "lea", "2026-04-14 10:00", 950_000, 950_000, true)
	contract("leaUnsigned", "lea", "2026-04-20 10:00", 120_000, 120_000, false)
	day := func(n int) string { return worldNow.In(w.paris).AddDate(0, 0, n).Format("2006-01-02") }
	event("launch", "kevinSigned", "2026-04-15 10:00", "Cool Startup Launch Party",
		w.at(day(0), "18:00"), w.at(day(0), "23:00"), "Station F, 5 Parvis Alan Turing, 75013 Paris", 150, "", "kate")
	event("offsite", "kevinSigned", "2026-04-15 10:05", "Cool Startup Team Offsite",
		w.at(day(1), "09:00"), w.at(day(1), "17:00"), "Domaine de Chantilly, 60500 Chantilly", 40, "", "kate")
	event("dinner", "kevinSigned", "2026-04-15 10:10", "Cool Startup Board Dinner",
		w.at(day(4), "19:30"), w.at(day(4), "23:00"), "Le Train Bleu, Gare de Lyon, Paris", 12, "", "alienor")
	event("anniversary", "kevinSigned", "2026-04-15 10:15", "Cool Startup Anniversary",
		w.at(day(45), "18:00"), w.at(day(45), "23:30"), "Pavillon Ledoyen, Paris", 220, "", "kate")
	event("gala", "leaSigned", "2026-04-16 11:00", "Atelier Lumière Gala",
		w.at(day(20), "19:00"), w.at(day(20), "23:59"), "Musée des Arts Forains, Paris", 300, "", "")
	w.clock.Set(worldNow)
}

func ptrTo[T any](v T) *T { return &v }

// webClient stands in for a browser in handler tests: it keeps cookies
// (a cookie jar), sends forms as a page of the site does (same-origin), and
// follows no redirect, so that a test reads the 303 and where it leads.
type webClient struct {
	t   testing.TB
	w   *world
	jar *cookiejar.Jar
	hc  *http.Client
}

// reply is an answer to a webClient: its status, headers, body and the
// cookies it set.
type reply struct {
	Status  int
	Header  http.Header
	Body    string
	Cookies []*http.Cookie
}

// Location is where a redirect leads.
func (r reply) Location() string { return r.Header.Get("Location") }

// cookie is the cookie named name that the answer set, if any.
func (r reply) cookie(name string) (*http.Cookie, bool) {
	for _, c := range r.Cookies {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// newClient is a browser without a session.
func (w *world) newClient() *webClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	return &webClient{t: w.t, w: w, jar: jar, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// loginAs is a browser logged in as the employee of role that roleKeys
// names (Ada, Bill or Kate), through POST /login.
func (w *world) loginAs(role crm.Role) *webClient { return w.loginAsPerson(roleKeys[role]) }

// loginAsPerson is a browser logged in as the person key, through POST
// /login. It fails the test unless the login leads to my work with a
// session cookie.
func (w *world) loginAsPerson(key string) *webClient {
	w.t.Helper()
	c := w.newClient()
	r := c.login(w.person(key).Email, testPassword, "")
	if r.Status != http.StatusSeeOther || r.Location() != "/" {
		w.t.Fatalf("login as %s: %d to %q:\n%s", key, r.Status, r.Location(), r.Body)
	}
	if _, ok := c.session(); !ok {
		w.t.Fatalf("login as %s: no session cookie", key)
	}
	return c
}

// login sends the login form.
func (c *webClient) login(email, password, next string) reply {
	c.t.Helper()
	f := url.Values{"email": {email}, "password": {password}}
	if next != "" {
		f.Set("next", next)
	}
	return c.post("/login", f)
}

// get sends a GET of path, with the headers h (name, value pairs).
func (c *webClient) get(path string, h ...string) reply {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, h...)
}

// post sends form to path as the site's own page would (URL-encoded,
// Sec-Fetch-Site: same-origin), with the headers h (name, value pairs),
// which may override those.
func (c *webClient) post(path string, form url.Values, h ...string) reply {
	c.t.Helper()
	h = append([]string{"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin"}, h...)
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), h...)
}

func (c *webClient) do(method, path string, body io.Reader, h ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.w.ts.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(h); i += 2 {
		if h[i+1] == "" {
			req.Header.Del(h[i]) // a header the browser would not send
		} else {
			req.Header.Set(h[i], h[i+1])
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Cookies: resp.Cookies()}
}

// session is the session cookie the client holds, if any.
func (c *webClient) session() (*http.Cookie, bool) {
	u, _ := url.Parse(c.w.ts.URL)
	for _, k := range c.jar.Cookies(u) {
		if k.Name == sessionCookie {
			return k, true
		}
	}
	return nil, false
}

// setSession makes the client hold value as its session cookie (a stolen or
// forged one).
func (c *webClient) setSession(value string) {
	u, _ := url.Parse(c.w.ts.URL)
	c.jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/", Secure: true, HttpOnly: true}})
}

// browse opens path in Chromium as the employee of role that roleKeys names,
// logged in through the real login form (see browseAs).
func (w *world) browse(t *testing.T, role crm.Role, path string, opts ...browsertest.Option) *browsertest.Page {
	t.Helper()
	return w.browseAs(t, roleKeys[role], path, opts...)
}

// browseAs opens the login page with ?next=path in a fresh browser (its own
// cookies), types the person's email and password, sends the form, and
// checks that the browser landed on path holding its session cookie. The
// options are the page's (width, no JavaScript, dark).
func (w *world) browseAs(t *testing.T, key, path string, opts ...browsertest.Option) *browsertest.Page {
	t.Helper()
	p := browsertest.Open(t, w.ts.URL+"/login?next="+url.QueryEscape(path), opts...)
	p.Fill("#login-email", w.person(key).Email)
	p.Fill("#login-password", testPassword)
	p.Click("#login-submit")
	if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != path {
		t.Fatalf("logging in as %s for %s led to %s (status %d)", key, path, got, p.Status())
	}
	if _, ok := p.Cookie(sessionCookie); !ok {
		t.Fatalf("logged in as %s, the browser holds no session cookie", key)
	}
	return p
}

// TestWorld: the fixture holds what its table says, on each engine, so that
// the tests of pages can rely on it.
func TestWorld(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		day := func(tm time.Time) string { return tm.In(w.paris).Format("2006-01-02 15:04") }
		kevin := w.client("kevin")
		if kevin.FirstName+" "+kevin.LastName != "Kevin Casey" || *kevin.Phone != "+67812345678" || *kevin.CompanyName != "Cool Startup LLC" ||
			kevin.SalesContactID != w.person("bill").ID || day(kevin.CreatedAt) != "2021-04-18 10:30" || day(kevin.UpdatedAt) != "2023-03-29 16:20" {
			t.Errorf("Kevin Casey: %+v", kevin)
		}
		wedding := w.event("wedding")
		if wedding.Name != "John Ouick Wedding" || wedding.ClientName != "John Ouick" || day(wedding.Start) != "2023-06-04 13:00" ||
			day(wedding.End) != "2023-06-05 02:00" || *wedding.SupportContactName != "Kate Hastroff" || wedding.Attendees != 75 ||
			wedding.ContractID != w.contract("wedding").ID || !strings.HasPrefix(*wedding.Notes, "Wedding starts at 3PM") {
			t.Errorf("the wedding: %+v", wedding)
		}
		assembly := w.event("assembly")
		if assembly.ClientName != "Jacky Blangier" || *assembly.SupportContactName != "Aliénor Vichum" || assembly.Attendees != 200 ||
			day(assembly.Start) != "2023-05-05 15:00" || day(assembly.End) != "2023-05-05 17:00" {
			t.Errorf("the assembly: %+v", assembly)
		}
		if gala := w.event("gala"); gala.SupportContactID != nil || !gala.Start.After(worldNow) {
			t.Errorf("the gala: %+v", gala)
		}
		if k := w.contract("kevinSigned"); !k.Signed || k.AmountDue != 800_000 || k.TotalAmount != 2_000_000 {
			t.Errorf("Kevin's signed contract: %+v", k)
		}
		if k := w.contract("leaUnsigned"); k.Signed || k.SalesContactID != w.person("chloe").ID {
			t.Errorf("Léa's unsigned contract: %+v", k)
		}
		if w.person("olga").Active {
			t.Error("Olga is active")
		}
		for role, key := range roleKeys {
			if e := w.ofRole(role); e.Role != role || e.Email != key+"@epic.example" || !e.Active {
				t.Errorf("%s: %+v", role, e)
			}
		}
		if !w.clock.Now().Equal(worldNow) {
			t.Errorf("the clock is at %v", w.clock.Now())
		}
		// The service's tunables are the test's to set.
		strict := newWorld(t, w.engine, withConfig(crm.Config{ThrottleMax: 1}))
		c := strict.newClient()
		wantStatus(t, c.login("bill@epic.example", "not the password, not at all", ""), http.StatusUnauthorized)
		wantStatus(t, c.login("bill@epic.example", testPassword, ""), http.StatusTooManyRequests)
		// Every person logs in with testPassword, but Olga (deactivated).
		for key := range w.people {
			_, err := w.svc.LoginWeb(context.Background(), w.person(key).Email, testPassword)
			if (err == nil) != (key != "olga") {
				t.Errorf("login of %s: %v", key, err)
			}
		}
	})
}
