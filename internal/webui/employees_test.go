package webui

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// temporaryPassword is the password an answer page shows once.
var temporaryPasswordRE = regexp.MustCompile(`<code id="temporary-password">([^<]*)</code>`)

func shownPassword(t *testing.T, body string) string {
	t.Helper()
	m := temporaryPasswordRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no temporary password on the page:\n%s", body)
	}
	return html.UnescapeString(m[1])
}

// employeePath is the page of the person key.
func (w *world) employeePath(key string, suffix ...string) string {
	return fmt.Sprintf("/employees/%d", w.person(key).ID) + strings.Join(suffix, "")
}

// employeeNow reads an employee from the database, as the manager.
func (w *world) employeeNow(t *testing.T, id int64) (crm.Employee, error) {
	t.Helper()
	return w.svc.GetEmployee(w.as("ada"), id)
}

func TestEmployeesList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		r := ada.get("/employees")
		wantStatus(t, r, http.StatusOK)
		results := func(body string) string { _, after, _ := strings.Cut(body, `id="employee-results"`); return after }
		wantIn(t, r.Body, "Ada Lovelace", "Bill Boquet", "Chloé Durand", "Kate Hastroff", "Aliénor Vichum",
			`href="/employees/new"`, fmt.Sprintf(`href="/employees/%d"`, w.person("bill").ID), "Sales", "Support", "Europe/Paris")
		wantNotIn(t, r.Body, "Olga Former")
		// The CLI's order: by last name.
		if i, j := strings.Index(results(r.Body), "Bill Boquet"), strings.Index(results(r.Body), "Ada Lovelace"); i < 0 || j < 0 || i > j {
			t.Error("Boquet is not listed before Lovelace")
		}
		r = ada.get("/employees?all=1")
		wantIn(t, r.Body, "Olga Former", "Deactivated", `id="employees-all" name="all" value="1" checked`)
		r = ada.get("/employees?role=SUPPORT")
		wantIn(t, r.Body, "Kate Hastroff", "Aliénor Vichum", `<option value="SUPPORT" selected>`)
		wantNotIn(t, results(r.Body), "Bill Boquet", "Ada Lovelace")
		wantStatus(t, ada.get("/employees?all=yes"), http.StatusBadRequest)
		wantStatus(t, ada.get("/employees?role=BOSS"), http.StatusUnprocessableEntity)
		wantStatus(t, ada.get("/employees?cursor=not-a-cursor"), http.StatusUnprocessableEntity)

		// 50 a page, and a Next link to the rest.
		for i := range 50 {
			if _, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: "Temp", LastName: fmt.Sprintf("Zed%02d", i),
				Email: fmt.Sprintf("zed%02d@epic.example", i), Role: crm.RoleSupport, Password: testPassword}); err != nil {
				t.Fatal(err)
			}
		}
		r = ada.get("/employees")
		if n := strings.Count(r.Body, `<td data-label="Name">`); n != listRows {
			t.Errorf("%d rows on the first page, want %d", n, listRows)
		}
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next</a>`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no Next link")
		}
		r = ada.get(html.UnescapeString(m[1]))
		wantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.Body, `<td data-label="Name">`); n != 5+50-listRows {
			t.Errorf("%d rows on the second page, want %d", n, 5+50-listRows)
		}
		wantIn(t, r.Body, "Temp Zed49")
		wantNotIn(t, r.Body, `rel="next"`)
	})
}

// TestEmployeesForbidden: the section is the managers'; anyone else gets the
// 403 page for every page and action, sees no menu entry, and changes
// nothing.
func TestEmployeesForbidden(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kate := w.person("kate")
		for _, key := range []string{"bill", "kate"} {
			c := w.loginAsPerson(key)
			home := c.get("/")
			wantNotIn(t, home.Body, `href="/employees"`, `href="/audit"`)
			for _, path := range []string{"/employees", "/employees/new", w.employeePath("kate"), w.employeePath("kate", "/edit"), "/audit"} {
				r := c.get(path)
				wantStatus(t, r, http.StatusForbidden)
				wantIn(t, r.Body, "You may not do this", "only MANAGEMENT may")
			}
			for path, form := range map[string]url.Values{
				"/employees": {"first_name": {"Eve"}, "last_name": {"Sneak"}, "email": {"eve@epic.example"}, "role": {"MANAGEMENT"}},
				w.employeePath("kate"): {"first_name": {"Katie"}, "last_name": {"Hastroff"}, "email": {kate.Email},
					"role": {"SUPPORT"}, "version": {strconv.FormatInt(kate.Version, 10)}},
				w.employeePath("kate", "/deactivate"):   {},
				w.employeePath("olga", "/reactivate"):   {},
				w.employeePath("kate", "/delete"):       {},
				w.employeePath("kate", "/set-password"): {},
			} {
				r := c.post(path, form)
				wantStatus(t, r, http.StatusForbidden)
				wantNotIn(t, r.Body, "temporary-password")
			}
		}
		if _, _, err := w.db.GetEmployeeByEmail(context.Background(), "eve@epic.example"); crm.ErrorCode(err) != crm.CodeNotFound {
			t.Errorf("an employee was created: %v", err)
		}
		now, err := w.employeeNow(t, kate.ID)
		if err != nil || now.FirstName != "Kate" || !now.Active || now.Version != kate.Version {
			t.Errorf("Kate changed: %+v %v", now, err)
		}
		if _, err := w.svc.LoginWeb(context.Background(), kate.Email, testPassword); err != nil {
			t.Errorf("Kate's password changed: %v", err)
		}
		if olga, _ := w.employeeNow(t, w.person("olga").ID); olga.Active {
			t.Error("Olga was reactivated")
		}
	})
}

func TestEmployeeCreate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		r := ada.get("/employees/new")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `<label for="employee-first-name">First name</label>`, `<label for="employee-last-name">Last name</label>`,
			`<label for="employee-email">Email</label>`, `<select id="employee-role" name="role"`, `<option value="SALES">Sales</option>`,
			`action="/employees"`)
		wantNotIn(t, r.Body, `name="password"`, `name="version"`)

		// Invalid values: 422, the form as typed, a message by each bad field.
		r = ada.post("/employees", url.Values{"first_name": {"  "}, "last_name": {"Ngo"}, "email": {"dan@"}, "role": {"CEO"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="Ngo"`, `value="dan@"`, `aria-invalid="true" aria-describedby="employee-first-name-error"`,
			`id="employee-email-error"`, `id="employee-role-error"`)
		wantNotIn(t, r.Body, "temporary-password")
		// An email in use: 409, by the email field.
		r = ada.post("/employees", url.Values{"first_name": {"Bill"}, "last_name": {"Again"}, "email": {"BILL@epic.example"}, "role": {"SALES"}})
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, `id="employee-email-error"`, `value="Again"`)

		r = ada.post("/employees", url.Values{"first_name": {" Dan "}, "last_name": {"Ngo"}, "email": {"Dan@Epic.example"}, "role": {"SUPPORT"}})
		wantStatus(t, r, http.StatusOK)
		pw := shownPassword(t, r.Body)
		wantIn(t, r.Body, "Temporary password for Dan Ngo", "shown only this once", "dan@epic.example")
		if r.Location() != "" {
			t.Errorf("the answer leads to %q", r.Location())
		}
		_, _, err := w.db.GetEmployeeByEmail(context.Background(), "dan@epic.example")
		if err != nil {
			t.Fatal(err)
		}
		// The password is nowhere but on that page: not in a cookie, the
		// logs or the audit trail.
		for _, c := range r.Cookies {
			if strings.Contains(c.Value, pw) {
				t.Errorf("cookie %s holds the password", c.Name)
			}
		}
		if strings.Contains(w.logs.String(), pw) {
			t.Error("the logs hold the password")
		}
		audit := ada.get("/audit?entity=employee")
		wantIn(t, audit.Body, "Dan")
		if strings.Contains(audit.Body, pw) {
			t.Error("the audit log holds the password")
		}
		// Dan logs in with it, and must choose his own first.
		dan := w.newClient()
		wantRedirect(t, dan.login("dan@epic.example", pw, ""), "/")
		wantRedirect(t, dan.get("/"), "/me")
	})
}

