package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestClientFindsPeopleAndNotes: the email filters, upcoming, add_note and
// the checks before a password answer through the client exactly as the
// service answers in local mode.
func TestClientFindsPeopleAndNotes(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		r := newClientRig(t, engine)
		c := r.client
		ada := r.login(t, "ada@epicevents.example")
		bill, err := c.CreateEmployee(ada, crm.NewEmployee{FirstName: "Bill", LastName: "Boyd",
			Email: "bill@epicevents.example", Role: crm.RoleSales, Password: rigPassword})
		if err != nil {
			t.Fatal(err)
		}
		page := crm.Page{Limit: 10}

		// Email filters: exact, in any case.
		for _, email := range []string{"BILL@epicevents.example", "bill@epicevents", "nobody@epicevents.example"} {
			sameList(t, r, ada, "employees with email "+email, func(api crm.API, emit crm.Emit[crm.Employee]) (string, error) {
				return api.ListEmployees(ada, crm.EmployeeFilter{Email: email, All: true, Page: page}, emit)
			})
		}
		if got := sameList(t, r, ada, "employee by email", func(api crm.API, emit crm.Emit[crm.Employee]) (string, error) {
			return api.ListEmployees(ada, crm.EmployeeFilter{Email: " Bill@EpicEvents.example", Page: page}, emit)
		}); len(got) != 1 || got[0].ID != bill.ID {
			t.Fatalf("employee by email = %+v", got)
		}
		billCtx := r.login(t, "bill@epicevents.example")
		cl, err := c.CreateClient(billCtx, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.example"})
		if err != nil {
			t.Fatal(err)
		}
		if got := sameList(t, r, ada, "client by email", func(api crm.API, emit crm.Emit[crm.Client]) (string, error) {
			return api.ListClients(ada, crm.ClientFilter{Email: "KEVIN@startup.example", Page: page}, emit)
		}); len(got) != 1 || got[0].ID != cl.ID {
			t.Fatalf("client by email = %+v", got)
		}

		// Upcoming events.
		ct, err := c.CreateContract(ada, crm.NewContract{ClientID: cl.ID, TotalAmount: 100000, Signed: true})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		var ev crm.Event
		for _, start := range []time.Time{now.Add(-48 * time.Hour), now.Add(48 * time.Hour)} {
			if ev, err = c.CreateEvent(billCtx, crm.NewEvent{ContractID: ct.ID, Name: "Launch", Start: start,
				End: start.Add(2 * time.Hour), Location: "Paris", Attendees: 10}); err != nil {
				t.Fatal(err)
			}
		}
		if got := sameList(t, r, ada, "upcoming events", func(api crm.API, emit crm.Emit[crm.Event]) (string, error) {
			return api.ListEvents(ada, crm.EventFilter{Upcoming: true, Page: page}, emit)
		}); len(got) != 1 || got[0].ID != ev.ID {
			t.Fatalf("upcoming = %+v", got)
		}

		// add_note: the server dates and signs the line.
		note := "Catering confirmed"
		got, err := c.UpdateEvent(ada, ev.ID, crm.EventPatch{AddNote: &note})
		if err != nil {
			t.Fatal(err)
		}
		if got.Notes == nil || !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d Ada Lovelace: Catering confirmed$`).MatchString(*got.Notes) {
			t.Fatalf("notes = %v", got.Notes)
		}
		same(t, r, ada, "add_note with notes", func(api crm.API) (crm.Event, error) {
			return api.UpdateEvent(ada, ev.ID, crm.EventPatch{AddNote: &note, Notes: &note})
		})
		same(t, r, billCtx, "add_note by SALES", func(api crm.API) (crm.Event, error) {
			return api.UpdateEvent(billCtx, ev.ID, crm.EventPatch{AddNote: &note})
		})

		// The checks before a password.
		type none struct{}
		check := func(what string, ctx context.Context, fn func(crm.API) error) {
			t.Helper()
			same(t, r, ctx, what, func(api crm.API) (none, error) { return none{}, fn(api) })
		}
		tom := crm.NewEmployee{FirstName: "Tom", LastName: "Worker", Email: "tom@epicevents.example", Role: "support"}
		check("may create", ada, func(api crm.API) error { return api.CheckCreateEmployee(ada, tom) })
		check("SALES may not create", billCtx, func(api crm.API) error { return api.CheckCreateEmployee(billCtx, tom) })
		taken := tom
		taken.Email = "Bill@epicevents.example"
		check("email in use", ada, func(api crm.API) error { return api.CheckCreateEmployee(ada, taken) })
		invalid := crm.NewEmployee{Email: "tom@", Role: "BOSS"}
		check("invalid fields", ada, func(api crm.API) error { return api.CheckCreateEmployee(ada, invalid) })
		check("may set a password", ada, func(api crm.API) error { return api.CheckSetPassword(ada, bill.ID) })
		check("not one's own", ada, func(api crm.API) error { return api.CheckSetPassword(ada, 1) })
		check("nobody", ada, func(api crm.API) error { return api.CheckSetPassword(ada, 999) })
		check("SALES may not set a password", billCtx, func(api crm.API) error { return api.CheckSetPassword(billCtx, bill.ID) })
	})
}

// TestFlowQueryParameters: the client writes email and upcoming as the
// document names them, and the server refuses them malformed (400).
func TestFlowQueryParameters(t *testing.T) {
	var query string
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[],"next":null}`)
	})
	ctx := context.Background()
	for _, tc := range []struct {
		call func() error
		raw  string
	}{
		{func() error {
			_, err := c.ListEmployees(ctx, crm.EmployeeFilter{Email: "Kate+crm@epicevents.example", All: true}, func(crm.Employee) error { return nil })
			return err
		}, "all=true&email=Kate%2Bcrm%40epicevents.example&limit=500"},
		{func() error {
			_, err := c.ListClients(ctx, crm.ClientFilter{Email: "kevin@startup.io", Page: crm.Page{Limit: 1}}, func(crm.Client) error { return nil })
			return err
		}, "email=kevin%40startup.io&limit=1"},
		{func() error {
			_, err := c.ListEvents(ctx, crm.EventFilter{Upcoming: true, Mine: true, Page: crm.Page{Limit: 10}}, func(crm.Event) error { return nil })
			return err
		}, "limit=10&mine=true&upcoming=true"},
	} {
		if err := tc.call(); err != nil {
			t.Fatal(err)
		}
		if query != tc.raw {
			t.Errorf("query %s, want %s", query, tc.raw)
		}
	}

	a := newAPITest(t, "sqlite")
	for _, tc := range []struct{ path, field string }{
		{"/api/v1/employees?email=", "email"},
		{"/api/v1/clients?email=" + strings.Repeat("a", 250) + "%40x.example", "email"},
		{"/api/v1/events?upcoming=yes", "upcoming"},
		{"/api/v1/contracts?email=a%40b.example", "email"}, // not a parameter of contracts
	} {
		a.do("GET", tc.path, "sales", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, tc.field)
	}
	a.do("GET", "/api/v1/employees?email=sales%40epic.example", "support", nil).expect(t, http.StatusOK)
	a.do("GET", "/api/v1/events?upcoming=true", "support", nil).expect(t, http.StatusOK)
}
