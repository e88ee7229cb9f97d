package crm

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	errBadLogin     = &Error{Code: CodeUnauthenticated, Message: "wrong email or password; try again, or ask a manager to reset your password"}
	errSessionEnded = &Error{Code: CodeUnauthenticated,
		Message: "your session has ended; log in again with `epicevents login`"}
	errSessionExpired = &Error{Code: CodeUnauthenticated, Reason: "expired",
		Message: "your session has expired; log in again with `epicevents login`"}
)

// Authenticate verifies an access token and loads its session and employee from
// the database, so that logout, deactivation, a role or password change take
// effect on the very next request, and the role is never taken from the token.
// A session of the web UI is never reached this way: it has no tokens, and
// the access token that named one would not be the server's.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Actor, error) {
	claims, err := s.tokens.Verify(accessToken)
	if err != nil {
		return Actor{}, err
	}
	// One statement reads the session and its employee: this runs before
	// every request, and a round trip costs more than the reads themselves.
	sess, emp, err := s.store.GetSessionEmployee(ctx, claims.SessionID)
	if ErrorCode(err) == CodeNotFound {
		return Actor{}, errSessionEnded
	}
	if err != nil {
		return Actor{}, err
	}
	if sess.Web || emp.ID != claims.EmployeeID {
		return Actor{}, errSessionEnded
	}
	return s.sessionActor(ctx, sess, emp)
}

// sessionActor is the actor of a session just read with its employee, when
// the session may still be used; the use is recorded for the idle timeout.
func (s *Service) sessionActor(ctx context.Context, sess Session, emp Employee) (Actor, error) {
	now := s.now()
	if err := s.sessionUsable(sess, now); err != nil {
		return Actor{}, err
	}
	if !emp.Active {
		return Actor{}, errSessionEnded
	}
	// Recording every use would make each read a write; a minute's precision
	// is plenty for a 30-minute idle timeout.
	if now.Sub(sess.LastUsedAt) >= time.Minute {
		err := s.store.TouchSession(ctx, sess.ID, now)
		if ErrorCode(err) == CodeNotFound {
			// Purged since it was read: it was at its idle limit.
			return Actor{}, errSessionExpired
		}
		if err != nil {
			return Actor{}, err
		}
	}
	return Actor{Employee: emp, SessionID: sess.ID}, nil
}

func (s *Service) sessionUsable(sess Session, now time.Time) error {
	switch {
	case sess.RevokedAt != nil:
		return errSessionEnded
	case !now.Before(sess.ExpiresAt), now.Sub(sess.LastUsedAt) > s.cfg.SessionIdle:
		return errSessionExpired
	}
	return nil
}

