package webui

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// views are the ways every page is checked: a phone and a desktop, with
// JavaScript on and off.
var views = []struct {
	name string
	opts []browsertest.Option
}{
	{"phone", []browsertest.Option{browsertest.Width(375)}},
	{"desktop", []browsertest.Option{browsertest.Width(1440)}},
	{"phone, no JavaScript", []browsertest.Option{browsertest.Width(375), browsertest.NoJavaScript()}},
	{"desktop, no JavaScript", []browsertest.Option{browsertest.Width(1440), browsertest.NoJavaScript()}},
	{"phone, dark", []browsertest.Option{browsertest.Width(375), browsertest.Dark()}},
}

// checkPage runs the checks every page must pass.
func checkPage(p *browsertest.Page) {
	p.AssertNoCSPViolations()
	p.AssertNoHorizontalScroll()
	p.AssertAccessible()
}

func TestBrowserLoginPage(t *testing.T) {
	u := newUITest(t)
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			p := browsertest.Open(t, u.ts.URL+"/login?next=%2Fclients%3Fmine%3D1", v.opts...)
			if p.Status() != http.StatusOK || p.Title() != "Log in · Epic Events CRM" {
				t.Fatalf("status %d, title %q", p.Status(), p.Title())
			}
			checkPage(p)
			for sel, want := range map[string]string{
				`label[for="login-email"]`:    "Email",
				`label[for="login-password"]`: "Password",
				"h1":                          "Log in",
			} {
				if got := p.Text(sel); got != want {
					t.Errorf("%s: %q, want %q", sel, got, want)
				}
			}
			if got := p.Attr(`input[name="next"]`, "value"); got != "/clients?mine=1" {
				t.Errorf("next %q", got)
			}
			switch v.name {
			case "phone":
				p.Screenshot("login-phone")
			case "desktop":
				p.Screenshot("login-desktop")
			}
		})
	}
}

// TestBrowserComponents checks every building block of the pages (menu of
// a logged-in manager, list, record, form with errors, buttons, flash) at
// both widths, with and without JavaScript.
func TestBrowserComponents(t *testing.T) {
	u := newUITest(t)
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			p := browsertest.Open(t, u.ts.URL+"/_test/components?invalid=1", v.opts...)
			if p.Status() != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status())
			}
			checkPage(p)
			// The message beside a bad field is the one it points to.
			id := p.Attr("#client-email", "aria-describedby")
			if id != "client-email-error" || p.Text("#"+id) != "Must be a valid email address." {
				t.Errorf("aria-describedby %q -> %q", id, p.Text("#"+id))
			}
			// The first bad field has the keyboard, JavaScript or not.
			if got := browsertest.Eval[string](p, "document.activeElement.id"); got != "client-email" {
				t.Errorf("focused %q, want client-email", got)
			}
			// The menu follows the role: a manager sees employees and audit.
			if got := p.Text("header nav ul"); got != "My work\nClients\nContracts\nEvents\nEmployees\nAudit" {
				t.Errorf("menu %q", got)
			}
			switch v.name {
			case "phone":
				p.Screenshot("components-phone")
			case "desktop":
				p.Screenshot("components-desktop")
			}
		})
	}
}

// TestBrowserListBecomesCards: on a phone a list is a stack of cards, each
// cell labelled; on a desktop it is a table.
func TestBrowserListBecomesCards(t *testing.T) {
	u := newUITest(t)
	display := func(p *browsertest.Page) string {
		return browsertest.Eval[string](p, `getComputedStyle(document.querySelector("table.list tr")).display`)
	}
	p := browsertest.Open(t, u.ts.URL+"/_test/components", browsertest.Width(375))
	if d := display(p); d != "block" {
		t.Errorf("phone: a row displays as %q, want block", d)
	}
	label := browsertest.Eval[string](p, `getComputedStyle(document.querySelector("table.list td"), "::before").content`)
	if label != `"Name"` {
		t.Errorf("phone: a cell is labelled %s", label)
	}
	if d := display(browsertest.Open(t, u.ts.URL+"/_test/components", browsertest.Width(1440))); d != "table-row" {
		t.Errorf("desktop: a row displays as %q", d)
	}
}

// TestBrowserKeyboardFocus: Tab goes first to the skip link, which shows
// itself, then through the page; every focused control has a visible
// outline.
func TestBrowserKeyboardFocus(t *testing.T) {
	u := newUITest(t)
	for _, path := range []string{"/login", "/_test/components"} {
		p := browsertest.Open(t, u.ts.URL+path, browsertest.Width(375))
		type focus struct {
			Tag, Text, Outline string
			Width, Left        float64
		}
		read := `(() => { const e = document.activeElement, s = getComputedStyle(e), b = e.getBoundingClientRect();
		  return {tag: e.tagName, text: (e.innerText || e.name || "").trim(), outline: s.outlineStyle, width: parseFloat(s.outlineWidth), left: b.left}; })()`
		for i := 0; i < 12; i++ {
			p.Press("\t")
			f := browsertest.Eval[focus](p, read)
			if i == 0 && (f.Tag != "A" || f.Text != "Skip to content" || f.Left < 0) {
				t.Errorf("%s: first Tab on %+v, want the skip link, on screen", path, f)
			}
			if f.Tag == "BODY" {
				break
			}
			if f.Outline == "none" || f.Width < 2 {
				t.Errorf("%s: the focus on %s %q is not visible (outline %s %vpx)", path, f.Tag, f.Text, f.Outline, f.Width)
			}
		}
		// Enter on the skip link moves to the content.
		p.Go(u.ts.URL + path)
		p.Press("\t")
		p.Press("\r")
		if got := browsertest.Eval[string](p, "document.activeElement.id"); got != "main" {
			t.Errorf("%s: the skip link leads to %q", path, got)
		}
	}
}

