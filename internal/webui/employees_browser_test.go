package webui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// TestBrowserEmployees: a manager's day with the staff, in a real browser,
// at both widths with JavaScript on, and once with it off: the list, a new
// employee and the temporary password shown once, the employee's page, a
// deactivation, a reactivation, a password reset, a deletion (each
// destructive one confirmed, in a dialog or on the page that asks without
// JavaScript), and the audit log of it all filtered by the employee. Every
// page passes axe-core, has no policy violation and no sideways scroll.
func TestBrowserEmployees(t *testing.T) {
	w := newWorld(t, "sqlite")
	for i, v := range views {
		t.Run(v.name, func(t *testing.T) {
			width := "phone"
			if strings.Contains(v.name, "desktop") {
				width = "desktop"
			}
			noJS := strings.Contains(v.name, "no JavaScript")
			p := w.browse(t, crm.RoleManagement, "/employees", v.opts...)
			checkPage(p)
			if got := p.Count("#employee-results tbody tr"); got != 5 {
				t.Errorf("%d active employees listed, want 5", got)
			}
			if i < 2 {
				p.Screenshot("employees-" + width)
			}

			// A new employee: the form refuses a bad email beside it, then
			// creates and shows the temporary password once.
			p.Click("#new-employee")
			p.Fill("#employee-first-name", "Noor")
			p.Fill("#employee-last-name", "Haddad")
			p.Fill("#employee-email", "noor@")
			p.Select("#employee-role", "SUPPORT")
			p.Click("#employee-submit")
			if p.Status() != http.StatusUnprocessableEntity || p.Attr("#employee-email", "aria-invalid") != "true" {
				t.Fatalf("a bad email: status %d, aria-invalid %q", p.Status(), p.Attr("#employee-email", "aria-invalid"))
			}
			checkPage(p)
			email := fmt.Sprintf("noor%d@epic.example", i)
			p.Fill("#employee-email", email)
			p.Click("#employee-submit")
			pw := p.Text("#temporary-password")
			if p.Status() != http.StatusOK || len(pw) != 23 {
				t.Fatalf("created: status %d, password %q", p.Status(), pw)
			}
			if strings.Contains(p.URL(), pw) {
				t.Error("the password is in the address")
			}
			checkPage(p)
			if i < 2 {
				p.Screenshot("employees-password-" + width)
			}
			p.Click("#password-done")
			if got := p.Text("h1"); got != "Noor Haddad" {
				t.Fatalf("the employee's page is %q", got)
			}
			checkPage(p)
			page := strings.TrimPrefix(p.URL(), w.ts.URL)

			// Edit: a new last name.
			p.Click("#employee-edit")
			checkPage(p)
			p.Fill("#employee-last-name", "Haddad-Ali")
			p.Click("#employee-submit")
			if got := p.Text(".flash"); got != "Noor Haddad-Ali is saved." {
				t.Errorf("after the edit: flash %q", got)
			}

			// With JavaScript, each destructive action asks in a dialog;
			// without, on a page of its own, answered here.
			p.AnswerDialogs(true)
			confirm := func(question string) {
				if !noJS {
					return
				}
				if got := p.Text("h1"); got != question {
					t.Fatalf("the page that asks says %q, want %q", got, question)
				}
				checkPage(p)
				p.Click("#confirm-yes")
			}
			p.Click("#employee-deactivate")
			confirm("Deactivate Noor Haddad-Ali?")
			if got := p.Text(".flash"); !strings.Contains(got, "is deactivated") {
				t.Errorf("after the deactivation: flash %q", got)
			}
			checkPage(p)
			p.Click("#employee-reactivate")
			if got := p.Text(".flash"); !strings.Contains(got, "is active again") {
				t.Errorf("after the reactivation: flash %q", got)
			}
			p.Click("#employee-set-password")
			confirm("Reset the password of Noor Haddad-Ali?")
			if again := p.Text("#temporary-password"); again == "" || again == pw {
				t.Errorf("the reset shows %q (the first was %q)", again, pw)
			}
			p.Go(w.ts.URL + page)
			p.Click("#employee-delete")
			confirm("Delete Noor Haddad-Ali?")
			if got := p.Text(".flash"); !strings.Contains(got, "is deleted") || !strings.HasSuffix(p.URL(), "/employees") {
				t.Errorf("after the deletion: %s, flash %q", p.URL(), got)
			}
			if !noJS {
				if d := p.Dialogs(); len(d) != 3 || !strings.HasPrefix(d[2], "Delete Noor Haddad-Ali") {
					t.Errorf("dialogs %q", d)
				}
			}
			if _, _, err := w.db.GetEmployeeByEmail(t.Context(), email); crm.ErrorCode(err) != crm.CodeNotFound {
				t.Errorf("the employee is not deleted: %v", err)
			}

			// The audit log, then only what Ada did to that record.
			p.Go(w.ts.URL + "/audit")
			checkPage(p)
			p.Select("#audit-entity", "employee")
			p.Fill("#audit-entity-id", strings.TrimPrefix(page, "/employees/"))
			p.Select("#audit-actor-id", fmt.Sprint(w.person("ada").ID))
			p.Click("#audit-filter")
			checkPage(p)
			if i < 2 {
				p.Screenshot("audit-" + width)
			}
			want := []string{"Deleted", "Reset the password", "Reactivated", "Deactivated", "Changed", "Created"}
			got := strings.Fields(strings.ReplaceAll(p.Text("#audit-results tbody"), "\n", " "))
			if n := p.Count("#audit-results tbody tr"); n != len(want) {
				t.Errorf("%d entries about the employee, want %d: %q", n, len(want), got)
			}
			for _, s := range want {
				if !strings.Contains(p.Text("#audit-results tbody"), s) {
					t.Errorf("the history lacks %q", s)
				}
			}
		})
	}
}

// TestBrowserEmployeesForbidden: a sales rep who types the address gets the
// 403 page, which passes the checks of every page.
func TestBrowserEmployeesForbidden(t *testing.T) {
	w := newWorld(t, "sqlite")
	p := w.browse(t, crm.RoleManagement, "/", browsertest.Width(375))
	if n := p.Count(`header a[href="/employees"]`); n != 1 {
		t.Errorf("a manager's menu has %d links to the employees", n)
	}
	p = w.browse(t, crm.RoleSales, "/", browsertest.Width(375))
	if n := p.Count(`header a[href="/employees"], header a[href="/audit"]`); n != 0 {
		t.Errorf("a sales rep's menu links to the employees or the audit log")
	}
	for _, path := range []string{"/employees", "/audit"} {
		p.Go(w.ts.URL + path)
		if p.Status() != http.StatusForbidden {
			t.Errorf("%s: status %d", path, p.Status())
		}
		checkPage(p)
	}
}
