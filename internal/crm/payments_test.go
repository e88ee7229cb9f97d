package crm_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

func cents(c crm.Cents) *crm.Cents { return &c }

// same compares two entries, and the ids they point to.
func same(a, b crm.Payment) bool {
	ra, rb := a.RefundOf, b.RefundOf
	a.RefundOf, b.RefundOf = nil, nil
	return a == b && (ra == nil) == (rb == nil) && (ra == nil || *ra == *rb)
}

// money is what a payment may change in a contract.
func money(c crm.Contract) [3]int64 {
	return [3]int64{int64(c.TotalAmount), int64(c.AmountDue), c.Version}
}

// change renders an audited change for comparison, whatever types JSON
// gave its values.
func change(c crm.Change) string { return fmt.Sprint(c[0]) + " → " + fmt.Sprint(c[1]) }

// ledger reads a contract's ledger, oldest first.
func (w *world) ledger(ctx context.Context, contractID int64) []crm.Payment {
	w.t.Helper()
	var out []crm.Payment
	must[string](w.t)(w.svc.ListPayments(ctx, contractID, crm.PaymentFilter{}, func(p crm.Payment) error {
		out = append(out, p)
		return nil
	}))
	return out
}

// checkLedgers fails the test unless every contract's amount due is what
// its ledger says.
func (w *world) checkLedgers() {
	w.t.Helper()
	if err := w.store.(*sqlstore.DB).CheckLedgers(context.Background()); err != nil {
		w.t.Fatal(err)
	}
}

