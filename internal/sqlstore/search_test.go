package sqlstore_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// likeIDs is the reference of a search: the plain LIKE (SQLite) or ILIKE
// (PostgreSQL) query over the four columns, without any search index, in the
// list's order.
func likeIDs(t *testing.T, db *sqlstore.DB, search string) []int64 {
	t.Helper()
	// The reference is SPEC §4's rule computed in Go over every row: a
	// substring of a name, the email or the company, ignoring (Unicode) case.
	rows, err := db.SQL().Query("SELECT id, first_name, last_name, email, COALESCE(company_name, '') FROM clients ORDER BY last_name, first_name, id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	needle := strings.ToLower(search)
	out := []int64{}
	for rows.Next() {
		var id int64
		var first, last, email, company string
		if err := rows.Scan(&id, &first, &last, &email, &company); err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{first, last, email, company} {
			if strings.Contains(strings.ToLower(field), needle) {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// TestSearchMatchesLike checks that the indexed search returns exactly the rows
// and order of the plain LIKE query, whatever the text: case, accents, LIKE
// wildcards, FTS5 syntax, quotes, short and long texts, across pages; and
// that the index follows inserts, updates and deletes.
func TestSearchMatchesLike(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()}
		s := f.employee("Bill", "Boquet", crm.RoleSales)
		people := []struct {
			first, last string
			company     *string
		}{
			{"Kevin", "Casey", ptr("Cool Startup LLC")},
			{"KEVIN", "casey", nil},
			{"Aliénor", "Vichum", ptr("ÉCOLE Supérieure")},
			{"Élodie", "Ébène", ptr("école")},
			{"Percy", "Under", ptr("100% fun_club")},
			{"Quote", `O"Hara`, ptr(`"quoted" AND NOT x*`)},
			{"Back", `Sla\sh`, ptr(`C:\dir`)},
			{"Mary", "O'Brien", ptr("NEAR(a b)")},
			{"Abc", "Abcabc", ptr("abcabcabc")},
			{"Jean", "Martin", ptr("Martin & Fils")},
		}
		for i := range 30 {
			people = append(people, struct {
				first, last string
				company     *string
			}{fmt.Sprintf("Name%d", i), fmt.Sprintf("Family%d", i%7), nil})
		}
		var clients []crm.Client
		for _, p := range people {
			clients = append(clients, f.client(p.first, p.last, p.company, s.ID))
		}
		searches := []string{
			"kev", "KEVIN", "casey", "startup", "ÉCOLE", "école", "éco", "cole", "ali", "liénor",
			"%", "0% f", "n_c", "_", `"quoted"`, `O"Ha`, `"`, `""`, `\`, `la\s`, `C:\d`, "'Br", "NEAR(", "AND NOT",
			"x*", "abcabc", "bcab", "abcabcabca", "ab", "a", "family3", "name1", "client.test", "@client",
			"zzz", "martin & f", " & ", "in & fils", strings.Repeat("a", 120),
		}
		check := func() {
			t.Helper()
			for _, q := range searches {
				want := likeIDs(t, f.db, q)
				got := all(t, func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
					return f.db.ListClients(f.ctx, crm.ClientFilter{Search: q, Page: p}, emit)
				}, clientID)
				if !slices.Equal(got, want) {
					t.Errorf("search %q = %v, want (LIKE) %v", q, got, want)
				}
				// Page by page, the same rows in the same order.
				var paged []int64
				for _, p := range pages(t, 2, func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
					return f.db.ListClients(f.ctx, crm.ClientFilter{Search: q, Page: p}, emit)
				}, clientID) {
					paged = append(paged, p...)
				}
				if len(want) > 0 && !slices.Equal(paged, want) {
					t.Errorf("search %q by pages of 2 = %v, want %v", q, paged, want)
				}
			}
		}
		check()
		if got := likeIDs(t, f.db, "kevin"); len(got) != 2 {
			t.Fatalf("reference search kevin = %v, want both Kevins", got)
		}

		// The index follows updates and deletes.
		_, err := f.db.UpdateClient(f.ctx, clients[0].ID, crm.ClientPatch{LastName: ptr("Zebulon"), CompanyName: ptr("")}, t0)
		f.must(err)
		searches = append(searches, "zebulon", "ebul")
		check()
		if got := all(t, func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
			return f.db.ListClients(f.ctx, crm.ClientFilter{Search: "startup", Page: p}, emit)
		}, clientID); len(got) != 0 {
			t.Errorf("search startup after the company was cleared = %v", got)
		}
		_, err = f.db.SQL().Exec("DELETE FROM clients WHERE id = " + fmt.Sprint(clients[1].ID))
		f.must(err)
		check()
	})
}

// TestBulkLoad checks the bulk loader on each engine: ids chosen by the
// caller and never below Next, id counters moved past them, the search index
// holding the loaded clients, the indexes set aside and rebuilt, and nothing
// left behind by a failed load.
func TestBulkLoad(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		for _, rebuild := range []bool{false, true} {
			t.Run(fmt.Sprintf("rebuild=%v", rebuild), func(t *testing.T) {
				testBulkLoad(t, engine, rebuild)
			})
		}
	})
}

func testBulkLoad(t *testing.T, engine string, rebuild bool) {
	ctx := t.Context()
	f := &fixture{t: t, db: testdb.Open(t, engine), ctx: ctx}
	db := f.db
	s := f.employee("Bill", "Boquet", crm.RoleSales)
	sup := f.employee("Kate", "Hastroff", crm.RoleSupport)
	existing := f.client("Old", "Client", nil, s.ID)
	indexes := indexNames(t, db)

	size := sqlstore.BulkSize{Clients: 3, Contracts: 3, Events: 3}
	if rebuild {
		// The size is a hint: a large one makes the load set indexes aside.
		size = sqlstore.BulkSize{Clients: 1e6, Contracts: 1e6, Events: 1e6}
	}
	var next sqlstore.BulkIDs
	err := db.BulkLoad(ctx, size, func(ctx context.Context, b *sqlstore.Bulk) error {
		next = b.Next()
		if next.Client <= existing.ID || next.Contract < 1 || next.Event < 1 {
			t.Errorf("Next = %+v after client %d", next, existing.ID)
		}
		clients := []crm.Client{
			{ID: next.Client + 10, FirstName: "Bulk", LastName: "Loaded", Email: "bulk@loaded.test", Phone: ptr("+33612345678"),
				CompanyName: ptr("Trigram Works"), SalesContactID: s.ID, CreatedAt: t0, UpdatedAt: t0},
			{ID: next.Client + 11, FirstName: "Other", LastName: "Row", Email: "other@loaded.test", SalesContactID: s.ID,
				CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)},
		}
		if n, err := b.Clients(ctx, slices.Values(clients)); err != nil || n != 2 {
			return fmt.Errorf("clients: %d, %w", n, err)
		}
		signed := t0.Add(time.Hour)
		contracts := []crm.Contract{
			{ID: next.Contract + 5, ClientID: clients[0].ID, SalesContactID: s.ID, TotalAmount: 1000, AmountDue: 0,
				Signed: true, SignedAt: &signed, CreatedAt: t0},
		}
		if _, err := b.Contracts(ctx, slices.Values(contracts)); err != nil {
			return err
		}
		events := []crm.Event{
			{ID: next.Event + 7, ContractID: contracts[0].ID, Name: "Bulk Party", Start: t0.Add(48 * time.Hour),
				End: t0.Add(50 * time.Hour), SupportContactID: &sup.ID, Location: "Here", Attendees: 3, CreatedAt: t0},
		}
		_, err := b.Events(ctx, slices.Values(events))
		return err
	})
	f.must(err)
	if got := indexNames(t, db); !slices.Equal(got, indexes) {
		t.Errorf("indexes after the load = %v, want %v", got, indexes)
	}
	c, err := db.GetClient(ctx, next.Client+10)
	f.must(err)
	if c.LastName != "Loaded" || *c.Phone != "+33612345678" || c.SalesContactName != "Bill Boquet" {
		t.Errorf("loaded client = %+v", c)
	}
	e, err := db.GetEvent(ctx, next.Event+7)
	f.must(err)
	if e.ClientID != c.ID || e.SupportContactName == nil || *e.SupportContactName != "Kate Hastroff" {
		t.Errorf("loaded event = %+v", e)
	}
	k, err := db.GetContract(ctx, next.Contract+5)
	f.must(err)
	if !k.Signed || k.SignedAt == nil || k.UpdatedAt != t0 {
		t.Errorf("loaded contract = %+v", k)
	}
	// The search index holds the loaded rows.
	got := all(t, func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
		return db.ListClients(ctx, crm.ClientFilter{Search: "TRIGRAM", Page: p}, emit)
	}, clientID)
	if !slices.Equal(got, []int64{c.ID}) {
		t.Errorf("search of a loaded client = %v", got)
	}
	// New rows take ids after the loaded ones, and the trigger is back.
	after := f.client("New", "Afterwards", ptr("Trigram Later"), s.ID)
	if after.ID <= c.ID+1 {
		t.Errorf("client created after the load has id %d, loaded up to %d", after.ID, c.ID+1)
	}
	got = all(t, func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
		return db.ListClients(ctx, crm.ClientFilter{Search: "trigram", Page: p}, emit)
	}, clientID)
	if !slices.Equal(got, []int64{after.ID, c.ID}) { // Afterwards < Loaded
		t.Errorf("search after a new client = %v", got)
	}
	k2 := f.contract(after, 500, 500, false, t0)
	if k2.ID <= k.ID {
		t.Errorf("contract created after the load has id %d, loaded %d", k2.ID, k.ID)
	}

	// An id below Next is refused, and the failed load leaves nothing.
	err = db.BulkLoad(ctx, size, func(ctx context.Context, b *sqlstore.Bulk) error {
		if _, err := b.Clients(ctx, slices.Values([]crm.Client{{ID: b.Next().Client + 1, FirstName: "A", LastName: "B",
			Email: "a@b.test", SalesContactID: s.ID, CreatedAt: t0}})); err != nil {
			return err
		}
		_, err := b.Clients(ctx, slices.Values([]crm.Client{{ID: existing.ID, FirstName: "A", LastName: "B",
			Email: "c@b.test", SalesContactID: s.ID, CreatedAt: t0}}))
		return err
	})
	wantCode(t, err, crm.CodeInvalid)
	// A constraint violation (unknown sales contact) rolls everything back too.
	err = db.BulkLoad(ctx, size, func(ctx context.Context, b *sqlstore.Bulk) error {
		_, err := b.Clients(ctx, iter.Seq[crm.Client](func(yield func(crm.Client) bool) {
			yield(crm.Client{ID: b.Next().Client, FirstName: "A", LastName: "B", Email: "d@b.test", SalesContactID: 999999, CreatedAt: t0})
		}))
		return err
	})
	if err == nil {
		t.Error("a load with an unknown sales contact succeeded")
	}
	var n int
	f.must(db.SQL().QueryRow("SELECT count(*) FROM clients WHERE email LIKE '%@b.test'").Scan(&n))
	if n != 0 {
		t.Errorf("%d clients left by failed loads", n)
	}
	if got := indexNames(t, db); !slices.Equal(got, indexes) {
		t.Errorf("indexes after failed loads = %v, want %v", got, indexes)
	}
}

// indexNames lists the indexes and foreign keys of the loaded tables.
func indexNames(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name IN ('clients', 'contracts', 'events')
		UNION ALL SELECT 'fk ' || "table" || ' ' || "from" FROM pragma_foreign_key_list('contracts')
		ORDER BY 1`
	if db.Dialect() == "postgres" {
		q = `SELECT indexname FROM pg_indexes WHERE tablename IN ('clients', 'contracts', 'events')
			UNION ALL SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1`
	}
	rows, err := db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) < 10 {
		t.Fatalf("only %d indexes: %v", len(out), out)
	}
	return out
}
