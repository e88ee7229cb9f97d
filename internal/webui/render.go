package webui

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
)

// htmxConfig is the content of the layout's <meta name="htmx-config">, the
// one place where htmx is set up:
//   - includeIndicatorStyles false: htmx would insert an inline <style>,
//     which the Content-Security-Policy refuses; app.css has those rules;
//   - allowEval false: no hx-on, no js: values, no trigger filters, which
//     need eval (refused by the policy too);
//   - allowScriptTags false: no <script> from swapped content;
//   - historyCacheSize 0 and refreshOnHistoryMiss: no copy of the pages in
//     sessionStorage; the back button asks the server again;
//   - responseHandling: every answer is a whole page meant to be read (a
//     form with its errors is 422, a refused change 409, a missing record
//     404), so every status is swapped in, except 204;
//   - selfRequestsOnly: htmx never talks to another origin.
var htmxConfig = mustJSON(map[string]any{
	"includeIndicatorStyles":    false,
	"allowEval":                 false,
	"allowScriptTags":           false,
	"historyCacheSize":          0,
	"refreshOnHistoryMiss":      true,
	"historyRestoreAsHxRequest": false,
	"selfRequestsOnly":          true,
	"responseHandling": []map[string]any{
		{"code": "204", "swap": false},
		{"code": "...", "swap": true},
	},
})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Page is what every template receives: what the layout needs (title,
// viewer and menu, flash message, time zone) and the page's own data.
type Page struct {
	// Title is the page's name, first in the window title.
	Title string
	// Viewer is the employee logged in; nil on the login and error pages
	// seen without a session.
	Viewer *crm.Employee
	// Nav is the menu of the viewer's role.
	Nav []NavItem
	// Home is where the site's name links: my work, or the login page.
	Home string
	// Flash is a message about what the previous request did, shown once
	// after a redirect ("Client saved.").
	Flash string
	// Zone names the company's time zone, in which every time is shown.
	Zone string
	// Form is the page's main form, if any.
	Form *Form
	// Data is the page's own content.
	Data any
}

// NavItem is one link of the menu; Current marks the section the page is in.
type NavItem struct {
	Href, Label string
	Current     bool
}

// navFor is the menu of the viewer's role; the links follow the permission
// matrix, so that nobody is shown a section the service would refuse.
func navFor(role crm.Role, path string) []NavItem {
	items := []NavItem{
		{Href: "/", Label: "My work"},
		{Href: "/clients", Label: "Clients"},
		{Href: "/contracts", Label: "Contracts"},
		{Href: "/events", Label: "Events"},
	}
	if crm.RoleMayEver(role, crm.ActManageEmployees) {
		items = append(items, NavItem{Href: "/employees", Label: "Employees"})
	}
	if crm.RoleMayEver(role, crm.ActReadAudit) {
		items = append(items, NavItem{Href: "/audit", Label: "Audit"})
	}
	for i := range items {
		h := items[i].Href
		items[i].Current = path == h || (h != "/" && strings.HasPrefix(path, h+"/"))
	}
	return items
}

// newPage starts the page of a request: its layout data, and the flash
// message left by the previous request (taken, so shown once).
func (s *Server) newPage(w http.ResponseWriter, r *http.Request, title string) *Page {
	p := &Page{Title: title, Zone: s.zone, Home: "/login", Flash: takeFlash(w, r)}
	if v := stateOf(r.Context()).viewer; v != nil {
		p.Viewer = &v.Employee
		p.Home = "/"
		// With a temporary password, only the password change is open: a
		// menu would lead nowhere else.
		if !v.MustChangePassword {
			p.Nav = navFor(v.Role, r.URL.Path)
		}
	}
	return p
}

// pages are the parsed templates: each page file shares the layout and the
// components, and defines "content" (and may define "title").
type pages struct {
	base  *template.Template
	byKey map[string]*template.Template
}

// sharedTemplates are parsed into every page.
var sharedTemplates = []string{"layout.html", "components.html"}

// parsePages parses the templates under dir of fsys once, at start-up.
func parsePages(fsys fs.FS, dir string, funcs template.FuncMap) (*pages, error) {
	shared := make([]string, len(sharedTemplates))
	for i, n := range sharedTemplates {
		shared[i] = path.Join(dir, n)
	}
	base, err := template.New("").Funcs(funcs).ParseFS(fsys, shared...)
	if err != nil {
		return nil, err
	}
	p := &pages{base: base, byKey: map[string]*template.Template{}}
	files, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := path.Base(f)
		if name == sharedTemplates[0] || name == sharedTemplates[1] {
			continue
		}
		if err := p.add(fsys, f); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// add parses the page file f of fsys, named after the file ("login.html" is
// the page "login").
func (p *pages) add(fsys fs.FS, f string) error {
	t, err := p.base.Clone()
	if err != nil {
		return err
	}
	if t, err = t.ParseFS(fsys, f); err != nil {
		return err
	}
	if t.Lookup("content") == nil {
		return fmt.Errorf("template %s defines no \"content\"", f)
	}
	p.byKey[strings.TrimSuffix(path.Base(f), ".html")] = t
	return nil
}

// bufPool keeps the buffers pages are rendered into.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// gzipPool keeps the compressors of the pages.
var gzipPool = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return zw
}}

