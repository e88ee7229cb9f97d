package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/epicevents/epicevents/internal/crm"
)

// BulkIDs are ids of the clients, contracts, events and payments tables.
type BulkIDs struct {
	Client, Contract, Event, Payment int64
}

// BulkSize says about how many rows a load will write to each table. Large
// loads set the tables' secondary indexes (and on PostgreSQL their foreign
// keys) aside and rebuild them at the end, in one sort each, instead of
// updating them row by row.
type BulkSize struct {
	Clients, Contracts, Events, Payments int64
}

// rebuildMin is the size from which a load rebuilds a table's indexes; it
// does so only when it at least doubles the table, so that a small load into a
// large table does not pay for rebuilding it.
const rebuildMin = 50_000

// Bulk is a bulk load in progress: one transaction in which the clients,
// contracts, events and payments tables take no other writer, so that the loader may
// choose the ids of the rows it writes. Rows are written as they come from the
// iterators, never held all at once: PostgreSQL receives them through COPY,
// SQLite through prepared multi-row INSERTs.
//
// Rows keep the ids they carry (an id below Next is refused, so that no id is
// ever reused); the tables' id counters are moved past the highest id written
// before the transaction commits. Rows are written as given: the caller
// validates them (the database still enforces its constraints).
type Bulk struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
	q    *queries
	next BulkIDs
	max  BulkIDs // highest id written, 0 when none
	// minClient is the lowest client id written, for the search index.
	minClient int64
	// triggerSQL is the SQLite search index trigger dropped for the load.
	triggerSQL string
	// rebuild is the DDL that puts back what the load set aside.
	rebuild []string
	// totalsOn turns the triggers of the report totals back on, when the
	// load turned them off: finish then adds the totals of the contracts
	// written, and runs it.
	totalsOn []string
}

