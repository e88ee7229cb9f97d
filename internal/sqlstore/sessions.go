package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// sessionColumns are the columns of crm.Session, of the table aliased s; a
// session of the web UI is one with a cookie hash.
const sessionColumns = `s.id, s.employee_id, s.created_at, s.last_used_at, s.expires_at, s.revoked_at,
	s.client_addr, s.cookie_hash IS NOT NULL`

const selectSession = "SELECT " + sessionColumns + " FROM sessions s"

// sessionDest are the destinations of sessionColumns.
func sessionDest(s *crm.Session) []any {
	return []any{&s.ID, &s.EmployeeID, timeDest{&s.CreatedAt}, timeDest{&s.LastUsedAt}, timeDest{&s.ExpiresAt},
		nullTimeDest{&s.RevokedAt}, &s.ClientAddr, &s.Web}
}

// employeeDest are the destinations of employeeColumns.
func employeeDest(e *crm.Employee) []any {
	return []any{&e.ID, &e.FirstName, &e.LastName, &e.Email, &e.Role, &e.Active,
		&e.MustChangePassword, timeDest{&e.CreatedAt}, timeDest{&e.UpdatedAt}, nullTimeDest{&e.DeactivatedAt}, &e.Version,
		&e.CredentialVersion}
}

// CreateSession inserts s (its id is ignored) with its first refresh token,
// atomically.
func (q *queries) CreateSession(ctx context.Context, s crm.Session, refreshHash string) (crm.Session, error) {
	err := q.atomic(ctx, func(q *queries) error {
		id, err := q.insertSession(ctx, s, nil)
		if err != nil {
			return err
		}
		s.ID = id
		return q.AddRefreshToken(ctx, s.ID, refreshHash, s.CreatedAt)
	})
	if err != nil {
		return crm.Session{}, err
	}
	return q.GetSession(ctx, s.ID)
}

// CreateWebSession inserts s (its id is ignored) as a session of the web UI,
// found again by the hash of its cookie; it has no refresh token.
func (q *queries) CreateWebSession(ctx context.Context, s crm.Session, cookieHash string) (crm.Session, error) {
	id, err := q.insertSession(ctx, s, &cookieHash)
	if err != nil {
		return crm.Session{}, err
	}
	return q.GetSession(ctx, id)
}

func (q *queries) insertSession(ctx context.Context, s crm.Session, cookieHash *string) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO sessions (employee_id, created_at, last_used_at, expires_at,
		revoked_at, client_addr, cookie_hash) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.EmployeeID, s.CreatedAt, s.LastUsedAt, s.ExpiresAt, s.RevokedAt, s.ClientAddr, cookieHash,
	).Scan(&id)
	return id, translate(err, "create", "session")
}

// GetSession reads one session.
func (q *queries) GetSession(ctx context.Context, id int64) (crm.Session, error) {
	var s crm.Session
	err := q.queryRow(ctx, selectSession+" WHERE s.id = ?", id).Scan(sessionDest(&s)...)
	return s, getErr(err, "session", crm.NotFound("session", id))
}

// GetSessionEmployee reads one session and its employee with a single
// statement: the check of every request (crm.Service.Authenticate) costs one
// round trip instead of two.
func (q *queries) GetSessionEmployee(ctx context.Context, id int64) (crm.Session, crm.Employee, error) {
	return q.sessionEmployee(ctx, "s.id = ?", id, crm.NotFound("session", id))
}

// GetWebSessionEmployee reads the web session whose cookie has that hash,
// and its employee, with a single statement (crm.Service.AuthenticateWeb, on
// every request of the web UI).
func (q *queries) GetWebSessionEmployee(ctx context.Context, cookieHash string) (crm.Session, crm.Employee, error) {
	return q.sessionEmployee(ctx, "s.cookie_hash = ?", cookieHash,
		&crm.Error{Code: crm.CodeNotFound, Message: "no session has this cookie"})
}

func (q *queries) sessionEmployee(ctx context.Context, where string, arg any, notFound error) (crm.Session, crm.Employee, error) {
	var (
		s crm.Session
		e crm.Employee
	)
	err := q.queryRow(ctx, "SELECT "+sessionColumns+", "+employeeColumns+
		" FROM sessions s JOIN employees e ON e.id = s.employee_id WHERE "+where, arg).
		Scan(append(sessionDest(&s), employeeDest(&e)...)...)
	if err != nil {
		return crm.Session{}, crm.Employee{}, getErr(err, "session", notFound)
	}
	return s, e, nil
}

// TouchSession records that the session was used at at.
func (q *queries) TouchSession(ctx context.Context, id int64, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE sessions SET last_used_at = ? WHERE id = ?", at, id)
	return affected(res, err, "update", "session", crm.NotFound("session", id))
}

// errUnknownRefreshToken is returned for a refresh token hash that was never
// stored (or whose session is gone).
func errUnknownRefreshToken() error {
	return &crm.Error{Code: crm.CodeNotFound, Message: "the refresh token is unknown; log in again"}
}

// UseRefreshToken marks the token as used. The conditional UPDATE is atomic on
// both engines: of concurrent callers, exactly one changes the row and gets
// fresh; the others find it used.
func (q *queries) UseRefreshToken(ctx context.Context, hash string, at time.Time) (int64, bool, error) {
	var sessionID int64
	err := q.queryRow(ctx, "UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL RETURNING session_id",
		at, hash).Scan(&sessionID)
	if err == nil {
		return sessionID, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, translate(err, "use", "refresh token")
	}
	err = q.queryRow(ctx, "SELECT session_id FROM refresh_tokens WHERE hash = ?", hash).Scan(&sessionID)
	if err != nil {
		return 0, false, getErr(err, "refresh token", errUnknownRefreshToken())
	}
	return sessionID, false, nil
}