// minGzip is the smallest page worth compressing.
const minGzip = 1024

// render writes the page name with status. It renders into a buffer first,
// so that a template error becomes the 500 page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) error {
	t, ok := s.pages.byKey[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	writeHTML(w, r, status, buf.Bytes())
	return nil
}

// writeHTML sends body as an HTML page, compressed when the browser accepts
// it and the page is large enough to gain.
func writeHTML(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	if len(body) >= minGzip && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		var zbuf bytes.Buffer
		zw := gzipPool.Get().(*gzip.Writer)
		zw.Reset(&zbuf)
		_, err := zw.Write(body)
		if err == nil {
			err = zw.Close()
		}
		gzipPool.Put(zw)
		if err == nil {
			body = zbuf.Bytes()
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// statusError is a refusal of the UI itself (a form too large, a body that
// is not a form), with its own status.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string { return e.message }

// maxFormBytes caps the body of a form; no form of the CRM comes near.
const maxFormBytes = 64 << 10

// parseForm reads the body of a POSTed form into r.PostForm, refusing
// anything but an URL-encoded form, and more than maxFormBytes.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return &statusError{http.StatusUnsupportedMediaType, "this address takes a form sent by the page"}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return &statusError{http.StatusRequestEntityTooLarge, "the form is larger than 64 KiB"}
		}
		return &statusError{http.StatusBadRequest, "the form could not be read"}
	}
	return nil
}

// fail answers err. A request without a valid session goes to the login
// page (303); an error of the service gets the page of its status, through
// the API's table, with its message; anything else is logged and reported
// in full and answered with the 500 page and a reference only, so that no
// raw driver or library text reaches a page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	st := stateOf(r.Context())
	if cerr := r.Context().Err(); cerr != nil && errors.Is(err, cerr) {
		// The browser went away, or the server is cutting requests off at
		// the end of its grace period: nobody will read the answer.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request abandoned",
			slog.String("request_id", st.id), slog.String("route", st.route))
		s.errorPage(w, r, http.StatusServiceUnavailable, "")
		return
	}
	var se *statusError
	if errors.As(err, &se) {
		s.errorPage(w, r, se.status, sentence(se.message))
		return
	}
	e, ok := crm.AsError(err)
	if !ok || (e.Code == crm.CodeInternal && e.Message == "") {
		attrs := []slog.Attr{slog.String("request_id", st.id), slog.String("route", st.route),
			slog.String("err", err.Error())}
		if ok && e.Err != nil {
			attrs = append(attrs, slog.String("cause", e.Err.Error()))
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error", attrs...)
		s.capture(r, err)
		s.errorPage(w, r, http.StatusInternalServerError, "")
		return
	}
	if e.Code == crm.CodeUnauthenticated {
		if e.Reason == "password_change" && stateOf(r.Context()).viewer != nil {
			// The service refuses everything to a temporary password but
			// its change: that is where to go.
			s.redirect(w, r, mePath, temporaryPasswordMessage)
			return
		}
		s.toLogin(w, r)
		return
	}
	status := httpapi.StatusOf(e.Code)
	if e.Code == crm.CodeStale {
		// The API's 412 answers an If-Match header; a page has none: its
		// form carries the version it was loaded at, and a change saved
		// over someone else's is a conflict to the person looking at it.
		status = http.StatusConflict
	}
	if status >= 500 {
		cause := ""
		if e.Err != nil {
			cause = e.Err.Error()
		}
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", st.id), slog.String("route", st.route),
			slog.String("code", string(e.Code)), slog.String("cause", cause))
		if status == http.StatusInternalServerError {
			s.capture(r, err)
		}
	}
	if e.Code == crm.CodeThrottled && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	s.errorPage(w, r, status, sentence(e.Error()))
}

// toLogin sends a request without a valid session to the login page. A page
// (GET) is remembered in next, so that the login leads back to it; an
// action is not repeated after the login, so it is not remembered.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if next := safeNext(r.URL.RequestURI()); next != "" {
			target += "?next=" + url.QueryEscape(next)
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// flashCookie carries a message from an action to the page its redirect
// leads to. The __Host- prefix makes the browser refuse it unless it is
// Secure, host-only and for the whole site: another site or a subdomain
// cannot plant one.
const flashCookie = "__Host-epicevents_flash"

// maxFlash caps the message a flash carries.
const maxFlash = 300