// TestRecordPaymentRules: who may record a payment, and every refusal,
// which changes nothing. The contract is due 5000.00 in full; the clock is
// 2026-05-01 11:00 in Paris, the company's zone.
func TestRecordPaymentRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		cases := []struct {
			name   string
			who    func() context.Context
			in     crm.NewPayment
			other  bool // on a contract that does not exist
			want   crm.Code
			field  string    // the invalid field, for CodeInvalid
			method string    // the method recorded, when it succeeds
			on     string    // the date recorded, when it succeeds
			due    crm.Cents // the amount due after, when it succeeds
			check  func(p crm.Payment)
		}{
			{name: "management, defaults", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 150000},
				method: "transfer", on: "2026-05-01", due: 350000},
			{name: "its sales contact, every field", who: func() context.Context { return w.sales },
				in:     crm.NewPayment{Amount: 500000, Method: " Card ", Reference: " INV-2026-001 ", ReceivedOn: "2026-04-28"},
				method: "card", on: "2026-04-28", due: 0,
				check: func(p crm.Payment) {
					if p.Reference != "INV-2026-001" || p.RecordedByName != "Bill Boquet" {
						t.Errorf("payment %+v", p)
					}
				}},
			{name: "tomorrow (the payer may be ahead)", who: func() context.Context { return w.mgr },
				in: crm.NewPayment{Amount: 1, ReceivedOn: "2026-05-02", Method: "cheque"}, method: "cheque", on: "2026-05-02", due: 499999},
			{name: "another sales rep", who: func() context.Context { return w.sales2 }, in: crm.NewPayment{Amount: 100}, want: crm.CodeForbidden},
			{name: "support", who: func() context.Context { return w.support }, in: crm.NewPayment{Amount: 100}, want: crm.CodeForbidden},
			{name: "no session", who: context.Background, in: crm.NewPayment{Amount: 100}, want: crm.CodeUnauthenticated},
			{name: "more than due", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 500001}, want: crm.CodeConflict},
			{name: "unknown contract", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100}, other: true, want: crm.CodeNotFound},
			{name: "zero", who: func() context.Context { return w.mgr }, in: crm.NewPayment{}, want: crm.CodeInvalid, field: "amount"},
			{name: "negative", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: -5}, want: crm.CodeInvalid, field: "amount"},
			{name: "above the maximum", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: crm.MaxAmount + 1}, want: crm.CodeInvalid, field: "amount"},
			{name: "unknown method", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Method: "bitcoin"}, want: crm.CodeInvalid, field: "method"},
			{name: "reference too long", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Reference: strings.Repeat("é", 101)}, want: crm.CodeInvalid, field: "reference"},
			{name: "reference at the limit", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Reference: strings.Repeat("é", 100)},
				method: "transfer", on: "2026-05-01", due: 499900},
			{name: "invisible character", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Reference: "INV\u200b1"}, want: crm.CodeInvalid, field: "reference"},
			{name: "direction override", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Reference: "\u202eINV"}, want: crm.CodeInvalid, field: "reference"},
			{name: "newline", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, Reference: "a\nb"}, want: crm.CodeInvalid, field: "reference"},
			{name: "no such day", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, ReceivedOn: "2026-02-30"}, want: crm.CodeInvalid, field: "received_on"},
			{name: "not a date", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, ReceivedOn: "01/05/2026"}, want: crm.CodeInvalid, field: "received_on"},
			{name: "a date and time", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, ReceivedOn: "2026-05-01 10:00"}, want: crm.CodeInvalid, field: "received_on"},
			{name: "in the future", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, ReceivedOn: "2026-05-03"}, want: crm.CodeInvalid, field: "received_on"},
			{name: "absurdly old", who: func() context.Context { return w.mgr }, in: crm.NewPayment{Amount: 100, ReceivedOn: "1026-05-01"}, want: crm.CodeInvalid, field: "received_on"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w.t = t
				_, k := w.deal(false)
				id := k.ID
				if c.other {
					id = 999999
				}
				p, err := w.svc.RecordPayment(c.who(), id, c.in)
				after := must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
				if c.want != "" {
					wantCode(t, err, c.want)
					if e, _ := crm.AsError(err); c.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != c.field) {
						t.Errorf("fields %+v, want %s", e.Fields, c.field)
					}
					if after.AmountDue != k.AmountDue || after.Version != k.Version || len(w.ledger(w.mgr, k.ID)) != 0 {
						t.Errorf("a refused payment changed the contract: %+v", after)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if p.Kind != crm.KindPayment || p.Amount != c.in.Amount || p.Method != c.method || p.ReceivedOn != c.on ||
					p.AmountDueAfter != c.due || p.ContractID != k.ID || p.RefundOf != nil || p.Reason != "" || p.ID == 0 {
					t.Errorf("payment %+v", p)
				}
				if after.AmountDue != c.due || after.Version != k.Version+1 {
					t.Errorf("contract after: due %s version %d (was %d)", after.AmountDue, after.Version, k.Version)
				}
				if got := w.ledger(w.support, k.ID); len(got) != 1 || !same(got[0], p) {
					t.Errorf("ledger %+v, want [%+v]", got, p)
				}
				if c.check != nil {
					c.check(p)
				}
			})
		}
		w.t = t
		w.checkLedgers()
	})
}

