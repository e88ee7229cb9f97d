// Package sqlstore is the storage of Epic Events CRM on database/sql, for
// SQLite (modernc.org/sqlite, pure Go) and PostgreSQL (pgx). It implements
// crm.Store with hand-written SQL, written once with ? placeholders and
// rebound per engine, and translates driver errors into *crm.Error codes.
//
// Concurrency: on SQLite every transaction begins IMMEDIATE, so writers queue
// on the database lock (busy_timeout) instead of failing. On PostgreSQL,
// transactions run at READ COMMITTED, and inside InTx the Get methods lock
// the row they read (SELECT … FOR NO KEY UPDATE) and the counts the service
// checks before writing (employees, active managers) take a transaction-scoped
// advisory lock, so that the service's check-then-write behaves as on SQLite.
package sqlstore

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/epicevents/epicevents/internal/crm"
)

// DB is an open database. It implements crm.Store; it is safe for concurrent
// use.
type DB struct {
	*queries // the queries outside any transaction
	pool     *sql.DB
	dialect  dialect
}

var _ crm.Store = (*DB)(nil)

// connectTimeout bounds a PostgreSQL connection attempt when the URL does not
// set connect_timeout, so that an unreachable server fails fast.
const connectTimeout = 10 * time.Second

// Open opens the database named by rawURL: "sqlite:PATH" (PATH relative to the
// working directory; the file is created with mode 0600 if missing) or
// "postgres://…" / "postgresql://…". It checks that the database answers;
// an unreachable one is a CodeUnavailable error.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	return OpenWith(ctx, rawURL, Options{})
}

// Options tune Open for the kind of process that uses the database.
type Options struct {
	// ShortLived is for a process that runs a handful of statements and
	// exits (a CLI command). On PostgreSQL each statement then goes in one
	// round trip, unprepared (pgx's QueryExecModeExec: no Parse and Describe
	// first, for a statement cache the process would never reuse), and a
	// connection is not pinged again before each reuse, since it cannot go
	// stale within the process's milliseconds. A long-lived server leaves it
	// false: it keeps pgx's statement cache and the liveness pings.
	ShortLived bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	var (
		sqlDB *sql.DB
		d     dialect
		err   error
	)
	switch {
	case strings.HasPrefix(rawURL, "sqlite:"):
		d = sqliteDialect
		sqlDB, err = openSQLite(strings.TrimPrefix(rawURL, "sqlite:"))
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		d = postgresDialect
		sqlDB, err = openPostgres(rawURL, opts)
	default:
		err = &crm.Error{Code: crm.CodeInvalid, Message: "the database URL must start with sqlite:, postgres:// or postgresql://"}
	}
	if err != nil {
		return nil, err
	}
	db := &DB{pool: sqlDB, dialect: d}
	db.queries = &queries{db: db, conn: sqlDB}
	if err := db.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, &crm.Error{Code: crm.CodeInvalid, Message: "the database URL sqlite:PATH needs a file path"}
	}
	// Create the file ourselves so that it is private from the start; SQLite
	// would create it with the umask's mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, &crm.Error{Code: crm.CodeUnavailable, Err: err,
			Message: "the database file cannot be opened; check that its folder exists and that you may write to it"}
	}
	f.Close()
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, translate(err, "open", "database")
	}
	// WAL lets readers run beside the one writer; more connections than cores
	// buys nothing. Connections are kept: each one reruns the pragmas.
	n := max(4, runtime.NumCPU())
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(0)
	return db, nil
}

// busyTimeoutMS is how long an SQLite connection waits for another's lock
// before it fails with "database is locked".
const busyTimeoutMS = 10_000

// sqliteDSN is a file: URI, so that any path, even one with a ?, is safe.
// _txlock=immediate makes every transaction take the write lock at BEGIN:
// a deferred transaction that reads then writes could fail with "database is
// locked" at once, whereas BEGIN IMMEDIATE waits for busy_timeout.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.Itoa(busyTimeoutMS)+")")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func openPostgres(connString string, opts Options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		// The parse error may quote the URL; keep it out of the message.
		return nil, &crm.Error{Code: crm.CodeInvalid, Err: err, Message: "the PostgreSQL database URL is not valid"}
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	var dbOpts []stdlib.OptionOpenDB
	if opts.ShortLived {
		// Measured on a CLI command: every statement was a Parse/Describe
		// round trip, then a Bind/Execute one, on a backend whose caches
		// are cold; and database/sql pinged the connection again right
		// after Open's ping. Both are for long-lived pools.
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
		dbOpts = append(dbOpts, stdlib.OptionShouldPing(func(context.Context, stdlib.ShouldPingParams) bool { return false }))
	}
	db := stdlib.OpenDB(*cfg, dbOpts...)
	// A few connections per core keep the server's CPUs busy while others
	// wait on the network; idle ones are recycled so that a restart of the
	// server or a failover does not leave stale connections behind.
	n := max(8, 4*runtime.NumCPU())
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, nil
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.String() }

// SQL returns the underlying pool, for tools and tests.
func (db *DB) SQL() *sql.DB { return db.pool }

// Close closes every connection.
func (db *DB) Close() error { return db.pool.Close() }

// Ping checks that the database answers; CodeUnavailable when it does not.
func (db *DB) Ping(ctx context.Context) error {
	return translate(db.pool.PingContext(ctx), "reach", "database")
}

// InTx runs fn in one transaction, committed when fn returns nil and rolled
// back otherwise. Nothing is retried: fn may have effects outside the
// database.
func (db *DB) InTx(ctx context.Context, fn func(q crm.Queries) error) error {
	return db.inTx(ctx, func(q *queries) error { return fn(q) })
}

func (db *DB) inTx(ctx context.Context, fn func(q *queries) error) error {
	var opts *sql.TxOptions
	if db.dialect == postgresDialect {
		// Explicit, whatever the server's default: row locks (see the
		// package doc) make check-then-write safe at this level.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return translate(err, "begin", "transaction")
	}
	// Rolls back when fn fails or panics; after Commit it does nothing.
	defer func() { _ = tx.Rollback() }()
	if err := fn(&queries{db: db, conn: tx, tx: true}); err != nil {
		return err
	}
	return translate(tx.Commit(), "commit", "transaction")
}
