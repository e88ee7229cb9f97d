package crm

import (
	"context"
	"errors"
	"math"
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
	now := s.now()
	if err := s.sessionUsable(sess, now); err != nil {
		return Actor{}, err
	}
	if !emp.Active || emp.ID != claims.EmployeeID {
		return Actor{}, errSessionEnded
	}
	// Recording every use would make each read a write; a minute's precision
	// is plenty for a 30-minute idle timeout.
	if now.Sub(sess.LastUsedAt) >= time.Minute {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
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
// same time; repeated failures per account and per client address are
// throttled for a window, never locked for good.
func (s *Service) Login(ctx context.Context, emailAddr, password string) (Tokens, error) {
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
		return Tokens{}, err
	}
	emailAddr = strings.ToLower(strings.TrimSpace(emailAddr))
	if len(emailAddr) > MaxEmailLen || !utf8.ValidString(emailAddr) || hasControl(emailAddr, false) {
		// No employee has such an email, and the database could not even
		// store it as a throttle key: the usual answer, at the usual cost.
		s.hasher.VerifyDummy(password)
		return Tokens{}, errBadLogin
	}
	now := s.now()
	keys := []string{"email:" + emailAddr}
	limits := []throttle{{s.cfg.ThrottleMax, s.cfg.ThrottleWindow}}
	if addr := clientAddr(ctx); addr != nil {
		keys = append(keys, "addr:"+*addr)
		limits = append(limits, throttle{s.cfg.IPThrottleMax, s.cfg.IPThrottleWindow})
	}
	// The attempt counts as a failure from before its password is checked,
	// and the count and the record are one transaction: parallel guesses
	// cannot all pass a check made before any of them was recorded.
	err := s.store.InTx(ctx, func(q Queries) error {
		for i, k := range keys {
			if err := s.throttled(ctx, q, k, limits[i], now); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := q.RecordLoginFailure(ctx, k, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Tokens{}, err
	}

	emp, hash, err := s.store.GetEmployeeByEmail(ctx, emailAddr)
	var ok, rehash bool
	switch {
	case ErrorCode(err) == CodeNotFound:
		s.hasher.VerifyDummy(password)
	case err != nil:
		return Tokens{}, err
	default:
		ok, rehash, err = s.hasher.Verify(hash, password)
		if err != nil {
			return Tokens{}, err
		}
	}
	if !ok || !emp.Active {
		if err := s.loginFailed(ctx, emp); err != nil {
			return Tokens{}, err
		}
		return Tokens{}, errBadLogin
	}

	var tokens Tokens
	err = s.store.InTx(ctx, func(q Queries) error {
		if rehash {
			if h, err := s.hasher.Hash(password); err == nil {
				if err := q.SetPassword(ctx, emp.ID, h, emp.MustChangePassword, now); err != nil {
					return err
				}
			}
		}
		// The account's slate is wiped; the address keeps its other
		// failures and forgets this attempt only.
		if err := q.ClearLoginFailures(ctx, keys[0]); err != nil {
			return err
		}
		for _, k := range keys[1:] {
			if err := q.RemoveLoginFailure(ctx, k, now); err != nil {
				return err
			}
		}
		actor := Actor{Employee: emp}
		tokens, err = s.openSession(ctx, q, emp, now)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "auth.login", "employee", emp.ID, nil)
	})
	return tokens, err
}

type throttle struct {
	max    int
	window time.Duration
}

func (s *Service) throttled(ctx context.Context, q Queries, key string, t throttle, now time.Time) error {
	n, oldest, err := q.LoginFailures(ctx, key, now.Add(-t.window))
	if err != nil {
		return err
	}
	if n < t.max {
		return nil
	}
	retry := max(1, int(math.Ceil(oldest.Add(t.window).Sub(now).Seconds())))
	return &Error{Code: CodeThrottled, RetryAfter: retry,
		Message: "too many failed logins; try again in " + (time.Duration(retry) * time.Second).String()}
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
func (s *Service) ChangePassword(ctx context.Context, current, next string) (Tokens, error) {
	actor, err := s.session(ctx, true)
	if err != nil {
		return Tokens{}, err
	}
	if tooLong(current, MaxPasswordInput) {
		return Tokens{}, Invalid("current_password", "must be at most "+strconv.Itoa(MaxPasswordInput)+" characters")
	}
	hash, err := s.store.GetPasswordHash(ctx, actor.ID)
	if err != nil {
		return Tokens{}, err
	}
	if ok, _, err := s.hasher.Verify(hash, current); err != nil || !ok {
		return Tokens{}, Invalid("current_password", "is not your current password")
	}
	if err := CheckPassword("new_password", next, actor.Email, s.common); err != nil {
		return Tokens{}, err
	}
	if next == current {
		return Tokens{}, Invalid("new_password", "must differ from the current password")
	}
	newHash, err := s.hasher.Hash(next)
	if err != nil {
		return Tokens{}, err
	}
	now := s.now()
	var tokens Tokens
	err = s.store.InTx(ctx, func(q Queries) error {
		if err := q.SetPassword(ctx, actor.ID, newHash, false, now); err != nil {
			return err
		}
		if err := q.RevokeEmployeeSessions(ctx, actor.ID, now); err != nil {
			return err
		}
		if tokens, err = s.openSession(ctx, q, actor.Employee, now); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "employee.password_change", "employee", actor.ID, nil)
	})
	return tokens, err
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
		n, err := q.CountEmployees(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(CodeConflict, "the CRM is already set up (an employee exists); log in with `epicevents login`")
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
