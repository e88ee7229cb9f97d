package webui

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
)

// wantRedirect fails the test unless r is a 303 to location.
func wantRedirect(t *testing.T, r reply, location string) {
	t.Helper()
	if r.Status != http.StatusSeeOther || r.Location() != location {
		t.Fatalf("status %d to %q, want 303 to %q:\n%s", r.Status, r.Location(), location, r.Body)
	}
}

// wantStatus fails the test unless r has status.
func wantStatus(t *testing.T, r reply, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d (to %q):\n%s", r.Status, status, r.Location(), r.Body)
	}
}

// wantEnded checks that c's session is refused: a page leads to the login
// page, which says why, and the browser is told to forget the cookie.
func wantEnded(t *testing.T, c *webClient, why string) {
	t.Helper()
	r := c.get("/")
	wantRedirect(t, r, "/login?next=%2F")
	if k, ok := r.cookie(sessionCookie); !ok || k.MaxAge >= 0 || k.Value != "" {
		t.Errorf("the refused session cookie is not cleared: %v", r.Cookies)
	}
	if why != "" {
		if page := c.get(r.Location()); !strings.Contains(page.Body, why) {
			t.Errorf("the login page does not say %q:\n%s", why, page.Body)
		}
	}
}

// sessionHeader is the Set-Cookie header of the session cookie in r.
func sessionHeader(r reply) string {
	for _, h := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, sessionCookie+"=") {
			return h
		}
	}
	return ""
}

// TestLoginSetsSessionCookie: a login answers 303 to my work with exactly
// the session cookie the UI promises: an opaque id of 256 random bits,
// __Host-, HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, no Max-Age
// (a session cookie); then every page is open to it.
func TestLoginSetsSessionCookie(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for role, key := range roleKeys {
			t.Run(string(role), func(t *testing.T) {
				c := w.newClient()
				r := c.login(w.person(key).Email, testPassword, "")
				wantRedirect(t, r, "/")
				h := sessionHeader(r)
				m := regexp.MustCompile(`^__Host-epicevents_session=([A-Za-z0-9_-]{43}); Path=/; HttpOnly; Secure; SameSite=Lax$`).FindStringSubmatch(h)
				if m == nil {
					t.Fatalf("Set-Cookie %q", h)
				}
				if raw, err := base64.RawURLEncoding.DecodeString(m[1]); err != nil || len(raw) != 32 {
					t.Errorf("the session id is %d bytes (%v)", len(raw), err)
				}
				if n := len(r.Header.Values("Set-Cookie")); n != 1 {
					t.Errorf("%d cookies set, want the session's only", n)
				}

				home := c.get("/")
				wantStatus(t, home, http.StatusOK)
				me := w.person(key)
				for _, want := range []string{"<h1>Hello, " + me.FirstName + "</h1>", "<strong>" + roleName(role) + "</strong>",
					`<a href="/me">` + me.Name() + `</a>`, `<form method="post" action="/logout">`} {
					if !strings.Contains(home.Body, want) {
						t.Errorf("my work lacks %s", want)
					}
				}
				// The sections of the role, and no other.
				for _, n := range navFor(role, "/") {
					if n.Href != "/" && !strings.Contains(home.Body, `<li><a href="`+n.Href+`">`) {
						t.Errorf("my work does not lead to %s", n.Href)
					}
				}
				managerOnly := strings.Contains(home.Body, `href="/employees"`) || strings.Contains(home.Body, `href="/audit"`)
				if managerOnly != (role == crm.RoleManagement) {
					t.Errorf("as %s, employees or audit shown: %v", role, managerOnly)
				}
				if got := home.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("my work: Cache-Control %q", got)
				}
			})
		}
	})
}

// TestSessionIDNotStored: the cookie's value is found nowhere in the
// database (only its hash is), nor in the logs.
func TestSessionIDNotStored(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.loginAs(crm.RoleSales)
		k, _ := c.session()
		c.get("/")
		c.get("/me")
		dump := dumpText(t, w.db.SQL(), w.engine)
		if strings.Contains(dump, k.Value) {
			t.Fatal("the session id is stored in the database")
		}
		if !strings.Contains(dump, auth.HashToken(k.Value)) {
			t.Fatal("the hash of the session id is not in the database: is this the right dump?")
		}
		if strings.Contains(w.logs.String(), k.Value) {
			t.Fatal("the session id is in the logs")
		}
	})
}

