package webui

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// TestBrowserLedger: a sales rep records a payment on their contract (one
// refused as more than is due first), then a manager refunds part of it
// from the folded form of that payment, in every view (a phone's and a
// desktop's width, JavaScript on and off, dark). The screenshots
// contract-ledger-phone and -desktop come from here.
func TestBrowserLedger(t *testing.T) {
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			w := newWorld(t, "sqlite")
			k := w.contract("kevinSigned")
			path := fmt.Sprintf("/contracts/%d", k.ID)
			p := w.browse(t, crm.RoleSales, path, v.opts...)
			checkPage(p)
			if p.Count("#ledger table.ledger tbody tr") != 1 || p.Count("details.refund") != 0 {
				t.Fatalf("bill sees %d entries and %d refund forms", p.Count("#ledger tbody tr"), p.Count("details.refund"))
			}

			// More than is due: refused, the form kept.
			p.Fill("#pay-amount", "9000")
			p.Click("#pay-save")
			if p.Status() != http.StatusConflict {
				t.Fatalf("status %d", p.Status())
			}
			checkPage(p)
			wantText(t, p, "form.pay .form-message", "more than the 8000.00 due")

			p.Fill("#pay-amount", "2500")
			p.Select("#pay-method", crm.MethodCheque)
			p.Fill("#pay-reference", "CHQ 0042")
			p.Select("#pay-received-on", "2026-05-02")
			p.Click("#pay-save")
			checkPage(p)
			wantText(t, p, ".flash", "Payment of 2500.00 € recorded; 5500.00 € is now due.")
			wantText(t, p, "#ledger tbody", "CHQ 0042")
			l := ledgerOf(t, w, "kevinSigned")
			paid := l[len(l)-1]
			if len(l) != 2 || paid.Amount != 250_000 || paid.Method != crm.MethodCheque || paid.ReceivedOn != "2026-05-02" {
				t.Fatalf("ledger %+v", l)
			}

			m := w.browse(t, crm.RoleManagement, path, v.opts...)
			checkPage(m)
			if n := m.Count("details.refund"); n != 2 {
				t.Fatalf("%d refund forms, want one per payment", n)
			}
			// Unfolding the form is no request, with JavaScript or without.
			m.ClickExpectingNothing(fmt.Sprintf("#entry-%d summary", paid.ID))
			m.WaitFor(fmt.Sprintf(`document.querySelector("#entry-%d details").open`, paid.ID))
			if got := m.Attr(fmt.Sprintf("#refund-%d-amount", paid.ID), "value"); got != "2500.00" {
				t.Errorf("the refund starts at %q, want all that is left", got)
			}
			checkPage(m)
			shoot(m, v.name, "contract-ledger")
			m.Fill(fmt.Sprintf("#refund-%d-amount", paid.ID), "1000")
			m.Fill(fmt.Sprintf("#refund-%d-reason", paid.ID), "Two guests fewer")
			m.Click(fmt.Sprintf("#refund-%d-save", paid.ID))
			checkPage(m)
			wantText(t, m, ".flash", fmt.Sprintf("Refund of 1000.00 € of payment %d recorded; 6500.00 € is now due.", paid.ID))
			wantText(t, m, "#ledger tbody", "Two guests fewer")
			if due := dueOf(t, w, "kevinSigned"); due != 650_000 {
				t.Errorf("amount due %s", due)
			}
		})
	}
}
