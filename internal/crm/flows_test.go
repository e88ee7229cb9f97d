package crm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

func notesOf(e crm.Event) string {
	if e.Notes == nil {
		return ""
	}
	return *e.Notes
}

// TestAddNote: a note is a line dated in the company's zone (Paris in the
// test world) and signed by its author, appended to the notes; whoever may
// change the notes may add one; the notes stay within their limit.
func TestAddNote(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		_, k := w.deal(true)
		e := w.event(k.ID)
		must[crm.Event](t)(w.svc.AssignSupport(w.mgr, e.ID, w.ids["support"]))
		get := func() string { return notesOf(must[crm.Event](t)(w.svc.GetEvent(w.mgr, e.ID))) }

		// 09:00 UTC on 1 May is 11:00 in Paris.
		line1 := "2026-05-01 11:00 Kate Hastroff: DJ booked for the after party"
		line2 := "2026-05-01 11:07 Ada Lovelace: Catering confirmed"
		steps := []struct {
			name    string
			ctx     context.Context
			patch   crm.EventPatch
			advance time.Duration
			code    crm.Code // "" when it succeeds
			want    string   // the notes after the step
		}{
			{"SUPPORT not assigned", w.support2, crm.EventPatch{AddNote: str("Not mine")}, 0, crm.CodeForbidden, ""},
			{"SALES", w.sales, crm.EventPatch{AddNote: str("Not mine")}, 0, crm.CodeForbidden, ""},
			{"the assigned SUPPORT", w.support, crm.EventPatch{AddNote: str("  DJ booked for the after party ")}, 0, "", line1},
			{"MANAGEMENT, later", w.mgr, crm.EventPatch{AddNote: str("Catering confirmed")}, 7 * time.Minute, "", line1 + "\n" + line2},
			{"with other fields", w.support, crm.EventPatch{AddNote: str("Bigger room"), Attendees: ptr(90)}, 0, "",
				line1 + "\n" + line2 + "\n2026-05-01 11:07 Kate Hastroff: Bigger room"},
			{"with notes", w.mgr, crm.EventPatch{AddNote: str("x"), Notes: str("y")}, 0, crm.CodeInvalid, ""},
			{"empty", w.mgr, crm.EventPatch{AddNote: str("   ")}, 0, crm.CodeInvalid, ""},
			{"two lines", w.mgr, crm.EventPatch{AddNote: str("one\ntwo")}, 0, crm.CodeInvalid, ""},
			{"a control character", w.mgr, crm.EventPatch{AddNote: str("bell\a")}, 0, crm.CodeInvalid, ""},
			{"cleared by notes", w.mgr, crm.EventPatch{Notes: str("")}, 0, "", ""},
			{"on empty notes", w.mgr, crm.EventPatch{AddNote: str("Fresh start")}, 0, "", "2026-05-01 11:07 Ada Lovelace: Fresh start"},
		}
		notes := ""
		for _, s := range steps {
			w.clock.Advance(s.advance)
			got, err := w.svc.UpdateEvent(s.ctx, e.ID, s.patch)
			if s.code != "" {
				if crm.ErrorCode(err) != s.code {
					t.Fatalf("%s: %v, want %s", s.name, err, s.code)
				}
				if now := get(); now != notes {
					t.Fatalf("%s: refused, but the notes changed to %q", s.name, now)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if notesOf(got) != s.want || get() != s.want {
				t.Fatalf("%s: notes %q (stored %q), want %q", s.name, notesOf(got), get(), s.want)
			}
			notes = s.want
		}

		// The audit trail shows the notes before and after, like any change.
		var last crm.AuditEntry
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{Entity: "event", EntityID: &e.ID, Page: crm.Page{Limit: 1}},
			func(a crm.AuditEntry) error { last = a; return nil }))
		if c, ok := last.Changes["notes"]; last.Action != "event.update" || !ok || c[1] != notes {
			t.Fatalf("audit: %+v", last)
		}
	})
}

