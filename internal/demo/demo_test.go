package demo_test

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// initDB opens a fresh database with the first manager, as after init.
func initDB(t *testing.T, engine string) *sqlstore.DB {
	t.Helper()
	db := testdb.Open(t, engine)
	if _, err := db.CreateEmployee(t.Context(), crm.Employee{FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@epicevents.example", Role: crm.RoleManagement, Active: true,
		CreatedAt: now, UpdatedAt: now}, "x"); err != nil {
		t.Fatal(err)
	}
	return db
}

func collect[T any](t *testing.T, list func(crm.Emit[T]) (string, error)) []T {
	t.Helper()
	var out []T
	if _, err := list(func(v T) error { out = append(out, v); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLoad(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Parallel()
		ctx := t.Context()
		db := initDB(t, engine)
		const n = 300
		res, err := demo.Load(ctx, db, fakeHasher{}, demo.Options{Clients: n, Seed: 7, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Clients != n+3 || res.Contracts != n+2 || res.Events != n+2 || len(res.Employees) != 10 {
			t.Fatalf("result = %d clients, %d contracts, %d events, %d employees", res.Clients, res.Contracts, res.Events, len(res.Employees))
		}
		roles := map[int64]crm.Role{}
		for _, c := range res.Employees {
			roles[c.ID] = c.Role
			if len(c.Password) < crm.MinPasswordLen || strings.Contains(c.Password, c.Email) {
				t.Errorf("password of %s = %q", c.Email, c.Password)
			}
			if _, hash, err := db.GetEmployeeByEmail(ctx, c.Email); err != nil || hash != "$fake$"+c.Password {
				t.Errorf("employee %s: hash %q, %v", c.Email, hash, err)
			}
		}

		clients := collect(t, func(emit crm.Emit[crm.Client]) (string, error) {
			return db.ListClients(ctx, crm.ClientFilter{}, emit)
		})
		if len(clients) != n+3 {
			t.Fatalf("%d clients listed", len(clients))
		}
		emails := map[string]bool{}
		byID := map[int64]crm.Client{}
		for _, c := range clients {
			byID[c.ID] = c
			a, err := mail.ParseAddress(c.Email)
			if err != nil || a.Address != c.Email || c.Email != strings.ToLower(c.Email) || emails[c.Email] {
				t.Errorf("client email %q: %v (or not unique)", c.Email, err)
			}
			emails[c.Email] = true
			for _, s := range []string{c.FirstName, c.LastName} {
				if n := utf8.RuneCountInString(s); n < 1 || n > crm.MaxNameLen {
					t.Errorf("client name %q", s)
				}
			}
			if c.Phone != nil {
				if p, ok := crm.NormalizePhone(*c.Phone); !ok || p != *c.Phone {
					t.Errorf("client phone %q", *c.Phone)
				}
			}
			if roles[c.SalesContactID] != crm.RoleSales || c.CreatedAt.After(c.UpdatedAt) || c.UpdatedAt.After(now) {
				t.Errorf("client %+v", c)
			}
		}

		contracts := collect(t, func(emit crm.Emit[crm.Contract]) (string, error) {
			return db.ListContracts(ctx, crm.ContractFilter{}, emit)
		})
		signed := map[int64]bool{}
		var unsigned, paid, partly int
		for _, k := range contracts {
			signed[k.ID] = k.Signed
			cl := byID[k.ClientID]
			switch {
			case k.SalesContactID != cl.SalesContactID, k.AmountDue < 0, k.AmountDue > k.TotalAmount, k.TotalAmount <= 0:
				t.Errorf("contract %+v of client %+v", k, cl)
			case !k.Signed:
				unsigned++
			case k.AmountDue == 0:
				paid++
			case k.AmountDue < k.TotalAmount:
				partly++
			}
		}
		if unsigned < n/10 || paid < n/10 || partly < n/20 {
			t.Errorf("contracts: %d unsigned, %d paid, %d partly paid of %d", unsigned, paid, partly, len(contracts))
		}

		// Ledgers: each amount due is what its ledger says; deposits,
		// balances and a few refunds, recorded by the right people.
		if err := db.CheckLedgers(ctx); err != nil {
			t.Fatal(err)
		}
		var deposits, balances, refunds, total int
		for _, k := range contracts {
			ledger := collect(t, func(emit crm.Emit[crm.Payment]) (string, error) {
				return db.ListPayments(ctx, k.ID, crm.PaymentFilter{}, emit)
			})
			total += len(ledger)
			if !k.Signed && len(ledger) > 0 {
				t.Errorf("unsigned contract %d has a ledger: %+v", k.ID, ledger)
			}
			due := k.TotalAmount
			for i, p := range ledger {
				if p.Kind == crm.KindPayment {
					due -= p.Amount
				} else {
					due += p.Amount
				}
				switch {
				case p.AmountDueAfter != due, p.Amount <= 0, p.RecordedAt.After(now), p.ReceivedOn > now.Format(time.DateOnly),
					p.Kind == crm.KindPayment && p.RecordedByID != k.SalesContactID,
					p.Kind == crm.KindRefund && (roles[p.RecordedByID] != "" || p.Reason == ""):
					t.Errorf("contract %+v, entry %d: %+v", k, i, p)
				case p.Kind == crm.KindRefund:
					refunds++
				case i == 0:
					deposits++
				default:
					balances++
				}
			}
			if due != k.AmountDue {
				t.Errorf("contract %d: due %s, its ledger says %s", k.ID, k.AmountDue, due)
			}
		}
		t.Logf("ledgers: %d entries: %d deposits, %d balances, %d refunds", total, deposits, balances, refunds)
		if res.Payments != int64(total) || deposits < n/4 || balances < n/10 || refunds < 3 {
			t.Errorf("ledgers: %d entries (result %d): %d deposits, %d balances, %d refunds", total, res.Payments, deposits, balances, refunds)
		}

		events := collect(t, func(emit crm.Emit[crm.Event]) (string, error) {
			return db.ListEvents(ctx, crm.EventFilter{}, emit)
		})
		var past, future, unassigned int
		for _, e := range events {
			if !signed[e.ContractID] || !e.Start.Before(e.End) || e.Attendees < 0 || e.Attendees > crm.MaxAttendees {
				t.Errorf("event %+v", e)
			}
			if e.SupportContactID == nil {
				unassigned++
			} else if roles[*e.SupportContactID] != crm.RoleSupport {
				t.Errorf("event %d supported by %d", e.ID, *e.SupportContactID)
			}
			if e.Start.Before(now) {
				past++
			} else {
				future++
			}
		}
		if len(events) != n+2 || past < n/10 || future < n/10 || unassigned < n/20 {
			t.Errorf("events: %d, %d past, %d future, %d without support", len(events), past, future, unassigned)
		}

		// The sample records (Kevin Casey, events 109 and 1023), with their
		// ids on a fresh database.
		kevin := collect(t, func(emit crm.Emit[crm.Client]) (string, error) {
			return db.ListClients(ctx, crm.ClientFilter{Search: "kevin@startup.io"}, emit)
		})
		if len(kevin) != 1 || kevin[0].FirstName+" "+kevin[0].LastName != "Kevin Casey" || *kevin[0].Phone != "+67812345678" ||
			*kevin[0].CompanyName != "Cool Startup LLC" || kevin[0].SalesContactName != "Bill Boquet" ||
			kevin[0].CreatedAt.Format(time.DateOnly) != "2021-04-18" || kevin[0].UpdatedAt.Format(time.DateOnly) != "2023-03-29" {
			t.Errorf("Kevin Casey = %+v", kevin)
		}
		wedding, err := db.GetEvent(ctx, 109)
		if err != nil {
			t.Fatal(err)
		}
		if wedding.Name != "John Ouick Wedding" || wedding.ContractID != 652 || wedding.ClientName != "John Ouick" ||
			wedding.ClientEmail != "john.ouick@gmail.com" || *wedding.ClientPhone != "+12345678901" ||
			*wedding.SupportContactName != "Kate Hastroff" || wedding.Attendees != 75 ||
			wedding.Location != "53 Rue du Château, 41120 Candé-sur-Beuvron, France" ||
			!wedding.Start.Equal(time.Date(2023, 6, 4, 11, 0, 0, 0, time.UTC)) ||
			!wedding.End.Equal(time.Date(2023, 6, 5, 0, 0, 0, 0, time.UTC)) ||
			*wedding.Notes != "Wedding starts at 3PM, by the river. Catering is organized, reception starts at 5PM. Kate needs to organize the DJ for after party." {
			t.Errorf("event 109 = %+v", wedding)
		}
		assembly, err := db.GetEvent(ctx, 1023)
		if err != nil {
			t.Fatal(err)
		}
		if assembly.Name != "Lou Bouzin General Assembly" || assembly.ContractID != 412 || assembly.ClientName != "Jacky Blangier" ||
			assembly.ClientEmail != "jacky@loubouzin.grd" || *assembly.ClientPhone != "+66612345" ||
			*assembly.SupportContactName != "Aliénor Vichum" || assembly.Attendees != 200 ||
			assembly.Location != "Salle des fêtes de Mufflins" || assembly.Notes != nil ||
			assembly.End.Sub(assembly.Start) != 2*time.Hour {
			t.Errorf("event 1023 = %+v", assembly)
		}
		if c, err := db.GetClient(ctx, assembly.ClientID); err != nil || *c.CompanyName != "Lou Bouzin" {
			t.Errorf("client of event 1023 = %+v, %v", c, err)
		}

		// One audit entry for the whole load.
		entries := collect(t, func(emit crm.Emit[crm.AuditEntry]) (string, error) {
			return db.ListAudit(ctx, crm.AuditFilter{}, emit)
		})
		if len(entries) != 1 || entries[0].Action != "demo.load" || entries[0].ActorID != nil {
			t.Fatalf("audit = %+v", entries)
		}

		// A second demo is refused and adds nothing.
		_, err = demo.Load(ctx, db, fakeHasher{}, demo.Options{Clients: 5, Seed: 8, Now: now})
		if crm.ErrorCode(err) != crm.CodeConflict {
			t.Errorf("second demo: %v", err)
		}
		if n, _ := db.CountEmployees(ctx); n != 11 {
			t.Errorf("%d employees after a refused demo", n)
		}
	})
}

// TestLoadDeterministic: the same seed gives the same rows.
func TestLoadDeterministic(t *testing.T) {
	ctx := t.Context()
	var lists [2][]string
	for i := range lists {
		db := initDB(t, "sqlite")
		if _, err := demo.Load(ctx, db, fakeHasher{}, demo.Options{Clients: 40, Seed: 99, Now: now}); err != nil {
			t.Fatal(err)
		}
		for _, e := range collect(t, func(emit crm.Emit[crm.Event]) (string, error) {
			return db.ListEvents(ctx, crm.EventFilter{}, emit)
		}) {
			lists[i] = append(lists[i], e.Name+"|"+e.ClientEmail+"|"+e.Start.String()+"|"+e.Location)
		}
	}
	if strings.Join(lists[0], "\n") != strings.Join(lists[1], "\n") {
		t.Errorf("two loads with one seed differ:\n%v\n%v", lists[0][:3], lists[1][:3])
	}
}

// TestLoadNeedsInit: no employee, no demo.
func TestLoadNeedsInit(t *testing.T) {
	db := testdb.Open(t, "sqlite")
	_, err := demo.Load(context.Background(), db, fakeHasher{}, demo.Options{Clients: 3})
	if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInternal || !strings.Contains(e.Message, "epicevents init") {
		t.Errorf("demo before init: %v", err)
	}
}

// TestLoadTiny: every size works, even with no signed generated contract.
func TestLoadTiny(t *testing.T) {
	// With one client, some of these seeds leave its contract unsigned.
	for seed := range 12 {
		n := seed % 4
		db := initDB(t, "sqlite")
		res, err := demo.Load(t.Context(), db, fakeHasher{}, demo.Options{Clients: n, Seed: uint64(seed), Now: now})
		if err != nil || res.Events != int64(n+2) {
			t.Fatalf("demo of %d, seed %d: %+v, %v", n, seed, res, err)
		}
	}
}

// checkReportTotals compares the totals of my work, which the bulk load
// adds up at its end, with the contracts: the money due per sales contact, the value signed per hour.
func checkReportTotals(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	hour := "substr(signed_at, 1, 13)"
	if db.Dialect() == "postgres" {
		hour = "to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24')"
	}
	totalHour := strings.ReplaceAll(hour, "signed_at", "hour")
	for _, q := range [][2]string{{
		"SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts WHERE amount_due > 0 GROUP BY 1 ORDER BY 1",
		"SELECT sales_contact_id, contracts, amount_due FROM contract_due_totals WHERE contracts <> 0 ORDER BY 1",
	}, {
		"SELECT " + hour + ", count(*), sum(total_amount) FROM contracts WHERE signed_at IS NOT NULL GROUP BY 1 ORDER BY 1",
		"SELECT " + totalHour + ", contracts, total FROM contract_signed_totals WHERE contracts <> 0 ORDER BY 1",
	}} {
		var got [2][]string
		for i, sql := range q {
			rows, err := db.SQL().QueryContext(t.Context(), sql)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var n, sum int64
				if err := rows.Scan(&k, &n, &sum); err != nil {
					t.Fatal(err)
				}
				got[i] = append(got[i], k+" "+strconv.FormatInt(n, 10)+" "+strconv.FormatInt(sum, 10))
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if len(got[0]) == 0 || strings.Join(got[0], "\n") != strings.Join(got[1], "\n") {
			t.Errorf("%s:\n%d rows from the contracts, %d from the totals; they differ or are empty", q[1], len(got[0]), len(got[1]))
		}
	}
}

// TestLoadReportTotals: after a demo load large enough that the loader sets
// the indexes aside, and after a small one, the totals equal the contracts.
func TestLoadReportTotals(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 clients")
	}
	testdb.ForEach(t, func(t *testing.T, engine string) {
		for _, n := range []int{50_000, 200} { // each into a fresh database
			db := initDB(t, engine)
			if _, err := demo.Load(t.Context(), db, fakeHasher{}, demo.Options{Clients: n, Seed: 7, Now: now}); err != nil {
				t.Fatal(err)
			}
			checkReportTotals(t, db)
		}
	})
}
