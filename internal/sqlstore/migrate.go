package sqlstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// versionTable is goose's record of the applied migrations.
const versionTable = "goose_db_version"

// MigrationState is one migration and whether it is applied.
type MigrationState struct {
	Version   int64
	Name      string // file name, such as 00001_schema.sql
	Applied   bool
	AppliedAt *time.Time // nil when pending
}

func (d dialect) goose() database.Dialect {
	if d == postgresDialect {
		return goose.DialectPostgres
	}
	return goose.DialectSQLite3
}

// provider builds a goose provider on the dialect's migrations. locked adds
// an advisory lock on PostgreSQL so that two `migrate up` cannot interleave;
// SQLite's immediate transactions already serialize them.
func (db *DB) provider(locked bool) (*goose.Provider, error) {
	dir, err := fs.Sub(migrationFiles, "migrations/"+db.dialect.String())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	opts := []goose.ProviderOption{
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)), // callers report what was applied
	}
	if locked && db.dialect == postgresDialect {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(db.dialect.goose(), db.pool, dir, opts...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	return p, nil
}

// MigrateUp applies every pending migration and returns their names.
func (db *DB) MigrateUp(ctx context.Context) ([]string, error) {
	p, err := db.provider(true)
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	var partial *goose.PartialError
	if errors.As(err, &partial) {
		results = partial.Applied // what ran before the failing migration
	}
	applied := make([]string, len(results))
	for i, r := range results {
		applied[i] = filepath.Base(r.Source.Path)
	}
	return applied, translate(err, "migrate", "database")
}

// MigrateDown rolls back the latest applied migration and returns its name,
// or "" when none is applied.
func (db *DB) MigrateDown(ctx context.Context) (string, error) {
	p, err := db.provider(true)
	if err != nil {
		return "", err
	}
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return "", nil
	}
	if err != nil {
		return "", translate(err, "roll back", "database")
	}
	return filepath.Base(r.Source.Path), nil
}

// MigrationStatus lists every known migration, oldest first. It writes
// nothing, even on an empty database.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	p, err := db.provider(false)
	if err != nil {
		return nil, err
	}
	tracked, err := db.versionTableExists(ctx)
	if err != nil {
		return nil, err
	}
	if !tracked {
		return pending(p.ListSources()), nil
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, translate(err, "read the migrations of", "database")
	}
	states := make([]MigrationState, len(statuses))
	for i, s := range statuses {
		states[i] = MigrationState{Version: s.Source.Version, Name: filepath.Base(s.Source.Path)}
		if s.State == goose.StateApplied {
			at := s.AppliedAt.UTC()
			states[i].Applied, states[i].AppliedAt = true, &at
		}
	}
	return states, nil
}

func pending(sources []*goose.Source) []MigrationState {
	states := make([]MigrationState, len(sources))
	for i, s := range sources {
		states[i] = MigrationState{Version: s.Version, Name: filepath.Base(s.Path)}
	}
	return states
}

// SchemaCurrent returns the version of the database's schema (0 when empty)
// and the latest version this binary knows. It writes nothing, so that it
// works as an application role without DDL rights.
func (db *DB) SchemaCurrent(ctx context.Context) (current, latest int64, err error) {
	p, err := db.provider(false)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	tracked, err := db.versionTableExists(ctx)
	if err != nil || !tracked {
		return 0, latest, err
	}
	current, _, err = p.GetVersions(ctx)
	if err != nil {
		return 0, latest, translate(err, "read the schema version of", "database")
	}
	return current, latest, nil
}

// versionTableExists tells whether goose has ever run here; goose itself
// would create its table to find out.
func (db *DB) versionTableExists(ctx context.Context) (bool, error) {
	query := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if db.dialect == postgresDialect {
		query = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?"
	}
	n, err := db.count(ctx, "database", query, versionTable)
	return n > 0, err
}