// TestAddNoteLimit: the notes hold at most 5,000 characters with the new
// line; one that fits exactly is accepted, one character more is refused.
func TestAddNoteLimit(t *testing.T) {
	w := newWorld(t, "sqlite")
	_, k := w.deal(true)
	e := w.event(k.ID)
	prefix := "2026-05-01 11:00 Ada Lovelace: " // 31 characters
	// 4,900 characters of notes, one of them a two-byte é: the limit counts
	// characters.
	base := "é" + strings.Repeat("n", 4899)
	must[crm.Event](t)(w.svc.UpdateEvent(w.mgr, e.ID, crm.EventPatch{Notes: &base}))
	room := crm.MaxNotesLen - 4900 - 1 - len(prefix) // what a note may still hold
	_, err := w.svc.UpdateEvent(w.mgr, e.ID, crm.EventPatch{AddNote: str(strings.Repeat("x", room+1))})
	wantCode(t, err, crm.CodeInvalid)
	if !strings.Contains(err.Error(), "5001 characters") || !strings.Contains(err.Error(), "5000") {
		t.Errorf("the refusal should say how long the notes would be: %v", err)
	}
	got := must[crm.Event](t)(w.svc.UpdateEvent(w.mgr, e.ID, crm.EventPatch{AddNote: str(strings.Repeat("x", room))}))
	if n := len([]rune(notesOf(got))); n != crm.MaxNotesLen || !strings.HasPrefix(notesOf(got), base+"\n"+prefix) {
		t.Fatalf("notes of %d characters: %.60q…", n, notesOf(got))
	}
}

func ptr[T any](v T) *T { return &v }

// TestEmailFilters: the email filters find the one employee or client with
// that address, in any case, deactivated employees included; an address of
// nobody finds nothing.
func TestEmailFilters(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		c, _ := w.deal(false)
		must[crm.Employee](t)(w.svc.Deactivate(w.mgr, w.ids["support2"], nil))
		employees := func(f crm.EmployeeFilter) []int64 {
			var ids []int64
			must[string](t)(w.svc.ListEmployees(w.sales, f, func(e crm.Employee) error { ids = append(ids, e.ID); return nil }))
			return ids
		}
		clients := func(f crm.ClientFilter) []int64 {
			var ids []int64
			must[string](t)(w.svc.ListClients(w.support, f, func(c crm.Client) error { ids = append(ids, c.ID); return nil }))
			return ids
		}
		for _, tc := range []struct {
			email string
			all   bool
			want  int64 // 0: nobody
		}{
			{"sales@epic.example", false, w.ids["sales"]},
			{" SALES@Epic.Example ", false, w.ids["sales"]},
			{"support2@epic.example", true, w.ids["support2"]},
			{"support2@epic.example", false, 0}, // deactivated, and all not asked
			{"sales@epic", false, 0},
			{"ales@epic.example", false, 0}, // exact, never a substring
			{"nobody@epic.example", true, 0},
		} {
			got := employees(crm.EmployeeFilter{Email: tc.email, All: tc.all})
			if (tc.want == 0 && len(got) != 0) || (tc.want != 0 && (len(got) != 1 || got[0] != tc.want)) {
				t.Errorf("employees with email %q (all %v) = %v, want %d", tc.email, tc.all, got, tc.want)
			}
		}
		if got := clients(crm.ClientFilter{Email: strings.ToUpper(c.Email)}); len(got) != 1 || got[0] != c.ID {
			t.Errorf("clients with email %q = %v, want %d", strings.ToUpper(c.Email), got, c.ID)
		}
		if got := clients(crm.ClientFilter{Email: "x" + c.Email}); len(got) != 0 {
			t.Errorf("clients with another email = %v", got)
		}
	})
}