// BulkLoad runs fn in one transaction that owns the clients, contracts,
// events and payments tables for writing until it ends: committed when fn returns nil,
// rolled back otherwise. Readers go on meanwhile (on SQLite, readers of the
// WAL see the database as it was before the load), except on SQLite when a
// large load finds the database open by no one else: it then writes without
// the WAL (rollbackJournal), and a process that opens the database meanwhile
// is told to try again later.
//
// On PostgreSQL the tables are locked in SHARE ROW EXCLUSIVE mode, which
// blocks every other writer before it draws an id, and Next draws from each
// identity sequence; on SQLite the transaction holds the database's write lock
// from BEGIN. SQLite also gets a larger page cache for the load, and the
// client search index is filled in one statement after the load instead of row
// by row by its trigger (see migrations/sqlite/00005_search_words.sql).
//
// Indexes and foreign keys set aside by a large load (see BulkSize) are
// recreated from the definitions the database holds, inside the same
// transaction, so they are checked again over every row and a failure rolls
// everything back. On PostgreSQL this needs the table owner (the role that
// runs migrations); a role that does not own the tables but may use their
// sequences loads with the indexes in place, and slower. The application role
// may not use the sequences, and is refused (CodeForbidden) before anything is
// written.
// While a large load runs, PostgreSQL readers of those tables wait for it.
func (db *DB) BulkLoad(ctx context.Context, size BulkSize, fn func(ctx context.Context, b *Bulk) error) (err error) {
	conn, err := db.pool.Conn(ctx)
	if err != nil {
		return translate(err, "connect to", "database")
	}
	defer conn.Close()
	b := &Bulk{db: db, conn: conn}
	if db.dialect == sqliteDialect {
		// 256 MiB of page cache: the indexes of a million rows are written in
		// random order, and every page that must be read back costs time.
		if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			return translate(err, "prepare", "bulk load")
		}
		defer func() {
			// The connection goes back to the pool: give it the default cache again.
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000")
		}()
	}
	if db.dialect == sqliteDialect && size.large() {
		restore, err := rollbackJournal(ctx, conn)
		if err != nil {
			return err
		}
		defer restore()
	}
	var opts *sql.TxOptions
	if db.dialect == postgresDialect {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	b.tx, err = conn.BeginTx(ctx, opts)
	if err != nil {
		return translate(err, "begin", "transaction")
	}
	defer func() { _ = b.tx.Rollback() }()
	b.q = &queries{db: db, conn: b.tx, tx: true}
	if err := b.start(ctx); err != nil {
		return err
	}
	if err := b.pauseTotals(ctx, size); err != nil {
		return err
	}
	if err := b.setAside(ctx, size); err != nil {
		return err
	}
	if err := fn(ctx, b); err != nil {
		return err
	}
	if err := b.finish(ctx); err != nil {
		return err
	}
	if err := b.tx.Commit(); err != nil {
		return translate(err, "commit", "transaction")
	}
	if db.dialect == sqliteDialect {
		// Copy the load from the WAL into the database and give the WAL's
		// disk space back now, rather than keep a file as large as the load.
		// Best effort: a reader may hold the WAL; SQLite checkpoints later.
		_, _ = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return nil
}

// large reports whether the load writes rebuildMin rows or more to a table.
func (s BulkSize) large() bool {
	return max(s.Clients, s.Contracts, s.Events, s.Payments) >= rebuildMin
}

// rollbackJournal switches an SQLite database from its WAL to a rollback
// journal for a large load, and returns what switches it back. In WAL mode
// every page a load writes is written twice, to the WAL and then by the
// checkpoint into the database; with a rollback journal only the pages that
// existed before the load are copied (to the journal), and the pages it adds
// are written once: `demo --clients 1000000` takes about 52 s instead of
// 61–65 s.
//
// SQLite makes the switch only when no other connection has the database
// open; when one has, the load runs in WAL mode, as before, and readers go on
// meanwhile. A process that opens the database during a load without the WAL
// is refused at once ("try again later"): every connection asks for WAL mode
// as it opens, and cannot have it while the load holds its lock. Going back
// to WAL is best effort: a connection that opens the database later switches
// it back in any case.
func rollbackJournal(ctx context.Context, conn *sql.Conn) (restore func(), err error) {
	noop := func() {}
	// Ask once, without waiting on the busy timeout for connections that
	// will not close.
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return noop, translate(err, "prepare", "bulk load")
	}
	var mode string
	switchErr := conn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode)
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(busyTimeoutMS)); err != nil {
		return noop, translate(err, "prepare", "bulk load")
	}
	if switchErr != nil || mode != "delete" {
		return noop, nil // another connection holds the WAL open
	}
	return func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA journal_mode = WAL") }, nil
}

// bulkTables are the tables a bulk load writes, in the order of BulkIDs.
var bulkTables = [4]string{"clients", "contracts", "events", "payments"}

func (b *Bulk) start(ctx context.Context) error {
	var next [4]int64
	if b.db.dialect == postgresDialect {
		if _, err := b.tx.ExecContext(ctx, "LOCK TABLE clients, contracts, events, payments IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			// The application role may not take this lock on payments (it
			// has no UPDATE there), as it may not draw the ids below.
			return sequenceErr(err, "lock", "tables")
		}
		for i, t := range bulkTables {
			// nextval reserves an id; greatest() guards against rows written
			// with explicit ids that the sequence never gave.
			err := b.tx.QueryRowContext(ctx, fmt.Sprintf(
				"SELECT greatest(nextval(pg_get_serial_sequence('%[1]s', 'id')), (SELECT coalesce(max(id), 0) + 1 FROM %[1]s))", t),
			).Scan(&next[i])
			if err != nil {
				return sequenceErr(err, "reserve ids of", t)
			}
		}
	} else {
		for i, t := range bulkTables {
			// AUTOINCREMENT gives max(largest id ever given, largest id) + 1.
			err := b.tx.QueryRowContext(ctx, fmt.Sprintf(
				"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '%[1]s'), 0), coalesce((SELECT max(id) FROM %[1]s), 0)) + 1", t),
			).Scan(&next[i])
			if err != nil {
				return translate(err, "read ids of", t)
			}
		}
	}
	b.next = BulkIDs{Client: next[0], Contract: next[1], Event: next[2], Payment: next[3]}
	return nil
}