// AddRefreshToken stores the hash of a new refresh token of the session.
func (q *queries) AddRefreshToken(ctx context.Context, sessionID int64, hash string, at time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO refresh_tokens (hash, session_id, created_at) VALUES (?, ?, ?)",
		hash, sessionID, at)
	return translate(err, "create", "refresh token")
}

// RevokeSession ends the session; revoking it again keeps the first time.
func (q *queries) RevokeSession(ctx context.Context, id int64, at time.Time) error {
	res, err := q.exec(ctx, "UPDATE sessions SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", at, id)
	return affected(res, err, "revoke", "session", crm.NotFound("session", id))
}

// RevokeEmployeeSessions ends every session of the employee still open.
func (q *queries) RevokeEmployeeSessions(ctx context.Context, employeeID int64, at time.Time) error {
	_, err := q.exec(ctx, "UPDATE sessions SET revoked_at = ? WHERE employee_id = ? AND revoked_at IS NULL",
		at, employeeID)
	return translate(err, "revoke", "session")
}

// RecordLoginFailure records a failed login for key at at.
func (q *queries) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO login_failures (key, at) VALUES (?, ?)", key, at)
	return translate(err, "record", "login failure")
}

// LoginFailures counts the failures for key recorded after since; when there
// are allowed or more, it also returns the time of the one whose leaving the
// window brings the count below allowed.
func (q *queries) LoginFailures(ctx context.Context, key string, since time.Time, allowed int) (int, time.Time, error) {
	// In a transaction, attempts on one key queue here until the first has
	// recorded itself: parallel guesses cannot all pass the same count. (On
	// SQLite the write transaction already holds the only write lock.)
	if q.tx && q.dialect() == postgresDialect {
		if _, err := q.exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "login:"+key); err != nil {
			return 0, time.Time{}, translate(err, "lock", "login failure")
		}
	}
	n, err := q.count(ctx, "login failure", "SELECT count(*) FROM login_failures WHERE key = ? AND at > ?", key, since)
	if err != nil || n < allowed {
		return n, time.Time{}, err
	}
	// Usually n == allowed and this is the oldest; more when the allowance
	// was lowered since they were recorded.
	var freeAt time.Time
	err = q.queryRow(ctx, "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at, id LIMIT 1 OFFSET ?",
		key, since, n-allowed).Scan(timeDest{&freeAt})
	return n, freeAt, translate(err, "count", "login failure")
}

// RemoveLoginFailure forgets the latest failure recorded for key at at: the
// provisional record of an attempt that succeeded.
func (q *queries) RemoveLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := q.exec(ctx, `DELETE FROM login_failures WHERE id = (SELECT id FROM login_failures
		WHERE key = ? AND at = ? ORDER BY id DESC LIMIT 1)`, key, at)
	return translate(err, "delete", "login failure")
}

// ClearLoginFailures forgets every failure recorded for key.
func (q *queries) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := q.exec(ctx, "DELETE FROM login_failures WHERE key = ?", key)
	return translate(err, "delete", "login failure")
}

// DeleteExpired deletes the login failures and sessions that e names; the
// refresh tokens of a session go with it (ON DELETE CASCADE). Neither
// statement has an index to use: both tables hold only what this keeps from
// growing, and it runs every few minutes at most.
func (q *queries) DeleteExpired(ctx context.Context, e crm.Expiry) (crm.Purged, error) {
	var p crm.Purged
	err := q.atomic(ctx, func(q *queries) error {
		res, err := q.exec(ctx, "DELETE FROM login_failures WHERE at < ?", e.FailuresBefore)
		if p.LoginFailures, err = rowsAffected(res, err); err != nil {
			return translate(err, "delete", "login failure")
		}
		res, err = q.exec(ctx, `DELETE FROM sessions
			WHERE revoked_at IS NOT NULL OR expires_at <= ? OR last_used_at < ?`, e.Now, e.IdleBefore)
		if p.Sessions, err = rowsAffected(res, err); err != nil {
			return translate(err, "delete", "session")
		}
		res, err = q.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", e.IdempotencyBefore)
		if p.IdempotencyKeys, err = rowsAffected(res, err); err != nil {
			return translate(err, "delete", "idempotency key")
		}
		return nil
	})
	if denied(err) {
		// A role granted before the purge existed (an upgrade without
		// --app-role): say what fixes it.
		return crm.Purged{}, &crm.Error{Code: crm.CodeInternal, Err: err,
			Message: "the database role may not delete expired sessions, login failures and idempotency keys; as the owner role, run `epicevents migrate up --app-role NAME` to grant the application role its privileges"}
	}
	if err != nil {
		return crm.Purged{}, err
	}
	return p, nil
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// GetSetting reads a setting; CodeNotFound when it is not set.
func (q *queries) GetSetting(ctx context.Context, key string) (string, error) {
	var v string
	err := q.queryRow(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	return v, getErr(err, "setting", crm.Errorf(crm.CodeNotFound, "the setting %s is not set", key))
}

// PutSettingIfAbsent stores value unless key is set, and returns the value
// stored; of concurrent callers, all get the first one's value.
func (q *queries) PutSettingIfAbsent(ctx context.Context, key, value string) (string, error) {
	_, err := q.exec(ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", key, value)
	if err != nil {
		return "", translate(err, "create", "setting")
	}
	return q.GetSetting(ctx, key)
}