// TestUpcoming: upcoming events start now or later, by the service's clock;
// with from, the later bound wins; with a to before now, nothing.
func TestUpcoming(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		_, k := w.deal(true)
		now := w.clock.Now()
		names := map[int64]string{}
		for _, ev := range []struct {
			name  string
			start time.Duration
		}{{"past", -time.Hour}, {"now", 0}, {"soon", time.Hour}, {"later", 48 * time.Hour}} {
			e := must[crm.Event](t)(w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: k.ID, Name: ev.name,
				Start: now.Add(ev.start), End: now.Add(ev.start + 2*time.Hour), Location: "Here", Attendees: 1}))
			names[e.ID] = ev.name
		}
		list := func(f crm.EventFilter) string {
			var got []string
			must[string](t)(w.svc.ListEvents(w.support, f, func(e crm.Event) error { got = append(got, names[e.ID]); return nil }))
			return strings.Join(got, " ")
		}
		tomorrow, inAnHour, earlier := now.Add(24*time.Hour), now.Add(time.Hour), now.Add(-30*time.Minute)
		for _, tc := range []struct {
			f    crm.EventFilter
			want string
		}{
			{crm.EventFilter{}, "past now soon later"},
			{crm.EventFilter{Upcoming: true}, "now soon later"},
			{crm.EventFilter{Upcoming: true, From: &tomorrow}, "later"},
			{crm.EventFilter{Upcoming: true, From: &earlier}, "now soon later"},
			{crm.EventFilter{Upcoming: true, To: &inAnHour}, "now soon"},
			{crm.EventFilter{Upcoming: true, To: &earlier}, ""},
			{crm.EventFilter{Upcoming: true, ContractID: &k.ID, Page: crm.Page{Limit: 1}}, "now"},
		} {
			if got := list(tc.f); got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
			}
		}
		w.clock.Advance(time.Minute)
		if got := list(crm.EventFilter{Upcoming: true}); got != "soon later" {
			t.Errorf("a minute later: %q", got)
		}
	})
}

// TestEventsOfClient: the client filter lists the events of every contract
// of that client, in start order, and combines with the other filters.
func TestEventsOfClient(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		c, k1 := w.deal(true)
		k2 := must[crm.Contract](t)(w.svc.CreateContract(w.mgr, crm.NewContract{ClientID: c.ID, TotalAmount: 1000, Signed: true}))
		other, k3 := w.deal(true)
		now := w.clock.Now()
		names := map[int64]string{}
		for _, ev := range []struct {
			name     string
			contract int64
			start    time.Duration
		}{{"gala", k2.ID, 72 * time.Hour}, {"past", k1.ID, -time.Hour}, {"other", k3.ID, time.Hour},
			{"wedding", k1.ID, 24 * time.Hour}, {"dinner", k2.ID, 2 * time.Hour}} {
			e := must[crm.Event](t)(w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: ev.contract, Name: ev.name,
				Start: now.Add(ev.start), End: now.Add(ev.start + time.Hour), Location: "Here", Attendees: 1}))
			names[e.ID] = ev.name
			if ev.name == "wedding" {
				must[crm.Event](t)(w.svc.AssignSupport(w.mgr, e.ID, w.ids["support"]))
			}
		}
		list := func(ctx context.Context, f crm.EventFilter) string {
			var got []string
			must[string](t)(w.svc.ListEvents(ctx, f, func(e crm.Event) error { got = append(got, names[e.ID]); return nil }))
			return strings.Join(got, " ")
		}
		unknown := int64(999999)
		for _, tc := range []struct {
			name string
			ctx  context.Context
			f    crm.EventFilter
			want string
		}{
			{"client", w.mgr, crm.EventFilter{ClientID: &c.ID}, "past dinner wedding gala"},
			{"other client", w.support2, crm.EventFilter{ClientID: &other.ID}, "other"},
			{"unknown client", w.mgr, crm.EventFilter{ClientID: &unknown}, ""},
			{"client upcoming", w.mgr, crm.EventFilter{ClientID: &c.ID, Upcoming: true}, "dinner wedding gala"},
			{"client and contract", w.mgr, crm.EventFilter{ClientID: &c.ID, ContractID: &k2.ID}, "dinner gala"},
			{"client and another's contract", w.mgr, crm.EventFilter{ClientID: &c.ID, ContractID: &k3.ID}, ""},
			{"client without support", w.mgr, crm.EventFilter{ClientID: &c.ID, WithoutSupport: true}, "past dinner gala"},
			{"client mine as support", w.support, crm.EventFilter{ClientID: &c.ID, Mine: true}, "wedding"},
			{"client mine as its sales contact", w.sales, crm.EventFilter{ClientID: &c.ID, Mine: true}, "past dinner wedding gala"},
			{"client mine as another sales contact", w.sales2, crm.EventFilter{ClientID: &c.ID, Mine: true}, ""},
			{"client first page", w.mgr, crm.EventFilter{ClientID: &c.ID, Page: crm.Page{Limit: 2}}, "past dinner"},
		} {
			if got := list(tc.ctx, tc.f); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
			}
		}
	})
}

