package webui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// TestBrowserConfirmDelete: a manager deletes an employee, asked once: with
// JavaScript off, on the page that asks (Cancel leads back and deletes
// nothing; Yes deletes), with JavaScript on, in one dialog and no such page.
// The page that asks passes the checks of every page.
func TestBrowserConfirmDelete(t *testing.T) {
	w := newWorld(t, "sqlite")
	for i, v := range views[:4] {
		t.Run(v.name, func(t *testing.T) {
			e, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: "Noor", LastName: "Haddad",
				Email: fmt.Sprintf("noor%d@epic.example", i), Role: crm.RoleSupport, Password: testPassword})
			if err != nil {
				t.Fatal(err)
			}
			page := fmt.Sprintf("/employees/%d", e.ID)
			p := w.browse(t, crm.RoleManagement, page, v.opts...)
			gone := func() bool {
				_, err := w.employeeNow(t, e.ID)
				return crm.ErrorCode(err) == crm.CodeNotFound
			}

			if strings.Contains(v.name, "no JavaScript") {
				p.Click("#employee-delete")
				if got := p.Text("h1"); got != "Delete "+e.Name()+"?" {
					t.Fatalf("the page that asks says %q", got)
				}
				if got := p.Text("#confirm-yes"); got != "Yes, delete "+e.Name() {
					t.Errorf("its button says %q", got)
				}
				checkPage(p)
				width := "phone"
				if strings.Contains(v.name, "desktop") {
					width = "desktop"
				}
				p.Screenshot("confirm-" + width)
				if gone() {
					t.Fatal("deleted before the answer")
				}
				p.Click("#confirm-cancel")
				if !strings.HasSuffix(p.URL(), page) || p.Text("h1") != e.Name() {
					t.Fatalf("Cancel leads to %s (%q)", p.URL(), p.Text("h1"))
				}
				if gone() {
					t.Fatal("deleted after Cancel")
				}
				p.Click("#employee-delete")
				p.Click("#confirm-yes")
			} else {
				p.AnswerDialogs(true)
				p.Click("#employee-delete")
				if d := p.Dialogs(); len(d) != 1 || d[0] != "Delete "+e.Name()+"? This cannot be undone." {
					t.Errorf("dialogs %q", d)
				}
			}
			if got := p.Text(".flash"); got != e.Name()+" is deleted." || !strings.HasSuffix(p.URL(), "/employees") {
				t.Errorf("after the deletion: %s, flash %q", p.URL(), got)
			}
			checkPage(p)
			if !gone() {
				t.Error("the employee is not deleted")
			}
		})
	}
}

// TestBrowserConfirmAddsTheAnswer: with JavaScript, a contract's Sign button
// asks in a dialog; answered no, nothing is sent and its form gains nothing;
// answered yes, the form goes with confirm=1 and the contract is signed at
// once, without the page that asks.
func TestBrowserConfirmAddsTheAnswer(t *testing.T) {
	w := newWorld(t, "sqlite")
	k := w.contract("kevinUnsigned")
	p := w.browse(t, crm.RoleSales, fmt.Sprintf("/contracts/%d", k.ID), browsertest.Width(1440))
	// Answered no: nothing sent, and nothing added to the form.
	p.ClickExpectingNothing("#contract-sign")
	if n := p.Count(`form[action$="/sign"] input[name="confirm"]`); n != 0 {
		t.Errorf("a dismissed question added %d confirm fields", n)
	}
	p.AnswerDialogs(true)
	p.Click("#contract-sign")
	if got := p.Text(".flash"); got != fmt.Sprintf("Contract %d is signed.", k.ID) {
		t.Errorf("after signing: flash %q (%s)", got, p.Text("h1"))
	}
	if d := p.Dialogs(); len(d) != 2 {
		t.Errorf("dialogs %q", d)
	}
}