// finish moves the id counters past the rows written and, on SQLite, brings
// the client search index up to date.
func (b *Bulk) finish(ctx context.Context) error {
	for _, ddl := range b.rebuild {
		if _, err := b.tx.ExecContext(ctx, ddl); err != nil {
			return translate(err, "rebuild the indexes of", "database")
		}
	}
	if err := b.addTotals(ctx); err != nil {
		return err
	}
	if b.db.dialect == sqliteDialect {
		// SQLite's AUTOINCREMENT counter follows explicit ids by itself. No
		// ANALYZE: with statistics SQLite prefers plans that sort (it starts
		// from the five employees), where without it walks the list's index.
		return b.indexClients(ctx)
	}
	// Fresh statistics, so that the planner knows the tables' new sizes at
	// once rather than at autovacuum's next pass. (A role that does not own
	// the tables gets a warning, not an error.)
	if _, err := b.tx.ExecContext(ctx, "ANALYZE clients, contracts, events, payments, contract_due_totals, contract_signed_totals"); err != nil {
		return translate(err, "analyze", "database")
	}
	for i, maxID := range [4]int64{b.max.Client, b.max.Contract, b.max.Event, b.max.Payment} {
		if maxID == 0 {
			continue
		}
		// setval is not rolled back with the transaction: after a failed load
		// the sequence has only skipped ids, which is harmless.
		// No other writer drew an id since start (the lock), so maxID is
		// at least the sequence's last value.
		_, err := b.tx.ExecContext(ctx, fmt.Sprintf(
			"SELECT setval(pg_get_serial_sequence('%s', 'id'), $1)", bulkTables[i]), maxID)
		if err != nil {
			return sequenceErr(err, "move the ids of", bulkTables[i])
		}
	}
	return nil
}

// sequenceErr explains a refused nextval or setval: a load chooses its own
// ids, so it must draw and move the identity sequences, on which the
// application role has no privilege (privileges.go); the owner has.
func sequenceErr(err error, action, table string) error {
	if denied(err) {
		return &crm.Error{Code: crm.CodeForbidden, Err: err,
			Message: "a bulk load chooses the ids of its rows, which the database role of EPICEVENTS_DATABASE_URL " +
				"may not (the application role has no privilege on the id sequences); run it as the owner role, " +
				"the one that runs `epicevents migrate`"}
	}
	return translate(err, action, table)
}

// Next returns the first id of each table that a row of this load may take.
func (b *Bulk) Next() BulkIDs { return b.next }

// Queries returns the store inside the load's transaction, for the few rows
// written one by one (employees, the audit entry).
func (b *Bulk) Queries() crm.Queries { return b.q }

// Clients writes the clients of rows (SalesContactName and Version are
// ignored; a nil or empty phone or company is NULL) and returns how many.
func (b *Bulk) Clients(ctx context.Context, rows iter.Seq[crm.Client]) (int64, error) {
	if err := b.pauseClientIndex(ctx); err != nil {
		return 0, err
	}
	cols := []string{"id", "first_name", "last_name", "email", "phone", "company_name",
		"sales_contact_id", "created_at", "updated_at", "search_text"}
	return bulkWrite(ctx, b, "clients", cols, rows, func(c crm.Client, v []any) error {
		if err := b.checkID("client", c.ID, b.next.Client, &b.max.Client); err != nil {
			return err
		}
		if b.minClient == 0 || c.ID < b.minClient {
			b.minClient = c.ID
		}
		v[0], v[1], v[2], v[3] = c.ID, c.FirstName, c.LastName, c.Email
		v[4], v[5] = optional(c.Phone), optional(c.CompanyName)
		v[6], v[7], v[8] = c.SalesContactID, b.time(c.CreatedAt), b.time(updatedAt(c.CreatedAt, c.UpdatedAt))
		v[9] = clientSearchText(c)
		return nil
	})
}

