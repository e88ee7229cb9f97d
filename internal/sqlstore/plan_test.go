package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// explainConn records SQLite's query plan of every query before running it.
type explainConn struct {
	conn
	t     *testing.T
	plans []string
}

func (c *explainConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		c.t.Fatalf("explain %s: %v", query, err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			c.t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Close(); err != nil {
		c.t.Fatal(err)
	}
	c.plans = append(c.plans, strings.Join(plan, "\n"))
	return c.conn.QueryContext(ctx, query, args...)
}

// TestListPlansDoNotSort checks, on SQLite, that every paged list without a
// search walks an index in the list's order and stops after a page, instead
// of reading and sorting every matching row: SQLite has no statistics, so its
// plans do not depend on the data and an empty database shows them. A sort
// here is what made `events list --mine` take 2.4 s at a million events.
// PostgreSQL plans from statistics of the real data; docs/performance.md
// shows those plans at a million rows (scripts/explain.sh).
func TestListPlansDoNotSort(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	ec := &explainConn{conn: db.pool, t: t}
	q := &queries{db: db, conn: ec}

	id := int64(2)
	day := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	week := day.AddDate(0, 0, 7)
	page := crm.Page{Limit: 100}
	none := func(any) error { return nil }
	cases := []struct {
		name string
		run  func() error
	}{
		{"employees", func() error {
			_, err := q.ListEmployees(ctx, crm.EmployeeFilter{Page: page}, func(crm.Employee) error { return nil })
			return err
		}},
		{"clients", func() error { return listClients(ctx, q, crm.ClientFilter{Page: page}, none) }},
		{"clients --sales-contact", func() error {
			return listClients(ctx, q, crm.ClientFilter{SalesContactID: &id, Page: page}, none)
		}},
		{"contracts", func() error { return listContracts(ctx, q, crm.ContractFilter{Page: page}, none) }},
		{"contracts --unsigned", func() error { return listContracts(ctx, q, crm.ContractFilter{Unsigned: true, Page: page}, none) }},
		{"contracts --unpaid", func() error { return listContracts(ctx, q, crm.ContractFilter{Unpaid: true, Page: page}, none) }},
		{"contracts --sales-contact", func() error {
			return listContracts(ctx, q, crm.ContractFilter{SalesContactID: &id, Page: page}, none)
		}},
		{"events", func() error { return listEvents(ctx, q, crm.EventFilter{Page: page}, none) }},
		{"events --without-support", func() error {
			return listEvents(ctx, q, crm.EventFilter{WithoutSupport: true, Page: page}, none)
		}},
		{"events --support-contact", func() error {
			return listEvents(ctx, q, crm.EventFilter{SupportContactID: &id, Page: page}, none)
		}},
		{"events --sales-contact", func() error {
			return listEvents(ctx, q, crm.EventFilter{SalesContactID: &id, Page: page}, none)
		}},
		{"events --from --to", func() error {
			return listEvents(ctx, q, crm.EventFilter{From: &day, To: &week, Page: page}, none)
		}},
		{"audit", func() error {
			_, err := q.ListAudit(ctx, crm.AuditFilter{Page: page}, func(crm.AuditEntry) error { return nil })
			return err
		}},
	}
	for _, tc := range cases {
		ec.plans = nil
		if err := tc.run(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(ec.plans) != 1 {
			t.Fatalf("%s: %d queries, want 1", tc.name, len(ec.plans))
		}
		if strings.Contains(ec.plans[0], "TEMP B-TREE") {
			t.Errorf("%s sorts its matches instead of walking an index in order:\n%s", tc.name, ec.plans[0])
		}
	}
}

func listClients(ctx context.Context, q *queries, f crm.ClientFilter, emit func(any) error) error {
	_, err := q.ListClients(ctx, f, func(c crm.Client) error { return emit(c) })
	return err
}

func listContracts(ctx context.Context, q *queries, f crm.ContractFilter, emit func(any) error) error {
	_, err := q.ListContracts(ctx, f, func(c crm.Contract) error { return emit(c) })
	return err
}

func listEvents(ctx context.Context, q *queries, f crm.EventFilter, emit func(any) error) error {
	_, err := q.ListEvents(ctx, f, func(e crm.Event) error { return emit(e) })
	return err
}
