package webui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// shot takes the screenshot name-phone or name-desktop for those views.
func shot(p *browsertest.Page, view, name string) {
	switch view {
	case "phone":
		p.Screenshot(name + "-phone")
	case "desktop":
		p.Screenshot(name + "-desktop")
	}
}

// wantText fails the test unless the element of selector holds want.
func wantText(t *testing.T, p *browsertest.Page, selector, want string) {
	t.Helper()
	if got := p.Text(selector); !strings.Contains(got, want) {
		t.Errorf("%s: %q, want it to hold %q", selector, got, want)
	}
}

// TestBrowserSupportWork: a support employee opens their agenda, the
// event of tonight, adds a note to it and changes its place, at a phone's
// and a desktop's width, with JavaScript on and off.
func TestBrowserSupportWork(t *testing.T) {
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			w := newWorld(t, "sqlite")
			launch := w.event("launch")
			p := w.browse(t, crm.RoleSupport, "/", v.opts...)
			checkPage(p)
			wantText(t, p, "#agenda-today", "Today")
			wantText(t, p, "ul.agenda", "Cool Startup Launch Party")
			shot(p, v.name, "home-support")

			p.Click(fmt.Sprintf(`ul.agenda a[href="/events/%d"]`, launch.ID))
			checkPage(p)
			wantText(t, p, "h1", "Cool Startup Launch Party")
			shot(p, v.name, "event")

			p.Fill("#note-add-note", "Sound check at 17:00.")
			p.Click("#add-note")
			checkPage(p)
			wantText(t, p, ".flash", "Note added.")
			wantText(t, p, "ul.notes", "Kate Hastroff: Sound check at 17:00.")

			p.Click("#edit-event")
			checkPage(p)
			p.Fill("#event-location", "Station F, hall 3")
			p.Fill("#event-attendees", "180")
			p.Click("#save-event")
			checkPage(p)
			wantText(t, p, ".flash", "Event saved.")
			wantText(t, p, "dl.detail", "Station F, hall 3")
			if e, _ := w.svc.GetEvent(w.as("ada"), launch.ID); e.Attendees != 180 || e.Location != "Station F, hall 3" {
				t.Errorf("saved %+v", e)
			}
		})
	}
}

// TestBrowserSalesWork: a sales rep opens my work, creates an event on a
// signed contract (JavaScript on and off), and lists the upcoming events.
func TestBrowserSalesWork(t *testing.T) {
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			w := newWorld(t, "sqlite")
			p := w.browse(t, crm.RoleSales, "/", v.opts...)
			checkPage(p)
			wantText(t, p, "#due-heading + p", "13000.00 € due on 2 contracts.")
			shot(p, v.name, "home-sales")

			p.Go(fmt.Sprintf("%s/events/new?contract_id=%d", w.ts.URL, w.contract("kevinSigned").ID))
			checkPage(p)
			shot(p, v.name, "event-new")
			p.Fill("#event-name", "Cool Startup Summer Party")
			p.Select("#event-start", "2026-07-01T18:00")
			p.Select("#event-end", "2026-07-01T23:30")
			p.Fill("#event-location", "Rooftop, Paris")
			p.Fill("#event-attendees", "80")
			p.Click("#save-event")
			checkPage(p)
			wantText(t, p, ".flash", "Event created.")
			wantText(t, p, "h1", "Cool Startup Summer Party")
			wantText(t, p, "dl.detail", "Wed 1 Jul 2026, 18:00")

			p.Go(w.ts.URL + "/events?upcoming=1")
			checkPage(p)
			if n := p.Count("table.list tbody tr"); n != 6 {
				t.Errorf("%d upcoming events, want 6", n)
			}
			shot(p, v.name, "events")
		})
	}
}

// TestBrowserManagementWork: a manager assigns support from my work, reads
// the chart, and unassigns an event from its page (confirming first, in a
// dialog with JavaScript, on the page that asks without).
func TestBrowserManagementWork(t *testing.T) {
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			w := newWorld(t, "sqlite")
			gala := w.event("gala")
			p := w.browse(t, crm.RoleManagement, "/", v.opts...)
			checkPage(p)
			if n := p.Count(".chart svg rect.bar"); n != 12 {
				t.Errorf("%d bars, want 12", n)
			}
			// Its screenshots are home-phone and home-desktop, which
			// TestBrowserLoginLogout takes.

			p.Select(fmt.Sprintf("#assign-%d-support-contact-id", gala.ID), fmt.Sprint(w.person("kate").ID))
			p.Click(fmt.Sprintf(`form[action="/events/%d/assign"] button`, gala.ID))
			checkPage(p)
			wantText(t, p, ".flash", "Kate Hastroff is now the support contact of Atelier Lumière Gala.")
			wantText(t, p, "#unassigned-heading + p", "Every upcoming event has its support contact.")

			p.Go(fmt.Sprintf("%s/events/%d", w.ts.URL, gala.ID))
			checkPage(p)
			p.AnswerDialogs(true)
			p.Click("#unassign")
			if strings.Contains(v.name, "no JavaScript") {
				// The page that asks, instead of the dialog.
				wantText(t, p, "h1", "Leave Atelier Lumière Gala without a support contact?")
				checkPage(p)
				p.Click("#confirm-yes")
			}
			checkPage(p)
			wantText(t, p, ".flash", "Atelier Lumière Gala has no support contact now.")
			if e, _ := w.svc.GetEvent(w.as("ada"), gala.ID); e.SupportContactID != nil {
				t.Errorf("still assigned: %+v", e)
			}
		})
	}
}