// Contracts writes the contracts of rows (names and Version are ignored;
// signed follows SignedAt) and returns how many.
func (b *Bulk) Contracts(ctx context.Context, rows iter.Seq[crm.Contract]) (int64, error) {
	cols := []string{"id", "client_id", "sales_contact_id", "total_amount", "amount_due",
		"signed", "signed_at", "created_at", "updated_at"}
	return bulkWrite(ctx, b, "contracts", cols, rows, func(c crm.Contract, v []any) error {
		if err := b.checkID("contract", c.ID, b.next.Contract, &b.max.Contract); err != nil {
			return err
		}
		v[0], v[1], v[2], v[3], v[4] = c.ID, c.ClientID, c.SalesContactID, int64(c.TotalAmount), int64(c.AmountDue)
		v[5], v[6] = c.SignedAt != nil, nil
		if c.SignedAt != nil {
			v[6] = b.time(*c.SignedAt)
		}
		v[7], v[8] = b.time(c.CreatedAt), b.time(updatedAt(c.CreatedAt, c.UpdatedAt))
		return nil
	})
}

// Events writes the events of rows (what comes from the contract, names and
// Version are ignored; empty notes are NULL) and returns how many.
func (b *Bulk) Events(ctx context.Context, rows iter.Seq[crm.Event]) (int64, error) {
	cols := []string{"id", "contract_id", "name", "start_at", "end_at", "support_contact_id",
		"location", "attendees", "notes", "created_at", "updated_at"}
	return bulkWrite(ctx, b, "events", cols, rows, func(e crm.Event, v []any) error {
		if err := b.checkID("event", e.ID, b.next.Event, &b.max.Event); err != nil {
			return err
		}
		v[0], v[1], v[2], v[3], v[4] = e.ID, e.ContractID, e.Name, b.time(e.Start), b.time(e.End)
		v[5] = nil
		if e.SupportContactID != nil {
			v[5] = *e.SupportContactID
		}
		v[6], v[7], v[8] = e.Location, e.Attendees, optional(e.Notes)
		v[9], v[10] = b.time(e.CreatedAt), b.time(updatedAt(e.CreatedAt, e.UpdatedAt))
		return nil
	})
}

// Payments writes ledger entries (RecordedByName is ignored; an empty
// reference or reason is NULL) and returns how many. A refund must come
// after the payment it refunds. The caller keeps each contract's amount due
// equal to what its ledger says (sqlstore's CheckLedgers tells).
func (b *Bulk) Payments(ctx context.Context, rows iter.Seq[crm.Payment]) (int64, error) {
	cols := []string{"id", "contract_id", "kind", "amount", "method", "reference", "received_on",
		"refund_of", "reason", "recorded_by_id", "recorded_at", "amount_due_after"}
	return bulkWrite(ctx, b, "payments", cols, rows, func(p crm.Payment, v []any) error {
		if err := b.checkID("payment", p.ID, b.next.Payment, &b.max.Payment); err != nil {
			return err
		}
		v[0], v[1], v[2], v[3], v[4] = p.ID, p.ContractID, string(p.Kind), int64(p.Amount), p.Method
		v[5], v[6], v[7] = optional(&p.Reference), p.ReceivedOn, nil
		if b.db.dialect == postgresDialect {
			// COPY writes binary: a date goes as a time, not as text.
			day, err := time.Parse(time.DateOnly, p.ReceivedOn)
			if err != nil {
				return &crm.Error{Code: crm.CodeInvalid, Message: fmt.Sprintf("bulk load: payment %d: received_on %q is not a date", p.ID, p.ReceivedOn)}
			}
			v[6] = day
		}
		if p.RefundOf != nil {
			v[7] = *p.RefundOf
		}
		v[8], v[9], v[10], v[11] = optional(&p.Reason), p.RecordedByID, b.time(p.RecordedAt), int64(p.AmountDueAfter)
		return nil
	})
}

