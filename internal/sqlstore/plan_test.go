package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// explainConn records SQLite's query plan of every query before running it.
type explainConn struct {
	conn
	t     *testing.T
	plans []string
}

func (c *explainConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		c.t.Fatalf("explain %s: %v", query, err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			c.t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Close(); err != nil {
		c.t.Fatal(err)
	}
	c.plans = append(c.plans, strings.Join(plan, "\n"))
	return c.conn.QueryContext(ctx, query, args...)
}

// TestListPlansDoNotSort checks, on SQLite, that every paged list without a
// search walks an index in the list's order and stops after a page, instead
// of reading and sorting every matching row: SQLite has no statistics, so its
// plans do not depend on the data and an empty database shows them. A sort
// here is what made `events list --mine` take 2.4 s at a million events.
// PostgreSQL plans from statistics of the real data; scripts/explain.sh
// shows its plans on a database that `epicevents demo` filled.
func TestListPlansDoNotSort(t *testing.T) {
	ctx := t.Context()
	db := planSQLite(t)
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}

	id := int64(2)
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, 7)
	page := crm.Page{Limit: 100}
	none := func(any) error { return nil }
	cases := []struct {
		name string
		run  func() error
	}{
		{"employees", func() error {
			_, err := q.ListEmployees(ctx, crm.EmployeeFilter{Page: page}, func(crm.Employee) error { return nil })
			return err
		}},
		{"clients", func() error { return listClients(ctx, q, crm.ClientFilter{Page: page}, none) }},
		{"clients --sales-contact", func() error {
			return listClients(ctx, q, crm.ClientFilter{SalesContactID: &id, Page: page}, none)
		}},
		{"contracts", func() error { return listContracts(ctx, q, crm.ContractFilter{Page: page}, none) }},
		{"contracts --unsigned", func() error { return listContracts(ctx, q, crm.ContractFilter{Unsigned: true, Page: page}, none) }},
		{"contracts --unpaid", func() error { return listContracts(ctx, q, crm.ContractFilter{Unpaid: true, Page: page}, none) }},
		{"contracts --sales-contact", func() error {
			return listContracts(ctx, q, crm.ContractFilter{SalesContactID: &id, Page: page}, none)
		}},
		// My work of a sales rep: their unsigned contracts, and those with
		// money due (which once sorted every one of them, by the report
		// index contracts_due_idx: 1.7 s at a million contracts).
		{"contracts --sales-contact --unsigned", func() error {
			return listContracts(ctx, q, crm.ContractFilter{SalesContactID: &id, Unsigned: true, Page: page}, none)
		}},
		{"contracts --sales-contact --unpaid", func() error {
			return listContracts(ctx, q, crm.ContractFilter{SalesContactID: &id, Unpaid: true, Page: page}, none)
		}},
		{"events", func() error { return listEvents(ctx, q, crm.EventFilter{Page: page}, none) }},
		{"events --without-support", func() error {
			return listEvents(ctx, q, crm.EventFilter{WithoutSupport: true, Page: page}, none)
		}},
		{"events --support-contact", func() error {
			return listEvents(ctx, q, crm.EventFilter{SupportContactID: &id, Page: page}, none)
		}},
		{"events --sales-contact", func() error {
			return listEvents(ctx, q, crm.EventFilter{SalesContactID: &id, Page: page}, none)
		}},
		{"events --from --to", func() error {
			return listEvents(ctx, q, crm.EventFilter{From: &day, To: &week, Page: page}, none)
		}},
		{"audit", func() error {
			_, err := q.ListAudit(ctx, crm.AuditFilter{Page: page}, func(crm.AuditEntry) error { return nil })
			return err
		}},
	}
	for _, tc := range cases {
		ec.plans = nil
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%s: %d queries, want 1", tc.name, len(ec.plans))
		}
		if strings.Contains(ec.plans[0], "TEMP B-TREE") {
			t.Errorf("%s sorts its matches instead of walking an index in order:\n%s", tc.name, ec.plans[0])
		}
	}
}

func listClients(ctx context.Context, q *queries, f crm.ClientFilter, emit func(any) error) error {
	_, err := q.ListClients(ctx, f, func(c crm.Client) error { return emit(c) })
	return err
}

