package webui

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// homeRows caps each list of my work; each links to the whole list.
const homeRows = 10

// chartMonths is how many months the chart of signed value covers.
const chartMonths = 12

// homeView is the content of my work: what the viewer's role works on.
type homeView struct {
	// SALES: my clients, my unsigned contracts, my contracts with money
	// due and its total, my upcoming events.
	Clients  []crm.Client
	Unsigned []crm.Contract
	Unpaid   []crm.Contract
	Due      crm.DueTotal
	Events   []eventRow
	// SUPPORT: my upcoming events, by day.
	Agenda []agendaGroup
	// MANAGEMENT: upcoming events without support, each with its assign
	// control, the support people to pick from; unsigned contracts and the
	// money due (above); the signed value per month.
	Unassigned []unassignedRow
	Support    []Option
	Chart      *signedChart
}

// agendaGroup is one heading of the SUPPORT agenda and its events.
type agendaGroup struct {
	Heading string
	ID      string
	Events  []eventRow
}

// unassignedRow is an event without support, with the form that assigns it.
type unassignedRow struct {
	eventRow
	Assign *Form
}

// homePage is GET /: my work, the page a login leads to, by role.
func (s *Server) homePage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "My work")
	var v homeView
	var err error
	switch p.Viewer.Role {
	case crm.RoleSales:
		err = s.salesWork(r.Context(), &v)
	case crm.RoleSupport:
		err = s.supportWork(r.Context(), &v)
	case crm.RoleManagement:
		err = s.managementWork(r.Context(), &v)
	}
	if err != nil {
		return err
	}
	p.Data = v
	return s.render(w, r, http.StatusOK, "home", p)
}

// firstRows are the first homeRows rows of a list.
func firstRows[T any](list func(crm.Emit[T]) (string, error)) ([]T, error) {
	var rows []T
	_, err := list(func(x T) error {
		rows = append(rows, x)
		return nil
	})
	return rows, err
}

func (s *Server) contracts(ctx context.Context, f crm.ContractFilter) ([]crm.Contract, error) {
	f.Page = crm.Page{Limit: homeRows}
	return firstRows(func(emit crm.Emit[crm.Contract]) (string, error) { return s.svc.ListContracts(ctx, f, emit) })
}

func (s *Server) events(ctx context.Context, f crm.EventFilter) ([]eventRow, error) {
	f.Page = crm.Page{Limit: homeRows}
	events, err := firstRows(func(emit crm.Emit[crm.Event]) (string, error) { return s.svc.ListEvents(ctx, f, emit) })
	rows := make([]eventRow, len(events))
	for i, e := range events {
		rows[i] = s.eventRow(e)
	}
	return rows, err
}

func (s *Server) salesWork(ctx context.Context, v *homeView) error {
	var err error
	if v.Clients, err = firstRows(func(emit crm.Emit[crm.Client]) (string, error) {
		return s.svc.ListClients(ctx, crm.ClientFilter{Mine: true, Page: crm.Page{Limit: homeRows}}, emit)
	}); err != nil {
		return err
	}
	if v.Unsigned, err = s.contracts(ctx, crm.ContractFilter{Mine: true, Unsigned: true}); err != nil {
		return err
	}
	if v.Unpaid, err = s.contracts(ctx, crm.ContractFilter{Mine: true, Unpaid: true}); err != nil {
		return err
	}
	if v.Due, err = s.svc.AmountDueTotal(ctx, true); err != nil {
		return err
	}
	v.Events, err = s.events(ctx, crm.EventFilter{Mine: true, Upcoming: true})
	return err
}

func (s *Server) supportWork(ctx context.Context, v *homeView) error {
	events, err := s.events(ctx, crm.EventFilter{Mine: true, Upcoming: true})
	if err != nil {
		return err
	}
	v.Agenda = agenda(events, s.now().In(s.clock.loc))
	return nil
}

// agendaHeadings are the groups of the agenda, in order.
var agendaHeadings = []struct{ heading, id string }{
	{"Today", "today"}, {"Tomorrow", "tomorrow"}, {"This week", "this-week"}, {"Later", "later"},
}

// agenda groups events (by start) under the day they start, as of now (in
// the company's zone): today, tomorrow, the rest of this week (to Sunday),
// later. Empty groups are left out.
func agenda(events []eventRow, now time.Time) []agendaGroup {
	loc := now.Location()
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	tomorrow := today.AddDate(0, 0, 1)
	afterTomorrow := today.AddDate(0, 0, 2)
	// Weeks start on Monday: the next Monday ends this week.
	nextWeek := today.AddDate(0, 0, 7-(int(today.Weekday())+6)%7)
	groups := make([]agendaGroup, len(agendaHeadings))
	for i, h := range agendaHeadings {
		groups[i] = agendaGroup{Heading: h.heading, ID: h.id}
	}
	for _, e := range events {
		start := e.Start.In(loc)
		i := 3
		switch {
		case start.Before(tomorrow):
			i = 0
		case start.Before(afterTomorrow):
			i = 1
		case start.Before(nextWeek):
			i = 2
		}
		groups[i].Events = append(groups[i].Events, e)
	}
	var out []agendaGroup
	for _, g := range groups {
		if len(g.Events) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func (s *Server) managementWork(ctx context.Context, v *homeView) error {
	events, err := s.events(ctx, crm.EventFilter{WithoutSupport: true, Upcoming: true})
	if err != nil {
		return err
	}
	if v.Support, err = s.peopleOptions(ctx, crm.RoleSupport); err != nil {
		return err
	}
	for _, e := range events {
		v.Unassigned = append(v.Unassigned, unassignedRow{eventRow: e, Assign: NewForm(fmt.Sprintf("assign-%d", e.ID), nil)})
	}
	if v.Unsigned, err = s.contracts(ctx, crm.ContractFilter{Unsigned: true}); err != nil {
		return err
	}
	if v.Due, err = s.svc.AmountDueTotal(ctx, false); err != nil {
		return err
	}
	months, err := s.svc.SignedByMonth(ctx, chartMonths)
	if err != nil {
		return err
	}
	v.Chart = newSignedChart(months)
	return nil
}

// roleNames are the departments as the pages name them.
var roleNames = map[crm.Role]string{
	crm.RoleManagement: "Management",
	crm.RoleSales:      "Sales",
	crm.RoleSupport:    "Support",
}

// roleName is the department of role in words ("Sales").
func roleName(role crm.Role) string {
	if n, ok := roleNames[role]; ok {
		return n
	}
	return string(role)
}
