package sqlstore

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
)

// TestRollbackJournal: a large SQLite load that has the database to itself
// writes with a rollback journal, and the WAL comes back after it; with
// another connection open, the load keeps the WAL, and the connection its
// busy timeout either way.
func TestRollbackJournal(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "journal.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	pragma := func(c *sql.Conn, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	conn, err := db.pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	check := func(during, after string) {
		t.Helper()
		restore, err := rollbackJournal(ctx, conn)
		if err != nil {
			t.Fatal(err)
		}
		if got := pragma(conn, "journal_mode"); got != during {
			t.Errorf("journal during the load: %s, want %s", got, during)
		}
		if got := pragma(conn, "busy_timeout"); got != strconv.Itoa(busyTimeoutMS) {
			t.Errorf("busy timeout during the load: %s ms", got)
		}
		restore()
		if got := pragma(conn, "journal_mode"); got != after {
			t.Errorf("journal after the load: %s, want %s", got, after)
		}
	}
	check("delete", "wal")

	other, err := db.pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	pragma(other, "journal_mode") // opens the file, and its WAL
	check("wal", "wal")
}