// TestRefundRules: only MANAGEMENT refunds, at most what is left of a
// payment of the same contract, by its method.
func TestRefundRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		// Each case has a contract due 5000.00 with a card payment of 2000.00
		// (and a cash payment of 500.00 on another contract).
		_, elsewhere := w.deal(false)
		foreign := must[crm.Payment](t)(w.svc.RecordPayment(w.mgr, elsewhere.ID, crm.NewPayment{Amount: 50000, Method: "cash"}))
		cases := []struct {
			name   string
			who    func() context.Context
			before []crm.Cents // refunds of the payment made first
			in     func(paid crm.Payment) crm.NewRefund
			want   crm.Code
			field  string
			amount crm.Cents // the refund's amount when it succeeds
		}{
			{name: "all that is left", who: func() context.Context { return w.mgr },
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "Event cancelled"} }, amount: 200000},
			{name: "part", who: func() context.Context { return w.mgr2 },
				in: func(p crm.Payment) crm.NewRefund {
					return crm.NewRefund{PaymentID: p.ID, Amount: cents(50000), Reason: "Fewer guests"}
				}, amount: 50000},
			{name: "what is left after another refund", who: func() context.Context { return w.mgr }, before: []crm.Cents{150000},
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "The rest"} }, amount: 50000},
			{name: "exactly what is left", who: func() context.Context { return w.mgr }, before: []crm.Cents{150000},
				in: func(p crm.Payment) crm.NewRefund {
					return crm.NewRefund{PaymentID: p.ID, Amount: cents(50000), Reason: "The rest"}
				}, amount: 50000},
			{name: "more than is left", who: func() context.Context { return w.mgr }, before: []crm.Cents{150000},
				in: func(p crm.Payment) crm.NewRefund {
					return crm.NewRefund{PaymentID: p.ID, Amount: cents(50001), Reason: "Too much"}
				}, want: crm.CodeConflict},
			{name: "refunded in full already", who: func() context.Context { return w.mgr }, before: []crm.Cents{200000},
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "Again"} }, want: crm.CodeConflict},
			{name: "the contract's sales contact", who: func() context.Context { return w.sales },
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "Mine"} }, want: crm.CodeForbidden},
			{name: "support", who: func() context.Context { return w.support },
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "No"} }, want: crm.CodeForbidden},
			{name: "another contract's payment", who: func() context.Context { return w.mgr },
				in: func(crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: foreign.ID, Reason: "Wrong"} }, want: crm.CodeNotFound},
			{name: "no such payment", who: func() context.Context { return w.mgr },
				in: func(crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: 999999, Reason: "Wrong"} }, want: crm.CodeNotFound},
			{name: "a refund named", who: func() context.Context { return w.mgr }, before: []crm.Cents{1000},
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID + 1, Reason: "Twice"} }, want: crm.CodeInvalid, field: "payment_id"},
			{name: "no reason", who: func() context.Context { return w.mgr },
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "  "} }, want: crm.CodeInvalid, field: "reason"},
			{name: "reason too long", who: func() context.Context { return w.mgr },
				in: func(p crm.Payment) crm.NewRefund {
					return crm.NewRefund{PaymentID: p.ID, Reason: strings.Repeat("x", crm.MaxReasonLen+1)}
				}, want: crm.CodeInvalid, field: "reason"},
			{name: "invisible reason", who: func() context.Context { return w.mgr },
				in: func(p crm.Payment) crm.NewRefund { return crm.NewRefund{PaymentID: p.ID, Reason: "ok\u2066"} }, want: crm.CodeInvalid, field: "reason"},
			{name: "zero", who: func() context.Context { return w.mgr },
				in: func(p crm.Payment) crm.NewRefund {
					return crm.NewRefund{PaymentID: p.ID, Amount: cents(0), Reason: "Zero"}
				}, want: crm.CodeInvalid, field: "amount"},
			{name: "no payment named", who: func() context.Context { return w.mgr },
				in: func(crm.Payment) crm.NewRefund { return crm.NewRefund{Reason: "Which?"} }, want: crm.CodeInvalid, field: "payment_id"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				w.t = t
				_, k := w.deal(true)
				paid := must[crm.Payment](t)(w.svc.RecordPayment(w.sales, k.ID, crm.NewPayment{Amount: 200000, Method: "card"}))
				for _, a := range c.before {
					must[crm.Payment](t)(w.svc.RefundPayment(w.mgr, k.ID, crm.NewRefund{PaymentID: paid.ID, Amount: cents(a), Reason: "Earlier"}))
				}
				before := must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
				n := len(w.ledger(w.mgr, k.ID))
				r, err := w.svc.RefundPayment(c.who(), k.ID, c.in(paid))
				after := must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
				if c.want != "" {
					wantCode(t, err, c.want)
					if e, _ := crm.AsError(err); c.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != c.field) {
						t.Errorf("fields %+v, want %s", e.Fields, c.field)
					}
					if money(after) != money(before) || len(w.ledger(w.mgr, k.ID)) != n {
						t.Errorf("a refused refund changed something: %+v → %+v", before, after)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.Kind != crm.KindRefund || r.Amount != c.amount || r.Method != "card" || r.RefundOf == nil || *r.RefundOf != paid.ID ||
					r.AmountDueAfter != before.AmountDue+c.amount || r.ReceivedOn != "2026-05-01" || r.Reason == "" {
					t.Errorf("refund %+v", r)
				}
				if after.AmountDue != before.AmountDue+c.amount || after.Version != before.Version+1 {
					t.Errorf("contract after: %+v", after)
				}
			})
		}
		w.t = t
		w.checkLedgers()
	})
}