func (b *Bulk) checkID(entity string, id, next int64, maxID *int64) error {
	if id < next {
		return &crm.Error{Code: crm.CodeInvalid, Message: fmt.Sprintf(
			"bulk load: %s id %d is below the first free id %d", entity, id, next)}
	}
	*maxID = max(*maxID, id)
	return nil
}

func (b *Bulk) time(t time.Time) any { return b.db.dialect.time(t) }

// optional is NULL for a nil or empty text.
func optional(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}

// bulkWrite streams rows into table: fill sets the column values of one row.
func bulkWrite[T any](ctx context.Context, b *Bulk, table string, cols []string, rows iter.Seq[T],
	fill func(T, []any) error) (int64, error) {
	if b.db.dialect == postgresDialect {
		return copyFrom(ctx, b, table, cols, rows, fill)
	}
	return insertBatches(ctx, b, table, cols, rows, fill)
}

// copyFrom runs COPY on the transaction's connection: pgx under database/sql.
// COPY writes the explicit ids even into GENERATED ALWAYS identity columns.
func copyFrom[T any](ctx context.Context, b *Bulk, table string, cols []string, rows iter.Seq[T],
	fill func(T, []any) error) (int64, error) {
	next, stop := iter.Pull(rows)
	defer stop()
	src := &copySource[T]{next: next, fill: fill, vals: make([]any, len(cols))}
	var n int64
	err := b.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: bulk load: unexpected driver connection %T", dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, src)
		return err
	})
	if src.err != nil {
		return n, src.err
	}
	return n, translate(err, "load", table)
}

// copySource adapts an iterator to pgx.CopyFromSource.
type copySource[T any] struct {
	next func() (T, bool)
	fill func(T, []any) error
	vals []any
	err  error
}

func (s *copySource[T]) Next() bool {
	row, ok := s.next()
	if !ok {
		return false
	}
	if err := s.fill(row, s.vals); err != nil {
		s.err = err
		return false
	}
	return true
}

func (s *copySource[T]) Values() ([]any, error) { return s.vals, nil }
func (s *copySource[T]) Err() error             { return s.err }

// maxBatchParams bounds the parameters of one multi-row INSERT, well under
// SQLite's limit of 32766.
const maxBatchParams = 8000

// insertBatches writes rows with one prepared INSERT of many rows, run again
// for each full batch; the rows that remain get a statement of their size.
// SQLite runs on one core: the rows are made and converted on another, a
// batch ahead, so that the two overlap.
func insertBatches[T any](ctx context.Context, b *Bulk, table string, cols []string, rows iter.Seq[T],
	fill func(T, []any) error) (int64, error) {
	perRow := len(cols)
	batch := maxBatchParams / perRow
	stmt, err := b.tx.PrepareContext(ctx, insertSQL(table, cols, batch))
	if err != nil {
		return 0, translate(err, "load", table)
	}
	defer stmt.Close()

	// Three buffers circulate: one being filled, one ready, one being written.
	const buffers = 3
	free := make(chan []any, buffers)
	for range buffers {
		free <- make([]any, batch*perRow)
	}
	full := make(chan []any, buffers)
	stop := make(chan struct{})
	var fillErr error
	go func() {
		defer close(full)
		var args []any
		pending := 0
		for row := range rows {
			if args == nil {
				select {
				case args = <-free:
				case <-stop:
					return
				}
			}
			if fillErr = fill(row, args[pending*perRow:(pending+1)*perRow]); fillErr != nil {
				return
			}
			if pending++; pending == batch {
				full <- args
				args, pending = nil, 0
			}
		}
		if pending > 0 {
			full <- args[:pending*perRow]
		}
	}()
	defer func() {
		close(stop)
		for range full { // let the producer finish before returning
		}
	}()
	var n int64
	for args := range full {
		if len(args) == batch*perRow {
			_, err = stmt.ExecContext(ctx, args...)
		} else {
			_, err = b.tx.ExecContext(ctx, insertSQL(table, cols, len(args)/perRow), args...)
		}
		if err != nil {
			return n, translate(err, "load", table)
		}
		n += int64(len(args) / perRow)
		free <- args[:cap(args)]
	}
	// full is closed: the producer is done, and fillErr is safe to read.
	return n, fillErr
}

