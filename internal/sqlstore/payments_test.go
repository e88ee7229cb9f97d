package sqlstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

func ledgerOf(t *testing.T, db *sqlstore.DB, contractID int64) []crm.Payment {
	t.Helper()
	var out []crm.Payment
	if _, err := db.ListPayments(context.Background(), contractID, crm.PaymentFilter{}, func(p crm.Payment) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPaymentsMigration: 00007 records an opening payment for each contract
// already partly paid, so that every amount due follows its ledger; down
// drops the ledger and leaves the contracts as they were; up again works.
func TestPaymentsMigration(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := testdb.Open(t, engine)
		downTo(t, db, "00007_payments.sql")
		f := &fixture{t: t, db: db, ctx: ctx}
		bill := f.employee("Bill", "Boquet", crm.RoleSales)
		alan := f.employee("Alan", "Turing", crm.RoleSales)
		kevin := f.client("Kevin", "Casey", nil, bill.ID)
		jacky := f.client("Jacky", "Blangier", nil, alan.ID)
		// 22:30 UTC: the opening payment is dated that UTC day.
		created := time.Date(2024, 3, 15, 22, 30, 0, 0, time.UTC)
		part := f.contract(kevin, 100000, 25000, true, created)
		full := f.contract(kevin, 50000, 50000, false, created)
		none := f.contract(jacky, 80000, 0, true, created.AddDate(0, 1, 0))

		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		l := ledgerOf(t, db, part.ID)
		if len(l) != 1 || l[0].Amount != 75000 || l[0].Kind != crm.KindPayment || l[0].Method != "other" ||
			l[0].Reference != crm.OpeningReference || l[0].ReceivedOn != "2024-03-15" || l[0].RecordedByID != bill.ID ||
			l[0].AmountDueAfter != 25000 || l[0].RefundOf != nil {
			t.Errorf("opening payment of a contract partly paid: %+v", l)
		}
		if l := ledgerOf(t, db, full.ID); len(l) != 0 {
			t.Errorf("a contract due in full got entries: %+v", l)
		}
		if l := ledgerOf(t, db, none.ID); len(l) != 1 || l[0].Amount != 80000 || l[0].RecordedByID != alan.ID ||
			l[0].ReceivedOn != "2024-04-15" || l[0].AmountDueAfter != 0 {
			t.Errorf("opening payment of a contract paid in full: %+v", l)
		}
		if err := db.CheckLedgers(ctx); err != nil {
			t.Fatal(err)
		}

		downTo(t, db, "00007_payments.sql")
		var n int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM payments").Scan(&n); err == nil {
			t.Error("the payments table outlived its migration's down")
		}
		for _, k := range []crm.Contract{part, full, none} {
			got, err := db.GetContract(ctx, k.ID)
			if err != nil || got.AmountDue != k.AmountDue || got.TotalAmount != k.TotalAmount {
				t.Errorf("contract %d after down: %+v, %v", k.ID, got, err)
			}
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckLedgers(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPaymentsAppendOnly: whoever connects (the tests as the owner or a
// superuser), the database refuses to change or delete an entry, and its
// checks refuse entries that no rule allows.
func TestPaymentsAppendOnly(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := testdb.Open(t, engine)
		f := &fixture{t: t, db: db, ctx: ctx}
		bill := f.employee("Bill", "Boquet", crm.RoleSales)
		kevin := f.client("Kevin", "Casey", nil, bill.ID)
		k := f.contract(kevin, 100000, 100000, true, t0)
		other := f.contract(kevin, 100000, 100000, true, t0)
		entry := crm.Payment{ContractID: k.ID, Kind: crm.KindPayment, Amount: 40000, Method: "card",
			ReceivedOn: "2026-04-30", RecordedByID: bill.ID, RecordedAt: t0, AmountDueAfter: 60000}
		p, err := db.CreatePayment(ctx, entry)
		if err != nil {
			t.Fatal(err)
		}
		if p.RecordedByName != "Bill Boquet" || p.ReceivedOn != "2026-04-30" || !p.RecordedAt.Equal(t0) || p.Reference != "" {
			t.Errorf("stored as %+v", p)
		}
		elsewhere, err := db.CreatePayment(ctx, crm.Payment{ContractID: other.ID, Kind: crm.KindPayment, Amount: 100,
			Method: "cash", ReceivedOn: "2026-04-30", RecordedByID: bill.ID, RecordedAt: t0, AmountDueAfter: 99900})
		if err != nil {
			t.Fatal(err)
		}

		changes := []string{
			"UPDATE payments SET amount = 1",
			"UPDATE payments SET reference = 'forged' WHERE id = " + strconv.FormatInt(p.ID, 10),
			"DELETE FROM payments",
			"DELETE FROM payments WHERE id = " + strconv.FormatInt(p.ID, 10),
		}
		if engine == "postgres" {
			changes = append(changes, "TRUNCATE payments")
		}
		for _, stmt := range changes {
			if _, err := db.SQL().ExecContext(ctx, stmt); err == nil {
				t.Errorf("%s: accepted", stmt)
			}
		}
		if got, err := db.GetPayment(ctx, p.ID); err != nil || got != p {
			t.Errorf("after the refused changes: %+v, %v", got, err)
		}

		id := p.ID
		refused := map[string]crm.Payment{
			"amount 0":                    with(entry, func(e *crm.Payment) { e.Amount = 0 }),
			"unknown kind":                with(entry, func(e *crm.Payment) { e.Kind = "gift" }),
			"unknown method":              with(entry, func(e *crm.Payment) { e.Method = "bitcoin" }),
			"no such day":                 with(entry, func(e *crm.Payment) { e.ReceivedOn = "2026-02-30" }),
			"a refund without a reason":   with(entry, func(e *crm.Payment) { e.Kind, e.RefundOf = crm.KindRefund, &id }),
			"a refund of nothing":         with(entry, func(e *crm.Payment) { e.Kind, e.Reason = crm.KindRefund, "why" }),
			"a payment refunding":         with(entry, func(e *crm.Payment) { e.RefundOf, e.Reason = &id, "why" }),
			"another contract's payment":  with(entry, func(e *crm.Payment) { e.Kind, e.RefundOf, e.Reason = crm.KindRefund, &elsewhere.ID, "why" }),
			"a negative amount due after": with(entry, func(e *crm.Payment) { e.AmountDueAfter = -1 }),
		}
		for name, e := range refused {
			// A CHECK is invalid, a foreign key a conflict; PostgreSQL
			// refuses an impossible date before any constraint.
			_, err := db.CreatePayment(ctx, e)
			if code := crm.ErrorCode(err); err == nil || (name != "no such day" && code != crm.CodeInvalid && code != crm.CodeConflict) {
				t.Errorf("%s: %v", name, err)
			}
		}
		// 0 ≤ amount_due ≤ total_amount on the contract.
		for _, due := range []crm.Cents{-1, 100001} {
			if _, err := db.UpdateContract(ctx, k.ID, crm.ContractUpdate{AmountDue: &due}, t0); err == nil {
				t.Errorf("amount due %s of a total of 1000.00: accepted", due)
			}
		}
		if refunded, err := db.RefundedAmount(ctx, p.ID); err != nil || refunded != 0 {
			t.Errorf("RefundedAmount = %s, %v", refunded, err)
		}
		r, err := db.CreatePayment(ctx, with(entry, func(e *crm.Payment) {
			e.Kind, e.RefundOf, e.Reason, e.Amount, e.AmountDueAfter = crm.KindRefund, &id, "Fewer guests", 15000, 75000
		}))
		if err != nil || *r.RefundOf != p.ID || r.Reason != "Fewer guests" {
			t.Fatalf("refund: %+v, %v", r, err)
		}
		if refunded, err := db.RefundedAmount(ctx, p.ID); err != nil || refunded != 15000 {
			t.Errorf("RefundedAmount = %s, %v", refunded, err)
		}
		_, err = db.GetPayment(ctx, 999999)
		wantCode(t, err, crm.CodeNotFound)
	})
}

func with(p crm.Payment, change func(*crm.Payment)) crm.Payment {
	change(&p)
	return p
}
