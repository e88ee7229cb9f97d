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

// eventLinks are the names of the events a list links to, in its order.
func eventLinks(body string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`<a href="/events/\d+">([^<]*)</a>`).FindAllStringSubmatch(body, -1) {
		names = append(names, html.UnescapeString(m[1]))
	}
	return names
}

// TestEventsList: the list keeps the CLI's order (by start) and filters,
// each as a query parameter; a filter it cannot read answers 422 with the
// message beside it.
func TestEventsList(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		kevinSigned := w.contract("kevinSigned").ID
		for _, tc := range []struct {
			who, query string
			want       []string
		}{
			{"bill", "", []string{"Lou Bouzin General Assembly", "John Ouick Wedding", "Cool Startup Launch Party",
				"Cool Startup Team Offsite", "Cool Startup Board Dinner", "Atelier Lumière Gala", "Cool Startup Anniversary"}},
			{"bill", "?upcoming=1", []string{"Cool Startup Launch Party", "Cool Startup Team Offsite",
				"Cool Startup Board Dinner", "Atelier Lumière Gala", "Cool Startup Anniversary"}},
			{"ada", "?upcoming=1&without_support=1", []string{"Atelier Lumière Gala"}},
			// Every spelling of a ticked box filters, as the box shows.
			{"bill", "?upcoming=true", []string{"Cool Startup Launch Party", "Cool Startup Team Offsite",
				"Cool Startup Board Dinner", "Atelier Lumière Gala", "Cool Startup Anniversary"}},
			{"ada", "?upcoming=on&without_support=true", []string{"Atelier Lumière Gala"}},
			{"chloe", "?mine=true&upcoming=false", []string{"Lou Bouzin General Assembly", "Atelier Lumière Gala"}},
			{"kate", "?mine=1", []string{"John Ouick Wedding", "Cool Startup Launch Party", "Cool Startup Team Offsite", "Cool Startup Anniversary"}},
			{"kate", "?mine=1&upcoming=1&to=2026-05-05", []string{"Cool Startup Launch Party", "Cool Startup Team Offsite"}},
			{"chloe", "?mine=1", []string{"Lou Bouzin General Assembly", "Atelier Lumière Gala"}},
			{"ada", "?mine=1", nil},
			{"alienor", "?from=2026-05-05&to=2026-05-08", []string{"Cool Startup Team Offsite", "Cool Startup Board Dinner"}},
			{"ada", fmt.Sprintf("?contract_id=%d&upcoming=1", kevinSigned), []string{"Cool Startup Launch Party",
				"Cool Startup Team Offsite", "Cool Startup Board Dinner", "Cool Startup Anniversary"}},
			{"kate", fmt.Sprintf("?client_id=%d", w.client("kevin").ID), []string{"Cool Startup Launch Party",
				"Cool Startup Team Offsite", "Cool Startup Board Dinner", "Cool Startup Anniversary"}},
			{"bill", fmt.Sprintf("?client_id=%d&without_support=1", w.client("lea").ID), []string{"Atelier Lumière Gala"}},
			{"bill", fmt.Sprintf("?client_id=%d&contract_id=%d", w.client("lea").ID, kevinSigned), nil},
		} {
			r := w.loginAsPerson(tc.who).get("/events" + tc.query)
			wantStatus(t, r, http.StatusOK)
			if got := eventLinks(r.Body); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("%s /events%s: %q, want %q", tc.who, tc.query, got, tc.want)
			}
		}

		bill := w.loginAs(crm.RoleSales)
		r := bill.get("/events?upcoming=1")
		wantIn(t, r.Body, "Europe/Paris", `<td data-label="Support contact"><em>Nobody yet</em></td>`,
			`<input type="checkbox" id="events-filter-upcoming" name="upcoming" value="1" checked>`)
		// The sales contact of a signed contract may add an event to it from
		// its list; nobody else is offered to.
		r = bill.get(fmt.Sprintf("/events?contract_id=%d", kevinSigned))
		wantIn(t, r.Body, fmt.Sprintf(`href="/events/new?contract_id=%d"`, kevinSigned))
		r = w.loginAsPerson("chloe").get(fmt.Sprintf("/events?contract_id=%d", kevinSigned))
		wantNotIn(t, r.Body, "/events/new")

		r = bill.get("/events?contract_id=x")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, "This address names no contract")
		r = bill.get("/events?upcoming=true")
		wantIn(t, r.Body, `<input type="checkbox" id="events-filter-upcoming" name="upcoming" value="1" checked>`)
		r = bill.get("/events?upcoming=false")
		wantNotIn(t, r.Body, `name="upcoming" value="1" checked`)
		for _, q := range []string{"?from=soon", "?to=2026-13-01", "?from=2026-06-02&to=2026-06-01",
			"?upcoming=yes", "?mine=2", "?without_support=maybe"} {
			r := bill.get("/events" + q)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantIn(t, r.Body, `aria-invalid="true"`, `class="form-message"`)
		}
		wantStatus(t, bill.get("/events?contract_id=999999"), http.StatusNotFound)
		// The events of a client say whose they are, and keep the client
		// when filtered further.
		kevin := w.client("kevin")
		r = bill.get(fmt.Sprintf("/events?client_id=%d", kevin.ID))
		wantIn(t, r.Body, fmt.Sprintf(`The events of <a href="/clients/%d">Kevin Casey</a>`, kevin.ID),
			fmt.Sprintf(`<input type="hidden" name="client_id" value="%d">`, kevin.ID))
		r = bill.get("/events?client_id=x")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, "This address names no client")
		wantStatus(t, bill.get("/events?client_id=0"), http.StatusUnprocessableEntity)
		wantStatus(t, bill.get("/events?client_id=999999"), http.StatusNotFound)
	})
}