func insertSQL(table string, cols []string, rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var sb strings.Builder
	sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(one)
	}
	return sb.String()
}

// The client search index of SQLite (migrations/sqlite/00005_search_words.sql)
// is kept by triggers. Row by row it would cost more than the load itself, so
// the insert trigger is dropped while clients are loaded, inside the
// transaction, and the loaded rows are indexed in one statement at the end,
// over the columns that clients_fts declares; the trigger is then recreated
// from the very SQL that SQLite kept, so the migration remains the one
// definition of both. A failed load rolls all of this back.
const clientIndexTrigger = "clients_fts_ai"

// pauseClientIndex drops the insert trigger of the search index, once.
func (b *Bulk) pauseClientIndex(ctx context.Context) error {
	if b.db.dialect != sqliteDialect || b.triggerSQL != "" {
		return nil
	}
	err := b.tx.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
		clientIndexTrigger).Scan(&b.triggerSQL)
	if err != nil {
		return translate(err, "prepare", "bulk load")
	}
	_, err = b.tx.ExecContext(ctx, "DROP TRIGGER "+clientIndexTrigger)
	return translate(err, "prepare", "bulk load")
}

// indexClients adds the loaded clients to the search index and restores the
// trigger.
func (b *Bulk) indexClients(ctx context.Context) error {
	if b.triggerSQL == "" {
		return nil
	}
	// The index's columns have the names of the columns of clients that
	// they index (external content).
	var cols string
	err := b.tx.QueryRowContext(ctx, `SELECT group_concat('"' || replace(name, '"', '""') || '"', ', ')
		FROM pragma_table_info('clients_fts')`).Scan(&cols)
	if err != nil {
		return translate(err, "index", "clients")
	}
	_, err = b.tx.ExecContext(ctx, "INSERT INTO clients_fts (rowid, "+cols+") SELECT id, "+cols+
		" FROM clients WHERE id BETWEEN ? AND ?", b.minClient, b.max.Client)
	if err != nil {
		return translate(err, "index", "clients")
	}
	_, err = b.tx.ExecContext(ctx, b.triggerSQL)
	return translate(err, "index", "clients")
}

// setAside drops the secondary indexes (and, on PostgreSQL, the foreign keys)
// of the tables that the load will at least double, and records how to
// recreate them in b.rebuild.
func (b *Bulk) setAside(ctx context.Context, size BulkSize) error {
	var tables []string
	for i, n := range [4]int64{size.Clients, size.Contracts, size.Events, size.Payments} {
		existing := [4]int64{b.next.Client, b.next.Contract, b.next.Event, b.next.Payment}[i] - 1 // at most
		if n >= rebuildMin && n >= existing {
			tables = append(tables, bulkTables[i])
		}
	}
	if len(tables) == 0 {
		return nil
	}
	if b.db.dialect == sqliteDialect {
		return b.setAsideSQLite(ctx, tables)
	}
	return b.setAsidePostgres(ctx, tables)
}

func (b *Bulk) setAsideSQLite(ctx context.Context, tables []string) error {
	for _, t := range tables {
		// sql is NULL for the indexes of PRIMARY KEY and UNIQUE constraints.
		defs, err := b.dropSQLite(ctx, "INDEX", "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", t)
		if err != nil {
			return err
		}
		b.rebuild = append(b.rebuild, defs...)
	}
	return nil
}

