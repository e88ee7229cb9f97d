package crm_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// webActor authenticates a web session's id, as the web UI does on every
// request, and returns a context acting as its employee.
func (w *secWorld) webActor(token string) (context.Context, error) {
	a, err := w.svc.AuthenticateWeb(context.Background(), token)
	if err != nil {
		return nil, err
	}
	return crm.WithActor(context.Background(), a), nil
}

// countSQL runs a count query with args, written with ? placeholders.
func (w *secWorld) countSQL(q string, args ...any) int {
	w.t.Helper()
	if w.db.Dialect() == "postgres" {
		for i := 1; strings.Contains(q, "?"); i++ {
			q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
		}
	}
	var n int
	if err := w.db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestWebSessions: a web session is an opaque random id of 256 bits, stored
// only as its hash, new at each login, with the API's idle and absolute
// limits, ended by logout, and deleted by the purge once unusable.
func TestWebSessions(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		ctx := crm.WithClientAddr(context.Background(), "192.0.2.7")
		start := w.clock.Now()

		ws := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, " KATE@epic.example", pw))
		raw, err := base64.RawURLEncoding.DecodeString(ws.Token)
		if err != nil || len(raw) < 16 {
			t.Fatalf("session id %q: %d bytes (%v), want at least 16 random bytes", ws.Token, len(raw), err)
		}
		if !ws.ExpiresAt.Equal(start.Add(12 * time.Hour)) {
			t.Errorf("expires at %v, want 12 hours after the login", ws.ExpiresAt)
		}
		a := must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), ws.Token))
		if a.ID != kate.ID || a.Role != crm.RoleSupport || a.SessionID == 0 {
			t.Fatalf("actor %+v", a)
		}
		// Stored as its hash only, with the client's address; no refresh token.
		if n := w.countSQL("SELECT count(*) FROM sessions WHERE cookie_hash = ?", ws.Token); n != 0 {
			t.Fatal("the session id is stored as is")
		}
		if n := w.countSQL("SELECT count(*) FROM sessions WHERE cookie_hash = ? AND client_addr = ?",
			auth.HashToken(ws.Token), "192.0.2.7"); n != 1 {
			t.Fatalf("%d sessions with the hash of the id and the address, want 1", n)
		}
		if n := w.countSQL("SELECT count(*) FROM refresh_tokens WHERE session_id = ?", a.SessionID); n != 0 {
			t.Fatalf("a web session has %d refresh tokens", n)
		}
		// A new id at each login; both sessions live.
		again := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		if again.Token == ws.Token {
			t.Fatal("two logins gave the same session id")
		}
		b := must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), again.Token))
		if b.SessionID == a.SessionID {
			t.Fatal("two logins share a session")
		}
		// Audited as every login.
		n := w.countSQL("SELECT count(*) FROM audit_entries WHERE action = 'auth.login' AND actor_id = ?", kate.ID)
		if n != 2 {
			t.Errorf("%d auth.login entries, want 2", n)
		}

		// Idle: 29 minutes apart, it lives on; 31 minutes unused, it ends.
		w.clock.Advance(29 * time.Minute)
		must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), ws.Token))
		w.clock.Advance(31 * time.Minute)
		_, err = w.svc.AuthenticateWeb(context.Background(), ws.Token)
		wantReason(t, err, "expired")
		_, err = w.svc.AuthenticateWeb(context.Background(), again.Token)
		wantReason(t, err, "expired")

		// Absolute: used every 20 minutes, it ends 12 hours after the login.
		busy := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		opened := w.clock.Now()
		for w.clock.Now().Before(opened.Add(12*time.Hour - 20*time.Minute)) {
			w.clock.Advance(20 * time.Minute)
			if _, err := w.svc.AuthenticateWeb(context.Background(), busy.Token); err != nil {
				t.Fatalf("after %v of steady use: %v", w.clock.Now().Sub(opened), err)
			}
		}
		w.clock.Advance(20 * time.Minute)
		_, err = w.svc.AuthenticateWeb(context.Background(), busy.Token)
		wantReason(t, err, "expired")

		// Logout ends it at once.
		ws = must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		kctx := must[context.Context](t)(w.webActor(ws.Token))
		if err := w.svc.Logout(kctx); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.AuthenticateWeb(context.Background(), ws.Token)
		wantCode(t, err, crm.CodeUnauthenticated)

		// The purge deletes every session that can no longer be used.
		live := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		must[crm.Purged](t)(w.svc.Purge(context.Background()))
		if n := w.countSQL("SELECT count(*) FROM sessions WHERE employee_id = ?", kate.ID); n != 1 {
			t.Fatalf("%d sessions of Kate after the purge, want 1 (the live one)", n)
		}
		must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), live.Token))

		// Nothing but a session id of the service is one: empty, unknown,
		// over-long, or the hash itself.
		for _, tok := range []string{"", "x", auth.HashToken(live.Token), live.Token + live.Token + live.Token + live.Token} {
			_, err := w.svc.AuthenticateWeb(context.Background(), tok)
			wantCode(t, err, crm.CodeUnauthenticated)
		}
	})
}