func listContracts(ctx context.Context, q *queries, f crm.ContractFilter, emit func(any) error) error {
	_, err := q.ListContracts(ctx, f, func(c crm.Contract) error { return emit(c) })
	return err
}

func listEvents(ctx context.Context, q *queries, f crm.EventFilter, emit func(any) error) error {
	_, err := q.ListEvents(ctx, f, func(e crm.Event) error { return emit(e) })
	return err
}

// scanClients is a step of an SQLite plan that reads the clients table, or
// one of its indexes, from end to end.
var scanClients = regexp.MustCompile(`(?m)^SCAN c( |$)`)

// searchPlanCases are the searches whose plans must use the search index:
// each has a word of three characters or more, and finds few clients.
var searchPlanCases = []struct {
	name   string
	filter func(sales int64) crm.ClientFilter
}{
	{"--search 'john ouick'", func(int64) crm.ClientFilter { return crm.ClientFilter{Search: "john ouick"} }},
	{"--search 'ouick jo' (a short word beside)", func(int64) crm.ClientFilter { return crm.ClientFilter{Search: "ouick jo"} }},
	{"--search 'jacky 12345' (a name and a phone)", func(int64) crm.ClientFilter { return crm.ClientFilter{Search: "jacky 12345"} }},
	{"--search 'ALIÉNOR vichum'", func(int64) crm.ClientFilter { return crm.ClientFilter{Search: "ALIÉNOR vichum"} }},
	{"--sales-contact --search 'kevin casey'", func(s int64) crm.ClientFilter {
		return crm.ClientFilter{Search: "kevin casey", SalesContactID: &s}
	}},
}

// TestSearchPlansSQLite checks, on SQLite, that a search with a word of three
// characters or more asks the trigram index (clients_fts) for its clients
// and reads those rows by id, never scanning the clients; and that a search
// of shorter words only walks the name index in the list's order (no sort),
// stopping after a page. SQLite has no statistics, so an empty database
// shows the plans of any size.
func TestSearchPlansSQLite(t *testing.T) {
	ctx := t.Context()
	db := planSQLite(t)
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}
	plan := func(f crm.ClientFilter) string {
		t.Helper()
		ec.plans = nil
		f.Page = crm.Page{Limit: 100}
		if err := listClients(ctx, q, f, func(any) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%d queries, want 1", len(ec.plans))
		}
		return ec.plans[0]
	}
	for _, tc := range searchPlanCases {
		p := plan(tc.filter(2))
		if !strings.Contains(p, "SCAN clients_fts VIRTUAL TABLE") || !strings.Contains(p, "SEARCH c USING INTEGER PRIMARY KEY") ||
			scanClients.MatchString(p) {
			t.Errorf("%s does not read its clients through the search index:\n%s", tc.name, p)
		}
	}
	p := plan(crm.ClientFilter{Search: "jo ou"})
	if !strings.Contains(p, "SCAN c USING INDEX clients_name_idx") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("--search 'jo ou' does not walk the name order:\n%s", p)
	}
}

// pgExplainConn records PostgreSQL's plan (EXPLAIN, JSON) of every query
// before running it.
type pgExplainConn struct {
	conn
	t     *testing.T
	plans []any
}

func (c *pgExplainConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	var out []byte
	if err := c.conn.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query, args...).Scan(&out); err != nil {
		c.t.Fatalf("explain %s: %v", query, err)
	}
	var plan []struct{ Plan any }
	if err := json.Unmarshal(out, &plan); err != nil || len(plan) != 1 {
		c.t.Fatalf("explain output %s: %v", out, err)
	}
	c.plans = append(c.plans, plan[0].Plan)
	return c.conn.QueryContext(ctx, query, args...)
}

// planNodes flattens a JSON plan into "Node Type on Relation using Index"
// lines.
func planNodes(node any) []string {
	m, ok := node.(map[string]any)
	if !ok {
		return nil
	}
	line := fmt.Sprint(m["Node Type"])
	if r, ok := m["Relation Name"]; ok {
		line += " on " + fmt.Sprint(r)
	}
	if i, ok := m["Index Name"]; ok {
		line += " using " + fmt.Sprint(i)
	}
	out := []string{line}
	children, _ := m["Plans"].([]any)
	for _, ch := range children {
		out = append(out, planNodes(ch)...)
	}
	return out
}

// TestSearchPlansPostgres checks, on PostgreSQL, that the planner serves a
// search with a word of three characters or more from the trigram index
// (clients_search_text_idx), never a sequential scan of the clients. Its
// choice follows the statistics of the data, so the database holds 20,000
// clients of common names (as `demo` makes them), vacuumed and analyzed.
func TestSearchPlansPostgres(t *testing.T) {
	ctx := t.Context()
	db := planPostgres(t)
	sales := loadPlanClients(t, db, 20_000)
	// What autovacuum does soon after a load: fresh statistics, and the
	// rows that the trigram index holds in its pending list merged into it
	// (the planner counts a long pending list against the index).
	if _, err := db.pool.ExecContext(ctx, "VACUUM ANALYZE clients"); err != nil {
		t.Fatal(err)
	}

	ec := &pgExplainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}
	for _, tc := range searchPlanCases {
		ec.plans = nil
		f := tc.filter(sales)
		f.Page = crm.Page{Limit: 100}
		var n int
		if err := listClients(ctx, q, f, func(any) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s found nobody", tc.name)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%s: %d queries, want 1", tc.name, len(ec.plans))
		}
		nodes := planNodes(ec.plans[0])
		text := strings.Join(nodes, "\n")
		if !strings.Contains(text, "Bitmap Index Scan using clients_search_text_idx") || strings.Contains(text, "Seq Scan on clients") {
			t.Errorf("%s does not find its clients through the search index:\n%s", tc.name, text)
		}
	}
}

// loadPlanClients loads n clients with the bulk loader, among them John
// Ouick, Kevin Casey, Jacky Blangier and Aliénor Vichum, and returns the id
// of the sales contact of Kevin Casey.
func loadPlanClients(t *testing.T, db *DB, n int) int64 {
	t.Helper()
	ctx := t.Context()
	first := []string{"Adam", "Adèle", "Alice", "Amélie", "Anna", "Arthur", "Camille", "Chloé", "Emma", "Hugo",
		"Inès", "Jean", "Jeanne", "Jules", "Léa", "Louis", "Lucas", "Manon", "Marie", "Paul", "Sophie", "Thomas"}
	last := []string{"Martin", "Bernard", "Dubois", "Durand", "Lefèvre", "Moreau", "Laurent", "Simon", "Michel",
		"Garcia", "Marchand", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André"}
	companies := []string{"Atlas Consulting", "Azur Logistics", "Cobalt Labs", "Delta Studio", "Granite Partners",
		"Horizon Systems", "Lumière Foods", "Nimbus Energy", "Orchid Capital", "Quartz Media"}
	var sales [4]int64
	for i := range sales {
		e, err := db.CreateEmployee(ctx, crm.Employee{FirstName: "Sales", LastName: fmt.Sprint(i), Role: crm.RoleSales,
			Email: fmt.Sprintf("sales%d@epic.test", i), Active: true, CreatedAt: time.Now(), UpdatedAt: time.Now()}, "hash")
		if err != nil {
			t.Fatal(err)
		}
		sales[i] = e.ID
	}
	at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	err := db.BulkLoad(ctx, BulkSize{Clients: int64(n)}, func(ctx context.Context, b *Bulk) error {
		next := b.Next().Client
		_, err := b.Clients(ctx, func(yield func(crm.Client) bool) {
			named := []crm.Client{
				{FirstName: "John", LastName: "Ouick", Email: "john.ouick@gmail.com", Phone: ptr("+12345678901")},
				{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io", Phone: ptr("+67812345678"),
					CompanyName: ptr("Cool Startup LLC")},
				{FirstName: "Jacky", LastName: "Blangier", Email: "jacky@loubouzin.grd", Phone: ptr("+66612345"),
					CompanyName: ptr("Lou Bouzin")},
				{FirstName: "Aliénor", LastName: "Vichum", Email: "alienor@example.org"},
			}
			for i := range n {
				var c crm.Client
				if i < len(named) {
					c = named[i]
				} else {
					f, l := first[i%len(first)], last[(i/len(first))%len(last)]
					c = crm.Client{FirstName: f, LastName: l, Email: fmt.Sprintf("%s.%s%d@mail.test", strings.ToLower(f), strings.ToLower(l), i)}
					if i%3 != 0 {
						c.CompanyName = &companies[i%len(companies)]
					}
					if i%5 != 0 {
						c.Phone = ptr(fmt.Sprintf("+33%09d", (i*7919)%1_000_000_000))
					}
				}
				c.ID, c.SalesContactID, c.CreatedAt = next+int64(i), sales[i%len(sales)], at
				if !yield(c) {
					return
				}
			}
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sales[1] // Kevin Casey is client 1
}

func ptr[T any](v T) *T { return &v }

// TestReportPlans checks, on SQLite, that the reports of my work read the
// totals that the triggers keep, by their keys, and the contracts only for
// the part of an hour at a period's edge (from their partial covering
// index): no scan of the contracts, no sort.
func TestReportPlans(t *testing.T) {
	ctx := t.Context()
	db := planSQLite(t)
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: explainRowConn{ec}}
	id := int64(2)
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bounds := []time.Time{jan, jan.AddDate(0, 1, 0), jan.AddDate(0, 2, 0)}
	kolkata := time.FixedZone("+05:30", 5*3600+1800)
	offHour := []time.Time{time.Date(2026, 1, 1, 0, 0, 0, 0, kolkata), time.Date(2026, 2, 1, 0, 0, 0, 0, kolkata)}
	for _, tc := range []struct {
		name string
		want []string // in the plan, each
		run  func() error
	}{
		{"money due", []string{"SCAN t"}, func() error { _, err := q.SumAmountDue(ctx, nil); return err }},
		{"money due of one", []string{"SEARCH t USING INTEGER PRIMARY KEY (rowid=?)"}, func() error { _, err := q.SumAmountDue(ctx, &id); return err }},
		{"signed per month", []string{"SEARCH t USING PRIMARY KEY (hour>? AND hour<?)"},
			func() error { _, err := q.SumSigned(ctx, bounds); return err }},
		{"signed per month, bounds off the hour", []string{"SEARCH t USING PRIMARY KEY (hour>? AND hour<?)",
			"SEARCH k USING COVERING INDEX contracts_signed_idx (signed_at>? AND signed_at<?)"},
			func() error { _, err := q.SumSigned(ctx, offHour); return err }},
	} {
		ec.plans = nil
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plan := strings.Join(ec.plans, "\n--\n")
		for _, w := range tc.want {
			if len(ec.plans) != 1 || !strings.Contains(plan, w) {
				t.Errorf("%s: no %q in its one plan:\n%s", tc.name, w, plan)
			}
		}
		// A sum is made as the index is read: sorting the rows first (a
		// GROUP BY over the whole span) took four times as long.
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN k") {
			t.Errorf("%s sorts the rows it adds up, or scans the contracts:\n%s", tc.name, plan)
		}
	}
}

// explainRowConn records the plans of single-row queries too.
type explainRowConn struct{ *explainConn }

func (c explainRowConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	rows, err := c.explainConn.QueryContext(ctx, query, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	rows.Close()
	return c.conn.QueryRowContext(ctx, query, args...)
}

// TestEventsOfClientPlan checks, on SQLite, that the events of one client
// are found through that client's contracts (contracts_client_idx) and the
// events of each (events_contract_idx), never by walking every event in
// start order and looking up its contract: that walk reads the whole table
// for a client with few events. The client's events are then sorted; a
// client has few of them.
func TestEventsOfClientPlan(t *testing.T) {
	ctx := t.Context()
	db := planSQLite(t)
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}
	id := int64(2)
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		filter crm.EventFilter
	}{
		{"--client", crm.EventFilter{ClientID: &id}},
		{"--client --without-support", crm.EventFilter{ClientID: &id, WithoutSupport: true}},
		{"--client --from", crm.EventFilter{ClientID: &id, From: &day}},
		{"--client --support", crm.EventFilter{ClientID: &id, SupportContactID: &id}},
		{"--client --sales-contact", crm.EventFilter{ClientID: &id, SalesContactID: &id}},
	} {
		ec.plans = nil
		tc.filter.Page = crm.Page{Limit: 50}
		if err := listEvents(ctx, q, tc.filter, func(any) error { return nil }); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%s: %d queries, want 1", tc.name, len(ec.plans))
		}
		p := ec.plans[0]
		if !strings.Contains(p, "SEARCH k USING INDEX contracts_client_idx (client_id=?)") ||
			!strings.Contains(p, "SEARCH v USING INDEX events_contract_idx (contract_id=") {
			t.Errorf("%s does not find the events through the client's contracts:\n%s", tc.name, p)
		}
	}
}

// TestEventsOfClientPlanPostgres checks, on PostgreSQL, that the events of
// one client are found through that client's contracts (contracts_client_idx)
// and the events of each (events_contract_idx), never by a sequential scan
// of the events or a walk of every event in start order. The planner follows
// the statistics, so the database holds 20,000 clients with two contracts
// each and 100,000 events, analyzed.
func TestEventsOfClientPlanPostgres(t *testing.T) {
	ctx := t.Context()
	db := planPostgres(t)
	const clients, contracts, events = 20_000, 40_000, 100_000
	sales := loadPlanClients(t, db, clients)
	var first int64
	if err := db.pool.QueryRowContext(ctx, "SELECT min(id) FROM clients").Scan(&first); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	err := db.BulkLoad(ctx, BulkSize{Contracts: contracts, Events: events}, func(ctx context.Context, b *Bulk) error {
		next := b.Next()
		if _, err := b.Contracts(ctx, func(yield func(crm.Contract) bool) {
			for i := range int64(contracts) {
				k := crm.Contract{ID: next.Contract + i, ClientID: first + i%clients, SalesContactID: sales,
					TotalAmount: 1000, SignedAt: &at, CreatedAt: at}
				if !yield(k) {
					return
				}
			}
		}); err != nil {
			return err
		}
		_, err := b.Events(ctx, func(yield func(crm.Event) bool) {
			for i := range int64(events) {
				start := at.Add(time.Duration((i*7919)%(3*365*24)) * time.Hour)
				e := crm.Event{ID: next.Event + i, ContractID: next.Contract + i%contracts, Name: "Party",
					Start: start, End: start.Add(2 * time.Hour), Location: "Paris", Attendees: 10, CreatedAt: at}
				if !yield(e) {
					return
				}
			}
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
		t.Fatal(err)
	}

	ec := &pgExplainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}
	client := first + 1
	for _, tc := range []struct {
		name   string
		filter crm.EventFilter
	}{
		{"--client", crm.EventFilter{ClientID: &client}},
		{"--client --without-support", crm.EventFilter{ClientID: &client, WithoutSupport: true}},
		{"--client --from", crm.EventFilter{ClientID: &client, From: &at}},
	} {
		ec.plans = nil
		tc.filter.Page = crm.Page{Limit: 50}
		var n int
		if err := listEvents(ctx, q, tc.filter, func(any) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s found no event", tc.name)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%s: %d queries, want 1", tc.name, len(ec.plans))
		}
		text := strings.Join(planNodes(ec.plans[0]), "\n")
		if !strings.Contains(text, "using contracts_client_idx") || !strings.Contains(text, "using events_contract_idx") ||
			strings.Contains(text, "Seq Scan on events") || strings.Contains(text, "using events_start_idx") {
			t.Errorf("%s does not find the events through the client's contracts:\n%s", tc.name, text)
		}
	}
}

// planSQLite is a fresh, migrated SQLite database for a plan test.
func planSQLite(t *testing.T) *DB {
	t.Helper()
	ctx := t.Context()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

// planPostgres is a fresh, migrated PostgreSQL database of its own for a
// plan test, dropped at its end; the test is skipped without
// EPICEVENTS_TEST_POSTGRES_URL.
func planPostgres(t *testing.T) *DB {
	t.Helper()
	base := os.Getenv("EPICEVENTS_TEST_POSTGRES_URL")
	if base == "" {
		t.Skip("EPICEVENTS_TEST_POSTGRES_URL is not set: skipping the PostgreSQL run")
	}
	ctx := t.Context()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("epicevents_test_plans_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
