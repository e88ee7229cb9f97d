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

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/epicevents/epicevents/internal/crm"
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

// MigrateUp applies every pending migration and returns their names, then
// writes the search text of clients that have none (fillSearchText). On a
// current schema it writes nothing, so that it works as the application
// role.
func (db *DB) MigrateUp(ctx context.Context) ([]string, error) {
	if err := db.checkSchemaRights(ctx); err != nil {
		return nil, err
	}
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
	if err != nil {
		return applied, schemaErr(err, "migrate")
	}
	return applied, db.fillSearchText(ctx)
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
		return "", schemaErr(err, "roll back")
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
	if db.dialect == postgresDialect {
		// One round trip on the path of every command: read the version,
		// and take "no such table" to mean that goose never ran here.
		err = db.pool.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+versionTable).Scan(&current)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == undefinedTable {
			return 0, latest, nil
		}
		if err != nil {
			return 0, latest, translate(err, "read the schema version of", "database")
		}
		return current, latest, nil
	}
	tracked, err := db.versionTableExists(ctx)
	if err != nil || !tracked {
		return 0, latest, err
	}
	// One read instead of goose's GetVersions, which costs several round trips
	// on every CLI command: goose deletes the row of a migration it rolls back,
	// so the highest recorded version is the current one.
	err = db.SQL().QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM "+versionTable).Scan(&current)
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

// undefinedTable is PostgreSQL's SQLSTATE for a table that does not exist.
const undefinedTable = "42P01"

// noSchemaRights is the advice for a role that may not change the schema.
const noSchemaRights = "the database role of EPICEVENTS_DATABASE_URL may not change the schema (the application role owns nothing); " +
	"run `epicevents migrate up --app-role NAME` as the owner role"

// checkSchemaRights fails early, with advice, when the schema is behind and
// the connected role cannot create in it (the application role): goose
// would otherwise retry creating its table for seconds, then fail with the
// driver's text.
func (db *DB) checkSchemaRights(ctx context.Context) error {
	if db.dialect != postgresDialect {
		return nil
	}
	var can bool
	if err := db.pool.QueryRowContext(ctx, "SELECT coalesce(has_schema_privilege(current_schema(), 'CREATE'), false)").Scan(&can); err != nil {
		return translate(err, "read the privileges of", "database")
	}
	if can {
		return nil
	}
	current, latest, err := db.SchemaCurrent(ctx)
	if err != nil || current >= latest {
		return err // nothing to apply: goose only reads
	}
	return &crm.Error{Code: crm.CodeInternal, Message: fmt.Sprintf(
		"the database schema is behind (version %d, this program needs %d), but %s", current, latest, noSchemaRights)}
}

// direction names the migrate command that performs action.
func direction(action string) string {
	if action == "roll back" {
		return "down"
	}
	return "up --app-role NAME"
}

// schemaErr translates a failed migration; a refused one (SQLSTATE 42501)
// gets advice instead of the driver's text.
func schemaErr(err error, action string) error {
	if denied(err) {
		return &crm.Error{Code: crm.CodeInternal, Err: err, Message: "cannot " + action + " the schema: the database role of EPICEVENTS_DATABASE_URL " +
			"may not change the schema (the application role owns nothing); run `epicevents migrate " + direction(action) + "` as the owner role"}
	}
	return translate(err, action, "database")
}