func wantReason(t *testing.T, err error, reason string) {
	t.Helper()
	e, ok := crm.AsError(err)
	if !ok || e.Code != crm.CodeUnauthenticated || e.Reason != reason {
		t.Fatalf("got %v, want unauthenticated (%s)", err, reason)
	}
}

// TestWebAndAPISessionsNeverCross: a session id is not an access token or a
// refresh token, a token is not a session id, and an access token that names
// a web session (signed with the server's own key) is refused.
func TestWebAndAPISessionsNeverCross(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		ctx := context.Background()
		ws := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		tok := must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, pw))
		web := must[crm.Actor](t)(w.svc.AuthenticateWeb(ctx, ws.Token))

		_, err := w.svc.Authenticate(ctx, ws.Token)
		wantCode(t, err, crm.CodeUnauthenticated)
		_, err = w.svc.Refresh(ctx, ws.Token)
		wantCode(t, err, crm.CodeUnauthenticated)
		for _, s := range []string{tok.AccessToken, tok.RefreshToken} {
			_, err = w.svc.AuthenticateWeb(ctx, s)
			wantCode(t, err, crm.CodeUnauthenticated)
		}
		forged, _, err := mustJWT(t, w.clock).Issue(crm.AccessClaims{EmployeeID: kate.ID, SessionID: web.SessionID, IssuedAt: w.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Authenticate(ctx, forged)
		wantCode(t, err, crm.CodeUnauthenticated)
		// Both still work for what they are.
		must[crm.Actor](t)(w.svc.AuthenticateWeb(ctx, ws.Token))
		must[crm.Actor](t)(w.svc.Authenticate(ctx, tok.AccessToken))
	})
}

// TestWebSessionsEndWithCredentials: what ends an employee's sessions ends
// their web sessions too, at once, and the other way round: a password
// changed in the web UI ends the API's sessions, and opens a new web
// session for the caller.
func TestWebSessionsEndWithCredentials(t *testing.T) {
	const next = "a brand new passphrase for kate"
	for _, c := range []struct {
		name   string
		change func(w *secWorld, kate crm.Employee, web, api context.Context) error
	}{
		{"password change in the web UI", func(w *secWorld, _ crm.Employee, web, _ context.Context) error {
			_, err := w.svc.ChangePasswordWeb(web, pw, next)
			return err
		}},
		{"password change through the API", func(w *secWorld, _ crm.Employee, _, api context.Context) error {
			_, err := w.svc.ChangePassword(api, pw, next)
			return err
		}},
		{"password reset", func(w *secWorld, kate crm.Employee, _, _ context.Context) error {
			return w.svc.SetPassword(w.mgr, kate.ID, next)
		}},
		{"role change", func(w *secWorld, kate crm.Employee, _, _ context.Context) error {
			role := crm.RoleSales
			_, err := w.svc.UpdateEmployee(w.mgr, kate.ID, crm.EmployeePatch{Role: &role})
			return err
		}},
		{"deactivation", func(w *secWorld, kate crm.Employee, _, _ context.Context) error {
			_, err := w.svc.Deactivate(w.mgr, kate.ID, nil)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			testdb.ForEach(t, func(t *testing.T, engine string) {
				w := newSecWorld(t, engine, crm.Config{}, nil)
				kate := w.employee("kate@epic.example", crm.RoleSupport)
				ctx := context.Background()
				ws := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
				other := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
				tok := must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, pw))
				web := must[context.Context](t)(w.webActor(ws.Token))
				if err := c.change(w, kate, web, crm.WithAccessToken(ctx, tok.AccessToken)); err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{ws.Token, other.Token} {
					_, err := w.svc.AuthenticateWeb(ctx, s)
					wantCode(t, err, crm.CodeUnauthenticated)
				}
				_, err := w.svc.Authenticate(ctx, tok.AccessToken)
				wantCode(t, err, crm.CodeUnauthenticated)
				_, err = w.svc.Refresh(ctx, tok.RefreshToken)
				wantCode(t, err, crm.CodeUnauthenticated)
			})
		})
	}
}