// TestNewSessionAtEachLogin: every login gives a new id, whatever cookie the
// browser held (an id planted by someone else is never taken up), and ends
// the session the browser held before.
func TestNewSessionAtEachLogin(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.newClient()
		c.setSession("chosen-by-an-attacker")
		wantRedirect(t, c.login("bill@epic.example", testPassword, ""), "/")
		first, _ := c.session()
		if first.Value == "chosen-by-an-attacker" {
			t.Fatal("the login kept the planted session id")
		}
		wantRedirect(t, c.login("bill@epic.example", testPassword, ""), "/")
		second, _ := c.session()
		if second.Value == first.Value {
			t.Fatal("a second login kept the session id")
		}
		wantStatus(t, c.get("/"), http.StatusOK)
		// The first session ended with the second login.
		stale := w.newClient()
		stale.setSession(first.Value)
		wantEnded(t, stale, sessionEndedMessage)
		// Someone else's id, planted in a browser that logs in, is not taken
		// up either: the other session goes on, the login gets its own.
		victim := w.loginAs(crm.RoleSupport)
		v, _ := victim.session()
		planted := w.newClient()
		planted.setSession(v.Value)
		wantRedirect(t, planted.login("bill@epic.example", testPassword, ""), "/")
		if k, _ := planted.session(); k.Value == v.Value {
			t.Fatal("the login kept a planted session id")
		}
	})
}

// TestSessionLimits: a session ends after 30 minutes unused, and 12 hours
// after the login however busy; the login page then says it expired.
func TestSessionLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.loginAs(crm.RoleSupport)
		w.clock.Advance(29 * time.Minute)
		wantStatus(t, c.get("/me"), http.StatusOK)
		w.clock.Advance(30*time.Minute + time.Second)
		wantEnded(t, c, sessionExpiredMessage)

		c = w.loginAs(crm.RoleSupport)
		start := w.clock.Now()
		for w.clock.Now().Sub(start) < 12*time.Hour-20*time.Minute {
			w.clock.Advance(20 * time.Minute)
			if r := c.get("/"); r.Status != http.StatusOK {
				t.Fatalf("after %v of steady use: status %d to %q", w.clock.Now().Sub(start), r.Status, r.Location())
			}
		}
		w.clock.Advance(20 * time.Minute)
		wantEnded(t, c, sessionExpiredMessage)
	})
}

// TestSessionEndsAtOnce: logout, a password change (in the UI or through
// the API), a reset by a manager, a role change and a deactivation end the
// employee's web sessions on their very next request.
func TestSessionEndsAtOnce(t *testing.T) {
	for _, c := range []struct {
		name string
		end  func(t *testing.T, w *world, sam crm.Employee, ui *webClient)
	}{
		{"logout (the same session, from another tab)", func(t *testing.T, w *world, _ crm.Employee, ui *webClient) {
			k, _ := ui.session()
			tab := w.newClient()
			tab.setSession(k.Value)
			wantRedirect(t, tab.post("/logout", nil), "/login")
		}},
		{"password change in the web UI", func(t *testing.T, w *world, _ crm.Employee, _ *webClient) {
			other := w.loginAsPerson("sam")
			wantRedirect(t, other.post("/me/password", url.Values{"current_password": {testPassword},
				"new_password": {"a passphrase of sam's own"}, "new_password_confirm": {"a passphrase of sam's own"}}), "/")
		}},
		{"password change through the API", func(t *testing.T, w *world, sam crm.Employee, _ *webClient) {
			tok, err := w.svc.Login(context.Background(), sam.Email, testPassword)
			if err == nil {
				_, err = w.svc.ChangePassword(crm.WithAccessToken(context.Background(), tok.AccessToken), testPassword, "a passphrase of sam's own")
			}
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"password reset by a manager", func(t *testing.T, w *world, sam crm.Employee, _ *webClient) {
			if err := w.svc.SetPassword(w.as("ada"), sam.ID, "a temporary passphrase"); err != nil {
				t.Fatal(err)
			}
		}},
		{"role change", func(t *testing.T, w *world, sam crm.Employee, _ *webClient) {
			role := crm.RoleSales
			if _, err := w.svc.UpdateEmployee(w.as("ada"), sam.ID, crm.EmployeePatch{Role: &role}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deactivation", func(t *testing.T, w *world, sam crm.Employee, _ *webClient) {
			if _, err := w.svc.Deactivate(w.as("ada"), sam.ID, nil); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, w *world) {
				sam, err := w.svc.CreateEmployee(w.as("ada"), crm.NewEmployee{FirstName: "Sam", LastName: "Sample",
					Email: "sam@epic.example", Role: crm.RoleSupport, Password: testPassword})
				if err != nil {
					t.Fatal(err)
				}
				w.people["sam"] = sam
				ui := w.loginAsPerson("sam")
				wantStatus(t, ui.get("/"), http.StatusOK)
				c.end(t, w, sam, ui)
				wantEnded(t, ui, sessionEndedMessage)
			})
		})
	}
}

