package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

const securityMigration = "00004_security.sql"

// downTo migrates down until name has been undone.
func downTo(t *testing.T, db *sqlstore.DB, name string) {
	t.Helper()
	for {
		undone, err := db.MigrateDown(context.Background())
		if err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
		if undone == "" {
			t.Fatalf("%s was never applied", name)
		}
		if undone == name {
			return
		}
	}
}

func auditIDs(t *testing.T, db *sqlstore.DB) []int64 {
	t.Helper()
	var ids []int64
	_, err := db.ListAudit(context.Background(), crm.AuditFilter{}, func(a crm.AuditEntry) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestSecurityMigration: the migration that lets the database date the
// audit entries keeps every entry and never reuses an id, up and down (on
// SQLite it rebuilds the table), and deletes the login failures written
// before it, which hold what was typed in the email field.
func TestSecurityMigration(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := testdb.Open(t, engine)
		for _, action := range []string{"client.create", "client.update", "client.delete"} {
			if err := db.InsertAudit(ctx, crm.AuditEntry{Action: action, Entity: "client"}); err != nil {
				t.Fatal(err)
			}
		}
		// The newest entry goes (as only an operator could): its id must
		// still never come back.
		if _, err := db.SQL().ExecContext(ctx, "DELETE FROM audit_entries WHERE id = 3"); err != nil {
			t.Fatal(err)
		}

		downTo(t, db, securityMigration)
		if got := auditIDs(t, db); !slices.Equal(got, []int64{2, 1}) {
			t.Fatalf("after down, audit ids %v, want [2 1]", got)
		}
		// The schema before it: the writer gave the time, and the throttle
		// kept the typed text.
		for _, stmt := range []string{
			"INSERT INTO audit_entries (at, action, entity) VALUES ('2025-03-10T09:00:00Z', 'client.create', 'client')",
			"INSERT INTO login_failures (key, at) VALUES ('email:typed secret', '2025-03-10T09:00:00Z')",
		} {
			if _, err := db.SQL().ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if got := auditIDs(t, db); !slices.Equal(got, []int64{4, 2, 1}) {
			t.Fatalf("an id was reused after down: %v, want [4 2 1]", got)
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		var failures int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM login_failures").Scan(&failures); err != nil || failures != 0 {
			t.Fatalf("%d login failures kept by the migration (%v), want none", failures, err)
		}
		before := time.Now().UTC().Truncate(time.Second)
		if err := db.InsertAudit(ctx, crm.AuditEntry{At: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), Action: "client.create", Entity: "client"}); err != nil {
			t.Fatal(err)
		}
		if got := auditIDs(t, db); !slices.Equal(got, []int64{5, 4, 2, 1}) {
			t.Fatalf("after up, audit ids %v, want [5 4 2 1]", got)
		}
		var newest crm.AuditEntry
		_, err := db.ListAudit(ctx, crm.AuditFilter{Page: crm.Page{Limit: 1}}, func(a crm.AuditEntry) error { newest = a; return nil })
		if err != nil || newest.At.Before(before) || newest.At.After(time.Now().UTC()) {
			t.Fatalf("the newest entry is dated %v (%v), want the database's time", newest.At, err)
		}
	})
}
