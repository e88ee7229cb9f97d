package testdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/epicevents/epicevents/internal/sqlstore"
)

// AppRoleDB is a PostgreSQL database set up as in docs/postgresql.md: an
// owner role owns the database and its schema, and an application role,
// which owns nothing, was granted its privileges by `migrate up --app-role`.
type AppRoleDB struct {
	Database string // database name
	Owner    string // the owner role, which ran the migrations
	App      string // the application role
	OwnerURL string // connects as Owner
	AppURL   string // connects as App: what serve, init and the CLI use

	admin *sql.DB // connected as the superuser of the base URL
}

// NewAppRoleDB creates, through baseURL (a superuser's URL, such as
// EPICEVENTS_TEST_POSTGRES_URL), two fresh roles and a fresh database owned
// by the first, migrates it as the owner and grants the second the
// application role's privileges, exactly as `epicevents migrate up
// --app-role` does. The schema is current and holds no employee yet, so
// `epicevents init` works as the application role. Drop removes it all.
// It does not depend on package testing, so that harnesses such as
// testscript's Setup can call it.
func NewAppRoleDB(ctx context.Context, baseURL string) (_ *AppRoleDB, err error) {
	admin, err := sql.Open("pgx", baseURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", PostgresEnv, err)
	}
	suffix := randomHex()
	d := &AppRoleDB{
		Database: "epicevents_test_" + suffix,
		Owner:    "epicevents_owner_" + suffix,
		App:      "epicevents_app_" + suffix,
		admin:    admin,
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, d.Drop(context.WithoutCancel(ctx)))
		}
	}()
	ownerPW, appPW := randomHex()+randomHex(), randomHex()+randomHex()
	for _, stmt := range []string{
		"CREATE ROLE " + ident(d.Owner) + " LOGIN PASSWORD '" + ownerPW + "'",
		"CREATE ROLE " + ident(d.App) + " LOGIN PASSWORD '" + appPW + "'",
		"CREATE DATABASE " + ident(d.Database) + " OWNER " + ident(d.Owner),
	} {
		if _, err := admin.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%s: %w", stmt, err)
		}
	}
	if d.OwnerURL, err = roleURL(baseURL, d.Database, d.Owner, ownerPW); err != nil {
		return nil, err
	}
	if d.AppURL, err = roleURL(baseURL, d.Database, d.App, appPW); err != nil {
		return nil, err
	}
	owner, err := sqlstore.Open(ctx, d.OwnerURL)
	if err != nil {
		return nil, fmt.Errorf("open as the owner: %w", err)
	}
	defer owner.Close()
	if _, err := owner.MigrateUp(ctx); err != nil {
		return nil, fmt.Errorf("migrate as the owner: %w", err)
	}
	if err := owner.GrantAppRole(ctx, d.App); err != nil {
		return nil, fmt.Errorf("grant the application role: %w", err)
	}
	return d, nil
}

// Drop removes the database and both roles; it may be called more than once.
func (d *AppRoleDB) Drop(ctx context.Context) error {
	if d.admin == nil {
		return nil
	}
	var errs []error
	for _, stmt := range []string{
		"DROP DATABASE IF EXISTS " + ident(d.Database) + " WITH (FORCE)",
		// The roles own nothing and hold no privilege outside the database
		// dropped above; DROP OWNED would need a connection to it.
		"DROP ROLE IF EXISTS " + ident(d.App),
		"DROP ROLE IF EXISTS " + ident(d.Owner),
	} {
		if _, err := d.admin.ExecContext(ctx, stmt); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", stmt, err))
		}
	}
	errs = append(errs, d.admin.Close())
	d.admin = nil
	return errors.Join(errs...)
}

// AppRole returns a migrated PostgreSQL database with an owner role and an
// application role (see NewAppRoleDB), dropped when the test ends. It skips
// the test when EPICEVENTS_TEST_POSTGRES_URL is not set.
func AppRole(t testing.TB) *AppRoleDB {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set: skipping the PostgreSQL application role test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := NewAppRoleDB(ctx, base)
	if err != nil {
		t.Fatalf("set up an application role database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := d.Drop(ctx); err != nil {
			t.Errorf("drop the application role database: %v", err)
		}
	})
	return d
}

func roleURL(base, database, role, password string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", PostgresEnv, err)
	}
	u.User = url.UserPassword(role, password)
	u.Path, u.RawPath = "/"+database, ""
	return u.String(), nil
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }
