package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// ledgerOf is the whole ledger of contract key, oldest first.
func ledgerOf(t *testing.T, w *world, key string) []crm.Payment {
	t.Helper()
	var out []crm.Payment
	if _, err := w.svc.ListPayments(w.as("ada"), w.contract(key).ID, crm.PaymentFilter{Page: crm.Page{Limit: 1000}},
		func(p crm.Payment) error { out = append(out, p); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// dueOf is the amount due of contract key as stored.
func dueOf(t *testing.T, w *world, key string) crm.Cents {
	t.Helper()
	k, err := w.svc.GetContract(w.as("ada"), w.contract(key).ID)
	if err != nil {
		t.Fatal(err)
	}
	return k.AmountDue
}

func TestLedgerShownByRole(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		// kevinSigned (bill's): 20000 total, 12000 paid before it was
		// recorded, 8000 due.
		path := fmt.Sprintf("/contracts/%d", w.contract("kevinSigned").ID)
		opening := ledgerOf(t, w, "kevinSigned")
		if len(opening) != 1 {
			t.Fatalf("the world's kevinSigned has %d entries, want its opening payment", len(opening))
		}
		refundAction := fmt.Sprintf(`action="/contracts/%d/payments/%d/refund"`, w.contract("kevinSigned").ID, opening[0].ID)
		for _, c := range []struct {
			who            string
			pay, mayRefund bool
		}{
			{"ada", true, true},
			{"bill", true, false},   // the contract's sales contact
			{"chloe", false, false}, // another sales rep
			{"kate", false, false},  // SUPPORT reads it
		} {
			t.Run(c.who, func(t *testing.T) {
				r := w.loginAsPerson(c.who).get(path)
				wantStatus(t, r, http.StatusOK)
				wantIn(t, r.Body, `<h2 id="ledger-heading">Payments</h2>`, "Payment "+fmt.Sprint(opening[0].ID),
					"12000.00 €", crm.OpeningReference, "Ada Lovelace", "8000.00 €", "Other", "Amount due after")
				payForm := `action="` + path + `/payments"`
				if strings.Contains(r.Body, payForm) != c.pay {
					t.Errorf("pay form shown: %v, want %v", !c.pay, c.pay)
				}
				if c.pay {
					wantIn(t, r.Body, `<label for="pay-amount">Amount</label>`, `<label for="pay-method">Method</label>`,
						`<label for="pay-reference">Reference</label>`, `<label for="pay-received-on">Received on</label>`,
						`<option value="transfer" selected>Transfer</option>`, `<option value="cheque">Cheque</option>`,
						// Today in Paris.
						`type="date" id="pay-received-on" name="received_on" value="2026-05-04"`)
				}
				if strings.Contains(r.Body, refundAction) != c.mayRefund {
					t.Errorf("refund form shown: %v, want %v", !c.mayRefund, c.mayRefund)
				}
				if c.mayRefund {
					// The amount starts at what is left of the payment.
					wantIn(t, r.Body, fmt.Sprintf(`id="refund-%d-amount" name="amount" value="12000.00"`, opening[0].ID),
						fmt.Sprintf(`<label for="refund-%d-reason">Reason</label>`, opening[0].ID))
				}
			})
		}
		// A contract paid in full: no form, a sentence.
		r := w.loginAsPerson("bill").get(fmt.Sprintf("/contracts/%d", w.contract("wedding").ID))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "Paid in full: nothing is due.")
		wantNotIn(t, r.Body, `id="pay-amount"`)
		// A contract without a payment says so.
		wantIn(t, w.loginAsPerson("chloe").get(fmt.Sprintf("/contracts/%d", w.contract("leaSigned").ID)).Body,
			"No payment yet.", `id="pay-amount"`)
	})
}

