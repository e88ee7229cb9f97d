package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// loginView is the login page's own data.
type loginView struct {
	// Next is the local path to go to after logging in ("" for my work).
	Next string
}

// loginPage is GET /login: the email and password form. It is the one page
// that a browser may keep (and revalidate): it holds nothing personal. An
// employee already logged in goes on where the form would lead.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := s.authenticate(r); err == nil {
		http.Redirect(w, r, orHome(next), http.StatusSeeOther)
		return nil
	}
	p := s.newPage(w, r, "Log in")
	p.Form = NewForm("login", nil)
	p.Data = loginView{Next: next}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "login", p)
}

// login is POST /login (email, password, and next from the page): the
// service's login, as the API's, which opens a new session at each login,
// and the session's id in the browser's cookie. It leads to next, or to my
// work. A refused login answers the form again, with the email as typed (never
// the password) and the service's message, and sets no cookie: 401 for a
// wrong email or password, 429 (with Retry-After) when throttled, 422 for
// input no account can have.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	ws, err := s.svc.LoginWeb(r.Context(), email, password)
	if err != nil {
		return s.loginRefused(w, r, err, email, next)
	}
	// A session this browser held ends: one browser, one session.
	if prev, err := s.authenticate(r); err == nil {
		if err := s.svc.Logout(crm.WithActor(r.Context(), prev)); err != nil && !crm.IsUnauthenticated(err) {
			return err
		}
	}
	setSession(w, ws)
	http.Redirect(w, r, orHome(next), http.StatusSeeOther)
	return nil
}

// loginRefused answers the login form again with what refused it.
func (s *Server) loginRefused(w http.ResponseWriter, r *http.Request, err error, email, next string) error {
	e, ok := crm.AsError(err)
	if !ok {
		return err
	}
	p := s.newPage(w, r, "Log in")
	p.Form = NewForm("login", url.Values{"email": {email}})
	p.Data = loginView{Next: next}
	var status int
	switch e.Code {
	case crm.CodeUnauthenticated:
		status = http.StatusUnauthorized
		p.Form.Message = sentence(e.Message)
	case crm.CodeThrottled:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
		p.Form.Message = sentence(e.Message)
	case crm.CodeInvalid:
		status = http.StatusUnprocessableEntity
		p.Form.SetError(err, "email", "password")
	default:
		return err
	}
	return s.render(w, r, status, "login", p)
}

// logout is POST /logout: the session ends (in the database: every copy of
// the cookie is refused from now on), the browser forgets it, and the login
// page says so.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Logout(r.Context()); err != nil && !crm.IsUnauthenticated(err) {
		return err
	}
	clearSession(w)
	s.redirect(w, r, loginPath, loggedOutMessage)
	return nil
}

// orHome is next, or my work when there is none.
func orHome(next string) string {
	if next == "" {
		return "/"
	}
	return next
}

// maxNext caps the length of a next path.
const maxNext = 2048

// safeNext returns raw when it is a path of this site to go back to after
// the login, and "" otherwise: only a local path is ever followed, so that a
// link to the login page cannot send someone to another site (an open
// redirect) or back to the login page itself.
//
// A browser reads "//host", "/\host" and "/<tab>/host" as another host (it
// drops tabs and newlines and turns backslashes into slashes), so each is
// refused, as is anything with a scheme, a host or a control character.
func safeNext(raw string) string {
	if raw == "" || len(raw) > maxNext || raw[0] != '/' {
		return ""
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return ""
		}
	}
	if strings.HasPrefix(raw, "//") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	p := u.EscapedPath()
	if p == "/login" || strings.HasPrefix(p, staticPrefix) || strings.HasPrefix(p, "//") {
		return ""
	}
	if u.RawQuery != "" {
		p += "?" + escapeQuery(u.RawQuery)
	}
	return p
}

// escapeQuery percent-encodes the bytes a browser would encode in a query
// (spaces, quotes, angle brackets…), keeping the query's own structure
// (&, =, existing %XX), so that next is a clean URL in the form and in the
// Location header.
func escapeQuery(q string) string {
	const keep = "-._~!$&'()*+,;=:@/?%"
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
