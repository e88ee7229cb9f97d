package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// conn is what *sql.DB and *sql.Tx have in common.
type conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements crm.Queries on a pool (outside a transaction) or on one
// transaction. Every query goes through exec, query or queryRow, which rebind
// the placeholders and convert the arguments for the dialect.
type queries struct {
	db   *DB
	conn conn
	tx   bool // inside InTx
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

func (q *queries) dialect() dialect { return q.db.dialect }

func (q *queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d := q.dialect()
	return q.conn.ExecContext(ctx, d.rebind(query), d.args(args)...)
}

func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d := q.dialect()
	return q.conn.QueryContext(ctx, d.rebind(query), d.args(args)...)
}

func (q *queries) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	d := q.dialect()
	return q.conn.QueryRowContext(ctx, d.rebind(query), d.args(args)...)
}

// lockRow is appended to a Get query: inside a PostgreSQL transaction it locks
// the base row (alias) until commit, so that what the service checked cannot
// change before it writes. NO KEY UPDATE, because it does not block inserts
// that merely reference the row. SQLite needs none: its transactions hold
// the database's write lock from BEGIN.
func (q *queries) lockRow(alias string) string {
	if q.tx && q.dialect() == postgresDialect {
		return " FOR NO KEY UPDATE OF " + alias
	}
	return ""
}

// Keys of the advisory locks of serialize.
const (
	lockEmployeeCount int64 = 0x45504943_0001 // "EPIC" 1
	lockManagerCount  int64 = 0x45504943_0002
)

// serialize takes a PostgreSQL advisory lock held until the transaction ends,
// for counts that the service checks before writing (no row to lock: two
// transactions could each count two managers and each demote one).
func (q *queries) serialize(ctx context.Context, key int64) error {
	if !q.tx || q.dialect() != postgresDialect {
		return nil
	}
	_, err := q.exec(ctx, "SELECT pg_advisory_xact_lock(?)", key)
	return translate(err, "lock", "transaction")
}

// atomic runs fn in the current transaction, or in a new one outside InTx,
// for methods that write more than one statement.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.tx {
		return fn(q)
	}
	return q.db.inTx(ctx, fn)
}

// count runs a query that returns one integer.
func (q *queries) count(ctx context.Context, entity, query string, args ...any) (int, error) {
	var n int
	err := q.queryRow(ctx, query, args...).Scan(&n)
	return n, translate(err, "count", entity)
}

// affected returns notFound when res changed no row.
func affected(res sql.Result, err error, action, entity string, notFound error) error {
	if err != nil {
		return translate(err, action, entity)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return translate(err, action, entity)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// getErr turns sql.ErrNoRows into notFound and translates anything else.
func getErr(err error, entity string, notFound error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return translate(err, "get", entity)
}

// filter collects the conditions of a WHERE clause and their arguments.
type filter struct {
	conds []string
	args  []any
}

func (f *filter) add(cond string, args ...any) {
	f.conds = append(f.conds, cond)
	f.args = append(f.args, args...)
}

func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// assignments collects the SET clause of a partial update. Column names come
// from the code, never from input.
type assignments struct {
	cols []string
	args []any
}

func (a *assignments) set(col string, v any) {
	a.cols = append(a.cols, col+" = ?")
	a.args = append(a.args, v)
}

// expr adds an assignment written in SQL, such as "n = n + 1", with the
// arguments of its placeholders.
func (a *assignments) expr(assignment string, args ...any) {
	a.cols = append(a.cols, assignment)
	a.args = append(a.args, args...)
}

// update runs UPDATE table SET … WHERE id = ? and returns notFound when no row
// has that id.
func (q *queries) update(ctx context.Context, table, entity string, id int64, a assignments) error {
	// Every change bumps the row's version, which the API shows as its ETag.
	query := "UPDATE " + table + " SET " + strings.Join(a.cols, ", ") + ", version = version + 1 WHERE id = ?"
	res, err := q.exec(ctx, query, append(a.args, id)...)
	return affected(res, err, "update", entity, crm.NotFound(entity, id))
}

// nullIfEmpty stores an empty optional text as NULL.
func nullIfEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}