// TestEventsListPages: 50 rows a page, and a Next link to the rest.
func TestEventsListPages(t *testing.T) {
	w := newWorld(t, "sqlite")
	for i := range 50 {
		start := w.at("2027-01-01", "10:00").Add(time.Duration(i) * time.Hour)
		if _, err := w.svc.CreateEvent(w.as("bill"), crm.NewEvent{ContractID: w.contract("kevinSigned").ID,
			Name: fmt.Sprintf("Meeting %02d", i), Start: start, End: start.Add(30 * time.Minute), Location: "Paris"}); err != nil {
			t.Fatal(err)
		}
	}
	c := w.loginAs(crm.RoleSupport)
	r := c.get("/events?upcoming=1")
	wantStatus(t, r, http.StatusOK)
	if n := len(eventLinks(r.Body)); n != listRows {
		t.Fatalf("the first page has %d events, want %d", n, listRows)
	}
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next">Next</a>`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no Next link:\n%s", r.Body)
	}
	r = c.get(html.UnescapeString(m[1]))
	wantStatus(t, r, http.StatusOK)
	if got := eventLinks(r.Body); fmt.Sprint(got) != "[Meeting 45 Meeting 46 Meeting 47 Meeting 48 Meeting 49]" {
		t.Errorf("the second page: %q", got)
	}
	wantNotIn(t, r.Body, `rel="next"`)
}

// TestEventPage: everyone reads an event; the buttons are those the
// viewer may use.
func TestEventPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		wedding := fmt.Sprintf("/events/%d", w.event("wedding").ID)
		dinner := fmt.Sprintf("/events/%d", w.event("dinner").ID)
		for _, tc := range []struct {
			who, path          string
			edit, assign, drop bool
		}{
			{"kate", wedding, true, false, false},
			{"alienor", wedding, false, false, false},
			{"bill", wedding, false, false, false},
			{"ada", wedding, true, true, true},
			{"ada", fmt.Sprintf("/events/%d", w.event("gala").ID), true, true, false},
			{"alienor", dinner, true, false, false},
		} {
			r := w.loginAsPerson(tc.who).get(tc.path)
			wantStatus(t, r, http.StatusOK)
			for _, b := range []struct {
				marker string
				want   bool
			}{{`id="edit-event"`, tc.edit}, {`id="add-note"`, tc.edit}, {`id="assign"`, tc.assign}, {`id="unassign"`, tc.drop}} {
				if strings.Contains(r.Body, b.marker) != b.want {
					t.Errorf("%s on %s: %s shown %v, want %v", tc.who, tc.path, b.marker, !b.want, b.want)
				}
			}
		}
		r := w.loginAs(crm.RoleSales).get(wedding)
		wantIn(t, r.Body, "John Ouick Wedding", "Sun 4 Jun 2023, 13:00", "Mon 5 Jun 2023, 02:00",
			"53 Rue du Château, 41120 Candé-sur-Beuvron, France", "<dd>75</dd>", "Kate Hastroff",
			`<a href="tel:&#43;12345678901">&#43;1 234-567-8901</a>`, "Wedding starts at 3PM", "Europe/Paris")
		// The support picker holds the active SUPPORT employees, by name.
		r = w.loginAs(crm.RoleManagement).get(wedding)
		wantIn(t, r.Body, fmt.Sprintf(`<option value="%d" selected>Kate Hastroff</option>`, w.person("kate").ID),
			fmt.Sprintf(`<option value="%d">Aliénor Vichum</option>`, w.person("alienor").ID))
		wantNotIn(t, r.Body, "Bill Boquet</option>", "Olga")

		c := w.loginAs(crm.RoleSupport)
		wantStatus(t, c.get("/events/999999"), http.StatusNotFound)
		wantStatus(t, c.get("/events/abc"), http.StatusNotFound)
	})
}