// TestContractAmountsFollowTheLedger: create --due and update --due record
// payments; a new total keeps what has been paid.
func TestContractAmountsFollowTheLedger(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		client, _ := w.deal(false)

		// Created with a part paid: an opening payment, audited.
		k := must[crm.Contract](t)(w.svc.CreateContract(w.mgr, crm.NewContract{ClientID: client.ID, TotalAmount: 500000, AmountDue: cents(120000)}))
		if k.AmountDue != 120000 {
			t.Fatalf("amount due %s", k.AmountDue)
		}
		l := w.ledger(w.mgr, k.ID)
		if len(l) != 1 || l[0].Amount != 380000 || l[0].Method != "other" || l[0].Reference != crm.OpeningReference ||
			l[0].AmountDueAfter != 120000 || l[0].RecordedByID != w.ids["mgr"] || l[0].ReceivedOn != "2026-05-01" {
			t.Fatalf("opening ledger %+v", l)
		}
		// Created due in full, or paid in full.
		full := must[crm.Contract](t)(w.svc.CreateContract(w.mgr, crm.NewContract{ClientID: client.ID, TotalAmount: 500000}))
		if l := w.ledger(w.mgr, full.ID); len(l) != 0 {
			t.Fatalf("a contract due in full has entries: %+v", l)
		}
		paid := must[crm.Contract](t)(w.svc.CreateContract(w.mgr, crm.NewContract{ClientID: client.ID, TotalAmount: 500000, AmountDue: cents(0)}))
		if l := w.ledger(w.mgr, paid.ID); len(l) != 1 || l[0].Amount != 500000 || paid.AmountDue != 0 {
			t.Fatalf("paid in full: %+v %+v", paid, l)
		}

		steps := []struct {
			name          string
			who           context.Context
			patch         crm.ContractPatch
			want          crm.Code
			total, due    crm.Cents // after
			entries       int       // ledger length after
			lastAmount    crm.Cents // of the last entry
			messageSubstr string
		}{
			{name: "a lower due is a payment", who: w.sales, patch: crm.ContractPatch{AmountDue: cents(100000)},
				total: 500000, due: 100000, entries: 2, lastAmount: 20000},
			{name: "the same due changes nothing", who: w.sales, patch: crm.ContractPatch{AmountDue: cents(100000)},
				total: 500000, due: 100000, entries: 2, lastAmount: 20000},
			{name: "a higher due is a refund's job", who: w.mgr, patch: crm.ContractPatch{AmountDue: cents(100001)},
				want: crm.CodeConflict, messageSubstr: "contracts refund", total: 500000, due: 100000, entries: 2},
			{name: "a higher total keeps what was paid", who: w.mgr, patch: crm.ContractPatch{TotalAmount: cents(600000)},
				total: 600000, due: 200000, entries: 2, lastAmount: 20000},
			{name: "a lower total keeps what was paid", who: w.sales, patch: crm.ContractPatch{TotalAmount: cents(450000)},
				total: 450000, due: 50000, entries: 2, lastAmount: 20000},
			{name: "a total below what was paid", who: w.mgr, patch: crm.ContractPatch{TotalAmount: cents(399999)},
				want: crm.CodeConflict, messageSubstr: "4000.00 has been paid", total: 450000, due: 50000, entries: 2},
			{name: "a total of exactly what was paid", who: w.mgr, patch: crm.ContractPatch{TotalAmount: cents(400000)},
				total: 400000, due: 0, entries: 2, lastAmount: 20000},
			{name: "a new total and a lower due", who: w.mgr, patch: crm.ContractPatch{TotalAmount: cents(700000), AmountDue: cents(250000)},
				total: 700000, due: 250000, entries: 3, lastAmount: 50000},
			{name: "a new total and a due above it", who: w.mgr, patch: crm.ContractPatch{TotalAmount: cents(700000), AmountDue: cents(700001)},
				want: crm.CodeInvalid, total: 700000, due: 250000, entries: 3},
			{name: "another sales rep", who: w.sales2, patch: crm.ContractPatch{AmountDue: cents(0)},
				want: crm.CodeForbidden, total: 700000, due: 250000, entries: 3},
		}
		for _, s := range steps {
			before := must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
			after, err := w.svc.UpdateContract(s.who, k.ID, s.patch)
			if s.want != "" {
				wantCode(t, err, s.want)
				if !strings.Contains(err.Error(), s.messageSubstr) {
					t.Errorf("%s: message %q", s.name, err)
				}
				after = must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
				if money(after) != money(before) {
					t.Errorf("%s: refused, yet changed: %+v → %+v", s.name, before, after)
				}
			} else if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			l := w.ledger(w.mgr, k.ID)
			if after.TotalAmount != s.total || after.AmountDue != s.due || len(l) != s.entries ||
				(s.lastAmount != 0 && l[len(l)-1].Amount != s.lastAmount) {
				t.Errorf("%s: total %s due %s, %d entries %+v", s.name, after.TotalAmount, after.AmountDue, len(l), l)
			}
			if s.want == "" && s.entries > 2 && l[len(l)-1].Method != "other" {
				t.Errorf("%s: method %s", s.name, l[len(l)-1].Method)
			}
		}
		w.checkLedgers()
	})
}

