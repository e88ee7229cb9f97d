package webui

import (
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// pageBudget is the most a page may take to render on the server, at 10
// thousand and at 1 million rows.
const pageBudget = 30 * time.Millisecond

// benchPages are the GET pages of the UI that BenchmarkPages renders, each as
// the role that opens it in its daily work. A path may name the records the
// benchmark picks in the data (see benchData.replacer); adding a page is one
// line here.
var benchPages = []struct {
	name string
	role crm.Role // "" for a page without a session
	path string
}{
	{"login", "", "/login"},
	{"home/management", crm.RoleManagement, "/"},
	{"home/sales", crm.RoleSales, "/"},
	{"home/support", crm.RoleSupport, "/"},
	{"me", crm.RoleSales, "/me"},

	{"clients", crm.RoleSales, "/clients"},
	{"clients/next", crm.RoleSales, "{clients-next}"},
	{"clients/search-rare", crm.RoleSales, "/clients?search=casey"},
	{"clients/search-common", crm.RoleSales, "/clients?search=marchand"},
	{"clients/search-two-words", crm.RoleSales, "/clients?search=amelie+martin"},
	{"clients/mine", crm.RoleSales, "/clients?mine=1"},
	{"clients/sales-contact", crm.RoleManagement, "/clients?sales_contact_id={sales}"},
	{"client/sales", crm.RoleSales, "/clients/{client}"},
	{"client/management", crm.RoleManagement, "/clients/{client}"},
	{"client/big-account/sales", crm.RoleSales, "/clients/{big}"},
	{"client/big-account/management", crm.RoleManagement, "/clients/{big}"},
	{"client/edit", crm.RoleSales, "/clients/{client}/edit"},
	{"client/new", crm.RoleSales, "/clients/new"},

	{"contracts", crm.RoleSales, "/contracts"},
	{"contracts/unsigned", crm.RoleManagement, "/contracts?unsigned=1"},
	{"contracts/unpaid", crm.RoleManagement, "/contracts?unpaid=1"},
	{"contracts/mine", crm.RoleSales, "/contracts?mine=1"},
	{"contracts/client", crm.RoleSales, "/contracts?client_id={client}"},
	{"contract/management", crm.RoleManagement, "/contracts/{contract}"},
	{"contract/edit", crm.RoleManagement, "/contracts/{contract}/edit"},
	{"contract/new", crm.RoleManagement, "/contracts/new?client_id={client}"},

	{"events", crm.RoleSales, "/events"},
	{"events/upcoming", crm.RoleSales, "/events?upcoming=1"},
	{"events/without-support", crm.RoleManagement, "/events?without_support=1"},
	{"events/mine", crm.RoleSupport, "/events?mine=1"},
	{"events/contract", crm.RoleSales, "/events?contract_id={contract}"},
	{"events/week", crm.RoleSales, "/events?from={from}&to={to}"},
	{"event/support", crm.RoleSupport, "/events/{event}"},
	{"event/management", crm.RoleManagement, "/events/{event}"},
	{"event/edit", crm.RoleManagement, "/events/{event}/edit"},
	{"event/new", crm.RoleSales, "/events/new?contract_id={contract}"},

	{"employees", crm.RoleManagement, "/employees"},
	{"employees/all", crm.RoleManagement, "/employees?all=1"},
	{"employee", crm.RoleManagement, "/employees/{sales}"},
	{"employee/edit", crm.RoleManagement, "/employees/{sales}/edit"},
	{"employee/new", crm.RoleManagement, "/employees/new"},
	{"audit", crm.RoleManagement, "/audit"},
	{"audit/contract", crm.RoleManagement, "/audit?entity=contract&entity_id={contract}"},
	{"audit/actor", crm.RoleManagement, "/audit?actor_id={sales}"},
}

// benchClients is the number of demo clients of the benchmark's database
// (as many contracts and events): EPICEVENTS_BENCH_CLIENTS, 10,000 by
// default.
func benchClients(tb testing.TB) int {
	n := 10_000
	if s := os.Getenv("EPICEVENTS_BENCH_CLIENTS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			tb.Fatalf("EPICEVENTS_BENCH_CLIENTS=%q: want a number of clients", s)
		}
	}
	return n
}