// eventCount is how many events the world holds.
func eventCount(t *testing.T, w *world) int {
	t.Helper()
	n := 0
	if _, err := w.svc.ListEvents(w.as("ada"), crm.EventFilter{}, func(crm.Event) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCreateEvent: the sales contact of a signed contract creates an event
// on it; a mistake answers 422 with what was typed, and creates nothing;
// the form is refused to others, and on an unsigned contract.
func TestCreateEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		signed, unsigned := w.contract("kevinSigned").ID, w.contract("kevinUnsigned").ID
		bill := w.loginAs(crm.RoleSales)
		r := bill.get(fmt.Sprintf("/events/new?contract_id=%d", signed))
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `type="datetime-local" id="event-start" name="start"`, `<label for="event-name">Name</label>`,
			`<label for="event-attendees">Attendees</label>`, "Kevin Casey")
		wantStatus(t, bill.get(fmt.Sprintf("/events/new?contract_id=%d", unsigned)), http.StatusConflict)
		wantStatus(t, bill.get("/events/new?contract_id=999999"), http.StatusNotFound)
		wantStatus(t, bill.get("/events/new"), http.StatusUnprocessableEntity)
		wantStatus(t, w.loginAsPerson("chloe").get(fmt.Sprintf("/events/new?contract_id=%d", signed)), http.StatusForbidden)
		wantStatus(t, w.loginAs(crm.RoleManagement).get(fmt.Sprintf("/events/new?contract_id=%d", signed)), http.StatusForbidden)

		before := eventCount(t, w)
		form := func(mod func(url.Values)) url.Values {
			f := url.Values{"contract_id": {strconv.FormatInt(signed, 10)}, "name": {"Cool Startup Summer Party"},
				"start": {"2026-07-01T18:00"}, "end": {"2026-07-01T23:30"}, "location": {"Rooftop, Paris"},
				"attendees": {"80"}, "notes": {"Bring the banner."}}
			if mod != nil {
				mod(f)
			}
			return f
		}
		for _, tc := range []struct {
			name   string
			mod    func(url.Values)
			status int
			field  string
		}{
			{"end before start", func(f url.Values) { f.Set("end", "2026-07-01T17:00") }, 422, "end"},
			{"no start", func(f url.Values) { f.Set("start", "") }, 422, "start"},
			{"bad time", func(f url.Values) { f.Set("start", "tomorrow") }, 422, "start"},
			{"attendees not a number", func(f url.Values) { f.Set("attendees", "many") }, 422, "attendees"},
			{"too many attendees", func(f url.Values) { f.Set("attendees", "100001") }, 422, "attendees"},
			{"no name", func(f url.Values) { f.Set("name", " ") }, 422, "name"},
			{"unsigned", func(f url.Values) { f.Set("contract_id", strconv.FormatInt(unsigned, 10)) }, 409, ""},
		} {
			r := bill.post("/events", form(tc.mod))
			if r.Status != tc.status {
				t.Errorf("%s: status %d, want %d:\n%s", tc.name, r.Status, tc.status, r.Body)
				continue
			}
			wantIn(t, r.Body, `value="Rooftop, Paris"`, "Bring the banner.")
			if tc.field != "" {
				wantIn(t, r.Body, fmt.Sprintf(`aria-invalid="true" aria-describedby="event-%s-error`, tc.field))
			}
		}
		r = w.loginAsPerson("chloe").post("/events", form(nil))
		wantStatus(t, r, http.StatusForbidden)
		if n := eventCount(t, w); n != before {
			t.Fatalf("%d events after refused forms, want %d", n, before)
		}

		r = bill.post("/events", form(nil))
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location(), "/events/") {
			t.Fatalf("create: %d to %q:\n%s", r.Status, r.Location(), r.Body)
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.Location(), "/events/"), 10, 64)
		e, err := w.svc.GetEvent(w.as("ada"), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != "Cool Startup Summer Party" || !e.Start.Equal(w.at("2026-07-01", "18:00")) || !e.End.Equal(w.at("2026-07-01", "23:30")) ||
			e.Attendees != 80 || e.Location != "Rooftop, Paris" || deref(e.Notes) != "Bring the banner." || e.ContractID != signed {
			t.Errorf("created %+v", e)
		}
		r = bill.get(r.Location())
		wantIn(t, r.Body, "Event created.", "Wed 1 Jul 2026, 18:00")
	})
}

