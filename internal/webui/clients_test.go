package webui

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// escaped is s as html/template writes it in text and attributes.
func escaped(s string) string { return strings.ReplaceAll(html.EscapeString(s), "+", "&#43;") }

// inputValue is the value of the input named name in body ("" when absent).
func inputValue(body, name string) string {
	m := regexp.MustCompile(`<input[^>]* name="` + regexp.QuoteMeta(name) + `"[^>]*?(?: value="([^"]*)")?[^>]*>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestClientsList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		bill := w.loginAs(crm.RoleSales)
		r := bill.get("/clients")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "Kevin Casey", "John Ouick", "Jacky Blangier", "Léa Martin", "Cool Startup LLC",
			`href="/clients/new"`, `href="/clients?mine=1"`, `href="tel:&#43;67812345678"`, "Europe/Paris")
		// The CLI's order: by last name.
		if i, j := strings.Index(r.Body, "Jacky Blangier"), strings.Index(r.Body, "Kevin Casey"); i < 0 || j < 0 || i > j {
			t.Error("Blangier is not listed before Casey")
		}

		r = bill.get("/clients?search=ouick")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "John Ouick", `value="ouick"`)
		wantNotIn(t, r.Body, "Kevin Casey", "Jacky Blangier")

		// A word of digits finds the phone.
		r = bill.get("/clients?search=612345")
		wantIn(t, r.Body, "Jacky Blangier")
		wantNotIn(t, r.Body, "Kevin Casey")

		r = bill.get("/clients?mine=1")
		wantIn(t, r.Body, "Kevin Casey", "John Ouick")
		wantNotIn(t, r.Body, "Jacky Blangier", "Léa Martin")

		r = bill.get(fmt.Sprintf("/clients?sales_contact_id=%d", w.person("chloe").ID))
		wantIn(t, r.Body, "Jacky Blangier", "Léa Martin")
		wantNotIn(t, r.Body, "Kevin Casey")

		for _, bad := range []string{"/clients?mine=yes", "/clients?sales_contact_id=bill", "/clients?sales_contact_id=-1"} {
			wantStatus(t, bill.get(bad), http.StatusBadRequest)
		}
		wantStatus(t, bill.get("/clients?cursor=not-a-cursor"), http.StatusUnprocessableEntity)

		// Neither a manager nor support creates clients, and neither has
		// clients of their own.
		for _, role := range []crm.Role{crm.RoleManagement, crm.RoleSupport} {
			r := w.loginAs(role).get("/clients")
			wantStatus(t, r, http.StatusOK)
			wantIn(t, r.Body, "Kevin Casey")
			wantNotIn(t, r.Body, `href="/clients/new"`, `href="/clients?mine=1"`)
		}
	})
}

func TestClientsListPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for i := range listRows {
			if _, err := w.svc.CreateClient(w.as("bill"), crm.NewClient{FirstName: "Page", LastName: fmt.Sprintf("Zed%02d", i),
				Email: fmt.Sprintf("zed%02d@example.com", i)}); err != nil {
				t.Fatal(err)
			}
		}
		bill := w.loginAs(crm.RoleSales)
		r := bill.get("/clients?mine=1")
		wantStatus(t, r, http.StatusOK)
		if n := strings.Count(r.Body, "<tr>") - 1; n != listRows {
			t.Errorf("the first page shows %d clients, want %d", n, listRows)
		}
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next</a>`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatal("no Next link")
		}
		next := html.UnescapeString(m[1])
		if !strings.HasPrefix(next, "/clients?") || !strings.Contains(next, "mine=1") || !strings.Contains(next, "cursor=") {
			t.Errorf("Next leads to %q", next)
		}
		r = bill.get(next)
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "Page Zed48", "Page Zed49")
		wantNotIn(t, r.Body, "Kevin Casey", `rel="next"`)
	})
}

