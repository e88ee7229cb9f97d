package webui

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// auditRowsOf are the rows of the audit log's table in body.
func auditRowsOf(body string) []string {
	_, list, _ := strings.Cut(body, "<tbody>")
	list, _, _ = strings.Cut(list, "</tbody>")
	return regexp.MustCompile(`(?s)<tr>.*?</tr>`).FindAllString(list, -1)
}

func TestAuditPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		bill := w.person("bill")
		// Enough entries for two pages.
		for i := range 20 {
			if _, err := w.svc.UpdateEvent(w.as("ada"), w.event("gala").ID, crm.EventPatch{Attendees: ptrTo(300 + i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
		// A change: its before → after, its time, who did it.
		if _, err := w.svc.UpdateEmployee(w.as("ada"), bill.ID, crm.EmployeePatch{LastName: ptrTo("Bouquet")}); err != nil {
			t.Fatal(err)
		}
		r := ada.get("/audit")
		wantStatus(t, r, http.StatusOK)
		rows := auditRowsOf(r.Body)
		if len(rows) != auditRows {
			t.Fatalf("%d rows, want %d", len(rows), auditRows)
		}
		// Newest first: the change, at its time in the company's zone, then
		// the updates before it; Ada's login further down.
		var newest crm.AuditEntry
		if _, err := w.svc.ListAudit(w.as("ada"), crm.AuditFilter{Page: crm.Page{Limit: 1}}, func(e crm.AuditEntry) error {
			newest = e
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		wantIn(t, rows[0], w.srv.clock.dateTime(newest.At), `<a href="/employees/`, "Ada Lovelace", "Changed",
			fmt.Sprintf("<a href=\"/employees/%d\">Employee\u00a0%d</a>", bill.ID, bill.ID), "Last name</span>: Boquet → Bouquet")
		wantIn(t, rows[1], "Attendees</span>: 319 → 320")
		wantIn(t, rows[21], "Logged in", "Ada Lovelace", "from 127.0.0.1")
		wantIn(t, r.Body, "Europe/Paris", `rel="next"`, `<label for="audit-actor-id">Done by</label>`,
			`<option value="`+fmt.Sprint(w.person("olga").ID)+`">Olga Former (deactivated)</option>`)

		// Filters: one record's history, one person's actions.
		r = ada.get(fmt.Sprintf("/audit?entity=employee&entity_id=%d", bill.ID))
		wantStatus(t, r, http.StatusOK)
		rows = auditRowsOf(r.Body)
		if len(rows) != 2 { // created, changed
			t.Fatalf("%d entries about Bill, want 2:\n%s", len(rows), strings.Join(rows, "\n"))
		}
		wantIn(t, rows[1], "Created", "First name</span>: none → Bill", "Role</span>: none → SALES")
		wantNotIn(t, rows[1], "Id</span>") // the Record column has the number
		wantIn(t, r.Body, `<option value="employee" selected>`, `href="/audit">Show everything`)
		r = ada.get(fmt.Sprintf("/audit?actor_id=%d", bill.ID))
		for _, row := range auditRowsOf(r.Body) {
			wantIn(t, row, "Bill Bouquet")
			wantNotIn(t, row, "Ada Lovelace")
		}
		wantIn(t, r.Body, "Created", "Client\u00a0"+fmt.Sprint(w.client("kevin").ID), "Company name</span>: none → Cool Startup LLC")
		// A failed login names the email typed, without an actor.
		if c := w.newClient(); c.login("kate@epic.example", "not her password at all", "").Status != http.StatusUnauthorized {
			t.Fatal("a wrong password was accepted")
		}
		r = ada.get(fmt.Sprintf("/audit?entity=employee&entity_id=%d", w.person("kate").ID))
		wantIn(t, auditRowsOf(r.Body)[0], "Failed to log in")

		// Invalid filters: 422, the form as typed, a message by the field.
		r = ada.get("/audit?entity_id=twelve&actor_id=-3")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="twelve"`, `aria-invalid="true" aria-describedby="audit-entity-id-error"`, `id="audit-actor-id-error"`)
		r = ada.get("/audit?entity=planet")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `id="audit-entity-error"`)
		wantStatus(t, ada.get("/audit?cursor=nope"), http.StatusUnprocessableEntity)

		// The next page goes on where the first stopped.
		first := ada.get("/audit")
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next</a>`).FindStringSubmatch(first.Body)
		if m == nil {
			t.Fatal("no Next link")
		}
		second := ada.get(html.UnescapeString(m[1]))
		wantStatus(t, second, http.StatusOK)
		if rows := auditRowsOf(second.Body); len(rows) == 0 || strings.Contains(first.Body, rows[0]) {
			t.Error("the second page does not go on from the first")
		}
	})
}

// TestAuditValue: the values of a change read as words; times in the
// company's zone.
func TestAuditValue(t *testing.T) {
	w := newWorld(t, "sqlite")
	for _, c := range []struct {
		in   any
		want string
	}{
		{nil, "none"},
		{true, "yes"},
		{false, "no"},
		{"", "empty"},
		{"Boquet", "Boquet"},
		{float64(75), "75"},
		{"2026-05-04T16:00:00Z", w.srv.clock.dateTime(w.parse("2026-05-04 18:00"))},
		{[]any{"a", float64(1)}, `["a",1]`},
	} {
		if got := w.srv.auditValue(c.in); got != c.want {
			t.Errorf("%#v: %q, want %q", c.in, got, c.want)
		}
	}
	if got := auditActionText("payment.something_new"); got != "payment.something_new" {
		t.Errorf("an unknown action shows as %q", got)
	}
	if got := fieldText("sales_contact_id"); got != "Sales contact id" {
		t.Errorf("fieldText: %q", got)
	}
}

// TestAuditForbidden: only managers read the audit log.
func TestAuditForbidden(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for _, role := range []crm.Role{crm.RoleSales, crm.RoleSupport} {
			r := w.loginAs(role).get("/audit?entity=employee")
			wantStatus(t, r, http.StatusForbidden)
			wantIn(t, r.Body, "read the audit log: only MANAGEMENT may")
			wantNotIn(t, r.Body, "<tbody>")
		}
	})
}