func TestRecordPayment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		k := w.contract("kevinSigned")
		path := fmt.Sprintf("/contracts/%d", k.ID)
		bill := w.loginAsPerson("bill")
		form := func(amount, method, ref, on string) url.Values {
			return url.Values{"amount": {amount}, "method": {method}, "reference": {ref}, "received_on": {on}}
		}

		// 422: the form again, as typed, a message by the bad field,
		// nothing recorded.
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{form("12,50", "card", "R1", "2026-05-01"), "amount"},
			{form("", "card", "R1", "2026-05-01"), "amount"},
			{form("0", "card", "R1", "2026-05-01"), "amount"},
			{form("-5", "card", "R1", "2026-05-01"), "amount"},
			{form("10", "bitcoin", "R1", "2026-05-01"), "method"},
			{form("10", "card", strings.Repeat("x", 101), "2026-05-01"), "reference"},
			{form("10", "card", "R1", "01/05/2026"), "received-on"},
			{form("10", "card", "R1", "2030-01-01"), "received-on"},
		} {
			r := bill.post(path+"/payments", c.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantIn(t, r.Body, `id="pay-`+c.field+`-error"`, `aria-invalid="true"`,
				`aria-describedby="pay-`+c.field+`-error`, "Check the fields marked below.")
			if v := c.form.Get("amount"); v != "" {
				wantIn(t, r.Body, `id="pay-amount" name="amount" value="`+v+`"`)
			}
			wantIn(t, r.Body, `value="`+c.form.Get("received_on")+`"`)
		}
		if n := len(ledgerOf(t, w, "kevinSigned")); n != 1 {
			t.Fatalf("invalid forms recorded %d entries", n-1)
		}

		// 409: more than is due; the form, the message naming the amount
		// due, nothing recorded.
		r := bill.post(path+"/payments", form("8000.01", "card", "R2", "2026-05-01"))
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, `role="alert">A payment of 8000.01 is more than the 8000.00 due`, `value="8000.01"`, `value="R2"`)
		if due := dueOf(t, w, "kevinSigned"); due != 800_000 {
			t.Fatalf("amount due %s after a refused payment", due)
		}

		// 303 back to the page, with a message; the entry and the amount
		// due in the database and on the page.
		r = bill.post(path+"/payments", form("2500.50", "cheque", "CHQ 0042", "2026-05-02"))
		wantStatus(t, r, http.StatusSeeOther)
		if r.Location() != path {
			t.Fatalf("to %q", r.Location())
		}
		l := ledgerOf(t, w, "kevinSigned")
		p := l[len(l)-1]
		if len(l) != 2 || p.Amount != 250_050 || p.Method != crm.MethodCheque || p.Reference != "CHQ 0042" ||
			p.ReceivedOn != "2026-05-02" || p.RecordedByID != w.person("bill").ID || p.AmountDueAfter != 549_950 {
			t.Fatalf("ledger %+v", l)
		}
		if due := dueOf(t, w, "kevinSigned"); due != 549_950 {
			t.Fatalf("amount due %s", due)
		}
		r = bill.get(path)
		wantIn(t, r.Body, "Payment of 2500.50 € recorded; 5499.50 € is now due.", "Cheque", "CHQ 0042",
			"Bill Boquet", "Sat 2 May 2026", "5499.50 €")
		// Oldest first.
		if i, j := strings.Index(r.Body, crm.OpeningReference), strings.Index(r.Body, "CHQ 0042"); i < 0 || i > j {
			t.Error("the ledger is not oldest first")
		}

		// Method and date may be left out: transfer, today.
		wantStatus(t, bill.post(path+"/payments", url.Values{"amount": {"100"}}), http.StatusSeeOther)
		l = ledgerOf(t, w, "kevinSigned")
		if p := l[len(l)-1]; p.Method != crm.MethodTransfer || p.ReceivedOn != "2026-05-04" {
			t.Errorf("defaults: %+v", p)
		}

		// 403 for who may not record one, even with a typing mistake;
		// 404 for a contract that does not exist.
		for _, who := range []string{"chloe", "kate"} {
			c := w.loginAsPerson(who)
			for _, amount := range []string{"10", "bad"} {
				r := c.post(path+"/payments", form(amount, "card", "", ""))
				wantStatus(t, r, http.StatusForbidden)
				wantIn(t, r.Body, "only MANAGEMENT and the contract")
			}
		}
		wantStatus(t, bill.post("/contracts/999999/payments", form("10", "card", "", "")), http.StatusNotFound)
		wantStatus(t, bill.post("/contracts/x/payments", form("10", "card", "", "")), http.StatusNotFound)
		if n := len(ledgerOf(t, w, "kevinSigned")); n != 3 {
			t.Fatalf("refused payments recorded: %d entries", n)
		}

		// MANAGEMENT records on any contract.
		wantStatus(t, w.loginAs(crm.RoleManagement).post(fmt.Sprintf("/contracts/%d/payments", w.contract("leaSigned").ID),
			form("1000", "transfer", "VIR-1", "")), http.StatusSeeOther)
		if due := dueOf(t, w, "leaSigned"); due != 850_000 {
			t.Errorf("leaSigned due %s", due)
		}
	})
}

