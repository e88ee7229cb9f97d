package webui

import (
	"net/http"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

// wantSessionCookie checks the session cookie as the browser keeps it.
func wantSessionCookie(t *testing.T, p *browsertest.Page) {
	t.Helper()
	c, ok := p.Cookie(sessionCookie)
	if !ok {
		t.Fatal("the browser holds no session cookie")
	}
	if !c.HTTPOnly || !c.Secure || c.SameSite != "Lax" || c.Path != "/" || !c.Session || c.Domain != "127.0.0.1" {
		t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Lax, Path=/, host-only, for the session", c)
	}
	if len(c.Value) != 43 {
		t.Errorf("session id of %d characters, want 43 (256 bits)", len(c.Value))
	}
}

// TestBrowserLoginLogout: each role logs in through the form, lands on my
// work with the menu of the role, opens its own page and logs out, at a
// phone's and a desktop's width, with JavaScript on and off; every page
// passes the checks (no policy violation, axe, no sideways scroll).
func TestBrowserLoginLogout(t *testing.T) {
	w := newWorld(t, "sqlite")
	menus := map[crm.Role]string{
		crm.RoleManagement: "My work\nClients\nContracts\nEvents\nEmployees\nAudit",
		crm.RoleSales:      "My work\nClients\nContracts\nEvents",
		crm.RoleSupport:    "My work\nClients\nContracts\nEvents",
	}
	for _, role := range crm.Roles {
		for _, v := range views[:4] {
			t.Run(string(role)+"/"+v.name, func(t *testing.T) {
				me := w.ofRole(role)
				p := w.browse(t, role, "/", v.opts...)
				if p.Status() != http.StatusOK || p.Title() != "My work · Epic Events CRM" || p.Text("h1") != "Hello, "+me.FirstName {
					t.Fatalf("my work: status %d, title %q, heading %q", p.Status(), p.Title(), p.Text("h1"))
				}
				checkPage(p)
				wantSessionCookie(t, p)
				if got := p.Text("header nav ul"); got != menus[role] {
					t.Errorf("menu %q, want %q", got, menus[role])
				}
				if role == crm.RoleManagement {
					switch v.name {
					case "phone":
						p.Screenshot("home-phone")
					case "desktop":
						p.Screenshot("home-desktop")
					}
				}

				p.Click("header .who a")
				if !strings.HasSuffix(p.URL(), "/me") || p.Text("h1") != "My account" {
					t.Fatalf("the name leads to %s (%q)", p.URL(), p.Text("h1"))
				}
				checkPage(p)
				if got := p.Text("dl.detail"); !strings.Contains(got, me.Email) || !strings.Contains(got, roleName(role)) {
					t.Errorf("own page: %q", got)
				}
				if role == crm.RoleSales {
					switch v.name {
					case "phone":
						p.Screenshot("me-phone")
					case "desktop":
						p.Screenshot("me-desktop")
					}
				}

				p.Click("#logout")
				if !strings.HasSuffix(p.URL(), "/login") || p.Text(".flash") != loggedOutMessage {
					t.Fatalf("logout led to %s, flash %q", p.URL(), p.Text(".flash"))
				}
				if _, ok := p.Cookie(sessionCookie); ok {
					t.Error("the session cookie outlived the logout")
				}
				checkPage(p)
				p.Go(w.ts.URL + "/me")
				if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != "/login?next=%2Fme" {
					t.Errorf("after the logout, /me leads to %s", got)
				}
			})
		}
	}
}

// TestBrowserTemporaryPassword: with a temporary password, the login leads
// to the password change, which says why, shows no menu, and is the only
// page; a repeat that differs is marked beside its field, with the keyboard
// there; the change leads to my work.
func TestBrowserTemporaryPassword(t *testing.T) {
	w := newWorld(t, "sqlite")
	const temp = "a temporary passphrase"
	kate := w.person("kate")
	for i, v := range views[:4] {
		t.Run(v.name, func(t *testing.T) {
			if err := w.svc.SetPassword(w.as("ada"), kate.ID, temp); err != nil {
				t.Fatal(err)
			}
			p := browsertest.Open(t, w.ts.URL+"/login", v.opts...)
			p.Fill("#login-email", kate.Email)
			p.Fill("#login-password", temp)
			p.Click("#login-submit")
			if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != "/me" || p.Text(".flash") != temporaryPasswordMessage {
				t.Fatalf("the login led to %s, flash %q", got, p.Text(".flash"))
			}
			if p.Count("header nav ul") != 0 {
				t.Error("a temporary password is shown the menu")
			}
			checkPage(p)
			p.Go(w.ts.URL + "/")
			if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != "/me" {
				t.Errorf("my work led to %s", got)
			}

			next := "kate's very own passphrase " + string(rune('a'+i))
			p.Fill("#password-current-password", temp)
			p.Fill("#password-new-password", next)
			p.Fill("#password-new-password-confirm", next+"!")
			p.Click("#password-submit")
			if p.Status() != http.StatusUnprocessableEntity {
				t.Fatalf("a repeat that differs: status %d", p.Status())
			}
			if got := p.Text("#password-new-password-confirm-error"); got != "Does not match the new password; type both again." {
				t.Errorf("message beside the repeat: %q", got)
			}
			if got := p.Attr("#password-new-password-confirm", "aria-invalid"); got != "true" {
				t.Errorf("aria-invalid %q", got)
			}
			if got := browsertest.Eval[string](p, "document.activeElement.id"); got != "password-new-password-confirm" {
				t.Errorf("the keyboard is on %q, not on the repeat", got)
			}
			if got := p.Attr("#password-new-password", "value"); got != "" {
				t.Errorf("a password is echoed: %q", got)
			}
			checkPage(p)
			if v.name == "phone" {
				p.Screenshot("password-temporary-phone")
			}

			p.Fill("#password-current-password", temp)
			p.Fill("#password-new-password", next)
			p.Fill("#password-new-password-confirm", next)
			p.Click("#password-submit")
			if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != "/" || p.Text(".flash") != passwordChangedMessage {
				t.Fatalf("the change led to %s, flash %q", got, p.Text(".flash"))
			}
			if p.Count("header nav ul") != 1 {
				t.Error("no menu after the change")
			}
			wantSessionCookie(t, p)
			checkPage(p)
		})
	}
}

// TestBrowserLoginRefused: a wrong password answers the form again with the
// message, the email kept and the password not, and no cookie.
func TestBrowserLoginRefused(t *testing.T) {
	w := newWorld(t, "sqlite")
	for _, v := range views[:4] {
		t.Run(v.name, func(t *testing.T) {
			p := browsertest.Open(t, w.ts.URL+"/login?next=%2Fme", v.opts...)
			p.Fill("#login-email", "bill@epic.example")
			p.Fill("#login-password", "not the password, not at all")
			p.Click("#login-submit")
			if p.Status() != http.StatusUnauthorized {
				t.Fatalf("status %d", p.Status())
			}
			if got := p.Text(".form-message"); got != "Wrong email or password; try again, or ask a manager to reset your password." {
				t.Errorf("message %q", got)
			}
			if p.Attr("#login-email", "value") != "bill@epic.example" || p.Attr("#login-password", "value") != "" {
				t.Errorf("fields: email %q, password %q", p.Attr("#login-email", "value"), p.Attr("#login-password", "value"))
			}
			if _, ok := p.Cookie(sessionCookie); ok {
				t.Error("a refused login left a session cookie")
			}
			checkPage(p)
			// The next page is kept: the right password goes there.
			p.Fill("#login-password", testPassword)
			p.Click("#login-submit")
			if got := strings.TrimPrefix(p.URL(), w.ts.URL); got != "/me" {
				t.Errorf("then the login led to %s", got)
			}
		})
	}
}

// TestBrowserFirstVisitWithLogin: a first visit, the login page then my
// work after logging in, downloads under 150,000 bytes as sent.
func TestBrowserFirstVisitWithLogin(t *testing.T) {
	w := newWorld(t, "sqlite")
	p := w.browse(t, crm.RoleManagement, "/")
	n := p.TransferredBytes()
	t.Logf("first visit of /login, then / after the login: %d bytes over the network", n)
	if n > 150_000 {
		t.Errorf("the first visit downloads %d bytes, more than 150,000", n)
	}
}