// BenchmarkPages renders every page of benchPages through the UI's whole
// handler chain (request id, security headers, cross-origin check, the
// session read from its cookie and checked against the database, the
// service, the store, the template, compression when asked for) as a browser
// logged in through POST /login would ask for it, without sockets, on the
// demo data of EPICEVENTS_BENCH_CLIENTS clients, on SQLite and on
// PostgreSQL when EPICEVENTS_TEST_POSTGRES_URL is set. A page slower than
// pageBudget fails the benchmark. BENCHMARKS.md ("The web UI") has the
// figures and the commands:
//
//	go test ./internal/webui -run XXX -bench Pages -benchtime 50x
//	EPICEVENTS_BENCH_CLIENTS=1000000 go test ./internal/webui -run XXX -bench Pages/sqlite -benchtime 20x -timeout 60m
func BenchmarkPages(b *testing.B) {
	n := benchClients(b)
	for _, engine := range testdb.Engines() {
		b.Run(engine, func(b *testing.B) {
			d := newBenchData(b, engine, n)
			for _, p := range benchPages {
				b.Run(p.name, func(b *testing.B) {
					req := d.request(b, p.role, d.replacer.Replace(p.path))
					// Once outside the loop: a page that answers anything but
					// 200 measures nothing.
					if w := d.serve(req); w.status != http.StatusOK {
						b.Fatalf("GET %s as %s: status %d", req.URL, p.role, w.status)
					}
					b.ReportAllocs()
					var bytes int
					for b.Loop() {
						w := d.serve(req)
						if w.status != http.StatusOK {
							b.Fatalf("GET %s as %s: status %d", req.URL, p.role, w.status)
						}
						bytes = w.n
					}
					b.ReportMetric(float64(bytes), "gzip-bytes")
					if per := b.Elapsed() / time.Duration(b.N); per > pageBudget {
						b.Errorf("GET %s as %s takes %v a page at %d clients on %s; the budget is %v",
							p.path, p.role, per.Round(time.Microsecond), n, engine, pageBudget)
					}
				})
			}
			// What a first visit downloads, as sent, over this data (the
			// loop times Ada's, over a loopback connection).
			b.Run("first-visit", func(b *testing.B) {
				ts := httptest.NewServer(d.srv)
				defer ts.Close()
				for b.Loop() {
					if _, err := firstVisit(ts.URL, d.emails[crm.RoleManagement], d.password[crm.RoleManagement]); err != nil {
						b.Fatal(err)
					}
				}
				for _, role := range []crm.Role{crm.RoleManagement, crm.RoleSales, crm.RoleSupport} {
					v, err := firstVisit(ts.URL, d.emails[role], d.password[role])
					if err != nil {
						b.Fatal(err)
					}
					if v.total() >= firstVisitBudget {
						b.Errorf("a first visit as %s downloads %d bytes; the budget is under %d:\n%s", role, v.total(), firstVisitBudget, v)
					}
					b.ReportMetric(float64(v.total()), "bytes-"+strings.ToLower(string(role)))
				}
			})
		})
	}
}

// benchData is the UI over a database holding the demo data, the session
// cookies of one employee of each role, and the records the pages show.
type benchData struct {
	srv      *Server
	sessions map[crm.Role]*http.Cookie
	emails   map[crm.Role]string
	password map[crm.Role]string
	replacer *strings.Replacer
}

// bigAccount is the size of the account of a large client the benchmark
// adds to the demo data (whose clients hold a few contracts at most): a
// page of contracts, each with two events.
const bigAccount = listRows

