package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/epicevents/epicevents/internal/crm"
)

// violation is what a driver error means, whichever engine raised it.
type violation int

const (
	otherFailure violation = iota
	uniqueViolation
	foreignKeyViolation
	checkViolation    // CHECK or NOT NULL
	concurrentFailure // PostgreSQL deadlock or serialization failure
	unreachable       // the database cannot be reached or is busy for too long
	refused           // the server refused the database, role or password of the URL
)

// unavailableMessage is shown whenever the database cannot be reached.
const unavailableMessage = "the database cannot be reached; try again later"

// refusedMessage is shown when the server answers but refuses the database
// or the credentials of the URL.
const refusedMessage = "the database server refused the connection (unknown database or role, or wrong password); check EPICEVENTS_DATABASE_URL"

// classify reads the driver error types, never their text.
func classify(err error) violation {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Severity == "FATAL" || pgErr.Severity == "PANIC" {
			if v := classifyPostgres(pgErr.Code); v == refused {
				return v
			}
			// The server ended the session: whatever the code, this
			// connection is gone.
			return unreachable
		}
		return classifyPostgres(pgErr.Code)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return classifySQLite(liteErr.Code())
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		// A connection the server closed (a restart, a crash) while it sat
		// in the pool, or that timed out.
		errors.Is(err, pgconn.ErrConnClosed), pgconn.Timeout(err),
		// pgconn reports a server that went away mid-conversation this way.
		errors.Is(err, io.ErrUnexpectedEOF):
		return unreachable
	}
	return otherFailure
}

func classifyPostgres(code string) violation {
	switch code {
	case "23505":
		return uniqueViolation
	case "23503":
		return foreignKeyViolation
	case "23514", "23502":
		return checkViolation
	case "40001", "40P01":
		return concurrentFailure
	case "57P01", "57P02", "57P03", "53300":
		// Shut down, crashed, starting up, too many connections.
		return unreachable
	}
	if len(code) == 5 && code[:2] == "08" { // connection exception class
		return unreachable
	}
	// An unknown database, an unknown role or a wrong password: the server
	// answered, but this configuration cannot reach the data.
	if code == "3D000" || (len(code) == 5 && code[:2] == "28") {
		return refused
	}
	return otherFailure
}

func classifySQLite(code int) violation {
	switch code {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return uniqueViolation
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return foreignKeyViolation
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return checkViolation
	}
	// The primary code is the low byte of an extended code. BUSY means
	// busy_timeout passed while another writer held the lock.
	switch code & 0xff {
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_BUSY:
		return unreachable
	}
	return otherFailure
}

// hasEmail lists the entities whose only unique column, besides the id, is
// the email: a unique violation on them is a duplicate email. SQLite does not
// name the violated index in a structured field, so the entity decides.
var hasEmail = map[string]bool{"employee": true, "client": true}

// translate turns a driver error into a *crm.Error that users may read, or
// wraps it with the action and entity for the logs. action is a verb such as
// "create" or "delete"; entity is a crm entity name such as "client".
func translate(err error, action, entity string) error {
	if err == nil {
		return nil
	}
	if _, ok := crm.AsError(err); ok {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &crm.Error{Code: crm.CodeUnavailable, Err: err, Message: "the database did not answer in time; try again later"}
	}
	e := &crm.Error{Err: err}
	switch classify(err) {
	case unreachable:
		e.Code, e.Message = crm.CodeUnavailable, unavailableMessage
	case refused:
		e.Code, e.Message = crm.CodeUnavailable, refusedMessage
	case uniqueViolation:
		e.Code, e.Message = crm.CodeConflict, "this "+entity+" already exists"
		if hasEmail[entity] {
			e.Message = article(entity) + " " + entity + " with that email already exists; use another email, or find it with `epicevents " + entity + "s list`"
			e.Fields = []crm.FieldError{{Field: "email", Message: "already in use"}}
		}
	case foreignKeyViolation:
		e.Code, e.Message = crm.CodeConflict, "the "+entity+" refers to a record that does not exist"
		if action == "delete" {
			e.Message = "the " + entity + " is still referenced by other records"
		}
	case checkViolation:
		e.Code, e.Message = crm.CodeInvalid, "a value of the "+entity+" is outside its allowed limits"
	case concurrentFailure:
		e.Code, e.Message = crm.CodeConflict, "another change to the same records happened at the same time; try again"
	default:
		return fmt.Errorf("sqlstore: %s %s: %w", action, entity, err)
	}
	return e
}

// article is "a" or "an", for the entity names of this package.
func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}