func TestRefundPayment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		k := w.contract("kevinSigned")
		path := fmt.Sprintf("/contracts/%d", k.ID)
		opening := ledgerOf(t, w, "kevinSigned")[0]
		refund := fmt.Sprintf("%s/payments/%d/refund", path, opening.ID)
		ada := w.loginAs(crm.RoleManagement)
		fid := fmt.Sprintf("refund-%d", opening.ID)

		// 422: reason required, amount an amount; the form is unfolded
		// with what was typed.
		for _, c := range []struct {
			form  url.Values
			field string
		}{
			{url.Values{"amount": {"100"}, "reason": {""}}, "reason"},
			{url.Values{"amount": {"1O0"}, "reason": {"cancelled"}}, "amount"},
			{url.Values{"amount": {"0"}, "reason": {"cancelled"}}, "amount"},
		} {
			r := ada.post(refund, c.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantIn(t, r.Body, `<details class="refund" open>`, `id="`+fid+`-`+c.field+`-error"`, `aria-invalid="true"`,
				`id="`+fid+`-amount" name="amount" value="`+c.form.Get("amount")+`"`)
		}
		// 409: more than the payment.
		r := ada.post(refund, url.Values{"amount": {"12000.01"}, "reason": {"too much"}})
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, `<details class="refund" open>`, "refund at most 12000.00", `value="too much"`)
		if n := len(ledgerOf(t, w, "kevinSigned")); n != 1 {
			t.Fatalf("refused refunds recorded: %d entries", n)
		}

		// 303: a part refunded; the amount due rises; the page says which
		// payment the refund gives back, and offers what is left.
		r = ada.post(refund, url.Values{"amount": {"2000"}, "reason": {"Launch party moved"}})
		wantStatus(t, r, http.StatusSeeOther)
		l := ledgerOf(t, w, "kevinSigned")
		rf := l[len(l)-1]
		if len(l) != 2 || rf.Kind != crm.KindRefund || rf.Amount != 200_000 || rf.RefundOf == nil || *rf.RefundOf != opening.ID ||
			rf.Reason != "Launch party moved" || rf.Method != opening.Method || rf.AmountDueAfter != 1_000_000 {
			t.Fatalf("ledger %+v", l)
		}
		if due := dueOf(t, w, "kevinSigned"); due != 1_000_000 {
			t.Fatalf("amount due %s", due)
		}
		r = ada.get(path)
		wantIn(t, r.Body, fmt.Sprintf("Refund of 2000.00 € of payment %d recorded; 10000.00 € is now due.", opening.ID),
			fmt.Sprintf(`Refund %d of <a href="#entry-%d">payment %d</a>`, rf.ID, opening.ID, opening.ID),
			"−2000.00 €", "Launch party moved", fmt.Sprintf(`id="%s-amount" name="amount" value="10000.00"`, fid))

		// The amount may be left empty: all that is left.
		wantStatus(t, ada.post(refund, url.Values{"reason": {"Cancelled"}}), http.StatusSeeOther)
		if due := dueOf(t, w, "kevinSigned"); due != k.TotalAmount {
			t.Fatalf("amount due %s after refunding everything", due)
		}
		r = ada.get(path)
		wantIn(t, r.Body, "Refunded in full")
		wantNotIn(t, r.Body, `action="`+refund+`"`)
		// Nothing is left: 409.
		wantStatus(t, ada.post(refund, url.Values{"amount": {"1"}, "reason": {"again"}}), http.StatusConflict)

		// A refund is not refunded; another contract's payment is not
		// found; nor is a payment that does not exist.
		l = ledgerOf(t, w, "kevinSigned")
		r = ada.post(fmt.Sprintf("%s/payments/%d/refund", path, l[1].ID), url.Values{"reason": {"x"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, "is a refund; name the payment it refunds")
		wedding := ledgerOf(t, w, "wedding")[0]
		wantStatus(t, ada.post(fmt.Sprintf("%s/payments/%d/refund", path, wedding.ID), url.Values{"reason": {"x"}}), http.StatusNotFound)
		wantStatus(t, ada.post(path+"/payments/999999/refund", url.Values{"reason": {"x"}}), http.StatusNotFound)
		wantStatus(t, ada.post(path+"/payments/x/refund", url.Values{"reason": {"x"}}), http.StatusNotFound)

		// Only MANAGEMENT refunds: the sales contact is refused, even with
		// a typing mistake, and nothing is recorded.
		wedPath := fmt.Sprintf("/contracts/%d/payments/%d/refund", w.contract("wedding").ID, wedding.ID)
		for _, who := range []string{"bill", "chloe", "kate"} {
			for _, amount := range []string{"10", "bad"} {
				r := w.loginAsPerson(who).post(wedPath, url.Values{"amount": {amount}, "reason": {"x"}})
				wantStatus(t, r, http.StatusForbidden)
				wantIn(t, r.Body, "only MANAGEMENT may")
			}
		}
		if n := len(ledgerOf(t, w, "wedding")); n != 1 {
			t.Fatalf("refused refunds recorded: %d entries", n)
		}
	})
}