// newBenchData loads the demo data of n clients into a fresh database of
// engine, logs in Ada Lovelace (MANAGEMENT), Bill Boquet (SALES) and Kate
// Hastroff (SUPPORT) through POST /login, and picks the records of the
// pages: Bill's client with the most contracts, its signed contract with
// the most events, and an event of that contract. It adds a client of
// Bill's with bigAccount signed contracts of two events each.
func newBenchData(b *testing.B, engine string, n int) *benchData {
	b.Helper()
	w := testdb.NewDemoWorld(b, engine, n)
	srv, err := New(w.Service, Options{Location: time.UTC, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	d := &benchData{srv: srv, sessions: map[crm.Role]*http.Cookie{},
		emails:   map[crm.Role]string{crm.RoleManagement: testdb.DemoManagerEmail},
		password: map[crm.Role]string{crm.RoleManagement: testdb.DemoManagerPassword}}
	var bill int64
	for _, e := range w.Staff { // the first of each role: Bill Boquet, Kate Hastroff
		if _, ok := d.emails[e.Role]; !ok {
			d.emails[e.Role], d.password[e.Role] = e.Email, e.Password
			if e.Role == crm.RoleSales {
				bill = e.ID
			}
		}
	}
	for role, email := range d.emails {
		d.sessions[role] = d.login(b, email, d.password[role])
	}

	ctx := context.Background()
	db := w.DB.SQL()
	if engine == "postgres" {
		// The state autovacuum leaves a loaded table in a minute later: the
		// visibility map set, so that the lists read their indexes and the
		// value signed per month its totals' key alone (the bulk load's
		// transaction can only ANALYZE).
		if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE) clients, contracts, events, contract_due_totals, contract_signed_totals"); err != nil {
			b.Fatal(err)
		}
	}
	var client, contract, event int64
	if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT k.client_id FROM contracts k JOIN clients c ON c.id = k.client_id
		WHERE c.sales_contact_id = %d GROUP BY k.client_id ORDER BY COUNT(*) DESC, k.client_id LIMIT 1`, bill)).Scan(&client); err != nil {
		b.Fatalf("Bill's busiest client: %v", err)
	}
	if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT k.id FROM contracts k LEFT JOIN events e ON e.contract_id = k.id
		WHERE k.client_id = %d AND k.sales_contact_id = %d AND k.signed_at IS NOT NULL
		GROUP BY k.id ORDER BY COUNT(e.id) DESC, k.id LIMIT 1`, client, bill)).Scan(&contract); err != nil {
		b.Fatalf("a signed contract of client %d: %v", client, err)
	}
	if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT MIN(id) FROM events WHERE contract_id = %d`, contract)).Scan(&event); err != nil {
		b.Fatalf("an event of contract %d: %v", contract, err)
	}
	big := d.addBigAccount(b, w, bill)
	from := time.Now().UTC().AddDate(0, 0, 30)
	d.replacer = strings.NewReplacer(
		"{client}", strconv.FormatInt(client, 10),
		"{contract}", strconv.FormatInt(contract, 10),
		"{event}", strconv.FormatInt(event, 10),
		"{big}", strconv.FormatInt(big, 10),
		"{sales}", strconv.FormatInt(bill, 10),
		"{from}", from.Format(time.DateOnly),
		"{to}", from.AddDate(0, 0, 6).Format(time.DateOnly),
		"{clients-next}", d.nextLink(b, crm.RoleSales, "/clients"),
	)
	return d
}

// addBigAccount adds, through the service, a client of Bill's (id bill)
// with bigAccount signed contracts of two events each, and returns its id.
func (d *benchData) addBigAccount(b *testing.B, w testdb.DemoWorld, bill int64) int64 {
	b.Helper()
	ctx := context.Background()
	ada, _, err := w.DB.GetEmployeeByEmail(ctx, testdb.DemoManagerEmail)
	if err != nil {
		b.Fatal(err)
	}
	billE, err := w.DB.GetEmployee(ctx, bill)
	if err != nil {
		b.Fatal(err)
	}
	asAda, asBill := crm.WithActor(ctx, crm.Actor{Employee: ada}), crm.WithActor(ctx, crm.Actor{Employee: billE})
	company := "Big Account Holdings"
	c, err := w.Service.CreateClient(asBill, crm.NewClient{FirstName: "Beatrix", LastName: "Bigaccount",
		Email: "beatrix@bigaccount.example", CompanyName: &company})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Hour)
	for i := range bigAccount {
		k, err := w.Service.CreateContract(asAda, crm.NewContract{ClientID: c.ID, TotalAmount: crm.Cents(100_000 + i), Signed: true})
		if err != nil {
			b.Fatal(err)
		}
		for j := range 2 {
			at := start.AddDate(0, 0, 7*i+j-100)
			if _, err := w.Service.CreateEvent(asBill, crm.NewEvent{ContractID: k.ID, Name: fmt.Sprintf("Big Account event %d.%d", i, j),
				Start: at, End: at.Add(3 * time.Hour), Location: "Paris", Attendees: 50 + i}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return c.ID
}

// login sends the login form and returns the session cookie it sets.
func (d *benchData) login(b *testing.B, email, password string) *http.Cookie {
	b.Helper()
	form := url.Values{"email": {email}, "password": {password}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	rec := httptest.NewRecorder()
	d.srv.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	b.Fatalf("login as %s: %d, no session cookie", email, rec.Code)
	return nil
}

// nextLink is the "Next" link of the page at path.
func (d *benchData) nextLink(b *testing.B, role crm.Role, path string) string {
	b.Helper()
	req := d.request(b, role, path)
	req.Header.Del("Accept-Encoding")
	rec := httptest.NewRecorder()
	d.srv.ServeHTTP(rec, req)
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		b.Fatalf("GET %s: %d, no Next link", path, rec.Code)
	}
	return html.UnescapeString(m[1])
}

// request is a GET of path as a browser holding the session of role sends
// it (no session for role "").
func (d *benchData) request(b *testing.B, role crm.Role, path string) *http.Request {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Accept-Encoding", "gzip")
	if role != "" {
		req.AddCookie(d.sessions[role])
	}
	return req
}

// serve answers req into a writer that counts the body and keeps nothing,
// so that the benchmark measures the server and not a recorder.
func (d *benchData) serve(req *http.Request) *countingWriter {
	w := &countingWriter{h: http.Header{}}
	d.srv.ServeHTTP(w, req)
	return w
}

// countingWriter is a ResponseWriter that keeps the status and the number of
// body bytes.
type countingWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