func TestEmployeePage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		bill := w.person("bill")
		r := ada.get(w.employeePath("bill"))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "<h1>Bill Boquet</h1>", "bill@epic.example", "Sales", "Active",
			`action="`+w.employeePath("bill", "/deactivate")+`"`, `action="`+w.employeePath("bill", "/delete")+`"`,
			`action="`+w.employeePath("bill", "/set-password")+`"`, `href="`+w.employeePath("bill", "/edit")+`"`,
			"Hand their clients and contracts to", `<option value="`+strconv.FormatInt(w.person("chloe").ID, 10)+`">Chloé Durand</option>`,
			fmt.Sprintf(`href="/audit?entity=employee&amp;entity_id=%d"`, bill.ID), fmt.Sprintf(`href="/audit?actor_id=%d"`, bill.ID))
		// Only active SALES, and not Bill himself, may take his clients.
		wantNotIn(t, r.Body, `>Bill Boquet</option>`, `>Olga Former</option>`, `>Kate Hastroff</option>`, `/reactivate"`)

		r = ada.get(w.employeePath("kate"))
		wantIn(t, r.Body, "Hand their upcoming events to", `>Aliénor Vichum</option>`)
		wantNotIn(t, r.Body, `>Kate Hastroff</option>`, `>Chloé Durand</option>`)

		// A deactivated employee may be reactivated, not deactivated.
		r = ada.get(w.employeePath("olga"))
		wantIn(t, r.Body, "Deactivated on", `action="`+w.employeePath("olga", "/reactivate")+`"`)
		wantNotIn(t, r.Body, "/deactivate")

		// Nobody deactivates, deletes or resets themselves: no such button.
		r = ada.get(w.employeePath("ada"))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "This is your own account", `href="/employees/`)
		wantNotIn(t, r.Body, "/deactivate", "/delete", "/set-password", "/reactivate")

		wantStatus(t, ada.get("/employees/999999"), http.StatusNotFound)
		wantStatus(t, ada.get("/employees/bill"), http.StatusNotFound)
		wantStatus(t, ada.get("/employees/999999/edit"), http.StatusNotFound)
		wantStatus(t, ada.post("/employees/999999/deactivate", url.Values{}), http.StatusNotFound)
	})
}