// The ledger pages 50 entries at a time, with a Next link.
func TestLedgerPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		k := w.contract("leaSigned")
		for i := range 51 {
			if _, err := w.svc.RecordPayment(w.as("chloe"), k.ID, crm.NewPayment{Amount: 100, Reference: fmt.Sprintf("instalment %02d", i+1)}); err != nil {
				t.Fatal(err)
			}
		}
		chloe := w.loginAsPerson("chloe")
		r := chloe.get(fmt.Sprintf("/contracts/%d", k.ID))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "instalment 01", "instalment 50", `rel="next">Next</a>`)
		wantNotIn(t, r.Body, "instalment 51")
		i := strings.Index(r.Body, `<nav class="pager" aria-label="More results"><a href="`)
		next := r.Body[i+len(`<nav class="pager" aria-label="More results"><a href="`):]
		next = strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&")
		if !strings.HasPrefix(next, fmt.Sprintf("/contracts/%d?payments_cursor=", k.ID)) {
			t.Fatalf("next %q", next)
		}
		r = chloe.get(next)
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "instalment 51")
		wantNotIn(t, r.Body, "instalment 50<", `rel="next"`)
		wantStatus(t, chloe.get(fmt.Sprintf("/contracts/%d?payments_cursor=not-a-cursor", k.ID)), http.StatusUnprocessableEntity)
	})
}

// A reference and a reason show as text.
func TestLedgerEscapes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		k := w.contract("leaSigned")
		for _, bad := range xss {
			p, err := w.svc.RecordPayment(w.as("chloe"), k.ID, crm.NewPayment{Amount: 100, Reference: bad})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.svc.RefundPayment(w.as("ada"), k.ID, crm.NewRefund{PaymentID: p.ID, Reason: bad}); err != nil {
				t.Fatal(err)
			}
		}
		for _, who := range []string{"ada", "chloe", "kate"} {
			r := w.loginAsPerson(who).get(fmt.Sprintf("/contracts/%d", k.ID))
			wantStatus(t, r, http.StatusOK)
			for _, bad := range xss {
				wantNotIn(t, r.Body, bad)
				wantIn(t, r.Body, escaped(bad))
			}
		}
		// As typed into a refused form too.
		r := w.loginAs(crm.RoleManagement).post(fmt.Sprintf("/contracts/%d/payments", k.ID),
			url.Values{"amount": {"bad"}, "reference": {xss[0]}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantNotIn(t, r.Body, xss[0])
		wantIn(t, r.Body, escaped(xss[0]))
	})
}

// My work's money due is the contracts' amount due, which the ledger keeps.
func TestMyWorkDueFollowsLedger(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		bill, ada := w.loginAsPerson("bill"), w.loginAs(crm.RoleManagement)
		// bill: kevinSigned 8000 + kevinUnsigned 5000; the company adds
		// leaSigned 9500 and leaUnsigned 1200.
		wantIn(t, bill.get("/").Body, "13000.00 €")
		wantIn(t, ada.get("/").Body, "23700.00 €")
		wantStatus(t, bill.post(fmt.Sprintf("/contracts/%d/payments", w.contract("kevinSigned").ID),
			url.Values{"amount": {"3000"}}), http.StatusSeeOther)
		wantIn(t, bill.get("/").Body, "10000.00 €")
		wantIn(t, ada.get("/").Body, "20700.00 €")
		opening := ledgerOf(t, w, "kevinSigned")[0]
		wantStatus(t, ada.post(fmt.Sprintf("/contracts/%d/payments/%d/refund", w.contract("kevinSigned").ID, opening.ID),
			url.Values{"amount": {"500"}, "reason": {"goodwill"}}), http.StatusSeeOther)
		wantIn(t, bill.get("/").Body, "10500.00 €")
		wantIn(t, ada.get("/").Body, "21200.00 €")
	})
}

// A payment or a refund sent from another site, or without a session, is
// refused before it runs, and records nothing.
func TestLedgerActionsRefusedCrossOriginOrSignedOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		k := w.contract("kevinSigned")
		opening := ledgerOf(t, w, "kevinSigned")[0]
		pay := fmt.Sprintf("/contracts/%d/payments", k.ID)
		refund := fmt.Sprintf("/contracts/%d/payments/%d/refund", k.ID, opening.ID)
		ada := w.loginAs(crm.RoleManagement)
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		} {
			wantStatus(t, ada.post(pay, url.Values{"amount": {"10"}}, h...), http.StatusForbidden)
			wantStatus(t, ada.post(refund, url.Values{"reason": {"forged"}}, h...), http.StatusForbidden)
		}
		anon := w.newClient()
		for _, p := range []string{pay, refund} {
			r := anon.post(p, url.Values{"amount": {"10"}, "reason": {"x"}})
			wantStatus(t, r, http.StatusSeeOther)
			if r.Location() != "/login" {
				t.Errorf("%s signed out leads to %q", p, r.Location())
			}
		}
		if n := len(ledgerOf(t, w, "kevinSigned")); n != 1 {
			t.Fatalf("refused actions recorded %d entries", n-1)
		}
	})
}
