package sqlstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestReports: the money due adds up the contracts with money due (of one
// sales contact, or all), and the signed totals go to the period of their
// signature, bounds included at the start and excluded at the end.
func TestReports(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		f := &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()}
		bill := f.employee("Bill", "Boquet", crm.RoleSales)
		chloe := f.employee("Chloé", "Durand", crm.RoleSales)
		kevin := f.client("Kevin", "Casey", nil, bill.ID)
		lea := f.client("Léa", "Martin", nil, chloe.ID)
		jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		feb, mar, apr := jan.AddDate(0, 1, 0), jan.AddDate(0, 2, 0), jan.AddDate(0, 3, 0)
		f.contract(kevin, 100_00, 40_00, true, jan)               // Jan
		f.contract(kevin, 200_00, 0, true, feb.Add(-time.Second)) // Jan, its last second
		f.contract(kevin, 300_00, 300_00, false, feb)             // unsigned
		f.contract(lea, 400_00, 10_00, true, feb)                 // Feb, its first second
		f.contract(lea, 500_00, 500_00, true, apr)                // after the periods
		f.contract(lea, 600_00, 0, true, jan.Add(-time.Second))   // before them

		for _, tc := range []struct {
			sales *int64
			want  crm.DueTotal
		}{
			{nil, crm.DueTotal{Contracts: 4, AmountDue: 850_00}},
			{&bill.ID, crm.DueTotal{Contracts: 2, AmountDue: 340_00}},
			{&chloe.ID, crm.DueTotal{Contracts: 2, AmountDue: 510_00}},
			{new(int64), crm.DueTotal{}},
		} {
			got, err := f.db.SumAmountDue(f.ctx, tc.sales)
			f.must(err)
			if got != tc.want {
				t.Errorf("due of %v: %+v, want %+v", tc.sales, got, tc.want)
			}
		}

		got, err := f.db.SumSigned(f.ctx, []time.Time{jan, feb, mar, apr})
		f.must(err)
		want := []crm.PeriodTotal{{Contracts: 2, Total: 300_00}, {Contracts: 1, Total: 400_00}, {}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("signed per period: %+v, want %+v", got, want)
		}
		got, err = f.db.SumSigned(f.ctx, []time.Time{jan, apr})
		f.must(err)
		if fmt.Sprint(got) != fmt.Sprint([]crm.PeriodTotal{{Contracts: 3, Total: 700_00}}) {
			t.Errorf("signed in one period: %+v", got)
		}
	})
}