// TestLogout: POST /logout ends the session in the database (a copy of the
// cookie is refused too), clears the cookie, and leads to the login page,
// which says so.
func TestLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.loginAs(crm.RoleManagement)
		k, _ := c.session()
		r := c.post("/logout", nil)
		wantRedirect(t, r, "/login")
		if h := sessionHeader(r); h != sessionCookie+"=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax" {
			t.Errorf("Set-Cookie %q", h)
		}
		if _, ok := c.session(); ok {
			t.Error("the browser still holds the cookie")
		}
		page := c.get("/login")
		wantStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body, `<p class="flash" role="status">`+loggedOutMessage+`</p>`) {
			t.Errorf("the login page does not say the employee is logged out:\n%s", page.Body)
		}
		copyOf := w.newClient()
		copyOf.setSession(k.Value)
		wantEnded(t, copyOf, sessionEndedMessage)
		// Without a session, logout leads to the login page, without next.
		wantRedirect(t, w.newClient().post("/logout", nil), "/login")
	})
}

// TestLoginRefused: a wrong password, an unknown email and a deactivated
// account answer 401 with the form, the API's message, the email as typed,
// the password never, and no cookie; an email longer than any answers 422
// beside the field.
func TestLoginRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		const typed = "not the password, not at all"
		for _, email := range []string{"bill@epic.example", "nobody@epic.example", "olga@epic.example"} {
			c := w.newClient()
			pw := typed
			if email == "olga@epic.example" {
				pw = testPassword
			}
			r := c.login(email, pw, "/me")
			wantStatus(t, r, http.StatusUnauthorized)
			for _, want := range []string{
				`<p class="form-message" role="alert">Wrong email or password; try again, or ask a manager to reset your password.</p>`,
				`<input type="email" id="login-email" name="email" value="` + email + `"`,
				`<input type="hidden" name="next" value="/me">`,
				`<input type="password" id="login-password" name="password" autocomplete="current-password" required>`,
			} {
				if !strings.Contains(r.Body, want) {
					t.Errorf("%s: the answer lacks %s", email, want)
				}
			}
			if strings.Contains(r.Body, pw) {
				t.Errorf("%s: the password is echoed", email)
			}
			if len(r.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s: a refused login set %v", email, r.Header.Values("Set-Cookie"))
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", email, r.Header.Get("Cache-Control"))
			}
		}

		r := w.newClient().login(strings.Repeat("a", 250)+"@epic.example", testPassword, "")
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, `aria-invalid="true" aria-describedby="login-email-error"`) ||
			!strings.Contains(r.Body, `<small id="login-email-error" class="error">Must be at most 254 characters.</small>`) {
			t.Errorf("the over-long email is not marked:\n%s", r.Body)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Error("an invalid login set a cookie")
		}
	})
}

// TestLoginThrottled: after the allowance of failures, the right password
// from that address answers 429 with Retry-After and the API's message, and
// no cookie.
func TestLoginThrottled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.newClient()
		for i := 0; i < 5; i++ {
			wantStatus(t, c.login("kate@epic.example", "not the password, not at all", ""), http.StatusUnauthorized)
		}
		r := c.login("kate@epic.example", testPassword, "")
		wantStatus(t, r, http.StatusTooManyRequests)
		_, apiErr := w.svc.Login(crm.WithClientAddr(w.as("ada"), "127.0.0.1"), "kate@epic.example", testPassword)
		if !strings.Contains(r.Body, `<p class="form-message" role="alert">`+sentence(apiErr.Error())+`</p>`) ||
			!strings.Contains(r.Body, "Too many failed logins; try again in 15m0s.") {
			t.Errorf("the answer does not carry the API's message %q:\n%s", apiErr, r.Body)
		}
		if got := r.Header.Get("Retry-After"); got != "900" {
			t.Errorf("Retry-After %q, want 900", got)
		}
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Error("a throttled login set a cookie")
		}
		if !strings.Contains(r.Body, `value="kate@epic.example"`) {
			t.Error("the email is not kept")
		}
		// Time heals; the right password works again.
		w.clock.Advance(15*time.Minute + time.Second)
		wantRedirect(t, c.login("kate@epic.example", testPassword, ""), "/")
	})
}

