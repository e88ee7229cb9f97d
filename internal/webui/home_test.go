package webui

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// section is the part of body under the heading whose id is id, up to the
// next section.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %s:\n%s", id, body)
	}
	rest := body[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// TestHomeSales: a sales rep's clients, unsigned contracts, contracts with
// money due and its total, and upcoming events, each linking to the whole
// list.
func TestHomeSales(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		r := w.loginAs(crm.RoleSales).get("/")
		wantStatus(t, r, http.StatusOK)
		wantIn(t, r.Body, "<h1>Hello, Bill</h1>", "<strong>Sales</strong>")
		events := section(t, r.Body, "events-heading")
		if got := fmt.Sprint(eventLinks(events)); got != "[Cool Startup Launch Party Cool Startup Team Offsite Cool Startup Board Dinner Cool Startup Anniversary]" {
			t.Errorf("Bill's upcoming events: %s", got)
		}
		wantIn(t, events, `href="/events?mine=1&amp;upcoming=1"`)
		due := section(t, r.Body, "due-heading")
		wantIn(t, due, "13000.00 € due on 2 contracts.", fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinSigned").ID),
			fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinUnsigned").ID), `href="/contracts?mine=1&amp;unpaid=1"`)
		unsigned := section(t, r.Body, "unsigned-heading")
		wantIn(t, unsigned, fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinUnsigned").ID), `href="/contracts?mine=1&amp;unsigned=1"`)
		wantNotIn(t, unsigned, fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinSigned").ID), "Léa Martin")
		clients := section(t, r.Body, "clients-heading")
		wantIn(t, clients, "Kevin Casey", "John Ouick", `href="/clients?mine=1"`)
		wantNotIn(t, clients, "Léa Martin", "Jacky")
		wantNotIn(t, r.Body, "agenda", "chart-heading")

		r = w.loginAsPerson("chloe").get("/")
		wantIn(t, section(t, r.Body, "due-heading"), "10700.00 € due on 2 contracts.")
	})
}

// TestHomeSupport: the agenda of a support employee, under Today,
// Tomorrow, This week and Later, with the client's phone to call.
func TestHomeSupport(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		r := w.loginAs(crm.RoleSupport).get("/")
		wantStatus(t, r, http.StatusOK)
		agenda := section(t, r.Body, "agenda-heading")
		got := regexp.MustCompile(`<h3 id="agenda-[a-z-]+">([^<]+)</h3>|<a href="/events/\d+">([^<]+)</a>`).FindAllStringSubmatch(agenda, -1)
		var seq []string
		for _, m := range got {
			seq = append(seq, m[1]+m[2])
		}
		if want := "[Today Cool Startup Launch Party Tomorrow Cool Startup Team Offsite Later Cool Startup Anniversary]"; fmt.Sprint(seq) != want {
			t.Errorf("Kate's agenda: %v, want %s", seq, want)
		}
		wantIn(t, agenda, `Kevin Casey, <a href="tel:&#43;67812345678">`, "Station F, 5 Parvis Alan Turing, 75013 Paris", "<dd>150</dd>",
			"Mon 4 May 2026, 18:00</time> to <time datetime=\"2026-05-04T21:00:00Z\">23:00</time>")
		r = w.loginAsPerson("alienor").get("/")
		wantIn(t, section(t, r.Body, "agenda-heading"), `<h3 id="agenda-this-week">This week</h3>`, "Cool Startup Board Dinner")
	})
}

// TestAgenda: the groups of the agenda follow the days in the company's
// zone, weeks ending on Sunday.
func TestAgenda(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) eventRow {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return eventRow{Event: crm.Event{Name: s, Start: tm.UTC()}}
	}
	for _, tc := range []struct {
		now    string
		events []string
		want   string
	}{
		{"2026-05-04 09:00", []string{"2026-05-04 23:59", "2026-05-05 00:00", "2026-05-10 23:59", "2026-05-11 00:00"},
			"[Today:[2026-05-04 23:59] Tomorrow:[2026-05-05 00:00] This week:[2026-05-10 23:59] Later:[2026-05-11 00:00]]"},
		// On a Saturday, tomorrow ends the week.
		{"2026-05-09 22:00", []string{"2026-05-10 09:00", "2026-05-11 09:00"}, "[Tomorrow:[2026-05-10 09:00] Later:[2026-05-11 09:00]]"},
		// On a Sunday, the week is over: Tuesday is later.
		{"2026-05-10 10:00", []string{"2026-05-12 09:00"}, "[Later:[2026-05-12 09:00]]"},
		{"2026-05-04 09:00", nil, "[]"},
	} {
		var rows []eventRow
		for _, e := range tc.events {
			rows = append(rows, at(e))
		}
		var got []string
		for _, g := range agenda(rows, at(tc.now).Start.In(paris)) {
			var names []string
			for _, e := range g.Events {
				names = append(names, e.Name)
			}
			got = append(got, fmt.Sprintf("%s:%v", g.Heading, names))
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("now %s: %v, want %s", tc.now, got, tc.want)
		}
	}
}