func TestClientCreate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		bill := w.loginAs(crm.RoleSales)
		r := bill.get("/clients/new")
		wantStatus(t, r, http.StatusOK)
		for _, f := range []string{"first_name", "last_name", "email", "phone", "company_name"} {
			wantIn(t, r.Body, `name="`+f+`"`)
		}
		wantIn(t, r.Body, `<label for="client-first-name">First name</label>`, `<label for="client-company-name">Company</label>`)

		// Invalid: 422, the values as typed, a message by each bad field.
		bad := url.Values{"first_name": {"Marie"}, "last_name": {""}, "email": {"marie@"}, "phone": {"12"}, "company_name": {"Curie SA"}}
		r = bill.post("/clients", bad)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="Marie"`, `value="marie@"`, `value="Curie SA"`,
			`id="client-email" name="email" value="marie@" autocomplete="off" maxlength="254" required aria-invalid="true" aria-describedby="client-email-error"`,
			`id="client-last-name-error"`, `id="client-phone-error"`)
		if n := countClients(t, w, "Curie SA"); n != 0 {
			t.Errorf("an invalid form created %d clients", n)
		}

		// Valid: 303 to the new client, owned by the viewer.
		good := url.Values{"first_name": {" Marie "}, "last_name": {"Curie"}, "email": {"Marie@Curie.example"},
			"phone": {"+33 6 12 34 56 78"}, "company_name": {"Curie SA"}}
		r = bill.post("/clients", good)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/clients/") {
			t.Fatalf("status %d to %q", r.Status, r.Location())
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.Location(), "/clients/"), 10, 64)
		c, err := w.svc.GetClient(w.as("ada"), id)
		if err != nil {
			t.Fatal(err)
		}
		if c.FirstName != "Marie" || c.Email != "marie@curie.example" || *c.Phone != "+33612345678" || c.SalesContactID != w.person("bill").ID {
			t.Errorf("created %+v", c)
		}
		page := bill.get(r.Location())
		wantIn(t, page.Body, "Client Marie Curie created.", "Marie Curie", "&#43;33 6 12 34 56 78")

		// The same email again: a conflict, shown on the form.
		r = bill.post("/clients", good)
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, `value="Curie SA"`, `class="form-message"`)
		if n := countClients(t, w, "Curie SA"); n != 1 {
			t.Errorf("%d clients of Curie SA, want 1", n)
		}

		// Managers and support do not create clients: 403 pages, nothing made.
		for _, role := range []crm.Role{crm.RoleManagement, crm.RoleSupport} {
			c := w.loginAs(role)
			r := c.get("/clients/new")
			wantStatus(t, r, http.StatusForbidden)
			wantIn(t, r.Body, "You may not do this", "only SALES may")
			good.Set("email", "other-"+string(role)+"@curie.example")
			wantStatus(t, c.post("/clients", good), http.StatusForbidden)
		}
		if n := countClients(t, w, "Curie SA"); n != 1 {
			t.Errorf("%d clients of Curie SA, want 1", n)
		}
	})
}

// countClients is how many clients the search finds.
func countClients(t *testing.T, w *world, search string) int {
	t.Helper()
	n := 0
	if _, err := w.svc.ListClients(w.as("ada"), crm.ClientFilter{Search: search}, func(crm.Client) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClientEdit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kevin := w.client("kevin")
		path := fmt.Sprintf("/clients/%d", kevin.ID)
		bill := w.loginAs(crm.RoleSales)
		r := bill.get(path + "/edit")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `value="Kevin"`, `value="Casey"`, `value="kevin@startup.io"`, `value="Cool Startup LLC"`)
		version := inputValue(r.Body, "version")
		if version != strconv.FormatInt(kevin.Version, 10) {
			t.Fatalf("the form carries version %q, want %d", version, kevin.Version)
		}
		form := url.Values{"first_name": {"Kevin"}, "last_name": {"Casey"}, "email": {"kevin@startup.io"},
			"phone": {inputValue(r.Body, "phone")}, "company_name": {"Cool Startup SAS"}, "version": {version}}

		// Invalid: 422 with the values as typed.
		invalid := url.Values{}
		for k, v := range form {
			invalid[k] = v
		}
		invalid.Set("email", "not an email")
		r = bill.post(path, invalid)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="not an email"`, `value="Cool Startup SAS"`, `aria-invalid="true"`)

		// Saved at the version it was loaded at.
		wantRedirect(t, bill.post(path, form), path)
		after, err := w.svc.GetClient(w.as("ada"), kevin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if *after.CompanyName != "Cool Startup SAS" || *after.Phone != "+67812345678" {
			t.Errorf("after the edit: %+v", after)
		}

		// The same form again is stale: 409, the current values, nothing
		// overwritten.
		form.Set("company_name", "Overwritten Ltd")
		r = bill.post(path, form)
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "changed since you opened it", `value="Cool Startup SAS"`,
			`name="version" value="`+strconv.FormatInt(after.Version, 10)+`"`)
		wantNotIn(t, r.Body, "Overwritten Ltd")
		if c, _ := w.svc.GetClient(w.as("ada"), kevin.ID); *c.CompanyName != "Cool Startup SAS" {
			t.Errorf("a stale edit overwrote the company: %q", *c.CompanyName)
		}
		// A form without its version is refused.
		form.Del("version")
		wantStatus(t, bill.post(path, form), http.StatusBadRequest)

		// Another sales rep may not edit Bill's client.
		chloe := w.loginAsPerson("chloe")
		wantStatus(t, chloe.get(path+"/edit"), http.StatusForbidden)
		form.Set("version", strconv.FormatInt(after.Version, 10))
		wantStatus(t, chloe.post(path, form), http.StatusForbidden)
		if c, _ := w.svc.GetClient(w.as("ada"), kevin.ID); *c.CompanyName != "Cool Startup SAS" {
			t.Errorf("a refused edit changed the company: %q", *c.CompanyName)
		}
		// A manager may.
		wantStatus(t, w.loginAs(crm.RoleManagement).get(path+"/edit"), http.StatusOK)

		// Clients that do not exist.
		for _, p := range []string{"/clients/999999", "/clients/999999/edit", "/clients/abc", "/clients/0"} {
			wantStatus(t, bill.get(p), http.StatusNotFound)
		}
		wantStatus(t, bill.post("/clients/999999", form), http.StatusNotFound)
		// The page says what was not found, without the CLI's command.
		r = bill.get("/clients/999999")
		wantIn(t, r.Body, "Client 999999 not found.")
		wantNotIn(t, r.Body, "epicevents clients list")
	})
}

func TestClientPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kevin := w.client("kevin")
		path := fmt.Sprintf("/clients/%d", kevin.ID)
		r := w.loginAs(crm.RoleSupport).get(path)
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "<h1>Kevin Casey</h1>", "kevin@startup.io", "Cool Startup LLC", "Bill Boquet",
			"First contact", "Sun 18 Apr 2021", "Last update", "Wed 29 Mar 2023, 16:20",
			fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinSigned").ID),
			fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinUnsigned").ID),
			"20000.00", "8000.00", "Not signed",
			"Cool Startup Launch Party", "Cool Startup Anniversary", "Station F", "Kate Hastroff", "Aliénor Vichum")
		wantNotIn(t, r.Body, "John Ouick Wedding")
		// Events in order of start.
		if i, j := strings.Index(r.Body, "Launch Party"), strings.Index(r.Body, "Anniversary"); i > j {
			t.Error("the events are not in order of start")
		}
		wantNotIn(t, r.Body, "All events of this client")

		buttons := []string{`id="client-edit"`, `id="new-contract"`, `id="client-reassign"`}
		for _, c := range []struct {
			who  string
			want []bool
		}{
			{"kate", []bool{false, false, false}},
			{"chloe", []bool{false, false, false}},
			{"bill", []bool{true, false, false}},
			{"ada", []bool{true, true, true}},
		} {
			body := w.loginAsPerson(c.who).get(path).Body
			for i, b := range buttons {
				if strings.Contains(body, b) != c.want[i] {
					t.Errorf("%s: %s shown: %v", c.who, b, !c.want[i])
				}
			}
		}
		// The reassign form offers active sales reps only, by name.
		body := w.loginAs(crm.RoleManagement).get(path).Body
		wantIn(t, body, ">Bill Boquet</option>", ">Chloé Durand</option>")
		wantNotIn(t, body, "Olga Former", ">Kate Hastroff</option>")
	})
}