// TestEditEvent: SUPPORT changes the events assigned to them (not their
// names), MANAGEMENT any; an edit over someone else's change answers 409
// with the current values, and changes nothing.
func TestEditEvent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		launch := w.event("launch")
		path := fmt.Sprintf("/events/%d", launch.ID)
		kate := w.loginAs(crm.RoleSupport)
		r := kate.get(path + "/edit")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, `value="2026-05-04T18:00"`, `value="Station F, 5 Parvis Alan Turing, 75013 Paris"`,
			fmt.Sprintf(`name="version" value="%d"`, launch.Version))
		wantNotIn(t, r.Body, `name="name"`)
		wantStatus(t, w.loginAsPerson("alienor").get(path+"/edit"), http.StatusForbidden)
		wantStatus(t, w.loginAs(crm.RoleSales).get(path+"/edit"), http.StatusForbidden)
		wantIn(t, w.loginAs(crm.RoleManagement).get(path+"/edit").Body, `name="name"`)

		form := url.Values{"version": {strconv.FormatInt(launch.Version, 10)}, "start": {"2026-05-04T18:30"},
			"end": {"2026-05-04T23:00"}, "location": {"Station F, hall 2"}, "attendees": {"160"}, "notes": {"Doors at 18:00."}}
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("end", "2026-05-04T17:00")
		r = kate.post(path, bad)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `value="Station F, hall 2"`, `aria-describedby="event-end-error"`)
		wantStatus(t, w.loginAsPerson("alienor").post(path, form), http.StatusForbidden)
		if e, _ := w.svc.GetEvent(w.as("ada"), launch.ID); e.Version != launch.Version {
			t.Fatalf("refused edits changed the event: %+v", e)
		}

		wantRedirect(t, kate.post(path, form), path)
		e, err := w.svc.GetEvent(w.as("ada"), launch.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Location != "Station F, hall 2" || e.Attendees != 160 || !e.Start.Equal(w.at("2026-05-04", "18:30")) ||
			deref(e.Notes) != "Doors at 18:00." || e.Name != launch.Name {
			t.Errorf("saved %+v", e)
		}

		// The same form again: it was loaded before that change.
		form.Set("location", "Somewhere else")
		r = kate.post(path, form)
		wantStatus(t, r, http.StatusConflict)
		wantIn(t, r.Body, "changed since you opened it", `value="Station F, hall 2"`,
			fmt.Sprintf(`name="version" value="%d"`, e.Version))
		if after, _ := w.svc.GetEvent(w.as("ada"), launch.ID); after.Location != "Station F, hall 2" || after.Version != e.Version {
			t.Errorf("a stale edit changed the event: %+v", after)
		}

		// MANAGEMENT renames it.
		form.Set("version", strconv.FormatInt(e.Version, 10))
		form.Set("name", "Cool Startup Launch Night")
		wantRedirect(t, w.loginAs(crm.RoleManagement).post(path, form), path)
		if after, _ := w.svc.GetEvent(w.as("ada"), launch.ID); after.Name != "Cool Startup Launch Night" {
			t.Errorf("rename: %+v", after)
		}
	})
}