// TestLoginNextFollowed: after the login, a local path in next is followed;
// any other site, or anything a browser could read as one, is not.
func TestLoginNextFollowed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for next, want := range map[string]string{
			"/me":                        "/me",
			"/clients?mine=1":            "/clients?mine=1",
			"//evil.example":             "/",
			"//evil.example/me":          "/",
			"https://evil.example":       "/",
			"https://evil.example/me":    "/",
			`/\evil.example`:             "/",
			"/\t/evil.example":           "/",
			"javascript:alert(1)":        "/",
			"/login?next=//evil.example": "/",
		} {
			r := w.newClient().login("ada@epic.example", testPassword, next)
			if r.Status != http.StatusSeeOther || r.Location() != want {
				t.Errorf("next=%q: %d to %q, want %q", next, r.Status, r.Location(), want)
			}
		}
		// A page asked without a session is remembered in next; an action
		// is not.
		c := w.newClient()
		wantRedirect(t, c.get("/me?tab=password"), "/login?next=%2Fme%3Ftab%3Dpassword")
		wantRedirect(t, c.post("/me/password", url.Values{"current_password": {"x"}}), "/login")
		// Logged in already, the login page leads on.
		c = w.loginAs(crm.RoleSales)
		wantRedirect(t, c.get("/login"), "/")
		wantRedirect(t, c.get("/login?next=%2Fme"), "/me")
		wantRedirect(t, c.get("/login?next=%2F%2Fevil.example"), "/")
	})
}

// TestCrossOriginLoginLogout: a login or a logout sent from another site is
// refused before it runs: no session opened, none ended.
func TestCrossOriginLoginLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for _, h := range [][]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
		} {
			c := w.newClient()
			r := c.post("/login", url.Values{"email": {"ada@epic.example"}, "password": {testPassword}}, h...)
			wantStatus(t, r, http.StatusForbidden)
			if len(r.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("%v: a forged login set %v", h, r.Header.Values("Set-Cookie"))
			}
			c = w.loginAs(crm.RoleManagement)
			wantStatus(t, c.post("/logout", nil, h...), http.StatusForbidden)
			wantStatus(t, c.get("/"), http.StatusOK)
			wantStatus(t, c.post("/me/password", url.Values{"current_password": {testPassword},
				"new_password": {"forged passphrase, long"}, "new_password_confirm": {"forged passphrase, long"}}, h...), http.StatusForbidden)
			wantStatus(t, c.get("/"), http.StatusOK)
		}
		if _, err := w.svc.LoginWeb(w.as("ada"), "ada@epic.example", testPassword); err != nil {
			t.Errorf("the forged password change went through: %v", err)
		}
	})
}