// dropSQLite drops the SQLite objects of a kind (INDEX, TRIGGER) that query
// names, with the SQL that creates each, and returns that SQL, to recreate
// them.
func (b *Bulk) dropSQLite(ctx context.Context, kind, query string, args ...any) ([]string, error) {
	defs, err := b.pairs(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	var create []string
	for _, d := range defs {
		if _, err := b.tx.ExecContext(ctx, "DROP "+kind+` "`+strings.ReplaceAll(d[0], `"`, `""`)+`"`); err != nil {
			return nil, translate(err, "prepare", "bulk load")
		}
		create = append(create, d[1])
	}
	return create, nil
}

func (b *Bulk) setAsidePostgres(ctx context.Context, tables []string) error {
	// Index builds sort in memory up to this much, for this transaction only.
	if _, err := b.tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
		return translate(err, "prepare", "bulk load")
	}
	// A role that does not own the tables cannot drop their indexes: it
	// loads with them in place.
	if _, err := b.tx.ExecContext(ctx, "SAVEPOINT bulk_set_aside"); err != nil {
		return translate(err, "prepare", "bulk load")
	}
	var rebuild []string
	err := func() error {
		for _, t := range tables {
			// Indexes that back no constraint (the primary key stays).
			idx, err := b.pairs(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid)
				FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
				WHERE i.indrelid = $1::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
				ORDER BY c.relname`, t)
			if err != nil {
				return err
			}
			fks, err := b.pairs(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
				WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname`, t)
			if err != nil {
				return err
			}
			table := pgx.Identifier{t}.Sanitize()
			for _, d := range idx {
				if _, err := b.tx.ExecContext(ctx, "DROP INDEX "+pgx.Identifier{d[0]}.Sanitize()); err != nil {
					return err
				}
				rebuild = append(rebuild, d[1])
			}
			for _, d := range fks {
				name := pgx.Identifier{d[0]}.Sanitize()
				if _, err := b.tx.ExecContext(ctx, "ALTER TABLE "+table+" DROP CONSTRAINT "+name); err != nil {
					return err
				}
				rebuild = append(rebuild, "ALTER TABLE "+table+" ADD CONSTRAINT "+name+" "+d[1])
			}
		}
		return nil
	}()
	if err != nil {
		if classify(err) == unreachable {
			return translate(err, "prepare", "bulk load")
		}
		_, rerr := b.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT bulk_set_aside")
		return translate(rerr, "prepare", "bulk load")
	}
	b.rebuild = rebuild
	_, err = b.tx.ExecContext(ctx, "RELEASE SAVEPOINT bulk_set_aside")
	return translate(err, "prepare", "bulk load")
}

// pairs runs a query of two text columns.
func (b *Bulk) pairs(ctx context.Context, query string, args ...any) ([][2]string, error) {
	rows, err := b.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(err, "prepare", "bulk load")
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, translate(err, "prepare", "bulk load")
		}
		out = append(out, p)
	}
	return out, translate(rows.Err(), "prepare", "bulk load")
}

// The report totals (migrations/*/00009_report_totals.sql) are kept by
// triggers on contracts, row by row. A load of contracts switches them off
// (PostgreSQL: disabled, which needs the table owner; SQLite: dropped, and
// recreated from the SQL that SQLite kept) and adds the totals of the contracts
// it wrote at its end, in one statement per table, in the same transaction.
// Row by row, every contract of a sales contact would update that contact's
// one row again, and on PostgreSQL each update of a row already updated in
// the same transaction walks the chain of its earlier versions: 40,000
// contracts of one sales contact took over three minutes. A role that does
// not own the tables keeps the triggers, and loads slower.
//
// A load only adds contracts, with ids from Next on; it changes none that
// exists, so the rows from Next.Contract on are all the totals must add.
var totalsTriggers = []string{"contract_totals_ad", "contract_totals_ai", "contract_totals_au"}