// TestAddNote: whoever may change an event adds a dated line signed with
// their name to its notes.
func TestAddNote(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		wedding := w.event("wedding")
		path := fmt.Sprintf("/events/%d", wedding.ID)
		kate := w.loginAs(crm.RoleSupport)
		r := kate.post(path, url.Values{"add_note": {" "}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantIn(t, r.Body, `aria-describedby="note-add-note-error`)
		wantStatus(t, w.loginAs(crm.RoleSales).post(path, url.Values{"add_note": {"Hello"}}), http.StatusForbidden)
		wantStatus(t, w.loginAsPerson("alienor").post(path, url.Values{"add_note": {"Hello"}}), http.StatusForbidden)

		wantRedirect(t, kate.post(path, url.Values{"add_note": {"DJ booked."}}), path)
		e, err := w.svc.GetEvent(w.as("ada"), wedding.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := *wedding.Notes + "\n2026-05-04 09:00 Kate Hastroff: DJ booked."
		if deref(e.Notes) != want {
			t.Errorf("notes %q, want %q", deref(e.Notes), want)
		}
		wantIn(t, kate.get(path).Body, "Note added.", "<li>2026-05-04 09:00 Kate Hastroff: DJ booked.</li>")
	})
}

// TestAssignSupport: MANAGEMENT picks an event's support contact by name,
// and may leave it without one.
func TestAssignSupport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		gala := w.event("gala")
		path := fmt.Sprintf("/events/%d", gala.ID)
		alienor := strconv.FormatInt(w.person("alienor").ID, 10)
		ada := w.loginAs(crm.RoleManagement)
		wantStatus(t, w.loginAs(crm.RoleSales).post(path+"/assign", url.Values{"support_contact_id": {alienor}}), http.StatusForbidden)
		wantStatus(t, w.loginAs(crm.RoleSupport).post(path+"/assign", url.Values{"support_contact_id": {alienor}}), http.StatusForbidden)
		for _, v := range []string{"", "x", strconv.FormatInt(w.person("bill").ID, 10)} {
			r := ada.post(path+"/assign", url.Values{"support_contact_id": {v}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantIn(t, r.Body, `aria-describedby="assign-support-contact-id-error"`)
		}
		wantStatus(t, ada.post(path+"/unassign", nil), http.StatusConflict)
		if e, _ := w.svc.GetEvent(w.as("ada"), gala.ID); e.SupportContactID != nil {
			t.Fatalf("refused assignments changed the event: %+v", e)
		}

		wantRedirect(t, ada.post(path+"/assign", url.Values{"support_contact_id": {alienor}}), path)
		if e, _ := w.svc.GetEvent(w.as("ada"), gala.ID); e.SupportContactID == nil || *e.SupportContactID != w.person("alienor").ID {
			t.Fatalf("assigned: %+v", e)
		}
		wantIn(t, ada.get(path).Body, "Aliénor Vichum is now the support contact of Atelier Lumière Gala.")
		wantStatus(t, w.loginAs(crm.RoleSales).post(path+"/unassign", nil), http.StatusForbidden)
		// Back to my work, where the assign control is.
		wantRedirect(t, ada.post(path+"/unassign", url.Values{"next": {"/"}, "confirm": {"1"}}), "/")
		if e, _ := w.svc.GetEvent(w.as("ada"), gala.ID); e.SupportContactID != nil {
			t.Fatalf("unassigned: %+v", e)
		}
		// Never another site.
		wantRedirect(t, ada.post(path+"/assign", url.Values{"support_contact_id": {alienor}, "next": {"//evil.example/"}}), path)
	})
}

// TestEventsEscaping: what people type shows as text on every events page
// and on my work: an event's name, place and notes, its client's name.
func TestEventsEscaping(t *testing.T) {
	w := newWorld(t, "sqlite")
	for i, payload := range xss {
		client, err := w.svc.CreateClient(w.as("bill"), crm.NewClient{FirstName: payload, LastName: payload,
			Email: fmt.Sprintf("xss%d@example.com", i), CompanyName: &payload})
		if err != nil {
			t.Fatal(err)
		}
		contract, err := w.svc.CreateContract(w.as("ada"), crm.NewContract{ClientID: client.ID, TotalAmount: 100_00, Signed: true})
		if err != nil {
			t.Fatal(err)
		}
		e, err := w.svc.CreateEvent(w.as("bill"), crm.NewEvent{ContractID: contract.ID,
			Name: payload, Start: w.at("2026-06-01", "10:00").Add(time.Duration(i) * time.Hour),
			End: w.at("2026-06-02", "10:00"), Location: payload, Notes: &payload})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.AssignSupport(w.as("ada"), e.ID, w.person("kate").ID); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/events/%d", e.ID)
		if _, err := w.svc.CreateContract(w.as("ada"), crm.NewContract{ClientID: client.ID, TotalAmount: 100_00}); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"kate", "ada", "bill"} {
			c := w.loginAsPerson(key)
			pages := []string{"/events", path, "/", fmt.Sprintf("/events?contract_id=%d", contract.ID)}
			if key != "bill" {
				pages = append(pages, path+"/edit")
			} else {
				pages = append(pages, fmt.Sprintf("/events/new?contract_id=%d", contract.ID))
			}
			for _, p := range pages {
				r := c.get(p)
				wantStatus(t, r, http.StatusOK)
				wantNotIn(t, r.Body, payload)
				if p != "/" {
					wantIn(t, r.Body, html.EscapeString(payload))
				}
			}
		}
	}
}
