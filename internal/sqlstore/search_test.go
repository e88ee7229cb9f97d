package sqlstore_test

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// refFold is the reference folding of a search, written apart from the
// store's: lower case, canonical decomposition with every nonspacing mark
// removed, and the letters with a stroke or ligatures spelt out.
func refFold(s string) string {
	s, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), strings.ToLower(s))
	if err != nil {
		panic(err)
	}
	return strings.NewReplacer("ß", "ss", "æ", "ae", "œ", "oe", "ø", "o", "ł", "l", "đ", "d", "ð", "d",
		"þ", "th", "ħ", "h", "ı", "i", "ŧ", "t").Replace(s)
}

// refSearch is the reference of a search: the rule computed in Go over every
// row, in the list's order. Every word (split at white space) must be found,
// folded, in the folded first name, last name, email or company, or in the
// phone as stored (+ and digits); one word may be found in one field and
// another in another.
func refSearch(t *testing.T, db *sqlstore.DB, search string, salesContact *int64) []int64 {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT id, first_name, last_name, email, COALESCE(company_name, ''), COALESCE(phone, ''),
		sales_contact_id FROM clients ORDER BY last_name, first_name, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id, sales int64
		var first, last, email, company, phone string
		if err := rows.Scan(&id, &first, &last, &email, &company, &phone, &sales); err != nil {
			t.Fatal(err)
		}
		if salesContact != nil && sales != *salesContact {
			continue
		}
		all := true
		for _, w := range strings.Fields(search) {
			w = refFold(w)
			found := strings.Contains(phone, w)
			for _, field := range []string{first, last, email, company} {
				found = found || strings.Contains(refFold(field), w)
			}
			all = all && found
		}
		if all {
			out = append(out, id)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// searchPerson is a client of the search tests.
type searchPerson struct {
	first, last    string
	company, phone *string
}

func (f *fixture) searchClient(p searchPerson, sales int64) crm.Client {
	f.t.Helper()
	f.n++
	c, err := f.db.CreateClient(f.ctx, crm.Client{
		FirstName: p.first, LastName: p.last, CompanyName: p.company, Phone: p.phone, SalesContactID: sales,
		Email:     fmt.Sprintf("%s.%s.%d@client.test", strings.ToLower(p.first), strings.ToLower(p.last), f.n),
		CreatedAt: t0, UpdatedAt: t0,
	})
	f.must(err)
	return c
}

// searchIDs lists the ids of a search, whole and page by page.
func searchIDs(t *testing.T, db *sqlstore.DB, filter crm.ClientFilter) []int64 {
	t.Helper()
	list := func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
		filter.Page = p
		return db.ListClients(t.Context(), filter, emit)
	}
	got := all(t, list, clientID)
	if len(got) > 0 {
		pages(t, 3, list, clientID) // checks that the pages join into the whole list
	}
	return got
}

// TestSearchMatchesRule checks that the indexed search returns exactly the
// rows and order of the reference, whatever the text: several words, case,
// accents typed or stored either way, phones, LIKE wildcards, FTS5 syntax,
// quotes, short and long words, across pages, with a sales contact; and that
// the index follows inserts, updates and deletes.
func TestSearchMatchesRule(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()}
		s := f.employee("Bill", "Boquet", crm.RoleSales)
		s2 := f.employee("Sam", "Seller", crm.RoleSales)
		people := []searchPerson{
			{"Kevin", "Casey", ptr("Cool Startup LLC"), ptr("+67812345678")},
			{"KEVIN", "casey", nil, nil},
			{"John", "Ouick", nil, ptr("+12345678901")},
			{"Jacky", "Blangier", ptr("Lou Bouzin"), ptr("+66612345")},
			{"Aliénor", "Vichum", ptr("ÉCOLE Supérieure"), nil},
			{norm.NFD.String("Aliénor"), "Décomposée", nil, nil}, // stored decomposed
			{"Helene", "Dupont", ptr("Societe Generale"), nil},
			{"Élodie", "Ébène", ptr("école"), ptr("+33612345678")},
			{"Percy", "Under", ptr("100% fun_club"), nil},
			{"Quote", `O"Hara`, ptr(`"quoted" AND NOT x*`), nil},
			{"Back", `Sla\sh`, ptr(`C:\dir`), nil},
			{"Mary", "O'Brien", ptr("NEAR(a b)"), nil},
			{"Abc", "Abcabc", ptr("abcabcabc"), nil},
			{"Jean", "Martin", ptr("Martin & Fils"), nil},
			{"Łukasz", "Straße", ptr("Œuvre Ørsted"), nil},
			{"Дмитрий", "Йорк", nil, nil},
		}
		for i := range 30 {
			people = append(people, searchPerson{fmt.Sprintf("Name%d", i), fmt.Sprintf("Family%d", i%7), nil, nil})
		}
		var clients []crm.Client
		for i, p := range people {
			clients = append(clients, f.searchClient(p, []int64{s.ID, s2.ID}[i%2]))
		}
		searches := []string{
			"", "   ", "kev", "KEVIN", "casey", "kevin casey", "casey kevin", "KEVIN CASEY cool", "kevincasey",
			"john ouick", "ouick john", "ouick gmail", "jo ou", "ou jo", "ouick jo", "kevin zzz", "startup part",
			"ÉCOLE", "école", "ecole", "éco", "cole", "ali", "liénor", "alienor", "ALIÉNOR", "aliénor", "décomposée",
			"hélène", "HELENE", "SOCIÉTÉ générale", "élodie", "ÉLODIE ébène",
			"12345", "+666", "666 12345", "+66612345", "jacky 12345", "12345 casey", "+", "+1", "612345678", "0%",
			"lukasz", "łukasz", "strasse", "straße", "oeuvre orsted", "дмитрии", "йорк",
			"%", "0% f", "n_c", "_", "% _", `"quoted"`, `O"Ha`, `"`, `""`, `\`, `la\s`, `C:\d`, "'Br", "o'brien", "'",
			"NEAR(", "AND NOT", "x*", "abcabc", "bcab", "abcabcabca", "ab", "a", "ab abc", "family3", "name1 family1",
			"client.test", "@client", "zzz", "martin & f", " & ", "in & fils", strings.Repeat("a", 120),
		}
		check := func() {
			t.Helper()
			for _, q := range searches {
				for _, sales := range []*int64{nil, &s.ID} {
					want := refSearch(t, f.db, q, sales)
					if got := searchIDs(t, f.db, crm.ClientFilter{Search: q, SalesContactID: sales}); !slices.Equal(got, want) {
						t.Errorf("search %q (sales contact %v) = %v, want %v", q, sales != nil, got, want)
					}
				}
			}
		}
		check()
		// The reference itself finds what the rule says.
		for q, n := range map[string]int{"kevin casey": 2, "alienor": 2, "12345": 4, "jo ou": 1, "": len(people)} {
			if got := refSearch(t, f.db, q, nil); len(got) != n {
				t.Fatalf("reference search %q = %v, want %d clients", q, got, n)
			}
		}

		// The index follows updates and deletes.
		_, err := f.db.UpdateClient(f.ctx, clients[0].ID, crm.ClientPatch{LastName: ptr("Zébulon"), CompanyName: ptr("")}, t0)
		f.must(err)
		_, err = f.db.UpdateClient(f.ctx, clients[2].ID, crm.ClientPatch{Phone: ptr("+4420794601")}, t0)
		f.must(err)
		_, err = f.db.UpdateClient(f.ctx, clients[3].ID, crm.ClientPatch{Phone: ptr(""), Email: ptr("jb@lou.test")}, t0)
		f.must(err)
		searches = append(searches, "zebulon", "ebul", "kevin zebulon", "4420", "john 794601", "jb@lou")
		check()
		for _, q := range []string{"startup", "cool", "+666", "jacky@"} {
			if got := searchIDs(t, f.db, crm.ClientFilter{Search: q}); slices.Contains(got, clients[0].ID) ||
				slices.Contains(got, clients[3].ID) {
				t.Errorf("search %q after the fields changed = %v", q, got)
			}
		}
		_, err = f.db.SQL().Exec("DELETE FROM clients WHERE id = " + fmt.Sprint(clients[1].ID))
		f.must(err)
		check()
	})
}

// TestSearchExamples pins what a few searches find, on each engine.
func TestSearchExamples(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()}
		s := f.employee("Bill", "Boquet", crm.RoleSales)
		kevin := f.searchClient(searchPerson{"Kevin", "Casey", ptr("Cool Startup LLC"), ptr("+67812345678")}, s.ID)
		john := f.searchClient(searchPerson{"John", "Ouick", nil, ptr("+12345678901")}, s.ID)
		jacky := f.searchClient(searchPerson{"Jacky", "Blangier", ptr("Lou Bouzin"), ptr("+66612345")}, s.ID)
		alienor := f.searchClient(searchPerson{"Aliénor", "Vichum", nil, nil}, s.ID)
		helene := f.searchClient(searchPerson{"Helene", "Dupont", ptr("Societe Generale"), nil}, s.ID)
		odd := f.searchClient(searchPerson{"Percy", "O'Under", ptr(`100% fun_club \ x`), nil}, s.ID)
		everyone := []crm.Client{jacky, kevin, helene, odd, john, alienor}
		for _, tc := range []struct {
			search string
			want   []crm.Client
		}{
			{"john ouick", []crm.Client{john}},          // two fields
			{"ouick john", []crm.Client{john}},          // in any order
			{"  John   OUICK  ", []crm.Client{john}},    // any case, any spaces
			{"ouick gmail", nil},                        // every word must match
			{"ouick client.test", []crm.Client{john}},   // name and email
			{"johnouick", nil},                          // a word is found within one field
			{"jo ou", []crm.Client{john}},               // short words: no index, still exact
			{"alienor", []crm.Client{alienor}},          // é stored, e typed
			{"ALIÉNOR", []crm.Client{alienor}},          // upper case accented
			{"hélène société", []crm.Client{helene}},    // e stored, é typed
			{"12345", []crm.Client{jacky, kevin, john}}, // digits of the phone
			{"+666", []crm.Client{jacky}},               // the phone as stored
			{"666 12345", []crm.Client{jacky}},          // a phone typed with a space: two words
			{"jacky 12345", []crm.Client{jacky}},        // a name and a phone
			{"%", []crm.Client{odd}},                    // LIKE wildcards are plain text
			{"0% fun_", []crm.Client{odd}},
			{"_", []crm.Client{odd}},
			{`\`, []crm.Client{odd}},
			{"o'under", []crm.Client{odd}}, // an apostrophe
			{"'", []crm.Client{odd}},
			{"kevin zzz", nil}, // a word that matches nothing
			{"", everyone},     // no search
			{"   ", everyone},
		} {
			want := ids(clientID, tc.want...)
			if got := searchIDs(t, f.db, crm.ClientFilter{Search: tc.search}); !slices.Equal(got, want) {
				t.Errorf("search %q = %v, want %v", tc.search, got, want)
			}
		}
	})
}

// TestSearchAfterUpgrade checks that the clients that exist when migration
// 00005 adds the search text are found once `migrate up` is done, and that
// the migration goes down and up again.
func TestSearchAfterUpgrade(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: ctx}
		s := f.employee("Bill", "Boquet", crm.RoleSales)
		for {
			name, err := f.db.MigrateDown(ctx)
			f.must(err)
			if name == "00005_search_words.sql" {
				break
			}
		}
		// Clients written as before the migration, a few more than a batch
		// of the filling.
		const n = 1203
		for i := range n {
			_, err := f.db.SQL().ExecContext(ctx, fmt.Sprintf(`INSERT INTO clients (first_name, last_name, email, phone,
				company_name, sales_contact_id, created_at, updated_at) VALUES ('Aliénor', 'Nom%d', 'a%d@old.test', '+3361%04d',
				'Société %d', %d, '2025-03-10T09:00:00Z', '2025-03-10T09:00:00Z')`, i, i, i, i, s.ID))
			f.must(err)
		}
		applied, err := f.db.MigrateUp(ctx)
		f.must(err)
		if !slices.Contains(applied, "00005_search_words.sql") {
			t.Fatalf("MigrateUp applied %v", applied)
		}
		for q, want := range map[string]int{"alienor": n, "ALIÉNOR societe 1202": 1, "nom7 +33610007": 1, "33610007": 1} {
			if got := searchIDs(t, f.db, crm.ClientFilter{Search: q}); len(got) != want {
				t.Errorf("search %q after the upgrade: %d clients, want %d", q, len(got), want)
			}
		}
		var missing int
		f.must(f.db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM clients WHERE search_text IS NULL").Scan(&missing))
		if missing != 0 {
			t.Errorf("%d clients without a search text after the upgrade", missing)
		}
		if applied, err := f.db.MigrateUp(ctx); err != nil || len(applied) != 0 {
			t.Errorf("MigrateUp again = %v, %v", applied, err)
		}
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
	// Money due to the same sales contact, signed in the same hour as a
	// loaded contract: the load adds its totals to these rows.
	f.contract(existing, 300, 100, true, t0.Add(time.Hour))
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
			{ID: next.Contract + 6, ClientID: clients[1].ID, SalesContactID: s.ID, TotalAmount: 900, AmountDue: 400,
				CreatedAt: t0},
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
	if engine == "sqlite" {
		// A large load may write without the WAL; the WAL comes back.
		var journal string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil || journal != "wal" {
			t.Errorf("journal after the load: %q, %v", journal, err)
		}
	}
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
	// With its search text: several words, accents, the phone.
	if got := searchIDs(t, db, crm.ClientFilter{Search: "LOADÉD bulk 612345 trigram"}); !slices.Equal(got, []int64{c.ID}) {
		t.Errorf("search of a loaded client by words = %v", got)
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
	// The report totals count the contract written before, the loaded
	// ones (added at the end of the load) and, the triggers being back, the
	// contract written after.
	checkTotals(t, db)
	if due, err := db.SumAmountDue(ctx, nil); err != nil || due != (crm.DueTotal{Contracts: 3, AmountDue: 1000}) {
		t.Errorf("money due after the load = %+v, %v", due, err)
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
