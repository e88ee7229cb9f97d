package crm

import (
	"context"
	"time"
)

// The web UI's sessions are the sessions of the API in every way but what
// the employee holds: the same rows (so that logout, a password change or
// reset, a role change and a deactivation end them with the others, and the
// purge deletes them), the same idle and absolute limits, the same login and
// password change, throttled and audited alike. Instead of tokens, the
// browser holds an opaque random session id in a cookie, and the database
// keeps only its hash. The two never cross: an access token never reaches a
// web session (Authenticate refuses one), and a cookie only ever reaches a
// web session (AuthenticateWeb looks it up among them alone).

// WebSession is what a login through the web UI hands out.
type WebSession struct {
	// Token is the session id the browser keeps in its cookie: 256 random
	// bits, as unpadded base64url. The database keeps only its SHA-256.
	Token string
	// ExpiresAt is when the session ends however busy it is (the absolute
	// limit); unused for the idle timeout, it ends sooner.
	ExpiresAt time.Time
}

// maxWebToken is longer than any session id the service hands out: a longer
// cookie is refused without a look in the database.
const maxWebToken = 128

// LoginWeb checks an email and password as Login does (same throttling, same
// messages, same audit) and opens a session of the web UI.
func (s *Service) LoginWeb(ctx context.Context, emailAddr, password string) (WebSession, error) {
	var ws WebSession
	err := s.login(ctx, emailAddr, password, func(ctx context.Context, q Queries, emp Employee, now time.Time) (err error) {
		ws, err = s.openWebSession(ctx, q, emp, now)
		return err
	})
	if err != nil {
		return WebSession{}, err
	}
	return ws, nil
}

// ChangePasswordWeb sets the caller's own password as ChangePassword does
// (every session of theirs ends, the current password's check is throttled
// and audited), and opens a new session of the web UI for the caller.
func (s *Service) ChangePasswordWeb(ctx context.Context, current, next string) (WebSession, error) {
	var ws WebSession
	err := s.changePassword(ctx, current, next, func(ctx context.Context, q Queries, emp Employee, now time.Time) (err error) {
		ws, err = s.openWebSession(ctx, q, emp, now)
		return err
	})
	if err != nil {
		return WebSession{}, err
	}
	return ws, nil
}

// openWebSession creates a web session for emp, with a new random id.
func (s *Service) openWebSession(ctx context.Context, q Queries, emp Employee, now time.Time) (WebSession, error) {
	token, hash, err := s.refresh.New()
	if err != nil {
		return WebSession{}, err
	}
	sess, err := q.CreateWebSession(ctx, Session{EmployeeID: emp.ID, CreatedAt: now, LastUsedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), ClientAddr: clientAddr(ctx)}, hash)
	if err != nil {
		return WebSession{}, err
	}
	return WebSession{Token: token, ExpiresAt: sess.ExpiresAt}, nil
}

// AuthenticateWeb loads the session whose id a browser's cookie holds, and
// its employee, from the database, as Authenticate does for an access
// token: a session ended, expired, or of a deactivated employee is refused,
// and the role is the one in the database now. The actor may have a
// temporary password (MustChangePassword): the service refuses them every
// action but changing it and logging out, and the web UI shows them only
// the page that changes it.
func (s *Service) AuthenticateWeb(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{}, errNoSession
	}
	if len(token) > maxWebToken {
		return Actor{}, errSessionEnded
	}
	sess, emp, err := s.store.GetWebSessionEmployee(ctx, s.refresh.Hash(token))
	if ErrorCode(err) == CodeNotFound {
		return Actor{}, errSessionEnded
	}
	if err != nil {
		return Actor{}, err
	}
	return s.sessionActor(ctx, sess, emp)
}