// TestChecksBeforePassword: the checks refuse what creating an employee or
// setting a password would refuse before the password is looked at, and
// change nothing.
func TestChecksBeforePassword(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		ok := crm.NewEmployee{FirstName: "Tom", LastName: "Worker", Email: "tom@epic.example", Role: crm.RoleSupport}
		with := func(f func(*crm.NewEmployee)) crm.NewEmployee { in := ok; f(&in); return in }
		for _, tc := range []struct {
			name string
			ctx  context.Context
			in   crm.NewEmployee
			code crm.Code
		}{
			{"allowed", w.mgr, ok, ""},
			{"any case of role", w.mgr, with(func(in *crm.NewEmployee) { in.Role = "support" }), ""},
			{"SALES", w.sales, ok, crm.CodeForbidden},
			{"SUPPORT", w.support, ok, crm.CodeForbidden},
			{"a bad email", w.mgr, with(func(in *crm.NewEmployee) { in.Email = "tom@" }), crm.CodeInvalid},
			{"no name", w.mgr, with(func(in *crm.NewEmployee) { in.FirstName = " " }), crm.CodeInvalid},
			{"a bad role", w.mgr, with(func(in *crm.NewEmployee) { in.Role = "BOSS" }), crm.CodeInvalid},
			{"an email in use", w.mgr, with(func(in *crm.NewEmployee) { in.Email = "Sales@Epic.Example" }), crm.CodeConflict},
			{"no session", context.Background(), ok, crm.CodeUnauthenticated},
		} {
			if err := w.svc.CheckCreateEmployee(tc.ctx, tc.in); crm.ErrorCode(err) != tc.code {
				t.Errorf("CheckCreateEmployee, %s: %v, want %q", tc.name, err, tc.code)
			}
		}
		var n int
		must[string](t)(w.svc.ListEmployees(w.mgr, crm.EmployeeFilter{All: true}, func(crm.Employee) error { n++; return nil }))
		if n != 6 {
			t.Errorf("%d employees after the checks, want the 6 of the world", n)
		}

		for _, tc := range []struct {
			name string
			ctx  context.Context
			id   int64
			code crm.Code
		}{
			{"another employee", w.mgr, w.ids["sales"], ""},
			{"another manager", w.mgr, w.ids["mgr2"], ""},
			{"yourself", w.mgr, w.ids["mgr"], crm.CodeForbidden},
			{"nobody", w.mgr, 999, crm.CodeNotFound},
			{"SALES", w.sales, w.ids["support"], crm.CodeForbidden},
			{"SUPPORT on themselves", w.support, w.ids["support"], crm.CodeForbidden},
		} {
			if err := w.svc.CheckSetPassword(tc.ctx, tc.id); crm.ErrorCode(err) != tc.code {
				t.Errorf("CheckSetPassword, %s: %v, want %q", tc.name, err, tc.code)
			}
		}
		// Nothing changed: the employee whose password a check was about
		// still logs in with theirs.
		w.login("sales@epic.example")

		if err := crm.CheckNewEmployee(crm.NewEmployee{FirstName: "Ada", LastName: "L", Email: "not-an-email", Role: crm.RoleManagement}); crm.ErrorCode(err) != crm.CodeInvalid {
			t.Errorf("CheckNewEmployee with a bad email: %v", err)
		}
		if err := crm.CheckNewEmployee(crm.NewEmployee{FirstName: "Ada", LastName: "L", Email: "ada@x.example", Role: crm.RoleManagement}); err != nil {
			t.Errorf("CheckNewEmployee: %v", err)
		}
	})
}