// TestPaymentAuditAndList: each entry is audited with its amounts, and the
// ledger lists oldest first, paged, with the amount due after each entry.
func TestPaymentAuditAndList(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		_, k := w.deal(true)
		p1 := must[crm.Payment](t)(w.svc.RecordPayment(w.sales, k.ID, crm.NewPayment{Amount: 150000, Reference: "DEP-1"}))
		p2 := must[crm.Payment](t)(w.svc.RecordPayment(w.mgr, k.ID, crm.NewPayment{Amount: 350000, Method: "cheque"}))
		r := must[crm.Payment](t)(w.svc.RefundPayment(w.mgr, k.ID, crm.NewRefund{PaymentID: p1.ID, Amount: cents(25000), Reason: "Fewer guests"}))

		var entries []crm.AuditEntry
		id := k.ID
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{Entity: "contract", EntityID: &id}, func(e crm.AuditEntry) error {
			entries = append(entries, e)
			return nil
		}))
		if len(entries) < 3 || entries[0].Action != "contract.refund" || entries[1].Action != "contract.payment" || entries[2].Action != "contract.payment" {
			t.Fatalf("audit %+v", entries)
		}
		refund, pay := entries[0].Changes, entries[2].Changes
		if change(refund["amount"]) != "<nil> → 250.00" || change(refund["amount_due"]) != "0.00 → 250.00" ||
			change(refund["refund_of"]) != fmt.Sprint("<nil> → ", p1.ID) || change(refund["reason"]) != "<nil> → Fewer guests" ||
			change(refund["method"]) != "<nil> → transfer" || change(refund["kind"]) != "<nil> → refund" {
			t.Errorf("refund audited as %v", refund)
		}
		if change(pay["amount"]) != "<nil> → 1500.00" || change(pay["amount_due"]) != "5000.00 → 3500.00" ||
			change(pay["reference"]) != "<nil> → DEP-1" || change(pay["payment_id"]) != fmt.Sprint("<nil> → ", p1.ID) ||
			*entries[2].ActorID != w.ids["sales"] {
			t.Errorf("payment audited as %v by %v", pay, *entries[2].ActorID)
		}

		want := []crm.Payment{p1, p2, r}
		if got := w.ledger(w.support, k.ID); len(got) != 3 || !same(got[0], p1) || !same(got[1], p2) || !same(got[2], r) {
			t.Fatalf("ledger %+v", got)
		}
		if p1.AmountDueAfter != 350000 || p2.AmountDueAfter != 0 || r.AmountDueAfter != 25000 {
			t.Errorf("amounts due after: %s %s %s", p1.AmountDueAfter, p2.AmountDueAfter, r.AmountDueAfter)
		}
		// Paged one by one, the same entries.
		var paged []crm.Payment
		f := crm.PaymentFilter{Page: crm.Page{Limit: 1}}
		for {
			next := must[string](t)(w.svc.ListPayments(w.sales2, k.ID, f, func(p crm.Payment) error { paged = append(paged, p); return nil }))
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(paged) != len(want) || !same(paged[0], p1) || !same(paged[2], r) {
			t.Errorf("paged %+v", paged)
		}
		// A cursor of another list, an unknown contract.
		_, err := w.svc.ListPayments(w.mgr, k.ID, crm.PaymentFilter{Page: crm.Page{Cursor: "bm9wZQ"}}, func(crm.Payment) error { return nil })
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.ListPayments(w.mgr, 999999, crm.PaymentFilter{}, func(crm.Payment) error { return nil })
		wantCode(t, err, crm.CodeNotFound)
		_, err = w.svc.ListPayments(context.Background(), k.ID, crm.PaymentFilter{}, func(crm.Payment) error { return nil })
		wantCode(t, err, crm.CodeUnauthenticated)

		// Whoever recorded a payment cannot be deleted: the ledger names them.
		must[crm.Payment](t)(w.svc.RecordPayment(w.mgr2, k.ID, crm.NewPayment{Amount: 100}))
		err = w.svc.DeleteEmployee(w.mgr, w.ids["mgr2"])
		wantCode(t, err, crm.CodeConflict)
		if !strings.Contains(err.Error(), "1 payment") {
			t.Errorf("message %q", err)
		}
		w.checkLedgers()
	})
}