// redirect answers an action with 303 See Other to the page to show next,
// with a message for that page when flash is not empty.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	setFlash(w, flash)
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// setFlash leaves flash, when not empty, for the page the response leads to.
func setFlash(w http.ResponseWriter, flash string) {
	if flash == "" {
		return
	}
	if len(flash) > maxFlash {
		flash = strings.ToValidUTF8(flash[:maxFlash], "")
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(flash)),
		Path: "/", MaxAge: 60, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// takeFlash returns the flash message of the request, if any, and deletes
// the cookie so that it is shown once.
func takeFlash(w http.ResponseWriter, r *http.Request) string {
	st := stateOf(r.Context())
	if st.flashTaken {
		return st.flash
	}
	st.flashTaken = true
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) > maxFlash || !utf8.Valid(b) {
		return ""
	}
	st.flash = string(b)
	return st.flash
}

// errorView is the content of an error page: what happened, what to do.
type errorView struct {
	Status    int
	Heading   string
	What      string
	Next      string
	Detail    string // the service's own message, when it says more
	Reference string // the request id, for an error the user cannot fix
	Links     []NavItem
}

// errorTexts say, per status, what happened and what to do.
var errorTexts = map[int]errorView{
	http.StatusBadRequest: {Heading: "This request could not be read",
		What: "The page sent something the CRM did not understand.",
		Next: "Go back, reload the page and try again."},
	http.StatusForbidden: {Heading: "You may not do this",
		What: "Your role does not allow this page or action.",
		Next: "If you need it, ask a manager. The menu shows what you can do."},
	http.StatusNotFound: {Heading: "Page not found",
		What: "There is nothing at this address: it may be mistyped, or what it showed was deleted.",
		Next: "Check the address, or start again from the link below."},
	http.StatusMethodNotAllowed: {Heading: "This address does not take that request",
		What: "The page sent a request this address does not answer.",
		Next: "Go back and use the page's own links and buttons."},
	http.StatusConflict: {Heading: "This cannot be done now",
		What: "The record is not in a state that allows it, or someone changed it since you opened the page.",
		Next: "Reload the page to see where things stand, then try again if it still makes sense."},
	http.StatusRequestEntityTooLarge: {Heading: "Too much was sent",
		What: "The form was larger than the CRM accepts.",
		Next: "Go back, shorten what you typed and send it again."},
	http.StatusUnsupportedMediaType: {Heading: "This request could not be read",
		What: "This address only takes the forms of the CRM's own pages.",
		Next: "Go back, reload the page and send the form from there."},
	http.StatusUnprocessableEntity: {Heading: "Some values are not valid",
		What: "The CRM refused what was sent.",
		Next: "Go back, correct the values and send them again."},
	http.StatusTooManyRequests: {Heading: "Too many attempts",
		What: "There were too many attempts in a short time.",
		Next: "Wait a few minutes, then try again."},
	http.StatusInternalServerError: {Heading: "Something went wrong on our side",
		What: "The CRM could not finish this request.",
		Next: "Try again in a moment. If it happens again, give the reference below to whoever runs the CRM."},
	http.StatusServiceUnavailable: {Heading: "The CRM is unavailable for a moment",
		What: "Its database cannot be reached, or is too slow to answer.",
		Next: "Try again in a minute."},
}

// errorPage answers status with its page. detail, when set, is a message
// safe to show (the service's, or the UI's own).
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, detail string) {
	v, ok := errorTexts[status]
	if !ok {
		v = errorTexts[http.StatusInternalServerError]
		if status < 500 {
			v = errorTexts[http.StatusBadRequest]
		}
	}
	v.Status, v.Detail = status, detail
	if status >= 500 && status != http.StatusServiceUnavailable {
		v.Reference = stateOf(r.Context()).id
	}
	s.writeError(w, r, v)
}

// crossOriginRefused is CrossOriginProtection's answer to a state change
// sent from another site: a 403 page that says why.
func (s *Server) crossOriginRefused(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, errorView{Status: http.StatusForbidden,
		Heading: "This form came from another site",
		What:    "The CRM only takes forms sent from its own pages, so that another website cannot act in your name.",
		Next:    "Open the CRM yourself and send the form from its page."})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, v errorView) {
	p := s.newPage(w, r, v.Heading)
	v.Links = []NavItem{{Href: "/login", Label: "Go to the login page"}}
	if p.Viewer != nil {
		v.Links = []NavItem{{Href: "/", Label: "Go to my work"}}
	}
	p.Data = v
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Location")
	if err := s.render(w, r, v.Status, "error", p); err != nil {
		// The error page itself failed: say so in plain text.
		s.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelError, "error page failed",
			slog.String("request_id", stateOf(r.Context()).id), slog.String("err", err.Error()))
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(v.Status)
		_, _ = fmt.Fprintf(w, "%s. %s\n", v.Heading, v.Next)
	}
}

// nextPage is the link to the next page of a list: the current address with
// the cursor the service returned; "" on the last page.
func nextPage(u *url.URL, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := u.Query()
	q.Set("cursor", cursor)
	return u.Path + "?" + q.Encode()
}