func TestEmployeeEdit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		chloe := w.person("chloe")
		r := ada.get(w.employeePath("chloe", "/edit"))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `value="Chloé"`, `value="Durand"`, `value="chloe@epic.example"`, `<option value="SALES" selected>`,
			fmt.Sprintf(`<input type="hidden" name="version" value="%d">`, chloe.Version))
		form := func(first, last, email, role string, version int64) url.Values {
			return url.Values{"first_name": {first}, "last_name": {last}, "email": {email}, "role": {role},
				"version": {strconv.FormatInt(version, 10)}}
		}

		// Nothing changed (an email in another case is the same): nothing saved.
		wantRedirect(t, ada.post(w.employeePath("chloe"), form(" Chloé", "Durand ", "Chloe@Epic.example", "SALES", chloe.Version)), w.employeePath("chloe"))
		if now, _ := w.employeeNow(t, chloe.ID); now.Version != chloe.Version {
			t.Errorf("saved without a change: version %d", now.Version)
		}
		// Invalid values: 422 with what was typed.
		r = ada.post(w.employeePath("chloe"), form("Chloé", "", "chloe@", "SALES", chloe.Version))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="chloe@"`, `id="employee-last-name-error"`, `id="employee-email-error"`)
		// A role change refused while she owns clients: 409, with why.
		r = ada.post(w.employeePath("chloe"), form("Chloé", "Durand", "chloe@epic.example", "SUPPORT", chloe.Version))
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "still owns 2 clients")
		if now, _ := w.employeeNow(t, chloe.ID); now.Role != crm.RoleSales {
			t.Errorf("the role changed to %s", now.Role)
		}

		// Saved.
		r = ada.post(w.employeePath("chloe"), form("Chloé", "Durand-Roy", "chloe@epic.example", "SALES", chloe.Version))
		wantRedirect(t, r, w.employeePath("chloe"))
		wantIn(t, ada.get(r.Location()).Body, "Chloé Durand-Roy is saved.")
		now, err := w.employeeNow(t, chloe.ID)
		if err != nil || now.LastName != "Durand-Roy" {
			t.Fatalf("not saved: %+v %v", now, err)
		}

		// A stale form (loaded before that save) overwrites nothing: 409
		// with the current values and version.
		r = ada.post(w.employeePath("chloe"), form("Chloé", "Durand", "chloe.d@epic.example", "SALES", chloe.Version))
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "changed since you opened it", `value="Durand-Roy"`, `value="chloe@epic.example"`,
			fmt.Sprintf(`name="version" value="%d"`, now.Version))
		if again, _ := w.employeeNow(t, chloe.ID); again.Email != "chloe@epic.example" || again.LastName != "Durand-Roy" {
			t.Errorf("a stale form overwrote: %+v", again)
		}
		wantStatus(t, ada.post(w.employeePath("chloe"), url.Values{"first_name": {"X"}}), http.StatusBadRequest)

		// A role change of an employee who owns nothing ends their sessions.
		alienor := w.person("alienor")
		if _, err := w.svc.AssignSupport(w.as("ada"), w.event("dinner").ID, w.person("kate").ID); err != nil {
			t.Fatal(err)
		}
		session := w.loginAsPerson("alienor")
		r = ada.post(w.employeePath("alienor"), form("Aliénor", "Vichum", "alienor@epic.example", "SALES", alienor.Version))
		wantRedirect(t, r, w.employeePath("alienor"))
		if now, _ := w.employeeNow(t, alienor.ID); now.Role != crm.RoleSales {
			t.Errorf("role %s", now.Role)
		}
		wantEnded(t, session, "")

		// Her own role is not offered to the manager.
		r = ada.get(w.employeePath("ada", "/edit"))
		wantIn(t, r.Body, "Nobody changes their own department")
		wantNotIn(t, r.Body, `name="role"`)
	})
}

func TestEmployeeDeactivateReactivate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		bill, chloe := w.person("bill"), w.person("chloe")
		session := w.loginAsPerson("bill")

		// Only an active SALES employee may take his clients: 422 by the select.
		r := ada.post(w.employeePath("bill", "/deactivate"), url.Values{"reassign_to": {strconv.FormatInt(w.person("kate").ID, 10)}, "confirm": {"1"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `id="deactivate-reassign-to-error"`, "Must be an active SALES employee.")
		r = ada.post(w.employeePath("bill", "/deactivate"), url.Values{"reassign_to": {"bill"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if now, _ := w.employeeNow(t, bill.ID); !now.Active {
			t.Fatal("Bill was deactivated by a refused form")
		}

		r = ada.post(w.employeePath("bill", "/deactivate"), url.Values{"reassign_to": {strconv.FormatInt(chloe.ID, 10)}, "confirm": {"1"}})
		wantRedirect(t, r, w.employeePath("bill"))
		wantIn(t, ada.get(r.Location()).Body, "Bill Boquet is deactivated", "went to Chloé Durand", "Deactivated on")
		if now, _ := w.employeeNow(t, bill.ID); now.Active {
			t.Error("Bill is still active")
		}
		kevin, err := w.svc.GetClient(w.as("ada"), w.client("kevin").ID)
		if err != nil || kevin.SalesContactID != chloe.ID {
			t.Errorf("Kevin's sales contact is %d, want Chloé: %v", kevin.SalesContactID, err)
		}
		wantEnded(t, session, "")
		// Twice: 409, with why.
		r = ada.post(w.employeePath("bill", "/deactivate"), url.Values{})
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "already deactivated")

		// Without anyone to hand them to, a SUPPORT employee keeps her events.
		wantRedirect(t, ada.post(w.employeePath("alienor", "/deactivate"), url.Values{"reassign_to": {""}, "confirm": {"1"}}), w.employeePath("alienor"))

		r = ada.post(w.employeePath("olga", "/reactivate"), url.Values{})
		wantRedirect(t, r, w.employeePath("olga"))
		if now, _ := w.employeeNow(t, w.person("olga").ID); !now.Active {
			t.Error("Olga is not active")
		}
		wantRedirect(t, w.newClient().login("olga@epic.example", testPassword, ""), "/")
		wantStatus(t, ada.post(w.employeePath("olga", "/reactivate"), url.Values{}), http.StatusConflict)

		// Not herself.
		r = ada.post(w.employeePath("ada", "/deactivate"), url.Values{})
		wantStatus(t, r, http.StatusForbidden)
		if now, _ := w.employeeNow(t, w.person("ada").ID); !now.Active {
			t.Error("Ada deactivated herself")
		}
	})
}

func TestEmployeeDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		// Still named by clients: 409, the page says why and offers the
		// deactivation.
		r := ada.post(w.employeePath("bill", "/delete"), confirmYes)
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "<h1>Bill Boquet</h1>", "still referenced by 2 clients", "deactivate the employee instead",
			`action="`+w.employeePath("bill", "/deactivate")+`"`)
		if _, err := w.employeeNow(t, w.person("bill").ID); err != nil {
			t.Errorf("Bill is gone: %v", err)
		}
		wantStatus(t, ada.post(w.employeePath("ada", "/delete"), url.Values{}), http.StatusForbidden)

		e, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: "Short", LastName: "Stay",
			Email: "short@epic.example", Role: crm.RoleSupport, Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/employees/%d", e.ID)
		r = ada.post(path+"/delete", confirmYes)
		wantRedirect(t, r, "/employees")
		wantIn(t, ada.get("/employees").Body, "Short Stay is deleted.")
		if _, err := w.employeeNow(t, e.ID); crm.ErrorCode(err) != crm.CodeNotFound {
			t.Errorf("still there: %v", err)
		}
		wantStatus(t, ada.get(path), http.StatusNotFound)
		wantStatus(t, ada.post(path+"/delete", confirmYes), http.StatusNotFound)
	})
}

func TestEmployeeSetPassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		session := w.loginAsPerson("kate")
		r := ada.post(w.employeePath("kate", "/set-password"), confirmYes)
		wantStatus(t, r, http.StatusOK)
		pw := shownPassword(t, r.Body)
		wantIn(t, r.Body, "Temporary password for Kate Hastroff", "sessions have ended")
		if strings.Contains(w.logs.String(), pw) {
			t.Error("the logs hold the password")
		}
		wantEnded(t, session, "")
		if _, err := w.svc.LoginWeb(context.Background(), "kate@epic.example", testPassword); err == nil {
			t.Error("the old password still works")
		}
		kate := w.newClient()
		wantRedirect(t, kate.login("kate@epic.example", pw, ""), "/")
		wantRedirect(t, kate.get("/"), "/me")

		// Not one's own: that is the account page's form.
		wantStatus(t, ada.post(w.employeePath("ada", "/set-password"), url.Values{}), http.StatusForbidden)
		if _, err := w.svc.LoginWeb(context.Background(), "ada@epic.example", testPassword); err != nil {
			t.Errorf("Ada's password changed: %v", err)
		}
		wantStatus(t, ada.post("/employees/999999/set-password", url.Values{}), http.StatusNotFound)
	})
}

// TestEmployeesEscape: names typed by a manager show as text on every page
// that shows them.
func TestEmployeesEscape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		for i, bad := range xss {
			r := ada.post("/employees", url.Values{"first_name": {bad}, "last_name": {bad}, "email": {fmt.Sprintf("x%d@epic.example", i)}, "role": {"SALES"}})
			wantStatus(t, r, http.StatusOK)
			e, _, err := w.db.GetEmployeeByEmail(context.Background(), fmt.Sprintf("x%d@epic.example", i))
			if err != nil {
				t.Fatal(err)
			}
			// The 422 form shows what was typed, escaped.
			invalid := ada.post("/employees", url.Values{"first_name": {bad}, "last_name": {bad}, "email": {"nope"}, "role": {"SALES"}})
			path := fmt.Sprintf("/employees/%d", e.ID)
			pages := map[string]string{"created": r.Body, "invalid form": invalid.Body}
			for _, p := range []string{"/employees", path, path + "/edit", "/audit", fmt.Sprintf("/audit?entity=employee&entity_id=%d", e.ID)} {
				pages[p] = ada.get(p).Body
			}
			pages["bill's page"] = ada.get(w.employeePath("bill")).Body // in the reassign select
			for name, body := range pages {
				if strings.Contains(body, bad) {
					t.Errorf("%s holds %q unescaped", name, bad)
				}
				if !strings.Contains(body, html.EscapeString(bad)) && !strings.Contains(body, strings.ReplaceAll(html.EscapeString(bad), "+", "&#43;")) {
					t.Errorf("%s does not show %q as text", name, bad)
				}
			}
		}
	})
}