// TestParallelPayments: 30 payments of 300.00 at once on a contract due
// 5000.00: exactly the 16 that fit succeed, the others are conflicts, and
// the amount due is exact.
func TestParallelPayments(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		_, k := w.deal(false)
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			ok, clash int
			other     []error
		)
		for i := range 30 {
			ctx := w.mgr
			if i%2 == 1 {
				ctx = w.sales
			}
			wg.Go(func() {
				_, err := w.svc.RecordPayment(ctx, k.ID, crm.NewPayment{Amount: 30000})
				mu.Lock()
				defer mu.Unlock()
				switch crm.ErrorCode(err) {
				case "":
					ok++
				case crm.CodeConflict:
					clash++
				default:
					other = append(other, err)
				}
			})
		}
		wg.Wait()
		if len(other) > 0 || ok != 16 || clash != 14 {
			t.Fatalf("%d succeeded, %d conflicts, other errors %v", ok, clash, other)
		}
		after := must[crm.Contract](t)(w.svc.GetContract(w.mgr, k.ID))
		l := w.ledger(w.mgr, k.ID)
		var sum crm.Cents
		for i, p := range l {
			sum += p.Amount
			if p.AmountDueAfter != 500000-sum {
				t.Errorf("entry %d: due after %s, want %s", i, p.AmountDueAfter, 500000-sum)
			}
		}
		if after.AmountDue != 20000 || sum != 480000 || len(l) != 16 || after.Version != k.Version+16 {
			t.Fatalf("due %s, ledger sum %s in %d entries, version %d", after.AmountDue, sum, len(l), after.Version)
		}
		w.checkLedgers()
	})
}
