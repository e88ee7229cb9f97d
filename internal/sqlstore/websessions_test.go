package sqlstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// testWebSessions: a session of the web UI is a row of sessions found by the
// hash of its cookie, with no refresh token; everything that ends or purges
// sessions applies to it.
func testWebSessions(t *testing.T, f *fixture) {
	ctx := f.ctx
	e := f.employee("Kate", "Hastroff", crm.RoleSupport)
	web, err := f.db.CreateWebSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0,
		ExpiresAt: t0.Add(12 * time.Hour), ClientAddr: ptr("192.0.2.7")}, "cookie-1")
	if err != nil || web.ID == 0 || !web.Web || web.EmployeeID != e.ID || *web.ClientAddr != "192.0.2.7" || !web.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("CreateWebSession = %+v, %v", web, err)
	}
	api, err := f.db.CreateSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0,
		ExpiresAt: t0.Add(12 * time.Hour)}, "refresh-1")
	f.must(err)
	if api.Web {
		t.Fatalf("an API session reads as a web session: %+v", api)
	}

	// The session and its employee in one read, by the cookie's hash: the
	// same values as the two reads.
	gs, ge, err := f.db.GetWebSessionEmployee(ctx, "cookie-1")
	wantS, _ := f.db.GetSession(ctx, web.ID)
	wantE, _ := f.db.GetEmployee(ctx, e.ID)
	if err != nil || !reflect.DeepEqual(gs, wantS) || !reflect.DeepEqual(ge, wantE) || !gs.Web {
		t.Errorf("GetWebSessionEmployee = %+v, %+v, %v; want %+v, %+v", gs, ge, err, wantS, wantE)
	}
	// By id, it says it is a web session (the service refuses it to an
	// access token).
	if s, _, err := f.db.GetSessionEmployee(ctx, web.ID); err != nil || !s.Web {
		t.Errorf("GetSessionEmployee of a web session = %+v, %v", s, err)
	}
	// Nothing else is a cookie's hash: an unknown one, a refresh token's.
	for _, h := range []string{"cookie-2", "refresh-1", ""} {
		_, _, err := f.db.GetWebSessionEmployee(ctx, h)
		wantCode(t, err, crm.CodeNotFound)
	}
	// A web session has no refresh token.
	var n int
	f.must(f.db.SQL().QueryRowContext(ctx, rebind(f.db, "SELECT count(*) FROM refresh_tokens WHERE session_id = ?"), web.ID).Scan(&n))
	if n != 0 {
		t.Errorf("a web session has %d refresh tokens", n)
	}
	// One cookie, one session; an employee that does not exist has none.
	_, err = f.db.CreateWebSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(time.Hour)}, "cookie-1")
	wantCode(t, err, crm.CodeConflict)
	_, err = f.db.CreateWebSession(ctx, crm.Session{EmployeeID: 999, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(time.Hour)}, "cookie-3")
	wantCode(t, err, crm.CodeConflict)

	// Touched, revoked with the employee's other sessions, and purged like
	// any session.
	f.must(f.db.TouchSession(ctx, web.ID, t0.Add(time.Minute)))
	if s, _, _ := f.db.GetWebSessionEmployee(ctx, "cookie-1"); !s.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("touched web session %+v", s)
	}
	at := t0.Add(time.Hour)
	f.must(f.db.RevokeEmployeeSessions(ctx, e.ID, at))
	for _, id := range []int64{web.ID, api.ID} {
		if s, _ := f.db.GetSession(ctx, id); s.RevokedAt == nil || !s.RevokedAt.Equal(at) {
			t.Errorf("session %d after RevokeEmployeeSessions: %+v", id, s)
		}
	}
	live, err := f.db.CreateWebSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: at, LastUsedAt: at, ExpiresAt: at.Add(time.Hour)}, "cookie-live")
	f.must(err)
	idle, err := f.db.CreateWebSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: at, LastUsedAt: at.Add(-31 * time.Minute), ExpiresAt: at.Add(time.Hour)}, "cookie-idle")
	f.must(err)
	p, err := f.db.DeleteExpired(ctx, crm.Expiry{FailuresBefore: at, Now: at, IdleBefore: at.Add(-30 * time.Minute)})
	if err != nil || p.Sessions != 3 {
		t.Fatalf("DeleteExpired = %+v, %v; want 3 sessions (2 revoked, 1 idle)", p, err)
	}
	for _, id := range []int64{web.ID, api.ID, idle.ID} {
		wantCode(t, func() error { _, err := f.db.GetSession(ctx, id); return err }(), crm.CodeNotFound)
	}
	if _, _, err := f.db.GetWebSessionEmployee(ctx, "cookie-live"); err != nil {
		t.Errorf("the live web session: %v", err)
	}
	// Sessions go with their employee.
	f.must(f.db.DeleteEmployee(ctx, e.ID))
	wantCode(t, func() error { _, err := f.db.GetSession(ctx, live.ID); return err }(), crm.CodeNotFound)
}

// TestWebSessionsMigration: migration 00006 down deletes the web sessions
// (without their column nothing could use them) and keeps the API's; up
// again, web sessions can be created.
func TestWebSessionsMigration(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		db := testdb.Open(t, engine)
		e, err := db.CreateEmployee(ctx, crm.Employee{FirstName: "Kate", LastName: "Hastroff", Role: crm.RoleSupport,
			Active: true, Email: "kate@epic.test", CreatedAt: t0, UpdatedAt: t0}, "hash")
		if err != nil {
			t.Fatal(err)
		}
		s := crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		api, err := db.CreateSession(ctx, s, "refresh-1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateWebSession(ctx, s, "cookie-1"); err != nil {
			t.Fatal(err)
		}
		downTo(t, db, "00006_web_sessions.sql")
		var n int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil || n != 1 {
			t.Fatalf("after down: %d sessions (%v), want the API's only", n, err)
		}
		if _, err := db.MigrateUp(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := db.GetSession(ctx, api.ID); err != nil || got.Web {
			t.Fatalf("the API's session after down and up: %+v, %v", got, err)
		}
		if _, err := db.CreateWebSession(ctx, s, "cookie-1"); err != nil {
			t.Fatal(err)
		}
	})
}