// TestChangePasswordWeb: the web UI's password change is the API's (checks,
// throttling, audit), and hands out a new web session.
func TestChangePasswordWeb(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 3}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		ctx := crm.WithClientAddr(context.Background(), "192.0.2.7")
		ws := must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, pw))
		web := must[context.Context](t)(w.webActor(ws.Token))
		web = crm.WithClientAddr(web, "192.0.2.7")

		for _, c := range []struct{ current, next, field string }{
			{pw, "short", "new_password"},
			{pw, pw, "new_password"},
			{pw, "kate@epic.example", "new_password"},
			{wrongPW, "another passphrase, long enough", "current_password"},
			{wrongPW, "another passphrase, long enough", "current_password"},
		} {
			_, err := w.svc.ChangePasswordWeb(web, c.current, c.next)
			e, ok := crm.AsError(err)
			if !ok || e.Code != crm.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
				t.Fatalf("ChangePasswordWeb(%q, %q) = %v, want invalid %s", c.current, c.next, err, c.field)
			}
		}
		if n := w.countSQL("SELECT count(*) FROM audit_entries WHERE action = 'auth.password_check_failed' AND actor_id = ?", kate.ID); n != 2 {
			t.Fatalf("%d auth.password_check_failed entries, want 2", n)
		}
		// A third wrong current password fills the allowance (3) of this
		// account and address, logins included.
		_, err := w.svc.ChangePasswordWeb(web, wrongPW, "another passphrase, long enough")
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.ChangePasswordWeb(web, pw, "another passphrase, long enough")
		wantThrottled(t, err, 0)
		_, err = w.svc.LoginWeb(ctx, kate.Email, pw)
		wantThrottled(t, err, 0)
		w.clock.Advance(16 * time.Minute)

		web = must[context.Context](t)(w.webActor(ws.Token))
		fresh := must[crm.WebSession](t)(w.svc.ChangePasswordWeb(web, pw, "another passphrase, long enough"))
		if fresh.Token == ws.Token || fresh.Token == "" {
			t.Fatal("no new session id")
		}
		_, err = w.svc.AuthenticateWeb(ctx, ws.Token)
		wantCode(t, err, crm.CodeUnauthenticated)
		a := must[crm.Actor](t)(w.svc.AuthenticateWeb(ctx, fresh.Token))
		if a.ID != kate.ID || w.liveSessions(kate.ID) != 1 {
			t.Fatalf("after the change: actor %d, %d live sessions", a.ID, w.liveSessions(kate.ID))
		}
		if n := w.countSQL("SELECT count(*) FROM audit_entries WHERE action = 'employee.password_change' AND actor_id = ?", kate.ID); n != 1 {
			t.Fatalf("%d employee.password_change entries, want 1", n)
		}
		must[crm.WebSession](t)(w.svc.LoginWeb(ctx, kate.Email, "another passphrase, long enough"))
	})
}