// TestCookieAndTokenNeverCross: the API refuses the web UI's cookie, and the
// web UI an access token.
func TestCookieAndTokenNeverCross(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		api := httptest.NewServer(httpapi.NewServer(w.svc, httpapi.ServerOptions{Logger: slog.New(slog.DiscardHandler)}).Handler())
		t.Cleanup(api.Close)
		c := w.loginAs(crm.RoleManagement)
		k, _ := c.session()
		tok, err := w.svc.Login(w.as("ada"), "ada@epic.example", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		get := func(h ...string) int {
			req, _ := http.NewRequest(http.MethodGet, api.URL+"/api/v1/me", nil)
			for i := 0; i+1 < len(h); i += 2 {
				req.Header.Set(h[i], h[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if s := get("Cookie", sessionCookie+"="+k.Value); s != http.StatusUnauthorized {
			t.Errorf("the API answered %d to the web UI's cookie", s)
		}
		if s := get("Authorization", "Bearer "+k.Value); s != http.StatusUnauthorized {
			t.Errorf("the API answered %d to the session id as a bearer token", s)
		}
		if s := get("Authorization", "Bearer "+tok.AccessToken); s != http.StatusOK {
			t.Errorf("the API answered %d to its own token", s)
		}

		bare := w.newClient()
		wantRedirect(t, bare.get("/", "Authorization", "Bearer "+tok.AccessToken), "/login?next=%2F")
		bare.setSession(tok.AccessToken)
		wantEnded(t, bare, sessionEndedMessage)
		bare.setSession(tok.RefreshToken)
		wantEnded(t, bare, sessionEndedMessage)
	})
}

// TestTemporaryPassword: with a password a manager set, the UI shows the
// password change and nothing else: every other page or action leads there,
// saying why; logout still works; the change opens the rest.
func TestTemporaryPassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		const temp = "a temporary passphrase"
		kate := w.person("kate")
		if err := w.svc.SetPassword(w.as("ada"), kate.ID, temp); err != nil {
			t.Fatal(err)
		}
		// A page and an action that need a password of one's own.
		done := func(rw http.ResponseWriter, r *http.Request) error {
			http.Redirect(rw, r, "/", http.StatusSeeOther)
			return nil
		}
		w.srv.handle("GET /_test/page", done)
		w.srv.handle("POST /_test/action", done)
		c := w.newClient()
		wantRedirect(t, c.login(kate.Email, temp, "/_test/page"), "/_test/page")
		for _, r := range []reply{c.get("/"), c.get("/_test/page"), c.post("/_test/action", nil)} {
			wantRedirect(t, r, "/me")
		}
		me := c.get("/me")
		wantStatus(t, me, http.StatusOK)
		if !strings.Contains(me.Body, `<p class="flash" role="status">`+temporaryPasswordMessage+`</p>`) {
			t.Errorf("the page does not say why:\n%s", me.Body)
		}
		if strings.Contains(me.Body, `<ul class="sections">`) {
			t.Error("a temporary password is shown the menu")
		}
		// The form's own check, and the service's.
		r := c.post("/me/password", url.Values{"current_password": {temp}, "new_password": {"short"}, "new_password_confirm": {"short"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body, "Must be at least 15 characters") {
			t.Errorf("no message beside the new password:\n%s", r.Body)
		}
		// Logout works, and so does logging in again.
		wantRedirect(t, c.post("/logout", nil), "/login")
		wantRedirect(t, c.login(kate.Email, temp, ""), "/")
		wantRedirect(t, c.get("/"), "/me")
		r = c.post("/me/password", url.Values{"current_password": {temp},
			"new_password": {"kate's very own passphrase"}, "new_password_confirm": {"kate's very own passphrase"}})
		wantRedirect(t, r, "/")
		home := c.get("/")
		wantStatus(t, home, http.StatusOK)
		if !strings.Contains(home.Body, passwordChangedMessage) {
			t.Errorf("my work does not say the password changed:\n%s", home.Body)
		}
	})
}

// TestChangePassword: POST /me/password refuses a repeat that differs (the
// form's own check, 422 on new_password_confirm), a wrong current password
// and a weak new one (the service's, 422 beside each), never echoing a
// password; it is throttled as a login; a change ends every session of the
// employee and gives this browser a new one.
func TestChangePassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		c := w.loginAs(crm.RoleSales)
		old, _ := c.session()
		other := w.loginAs(crm.RoleSales)
		const next = "bill's brand new passphrase"
		for _, f := range []struct {
			current, next, confirm string
			field, message         string
		}{
			{testPassword, next, next + "!", "new_password_confirm", "Does not match the new password; type both again."},
			{"not the password, not at all", next, next, "current_password", "Is not your current password."},
			{testPassword, "short", "short", "new_password", "Must be at least 15 characters; a few unrelated words make a good one."},
			{testPassword, testPassword, testPassword, "new_password", "Must differ from the current password."},
		} {
			r := c.post("/me/password", url.Values{"current_password": {f.current}, "new_password": {f.next}, "new_password_confirm": {f.confirm}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			id := "password-" + strings.ReplaceAll(f.field, "_", "-")
			if !strings.Contains(r.Body, `<small id="`+id+`-error" class="error">`+f.message+`</small>`) ||
				!strings.Contains(r.Body, `id="`+id+`" name="`+f.field+`" autocomplete=`) {
				t.Errorf("%s: no message %q beside it:\n%s", f.field, f.message, r.Body)
			}
			for _, pw := range []string{f.current, f.next, f.confirm} {
				if strings.Contains(r.Body, pw) {
					t.Errorf("a password is echoed: %q", pw)
				}
			}
			if len(r.Header.Values("Set-Cookie")) != 0 {
				t.Errorf("a refused change set %v", r.Header.Values("Set-Cookie"))
			}
		}
		r := c.post("/me/password", url.Values{"current_password": {testPassword}, "new_password": {next}, "new_password_confirm": {next}})
		wantRedirect(t, r, "/")
		fresh, _ := c.session()
		if fresh.Value == old.Value || !strings.HasPrefix(sessionHeader(r), sessionCookie+"="+fresh.Value+"; Path=/; HttpOnly; Secure; SameSite=Lax") {
			t.Fatalf("no new session cookie: %q", sessionHeader(r))
		}
		home := c.get("/")
		wantStatus(t, home, http.StatusOK)
		if !strings.Contains(home.Body, `<p class="flash" role="status">`+passwordChangedMessage+`</p>`) {
			t.Errorf("no flash:\n%s", home.Body)
		}
		wantEnded(t, other, sessionEndedMessage)
		stale := w.newClient()
		stale.setSession(old.Value)
		wantEnded(t, stale, sessionEndedMessage)
		wantRedirect(t, w.newClient().login("bill@epic.example", next, ""), "/")

		// Wrong current passwords count as failed logins: 5 from this
		// address (the successes above wiped its slate), then 429 with
		// Retry-After.
		for i := 0; i < 5; i++ {
			r := c.post("/me/password", url.Values{"current_password": {"not the password, not at all"},
				"new_password": {"yet another passphrase"}, "new_password_confirm": {"yet another passphrase"}})
			wantStatus(t, r, http.StatusUnprocessableEntity)
		}
		r = c.post("/me/password", url.Values{"current_password": {next},
			"new_password": {"yet another passphrase"}, "new_password_confirm": {"yet another passphrase"}})
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Too many wrong passwords; try again in") {
			t.Errorf("throttled change: Retry-After %q:\n%s", r.Header.Get("Retry-After"), r.Body)
		}
	})
}