// TestClientPageEvents: the client's page shows the first 50 events of
// all the client's contracts, by start as the CLI lists them, and links to
// the list of them all when there are more.
func TestClientPageEvents(t *testing.T) {
	w := newWorld(t, "sqlite")
	kevin := w.client("kevin")
	second, err := w.svc.CreateContract(w.as("ada"), crm.NewContract{ClientID: kevin.ID, TotalAmount: 100_000, Signed: true})
	if err != nil {
		t.Fatal(err)
	}
	// 60 events, alternately on each contract, their starts out of the
	// order they were made in.
	for i := range 60 {
		contract := w.contract("kevinSigned").ID
		if i%2 == 1 {
			contract = second.ID
		}
		start := w.at("2027-01-01", "10:00").Add(time.Duration((i*37)%60) * time.Hour)
		if _, err := w.svc.CreateEvent(w.as("bill"), crm.NewEvent{ContractID: contract,
			Name: fmt.Sprintf("Meeting %02d", (i*37)%60), Start: start, End: start.Add(30 * time.Minute), Location: "Paris"}); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, e := range []string{"launch", "offsite", "dinner", "anniversary"} {
		want = append(want, w.event(e).Name)
	}
	for i := range listRows - len(want) {
		want = append(want, fmt.Sprintf("Meeting %02d", i))
	}
	r := w.loginAs(crm.RoleSupport).get(fmt.Sprintf("/clients/%d", kevin.ID))
	wantStatus(t, r, http.StatusOK)
	if got := eventLinks(r.Body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the client's events: %q\nwant %q", got, want)
	}
	wantIn(t, r.Body, fmt.Sprintf(`<a href="/events?client_id=%d">All events of this client</a>`, kevin.ID))
	// That list holds them all, from the same first page.
	r = w.loginAs(crm.RoleSupport).get(fmt.Sprintf("/events?client_id=%d", kevin.ID))
	wantStatus(t, r, http.StatusOK)
	if got := eventLinks(r.Body); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("/events?client_id: %q\nwant %q", got, want)
	}
	wantIn(t, r.Body, `rel="next"`)
}

func TestClientReassign(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kevin := w.client("kevin")
		path := fmt.Sprintf("/clients/%d", kevin.ID)
		chloe, olga := w.person("chloe"), w.person("olga")
		id := func(e crm.Employee) url.Values {
			return url.Values{"sales_contact_id": {strconv.FormatInt(e.ID, 10)}}
		}
		// Sales reps may not.
		wantStatus(t, w.loginAs(crm.RoleSales).post(path+"/reassign", id(chloe)), http.StatusForbidden)
		ada := w.loginAs(crm.RoleManagement)
		// A deactivated one is refused beside the field.
		r := ada.post(path+"/reassign", id(olga))
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `id="reassign-sales-contact-id-error"`, "Must be an active SALES employee.")
		r = ada.post(path+"/reassign", url.Values{"sales_contact_id": {"nobody"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if c, _ := w.svc.GetClient(w.as("ada"), kevin.ID); c.SalesContactID != w.person("bill").ID {
			t.Fatal("a refused reassignment moved the client")
		}
		// Reassigned, with the contracts.
		wantRedirect(t, ada.post(path+"/reassign", id(chloe)), path)
		wantIn(t, ada.get(path).Body, "Kevin Casey is now Chloé Durand&#39;s client.")
		if c, _ := w.svc.GetClient(w.as("ada"), kevin.ID); c.SalesContactID != chloe.ID {
			t.Error("the client was not reassigned")
		}
		if k, _ := w.svc.GetContract(w.as("ada"), w.contract("kevinSigned").ID); k.SalesContactID != chloe.ID {
			t.Error("the client's contract did not follow")
		}
		wantStatus(t, ada.post("/clients/999999/reassign", id(chloe)), http.StatusNotFound)
	})
}

// TestClientPagesEscape: a client's text shows as text on every page that
// shows it.
func TestClientPagesEscape(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for i, bad := range xss {
			c, err := w.svc.CreateClient(w.as("bill"), crm.NewClient{FirstName: bad, LastName: bad,
				Email: fmt.Sprintf("xss%d@example.com", i), CompanyName: &bad})
			if err != nil {
				t.Fatal(err)
			}
			bill := w.loginAs(crm.RoleSales)
			for _, p := range []string{"/clients", "/clients?search=" + url.QueryEscape(bad), fmt.Sprintf("/clients/%d", c.ID),
				fmt.Sprintf("/clients/%d/edit", c.ID)} {
				r := bill.get(p)
				wantStatus(t, r, http.StatusOK)
				wantNotIn(t, r.Body, bad)
				wantIn(t, r.Body, escaped(bad))
			}
		}
	})
}
