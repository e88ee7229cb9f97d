package sqlstore_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestReportTotalsFollowContracts: after random changes to contracts
// (create, pay, refund, sign, reassign, total change, delete), through the
// store and in plain SQL, the totals that the triggers keep equal a
// recomputation from the contracts, and the reports read them right, with
// period bounds on the hour and off it (a zone of +05:30).
func TestReportTotalsFollowContracts(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()}
		rng := rand.New(rand.NewPCG(9, 0))
		var sales []crm.Employee
		var clients []crm.Client
		for i := range 3 {
			s := f.employee("Sales", fmt.Sprint("Rep", i), crm.RoleSales)
			sales = append(sales, s)
			clients = append(clients, f.client("Client", fmt.Sprint("Of", i), nil, s.ID))
		}
		when := func() time.Time { return t0.Add(time.Duration(rng.IntN(4*24*60)) * time.Minute) }
		var live []crm.Contract
		for step := range 400 {
			if step%50 == 0 {
				checkTotals(t, f.db)
			}
			op := rng.IntN(7)
			if len(live) == 0 {
				op = 0
			}
			if op == 0 {
				total := crm.Cents(1 + rng.IntN(100_000))
				live = append(live, f.contract(clients[rng.IntN(len(clients))], total, crm.Cents(rng.IntN(int(total)+1)), rng.IntN(2) == 0, when()))
				continue
			}
			i := rng.IntN(len(live))
			k := live[i]
			var p crm.ContractUpdate
			switch op {
			case 1: // a payment, to zero at times
				due := crm.Cents(rng.IntN(int(k.AmountDue) + 1))
				p.AmountDue = &due
			case 2: // a refund
				due := k.AmountDue + crm.Cents(rng.IntN(int(k.TotalAmount-k.AmountDue)+1))
				p.AmountDue = &due
			case 3: // signed, or signed again at another time
				at := when()
				p.SignedAt = &at
			case 4: // reassigned
				p.SalesContactID = &sales[rng.IntN(len(sales))].ID
			case 5: // a new total, and the due within it
				total := crm.Cents(1 + rng.IntN(100_000))
				due := min(k.AmountDue, total)
				p.TotalAmount, p.AmountDue = &total, &due
			case 6: // deleted (no event refers to these contracts)
				if _, err := f.db.SQL().ExecContext(f.ctx, "DELETE FROM contracts WHERE id = "+fmt.Sprint(k.ID)); err != nil {
					t.Fatal(err)
				}
				live = slices.Delete(live, i, i+1)
				continue
			}
			k, err := f.db.UpdateContract(f.ctx, k.ID, p, t0)
			f.must(err)
			live[i] = k
		}
		// One statement over many rows, as a migration would write it.
		if _, err := f.db.SQL().ExecContext(f.ctx, "UPDATE contracts SET amount_due = total_amount / 2 WHERE id % 3 = 0"); err != nil {
			t.Fatal(err)
		}
		checkTotals(t, f.db)
	})
}

// checkTotals compares the report totals with a recomputation from every
// contract: the rows of contract_due_totals, the money due of every sales
// contact and of the company, and the value signed per period.
func checkTotals(t *testing.T, db *sqlstore.DB) {
	t.Helper()
	ctx := t.Context()
	rows := func(query string) []string {
		r, err := db.SQL().QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			var a, b, c int64
			if err := r.Scan(&a, &b, &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(a, b, c))
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := rows("SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts WHERE amount_due > 0 GROUP BY sales_contact_id ORDER BY 1")
	got := rows("SELECT sales_contact_id, contracts, amount_due FROM contract_due_totals WHERE contracts <> 0 OR amount_due <> 0 ORDER BY 1")
	if !slices.Equal(got, want) {
		t.Errorf("money due per sales contact: totals %v, contracts %v", got, want)
	}
	var all crm.DueTotal
	for _, w := range want {
		var id, n, sum int64
		fmt.Sscan(w, &id, &n, &sum)
		all.Contracts += int(n)
		all.AmountDue += crm.Cents(sum)
		if d, err := db.SumAmountDue(ctx, &id); err != nil || d != (crm.DueTotal{Contracts: int(n), AmountDue: crm.Cents(sum)}) {
			t.Errorf("SumAmountDue(%d) = %+v, %v; want %d contracts, %d", id, d, err, n, sum)
		}
	}
	if d, err := db.SumAmountDue(ctx, nil); err != nil || d != all {
		t.Errorf("SumAmountDue(all) = %+v, %v; want %+v", d, err, all)
	}

	// The value signed: every contract's signature time, added up per
	// period in Go, against SumSigned.
	type signed struct {
		at    time.Time
		total int64
	}
	var contracts []signed
	r, err := db.SQL().QueryContext(ctx, "SELECT signed_at, total_amount FROM contracts WHERE signed_at IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var at any
		var s signed
		if err := r.Scan(&at, &s.total); err != nil {
			t.Fatal(err)
		}
		switch v := at.(type) {
		case time.Time:
			s.at = v
		case string:
			s.at, err = time.Parse(time.RFC3339, v)
		case []byte:
			s.at, err = time.Parse(time.RFC3339, string(v))
		}
		if err != nil || s.at.IsZero() {
			t.Fatalf("signed_at %v: %v", at, err)
		}
		contracts = append(contracts, s)
	}
	r.Close()
	kolkata := time.FixedZone("+05:30", 5*3600+1800)
	for _, bounds := range [][]time.Time{
		{t0.Add(-48 * time.Hour), t0, t0.Add(24 * time.Hour), t0.Add(36 * time.Hour), t0.Add(30 * 24 * time.Hour)},
		{t0.In(kolkata).Add(-time.Hour), t0.In(kolkata).Add(23 * time.Hour), t0.In(kolkata).Add(71*time.Hour + 30*time.Minute)},
		{t0.Add(17 * time.Minute), t0.Add(43 * time.Minute), t0.Add(50*time.Hour + 45*time.Minute)},
	} {
		want := make([]crm.PeriodTotal, len(bounds)-1)
		for _, c := range contracts {
			for i := range want {
				if !c.at.Before(bounds[i]) && c.at.Before(bounds[i+1]) {
					want[i].Contracts++
					want[i].Total += crm.Cents(c.total)
				}
			}
		}
		got, err := db.SumSigned(ctx, bounds)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("SumSigned(%v) = %v, %v; want %v", bounds, got, err, want)
		}
	}
}