// TestMePage: the own account page shows the viewer's profile and the
// password form, labelled as the UI names its fields.
func TestMePage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		r := w.loginAs(crm.RoleSupport).get("/me")
		wantStatus(t, r, http.StatusOK)
		for _, want := range []string{
			"<title>My account · Epic Events CRM</title>",
			"<dt>Name</dt><dd>Kate Hastroff</dd>",
			"<dt>Email</dt><dd>kate@epic.example</dd>",
			"<dt>Role</dt><dd>Support</dd>",
			`<dt>Account created</dt><dd><time datetime="2021-01-04T08:00:00Z">Mon 4 Jan 2021, 09:00</time></dd>`,
			`<form method="post" action="/me/password">`,
			`<label for="password-current-password">Current password</label>`,
			`<input type="password" id="password-current-password" name="current_password" autocomplete="current-password" required>`,
			`<label for="password-new-password">New password</label>`,
			`<input type="password" id="password-new-password" name="new_password" autocomplete="new-password" required aria-describedby="password-new-password-hint">`,
			`<label for="password-new-password-confirm">Repeat the new password</label>`,
			`<input type="password" id="password-new-password-confirm" name="new_password_confirm" autocomplete="new-password" required>`,
		} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
	})
}

// TestNotFoundShowsViewer: a page that does not exist answers 404 to
// anyone, with the menu of an employee who is logged in.
func TestNotFoundShowsViewer(t *testing.T) {
	w := newWorld(t, "sqlite")
	r := w.newClient().get("/no/such/page")
	wantStatus(t, r, http.StatusNotFound)
	if strings.Contains(r.Body, `<ul class="sections">`) {
		t.Error("a menu without a session")
	}
	r = w.loginAs(crm.RoleManagement).get("/no/such/page")
	wantStatus(t, r, http.StatusNotFound)
	if !strings.Contains(r.Body, `<a href="/employees">Employees</a>`) || !strings.Contains(r.Body, `<a href="/">Go to my work</a>`) {
		t.Errorf("no menu for a manager:\n%s", r.Body)
	}
}

// dumpText returns every value of every column of every table, as text.
func dumpText(t *testing.T, db *sql.DB, engine string) string {
	t.Helper()
	q := `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	if engine == "sqlite" {
		q = `SELECT name FROM sqlite_master WHERE type = 'table'`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(fmt.Sprintf("SELECT * FROM %q", table))
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s:", table)
			for _, v := range vals {
				if raw, ok := v.([]byte); ok {
					v = string(raw)
				}
				fmt.Fprintf(&b, " %v", v)
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}
