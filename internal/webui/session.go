package webui

import (
	"net/http"

	"github.com/epicevents/epicevents/internal/crm"
)

// sessionCookie holds the id of the browser's session: an opaque random
// value that the service hands out at each login and keeps only as a hash.
// The __Host- prefix makes the browser refuse it unless it is Secure,
// host-only (no Domain) and for the whole site (Path=/), so that neither
// another site nor a subdomain can plant one.
//
// It is a session cookie (no Max-Age): the browser forgets it when it is
// closed, which on a shared or borrowed machine ends the session as soon as
// its user leaves. Keeping it longer would add nothing: the server ends the
// session after 30 minutes unused or 12 hours in any case, whatever the
// browser keeps.
const sessionCookie = "__Host-epicevents_session"

// setSession gives the browser the id of its new session.
func setSession(w http.ResponseWriter, ws crm.WebSession) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: ws.Token, Path: "/",
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// clearSession makes the browser forget its session id.
func clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// Who may reach a route. The UI reads its session from its cookie alone:
// an Authorization header means nothing here, as the cookie means nothing
// to the API.
type access int

const (
	// signedIn routes need a session whose employee has a password of their
	// own: every page and action but those below.
	signedIn access = iota
	// ownAccount routes need a session, even one opened with a temporary
	// password: one's own page, the password change, logout.
	ownAccount
	// public routes need nothing: the login page and form.
	public
)

// Paths the session layer leads to.
const (
	loginPath = "/login"
	mePath    = "/me"
)

// Messages of the session layer, shown on the page it leads to.
const (
	temporaryPasswordMessage = "Your password is temporary: choose a password of your own to go on."
	sessionExpiredMessage    = "Your session has expired: log in again."
	sessionEndedMessage      = "Your session has ended: log in again."
	loggedOutMessage         = "You are logged out."
	passwordChangedMessage   = "Your password is changed. Your other sessions have ended: log in again there with the new password."
)

// errNoSession is a request without a session cookie.
var errNoSession = &crm.Error{Code: crm.CodeUnauthenticated, Message: "you are not logged in"}

// handle registers h for pattern, for employees with a session and a
// password of their own: a request without a valid session goes to the
// login page, and one with a temporary password to the password change.
// Every page and action but the login's registers through it.
func (s *Server) handle(pattern string, h handlerFunc) { s.route(pattern, signedIn, h) }

// handleOwnAccount registers h for pattern, for employees with a session,
// even one opened with a temporary password.
func (s *Server) handleOwnAccount(pattern string, h handlerFunc) { s.route(pattern, ownAccount, h) }

// handlePublic registers h for pattern, for anyone.
func (s *Server) handlePublic(pattern string, h handlerFunc) { s.route(pattern, public, h) }

// route registers h for pattern behind the session check of a; h's error
// is answered by fail (an error page, or a redirect to the login page).
func (s *Server) route(pattern string, a access, h handlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a != public {
			var ok bool
			if r, ok = s.requireSession(w, r, a); !ok {
				return
			}
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}))
}

// requireSession loads the employee of the request's session, from the
// database on every request (so that their role is the current one, and a
// session ended elsewhere ends here at once), and makes them the viewer. It
// answers the request itself, and returns false, when there is no valid
// session, or when the session's password is temporary and the route is not
// one of those that change it.
func (s *Server) requireSession(w http.ResponseWriter, r *http.Request, a access) (*http.Request, bool) {
	actor, err := s.authenticate(r)
	if err != nil {
		if crm.IsUnauthenticated(err) {
			s.sessionEnded(w, r, err)
		} else {
			s.fail(w, r, err)
		}
		return r, false
	}
	r = withViewer(r, actor)
	if actor.MustChangePassword && a != ownAccount {
		s.redirect(w, r, mePath, temporaryPasswordMessage)
		return r, false
	}
	return r, true
}

// authenticate returns the employee of the request's session cookie.
func (s *Server) authenticate(r *http.Request) (crm.Actor, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return crm.Actor{}, errNoSession
	}
	return s.svc.AuthenticateWeb(r.Context(), c.Value)
}

// sessionEnded sends a request without a valid session to the login page.
// When the browser held a session that is no longer valid (expired, ended by
// a logout elsewhere, a password change or reset, a role change or a
// deactivation), it forgets it, and the login page says why.
func (s *Server) sessionEnded(w http.ResponseWriter, r *http.Request, err error) {
	if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
		clearSession(w)
		msg := sessionEndedMessage
		if e, ok := crm.AsError(err); ok && e.Reason == "expired" {
			msg = sessionExpiredMessage
		}
		setFlash(w, msg)
	}
	s.toLogin(w, r)
}