// Login checks an email and password and opens a session. An unknown email, a
// wrong password and a deactivated account get the same error in about the
// same time; repeated failures are throttled for a window (see throttle.go),
// never locked for good.
func (s *Service) Login(ctx context.Context, emailAddr, password string) (Tokens, error) {
	var tokens Tokens
	err := s.login(ctx, emailAddr, password, func(ctx context.Context, q Queries, emp Employee, now time.Time) (err error) {
		tokens, err = s.openSession(ctx, q, emp, now)
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	return tokens, nil
}

// opener opens the session that a login or a password change hands out
// (tokens for the API, a cookie for the web UI), in the transaction that
// checks that the credentials are still those checked.
type opener func(ctx context.Context, q Queries, emp Employee, now time.Time) error

// login is every login's core: input limits, throttling, the password
// check, the check at commit that the credentials are still current, the
// purge of local mode, and the audit. Only what open issues differs.
func (s *Service) login(ctx context.Context, emailAddr, password string, open opener) error {
	// Longer than any email or password can be: invalid input, which tells
	// nothing about who has an account.
	var v Validator
	if tooLong(emailAddr, MaxEmailLen) {
		v.Add("email", "must be at most "+strconv.Itoa(MaxEmailLen)+" characters")
	}
	if tooLong(password, MaxPasswordInput) {
		v.Add("password", "must be at most "+strconv.Itoa(MaxPasswordInput)+" characters")
	}
	if err := v.Err(); err != nil {
		return err
	}
	emailAddr = strings.ToLower(strings.TrimSpace(emailAddr))
	att, err := s.newAttempt(ctx, emailAddr, "failed logins")
	if err != nil {
		return err
	}
	if err := s.begin(ctx, att, s.cfg.PurgeAtLogin); err != nil {
		return err
	}

	var (
		emp        Employee
		hash       string
		ok, rehash bool
	)
	if len(emailAddr) > MaxEmailLen || !utf8.ValidString(emailAddr) || hasControl(emailAddr, false) {
		// No employee has such an email, and PostgreSQL could not even be
		// asked (it refuses NUL in text): the usual answer, at the usual cost.
		s.hasher.VerifyDummy(password)
	} else {
		emp, hash, err = s.store.GetEmployeeByEmail(ctx, emailAddr)
		switch {
		case ErrorCode(err) == CodeNotFound:
			s.hasher.VerifyDummy(password)
		case err != nil:
			return err
		default:
			if ok, rehash, err = s.hasher.Verify(hash, password); err != nil {
				return err
			}
		}
	}
	if !ok || !emp.Active {
		if err := s.loginFailed(ctx, emp); err != nil {
			return err
		}
		return errBadLogin
	}
	// argon2 is slow: the stronger hash is made before the transaction. It
	// is an improvement only: without it the login goes on, and the next
	// one tries again.
	var newHash string
	if rehash {
		newHash, _ = s.hasher.Hash(password)
	}

	changed := false
	err = s.store.InTx(ctx, func(q Queries) error {
		// The credentials checked must still be the employee's when the
		// session is opened: a password change or reset, a role change or a
		// deactivation since the check bumped the version. Reading the row
		// here locks it until commit (PostgreSQL; SQLite's write lock is
		// already held), so such a change either committed before this read
		// and is seen, or waits for this commit and then revokes the new
		// session with the others.
		cur, err := q.GetEmployee(ctx, emp.ID)
		if ErrorCode(err) == CodeNotFound {
			changed = true
			return errBadLogin
		}
		if err != nil {
			return err
		}
		if cur.CredentialVersion != emp.CredentialVersion || !cur.Active {
			changed = true
			return errBadLogin
		}
		if newHash != "" {
			if err := q.RehashPassword(ctx, cur.ID, newHash); err != nil {
				return err
			}
		}
		if err := att.forget(ctx, q); err != nil {
			return err
		}
		if err := open(ctx, q, cur, att.at); err != nil {
			return err
		}
		return s.audit(ctx, q, &Actor{Employee: cur}, "auth.login", "employee", cur.ID, nil)
	})
	if changed {
		if err := s.loginFailed(ctx, emp); err != nil {
			return err
		}
	}
	return err
}

// loginFailed audits a failed login; the entry names the account only when
// the email is an employee's. The failure itself was recorded with the attempt.
func (s *Service) loginFailed(ctx context.Context, emp Employee) error {
	return s.store.InTx(ctx, func(q Queries) error {
		var actor *Actor
		if emp.ID != 0 {
			actor = &Actor{Employee: emp}
		}
		return s.audit(ctx, q, actor, "auth.login_failed", "employee", emp.ID, nil)
	})
}

// openSession creates a session for emp and issues its first tokens.
func (s *Service) openSession(ctx context.Context, q Queries, emp Employee, now time.Time) (Tokens, error) {
	refresh, hash, err := s.refresh.New()
	if err != nil {
		return Tokens{}, err
	}
	sess, err := q.CreateSession(ctx, Session{EmployeeID: emp.ID, CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), ClientAddr: clientAddr(ctx)}, hash)
	if err != nil {
		return Tokens{}, err
	}
	return s.issue(emp.ID, sess.ID, refresh, now)
}

func (s *Service) issue(employeeID, sessionID int64, refresh string, now time.Time) (Tokens, error) {
	access, exp, err := s.tokens.Issue(AccessClaims{EmployeeID: employeeID, SessionID: sessionID, IssuedAt: now})
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer",
		ExpiresIn: int(exp.Sub(now).Seconds())}, nil
}

// Refresh exchanges a refresh token for a new pair, rotating it atomically.
// Reusing a rotated refresh token ends the whole session: someone else may
// hold a copy.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	now := s.now()
	hash := s.refresh.Hash(refreshToken)
	var tokens Tokens
	var reused int64
	err := s.store.InTx(ctx, func(q Queries) error {
		sid, fresh, err := q.UseRefreshToken(ctx, hash, now)
		if ErrorCode(err) == CodeNotFound {
			return errSessionEnded
		}
		if err != nil {
			return err
		}
		if !fresh {
			reused = sid
			return errSessionEnded
		}
		sess, err := q.GetSession(ctx, sid)
		if err != nil {
			return err
		}
		if err := s.sessionUsable(sess, now); err != nil {
			return err
		}
		emp, err := q.GetEmployee(ctx, sess.EmployeeID)
		if err != nil || !emp.Active {
			return errSessionEnded
		}
		next, nextHash, err := s.refresh.New()
		if err != nil {
			return err
		}
		if err := q.AddRefreshToken(ctx, sid, nextHash, now); err != nil {
			return err
		}
		if err := q.TouchSession(ctx, sid, now); err != nil {
			return err
		}
		tokens, err = s.issue(emp.ID, sid, next, now)
		return err
	})
	if reused != 0 {
		if rerr := s.revokeReused(ctx, reused, now); rerr != nil {
			return Tokens{}, rerr
		}
	}
	return tokens, err
}

func (s *Service) revokeReused(ctx context.Context, sid int64, now time.Time) error {
	return s.store.InTx(ctx, func(q Queries) error {
		sess, err := q.GetSession(ctx, sid)
		if err != nil {
			return err
		}
		if err := q.RevokeSession(ctx, sid, now); err != nil {
			return err
		}
		var actor *Actor
		if emp, err := q.GetEmployee(ctx, sess.EmployeeID); err == nil {
			actor = &Actor{Employee: emp}
		}
		return s.audit(ctx, q, actor, "auth.refresh_reuse", "session", sid, nil)
	})
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context) error {
	actor, err := s.session(ctx, true)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(q Queries) error {
		if err := q.RevokeSession(ctx, actor.SessionID, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "auth.logout", "employee", actor.ID, nil)
	})
}