// TestHomeManagement: upcoming events without support, each with its
// assign control; unsigned contracts; the money due across the company; the
// chart of signed value per month with its table.
func TestHomeManagement(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		ada := w.loginAs(crm.RoleManagement)
		r := ada.get("/")
		wantStatus(t, r, http.StatusOK)
		gala := w.event("gala")
		unassigned := section(t, r.Body, "unassigned-heading")
		wantIn(t, unassigned, "Atelier Lumière Gala", fmt.Sprintf(`action="/events/%d/assign"`, gala.ID),
			fmt.Sprintf(`<label for="assign-%d-support-contact-id">Support contact</label>`, gala.ID),
			fmt.Sprintf(`<option value="%d">Kate Hastroff</option>`, w.person("kate").ID), `name="next" value="/"`)
		wantIn(t, section(t, r.Body, "due-heading"), "23700.00 € due on 4 contracts, across the company.")
		unsigned := section(t, r.Body, "unsigned-heading")
		wantIn(t, unsigned, fmt.Sprintf(`href="/contracts/%d"`, w.contract("kevinUnsigned").ID),
			fmt.Sprintf(`href="/contracts/%d"`, w.contract("leaUnsigned").ID))
		chart := section(t, r.Body, "chart-heading")
		// Signed in April 2026: kevinSigned and leaSigned; the rest in 2023.
		wantIn(t, chart, "29500.00 € signed on 2 contracts over the last 12 months.",
			"<tr><th scope=\"row\">April 2026</th><td>29500.00</td><td>2</td></tr>",
			"<tr><th scope=\"row\">June 2025</th><td>0.00</td><td>0</td></tr>",
			"<tr><th scope=\"row\">May 2026</th><td>0.00</td><td>0</td></tr>",
			`<rect class="bar" x="`, `height="165"`)
		wantNotIn(t, chart, "May 2025", "style=")
		if n := strings.Count(chart, `<rect class="bar"`); n != 12 {
			t.Errorf("%d bars, want 12", n)
		}

		// Assigning from my work comes back to it, and the event leaves the list.
		wantRedirect(t, ada.post(fmt.Sprintf("/events/%d/assign", gala.ID),
			map[string][]string{"support_contact_id": {fmt.Sprint(w.person("kate").ID)}, "next": {"/"}}), "/")
		r = ada.get("/")
		wantIn(t, r.Body, "Kate Hastroff is now the support contact of Atelier Lumière Gala.",
			"Every upcoming event has its support contact.")
	})
}

// TestReportsService: the reports read as contracts do, with the caller's
// own for SALES only, and a bounded number of months.
func TestReportsService(t *testing.T) {
	w := newWorld(t, "sqlite")
	for _, tc := range []struct {
		who  string
		mine bool
		want crm.DueTotal
	}{
		{"ada", false, crm.DueTotal{Contracts: 4, AmountDue: 2_370_000}},
		{"ada", true, crm.DueTotal{}},
		{"kate", false, crm.DueTotal{Contracts: 4, AmountDue: 2_370_000}},
		{"kate", true, crm.DueTotal{}},
		{"bill", true, crm.DueTotal{Contracts: 2, AmountDue: 1_300_000}},
	} {
		got, err := w.svc.AmountDueTotal(w.as(tc.who), tc.mine)
		if err != nil || got != tc.want {
			t.Errorf("%s mine=%v: %+v, %v; want %+v", tc.who, tc.mine, got, err, tc.want)
		}
	}
	for _, n := range []int{0, -1, crm.MaxReportMonths + 1} {
		if _, err := w.svc.SignedByMonth(w.as("ada"), n); crm.ErrorCode(err) != crm.CodeInvalid {
			t.Errorf("%d months: %v", n, err)
		}
	}
	months, err := w.svc.SignedByMonth(w.as("bill"), 40)
	if err != nil {
		t.Fatal(err)
	}
	// The first month starts at midnight in Paris, 39 months before May 2026.
	if first := months[0].Month; !first.Equal(w.at("2023-02-01", "00:00")) || len(months) != 40 {
		t.Errorf("first month %v of %d", first, len(months))
	}
	if m := months[1]; m.Contracts != 2 || m.Total != 1_500_000 {
		t.Errorf("March 2023: %+v", m)
	}
}