// TestWebLoginSharesLogin: the web login is the API's login: the same
// message for a wrong password, an unknown email and a deactivated account,
// the same throttle counters, the same audit, the same input limits.
func TestWebLoginSharesLogin(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 3}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		gone := w.employee("gone@epic.example", crm.RoleSupport)
		must[crm.Employee](t)(w.svc.Deactivate(w.mgr, gone.ID, nil))
		ctx := from("192.0.2.7")

		_, apiErr := w.svc.Login(ctx, "nobody@epic.example", wrongPW)
		for _, c := range [][2]string{{kate.Email, wrongPW}, {"nobody@epic.example", wrongPW}, {gone.Email, pw}} {
			_, err := w.svc.LoginWeb(ctx, c[0], c[1])
			wantCode(t, err, crm.CodeUnauthenticated)
			if err.Error() != apiErr.Error() {
				t.Fatalf("web login of %s: %q, the API says %q", c[0], err, apiErr)
			}
		}
		if n := w.countSQL("SELECT count(*) FROM audit_entries WHERE action = 'auth.login_failed' AND actor_id = ?", kate.ID); n != 1 {
			t.Fatalf("%d auth.login_failed entries for Kate, want 1", n)
		}
		// One failure of each kind, then the right password: refused by both.
		_, err := w.svc.Login(ctx, kate.Email, wrongPW)
		wantCode(t, err, crm.CodeUnauthenticated)
		_, err = w.svc.LoginWeb(ctx, kate.Email, wrongPW)
		wantCode(t, err, crm.CodeUnauthenticated)
		_, webErr := w.svc.LoginWeb(ctx, kate.Email, pw)
		wantThrottled(t, webErr, 0)
		_, apiErr = w.svc.Login(ctx, kate.Email, pw)
		wantThrottled(t, apiErr, 0)
		if webErr.Error() != apiErr.Error() {
			t.Fatalf("throttled: the web says %q, the API %q", webErr, apiErr)
		}
		// From another address, the right password works.
		must[crm.WebSession](t)(w.svc.LoginWeb(from("192.0.2.8"), kate.Email, pw))

		_, err = w.svc.LoginWeb(ctx, string(make([]byte, crm.MaxEmailLen+1)), pw)
		if e, _ := crm.AsError(err); e == nil || e.Code != crm.CodeInvalid || e.Fields[0].Field != "email" {
			t.Fatalf("an over-long email: %v", err)
		}
	})
}

// TestWebTemporaryPassword: a session opened with a temporary password is
// authenticated, but the service refuses it everything but changing the
// password and logging out.
func TestWebTemporaryPassword(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		const temp = "temporary but long enough"
		if err := w.svc.SetPassword(w.mgr, kate.ID, temp); err != nil {
			t.Fatal(err)
		}
		ws := must[crm.WebSession](t)(w.svc.LoginWeb(context.Background(), kate.Email, temp))
		a := must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), ws.Token))
		if !a.MustChangePassword {
			t.Fatal("the session does not say the password is temporary")
		}
		web := crm.WithActor(context.Background(), a)
		_, err := w.svc.ListEvents(web, crm.EventFilter{}, func(crm.Event) error { return nil })
		wantReason(t, err, "password_change")
		fresh := must[crm.WebSession](t)(w.svc.ChangePasswordWeb(web, temp, "a passphrase of her own"))
		a = must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), fresh.Token))
		if a.MustChangePassword {
			t.Fatal("still temporary after the change")
		}
		must[string](t)(w.svc.ListEvents(crm.WithActor(context.Background(), a), crm.EventFilter{}, func(crm.Event) error { return nil }))
	})
}

// TestCreateEmployeeTemporary: an employee created with a temporary password
// must choose their own after logging in with it; one created with a
// password of their own need not.
func TestCreateEmployeeTemporary(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{}, nil)
		for _, c := range []struct {
			email     string
			temporary bool
		}{{"temp@epic.example", true}, {"own@epic.example", false}} {
			const pw = "a password long enough to pass"
			e := must[crm.Employee](t)(w.svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: "New", LastName: "Hire",
				Email: c.email, Role: crm.RoleSales, Password: pw, Temporary: c.temporary}))
			ws := must[crm.WebSession](t)(w.svc.LoginWeb(context.Background(), e.Email, pw))
			a := must[crm.Actor](t)(w.svc.AuthenticateWeb(context.Background(), ws.Token))
			if a.MustChangePassword != c.temporary {
				t.Errorf("%s: must change the password: %v, want %v", c.email, a.MustChangePassword, c.temporary)
			}
			_, err := w.svc.ListClients(crm.WithActor(context.Background(), a), crm.ClientFilter{}, func(crm.Client) error { return nil })
			if c.temporary {
				wantReason(t, err, "password_change")
			} else if err != nil {
				t.Errorf("%s: %v", c.email, err)
			}
		}
	})
}
