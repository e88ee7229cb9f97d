package sqlstore

import (
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// TestEmailFilterPlans checks, on SQLite, that finding an employee or a
// client by email (how the CLI turns an email into an id) is one look-up in
// the unique email index, not a walk of the list.
func TestEmailFilterPlans(t *testing.T) {
	ctx := t.Context()
	db := planSQLite(t)
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}
	page := crm.Page{Limit: 1}
	for _, tc := range []struct {
		name, index string
		run         func() error
	}{
		{"employees", "employees_email_key", func() error {
			_, err := q.ListEmployees(ctx, crm.EmployeeFilter{Email: "Kate@Epic.Example", All: true, Page: page}, func(crm.Employee) error { return nil })
			return err
		}},
		{"clients", "clients_email_key", func() error {
			return listClients(ctx, q, crm.ClientFilter{Email: "kevin@startup.io", Page: page}, func(any) error { return nil })
		}},
	} {
		ec.plans = nil
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(ec.plans) != 1 || !strings.Contains(ec.plans[0], "USING INDEX "+tc.index) {
			t.Errorf("%s by email does not use %s:\n%s", tc.name, tc.index, strings.Join(ec.plans, "\n---\n"))
		}
	}
}