// Me returns the caller.
func (s *Service) Me(ctx context.Context) (Employee, error) {
	actor, err := s.session(ctx, false)
	return actor.Employee, err
}

// ChangePassword sets the caller's own password. Every session of theirs ends,
// and a new one is opened for the caller so that they stay logged in here.
// The check of the current password counts against the allowances of logins
// (a session must not be a way around them) and is audited when it fails.
func (s *Service) ChangePassword(ctx context.Context, current, next string) (Tokens, error) {
	var tokens Tokens
	err := s.changePassword(ctx, current, next, func(ctx context.Context, q Queries, emp Employee, now time.Time) (err error) {
		tokens, err = s.openSession(ctx, q, emp, now)
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	return tokens, nil
}

// changePassword is every password change's core: the checks of the new
// password, the throttled and audited check of the current one, the check
// at commit that the credentials are still those checked, the end of every
// session of the caller, and the audit. open issues the caller's new session.
func (s *Service) changePassword(ctx context.Context, current, next string, open opener) error {
	actor, err := s.session(ctx, true)
	if err != nil {
		return err
	}
	if tooLong(current, MaxPasswordInput) {
		return Invalid("current_password", "must be at most "+strconv.Itoa(MaxPasswordInput)+" characters")
	}
	// The new password is judged first: that tells nothing of the current
	// one, and costs no attempt.
	if err := CheckPassword("new_password", next, actor.Email, s.common); err != nil {
		return err
	}
	if next == current {
		return Invalid("new_password", "must differ from the current password")
	}
	att, err := s.newAttempt(ctx, strings.ToLower(actor.Email), "wrong passwords")
	if err != nil {
		return err
	}
	if err := s.begin(ctx, att, false); err != nil {
		return err
	}
	hash, err := s.store.GetPasswordHash(ctx, actor.ID)
	if err != nil {
		return err
	}
	ok, _, err := s.hasher.Verify(hash, current)
	if err != nil {
		return err
	}
	if !ok {
		err := s.store.InTx(ctx, func(q Queries) error {
			return s.audit(ctx, q, &actor, "auth.password_check_failed", "employee", actor.ID, nil)
		})
		if err != nil {
			return err
		}
		return Invalid("current_password", "is not your current password")
	}
	newHash, err := s.hasher.Hash(next)
	if err != nil {
		return err
	}
	now := s.now()
	return s.store.InTx(ctx, func(q Queries) error {
		// As at login: the password checked must still be the caller's. A
		// reset or deactivation since then ended this session too.
		cur, err := q.GetEmployee(ctx, actor.ID)
		if err != nil {
			return err
		}
		if cur.CredentialVersion != actor.CredentialVersion {
			return errSessionEnded
		}
		if err := att.forget(ctx, q); err != nil {
			return err
		}
		if err := q.SetPassword(ctx, actor.ID, newHash, false, now); err != nil {
			return err
		}
		if err := q.RevokeEmployeeSessions(ctx, actor.ID, now); err != nil {
			return err
		}
		if err := open(ctx, q, cur, now); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.password_change", "employee", actor.ID, nil)
	})
}

// CheckBootstrap refuses, changing nothing, what Bootstrap would refuse
// whatever it is given: a database where an employee exists. init asks it
// before it asks for anything; it reads only the store, so a service built
// over the store alone (no keys yet) can answer it.
func (s *Service) CheckBootstrap(ctx context.Context) error {
	return checkBootstrap(ctx, s.store)
}

// checkBootstrap is the rule of Bootstrap: the first employee is created
// once, while the database holds none.
func checkBootstrap(ctx context.Context, q Queries) error {
	n, err := q.CountEmployees(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return Errorf(CodeConflict, "the CRM is already set up (an employee exists); log in with `epicevents login`")
	}
	return nil
}

// Bootstrap creates the first employee, always MANAGEMENT, on a database that
// has none. It needs no session: it is how the first session becomes possible.
func (s *Service) Bootstrap(ctx context.Context, in NewEmployee) (Employee, error) {
	in.Role = RoleManagement
	in, err := s.validateNewEmployee(in)
	if err != nil {
		return Employee{}, err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return Employee{}, err
	}
	now := s.now()
	var emp Employee
	err = s.store.InTx(ctx, func(q Queries) error {
		// Inside the transaction: of two racing inits, one creates.
		if err := checkBootstrap(ctx, q); err != nil {
			return err
		}
		emp, err = q.CreateEmployee(ctx, Employee{FirstName: in.FirstName, LastName: in.LastName,
			Email: in.Email, Role: RoleManagement, Active: true, CreatedAt: now, UpdatedAt: now}, hash)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, nil, "employee.create", "employee", emp.ID, diff(nil, &emp))
	})
	return emp, err
}

// IsUnauthenticated reports whether err means the caller must log in (again).
func IsUnauthenticated(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeUnauthenticated
}