// TestBrowserFlashAndConfirm: an action's message shows on the page it
// redirects to, through the __Host- cookie (kept by the browser over plain
// HTTP on the loopback address), once; a destructive action asks first
// when JavaScript is on.
func TestBrowserFlashAndConfirm(t *testing.T) {
	u := newUITest(t)
	for _, v := range views[:4] {
		t.Run(v.name, func(t *testing.T) {
			p := browsertest.Open(t, u.ts.URL+"/_test/components", v.opts...)
			p.Click("#reassign")
			if got := p.Text(".flash"); got != "Kevin Casey was reassigned." {
				t.Errorf("flash %q", got)
			}
			if _, ok := p.Cookie(flashCookie); ok {
				t.Error("the flash cookie outlived the page that showed it")
			}
			if v.name == views[0].name {
				checkPage(p) // the flash, in the page's layout
			}
			p.Go(u.ts.URL + "/_test/components")
			if n := p.Count(".flash"); n != 0 {
				t.Errorf("the flash shows again after a reload")
			}
			if strings.Contains(v.name, "no JavaScript") {
				return
			}
			p.ClickExpectingNothing("#delete") // dismissed
			p.AnswerDialogs(true)
			p.Click("#delete")
			if got := p.Text(".flash"); got != "Kevin Casey was deleted." {
				t.Errorf("after confirming: flash %q", got)
			}
			if d := p.Dialogs(); len(d) != 2 || d[0] != "Delete Kevin Casey? This cannot be undone." {
				t.Errorf("dialogs %q", d)
			}
		})
	}
}

// TestBrowserSearchAsYouType: typing in a search box asks for the list again
// and swaps it in, without a reload; without JavaScript the button does it.
func TestBrowserSearchAsYouType(t *testing.T) {
	u := newUITest(t)
	p := browsertest.Open(t, u.ts.URL+"/_test/components")
	browsertest.Eval[int](p, `window.__sameDocument = 1`)
	p.Fill("#client-search", "Kev")
	p.WaitFor(`location.search === "?search=Kev"`)
	if browsertest.Eval[int](p, `window.__sameDocument || 0`) != 1 {
		t.Error("the page was reloaded")
	}
	p.AssertNoCSPViolations()

	p = browsertest.Open(t, u.ts.URL+"/_test/components", browsertest.NoJavaScript())
	p.Fill("#client-search", "Kev")
	p.Click(".search button")
	if got := p.URL(); !strings.HasSuffix(got, "/_test/components?search=Kev") {
		t.Errorf("without JavaScript: %s", got)
	}
}

// TestBrowserCrossOriginFormRefused: a form on another site that posts to
// the CRM gets the 403 page, and the action does not run.
func TestBrowserCrossOriginFormRefused(t *testing.T) {
	u := newUITest(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Win a prize</title><link rel="icon" href="data:,"></head>
<body><main><h1>Win a prize</h1><form method="post" action="%s/_test/flash">
<input type="hidden" name="note" value="forged"><button type="submit">Claim</button></form></main></body></html>`, u.ts.URL)
	}))
	t.Cleanup(evil.Close)
	for _, v := range views[:3] {
		t.Run(v.name, func(t *testing.T) {
			p := browsertest.Open(t, evil.URL, v.opts...)
			p.Click("button")
			if p.Status() != http.StatusForbidden || p.Text("h1") != "This form came from another site" {
				t.Errorf("status %d, heading %q", p.Status(), p.Text("h1"))
			}
			if _, ok := p.Cookie(flashCookie); ok {
				t.Error("the forged action ran (it left its flash)")
			}
			p.AssertNoCSPViolations()
			p.AssertNoHorizontalScroll()
			if v.name == views[0].name {
				p.AssertAccessible() // the error page's template, once
			}
		})
	}
}

func TestBrowserErrorPages(t *testing.T) {
	u := newUITest(t)
	for _, c := range []struct {
		path   string
		status int
	}{{"/no/such/page", 404}, {"/_test/fail/raw", 500}} {
		p := browsertest.Open(t, u.ts.URL+c.path, browsertest.Width(375))
		if p.Status() != c.status {
			t.Errorf("%s: status %d", c.path, p.Status())
		}
		checkPage(p)
	}
}

// TestBrowserFirstVisitBytes: what a browser downloads for the login page,
// everything included, as sent.
func TestBrowserFirstVisitBytes(t *testing.T) {
	u := newUITest(t)
	p := browsertest.Open(t, u.ts.URL+"/login")
	n := p.TransferredBytes()
	t.Logf("first visit of /login: %d bytes over the network", n)
	if n > 60_000 {
		t.Errorf("the first visit of /login downloads %d bytes; keep it far under 150,000 (60,000 for this page)", n)
	}
}
