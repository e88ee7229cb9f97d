// Package testdb gives tests a fresh, migrated database on every engine the
// machine offers: SQLite always, PostgreSQL when EPICEVENTS_TEST_POSTGRES_URL
// is set (each test gets its own database, dropped at the end).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, to create and drop test databases

	"github.com/epicevents/epicevents/internal/sqlstore"
)

// PostgresEnv names the variable holding the URL of a PostgreSQL server where
// tests may create databases.
const PostgresEnv = "EPICEVENTS_TEST_POSTGRES_URL"

// Engines returns the engines to test on: "sqlite", and "postgres" when the
// server is configured.
func Engines() []string {
	if os.Getenv(PostgresEnv) != "" {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// ForEach runs fn as a subtest on each engine, saying once why PostgreSQL is
// skipped when it is not configured.
func ForEach(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, e := range []string{"sqlite", "postgres"} {
		t.Run(e, func(t *testing.T) {
			if e == "postgres" && os.Getenv(PostgresEnv) == "" {
				t.Skip(PostgresEnv + " is not set: skipping the PostgreSQL run")
			}
			fn(t, e)
		})
	}
}

// URL returns the URL of a fresh, empty database on engine, removed when the
// test ends.
func URL(t testing.TB, engine string) string {
	t.Helper()
	if engine == "sqlite" {
		return "sqlite:" + filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set: skipping the PostgreSQL run")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	name := "epicevents_test_" + randomHex()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated store on a fresh database of engine.
func Open(t testing.TB, engine string) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, URL(t, engine))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
