package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// loginView is the login page's own data.
type loginView struct {
	// Next is the local path to go to after logging in ("" for my work).
	Next string
}

// loginPage is GET /login: the email and password form. It is the one page
// that a browser may keep (and revalidate): it holds nothing personal.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "Log in")
	p.Form = NewForm("login", nil)
	p.Data = loginView{Next: safeNext(r.URL.Query().Get("next"))}
	w.Header().Set("Cache-Control", "no-cache")
	return s.render(w, r, http.StatusOK, "login", p)
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