// addTotalsSQL adds to the totals those of the contracts from id $1 on, by
// dialect: the money due per sales contact, the value signed per hour of UTC
// (the hour as the triggers compute it).
var addTotalsSQL = map[dialect][]string{
	sqliteDialect: {
		`INSERT INTO contract_due_totals AS t (sales_contact_id, contracts, amount_due)
		SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts WHERE id >= ? AND amount_due > 0 GROUP BY sales_contact_id
		ON CONFLICT (sales_contact_id) DO UPDATE SET contracts = t.contracts + excluded.contracts, amount_due = t.amount_due + excluded.amount_due`,
		`INSERT INTO contract_signed_totals AS t (hour, contracts, total)
		SELECT substr(signed_at, 1, 13) || ':00:00Z', count(*), sum(total_amount) FROM contracts WHERE id >= ? AND signed_at IS NOT NULL GROUP BY 1
		ON CONFLICT (hour) DO UPDATE SET contracts = t.contracts + excluded.contracts, total = t.total + excluded.total`,
	},
	postgresDialect: {
		`INSERT INTO contract_due_totals AS t (sales_contact_id, contracts, amount_due)
		SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts WHERE id >= $1 AND amount_due > 0 GROUP BY sales_contact_id
		ON CONFLICT (sales_contact_id) DO UPDATE SET contracts = t.contracts + EXCLUDED.contracts, amount_due = t.amount_due + EXCLUDED.amount_due`,
		`INSERT INTO contract_signed_totals AS t (hour, contracts, total)
		SELECT date_trunc('hour', signed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*), sum(total_amount)
		FROM contracts WHERE id >= $1 AND signed_at IS NOT NULL GROUP BY 1
		ON CONFLICT (hour) DO UPDATE SET contracts = t.contracts + EXCLUDED.contracts, total = t.total + EXCLUDED.total`,
	},
}

// pauseTotals switches the totals' triggers off for a load of contracts, and
// records how to switch them on again in b.totalsOn.
func (b *Bulk) pauseTotals(ctx context.Context, size BulkSize) error {
	if size.Contracts == 0 {
		return nil
	}
	if b.db.dialect == sqliteDialect {
		var err error
		b.totalsOn, err = b.dropSQLite(ctx, "TRIGGER", "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contracts' AND name LIKE 'contract\\_totals\\_%' ESCAPE '\\' ORDER BY name")
		return err
	}
	// Only the owner may switch triggers off: another role keeps them.
	if _, err := b.tx.ExecContext(ctx, "SAVEPOINT bulk_totals"); err != nil {
		return translate(err, "prepare", "bulk load")
	}
	var on []string
	for _, trg := range totalsTriggers {
		name := pgx.Identifier{trg}.Sanitize()
		if _, err := b.tx.ExecContext(ctx, "ALTER TABLE contracts DISABLE TRIGGER "+name); err != nil {
			if classify(err) == unreachable {
				return translate(err, "prepare", "bulk load")
			}
			_, rerr := b.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT bulk_totals")
			return translate(rerr, "prepare", "bulk load")
		}
		on = append(on, "ALTER TABLE contracts ENABLE TRIGGER "+name)
	}
	b.totalsOn = on
	_, err := b.tx.ExecContext(ctx, "RELEASE SAVEPOINT bulk_totals")
	return translate(err, "prepare", "bulk load")
}

// addTotals adds the totals of the contracts the load wrote and turns the
// triggers back on, when the load turned them off.
func (b *Bulk) addTotals(ctx context.Context) error {
	if len(b.totalsOn) == 0 {
		return nil
	}
	for _, stmt := range addTotalsSQL[b.db.dialect] {
		if _, err := b.tx.ExecContext(ctx, stmt, b.next.Contract); err != nil {
			return translate(err, "add up the report totals of", "database")
		}
	}
	for _, stmt := range b.totalsOn {
		if _, err := b.tx.ExecContext(ctx, stmt); err != nil {
			return translate(err, "add up the report totals of", "database")
		}
	}
	b.totalsOn = nil
	return nil
}
