package crm_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

const wrongPW = "not the password, not at all"

func from(addr string) context.Context {
	if addr == "" {
		return context.Background()
	}
	return crm.WithClientAddr(context.Background(), addr)
}

// wantThrottled checks a throttled refusal with the Retry-After in seconds
// (any positive value when retry is 0).
func wantThrottled(t *testing.T, err error, retry int) {
	t.Helper()
	e, _ := crm.AsError(err)
	if crm.ErrorCode(err) != crm.CodeThrottled || e.RetryAfter <= 0 || (retry > 0 && e.RetryAfter != retry) {
		t.Fatalf("got %v (retry after %v), want throttled with Retry-After %d", err, e, retry)
	}
}

// TestLoginThrottle: failures count per account and address, per account
// across addresses and per address across accounts; a stranger guessing
// from elsewhere does not lock an employee out, and distributed guessing
// still stops.
func TestLoginThrottle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 5, AccountThrottleMax: 12, IPThrottleMax: 8}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		fail := func(addr, email string) {
			t.Helper()
			_, err := w.svc.Login(from(addr), email, wrongPW)
			wantCode(t, err, crm.CodeUnauthenticated)
		}
		login := func(addr, email string) {
			t.Helper()
			if _, err := w.svc.Login(from(addr), email, pw); err != nil {
				t.Fatalf("login %s from %q: %v", email, addr, err)
			}
		}
		throttled := func(addr, email string) {
			t.Helper()
			_, err := w.svc.Login(from(addr), email, pw)
			wantThrottled(t, err, 0)
		}
		nextWindow := func() { w.clock.Advance(16 * time.Minute) }

		// 5 failures from 127.0.0.1: the right password is refused from
		// there, with the whole window to wait, and accepted from 127.0.0.2.
		for range 5 {
			fail("127.0.0.1", kate.Email)
		}
		_, err := w.svc.Login(from("127.0.0.1"), kate.Email, pw)
		wantThrottled(t, err, 15*60)
		if e, _ := crm.AsError(err); e.Message != "too many failed logins; try again in 15m0s" {
			t.Errorf("message %q", e.Message)
		}
		throttled("::ffff:127.0.0.1", "KATE@epic.example ") // the same address and account, written otherwise
		login("127.0.0.2", kate.Email)
		nextWindow()

		// IPv6 counts by /64.
		for i := range 5 {
			fail(fmt.Sprintf("2001:db8:1:2::%x", i+1), kate.Email)
		}
		throttled("2001:db8:1:2:ffff:ffff:ffff:ffff", kate.Email)
		login("2001:db8:1:3::1", kate.Email)
		nextWindow()

		// Distributed guessing: 12 failures from 12 addresses reach the
		// account's allowance, for every address.
		for i := range 12 {
			fail(fmt.Sprintf("10.0.0.%d", i+1), kate.Email)
		}
		throttled("10.0.0.200", kate.Email)
		throttled("", kate.Email)
		login("10.0.0.200", "ada@epic.example") // another account is not affected
		nextWindow()

		// One address trying many accounts: 8 failures reach the address's
		// allowance, for every account, known or not.
		for i := range 8 {
			fail("192.0.2.1", fmt.Sprintf("nobody%d@epic.example", i))
		}
		throttled("192.0.2.1", kate.Email)
		throttled("192.0.2.1", "ada@epic.example")
		login("192.0.2.2", kate.Email)
		nextWindow()

		// Unknown emails, and emails no employee can have, are throttled
		// the same way, with the same message. (An email longer than any
		// can be is invalid input before any of this: limits_test.go.)
		for i, email := range []string{"ghost@epic.example", "gh\x01ost@epic.example"} {
			addr := fmt.Sprintf("127.0.1.%d", i)
			for range 5 {
				fail(addr, email)
			}
			_, err := w.svc.Login(from(addr), email, pw)
			wantThrottled(t, err, 15*60)
			if e, _ := crm.AsError(err); e.Message != "too many failed logins; try again in 15m0s" {
				t.Errorf("%q: message %q", email, e.Message)
			}
		}
		nextWindow()

		// Local mode has no address: per account.
		for range 5 {
			fail("", kate.Email)
		}
		throttled("", kate.Email)
		login("", "ada@epic.example")
		// Never a permanent lock.
		nextWindow()
		login("", kate.Email)
	})
}

// TestThrottleRetryAfter: Retry-After is the time until an attempt would be
// allowed again, even when the allowance was lowered since the failures.
func TestThrottleRetryAfter(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		cfg := crm.Config{ThrottleMax: 3}
		w := newSecWorld(t, engine, cfg, nil)
		ctx := from("127.0.0.1")
		for range 3 {
			if _, err := w.svc.Login(ctx, "ada@epic.example", wrongPW); crm.ErrorCode(err) != crm.CodeUnauthenticated {
				t.Fatal(err)
			}
			w.clock.Advance(time.Minute)
		}
		// Failures at 0, 1 and 2 minutes; now is 3 minutes: the first
		// leaves the window at 15.
		_, err := w.svc.Login(ctx, "ada@epic.example", pw)
		wantThrottled(t, err, 12*60)

		// The same database under an allowance of 2: the second failure
		// must leave the window, at 16 minutes.
		jwt, _ := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, w.clock.Now)
		strict := crm.NewService(crm.Deps{Store: w.db, Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
			Tokens: jwt, Refresh: auth.RefreshTokens{}, IsCommonPassword: auth.IsCommonPassword, Now: w.clock.Now,
			Config: crm.Config{ThrottleMax: 2}})
		_, err = strict.Login(ctx, "ada@epic.example", pw)
		wantThrottled(t, err, 13*60)
		w.clock.Advance(13 * time.Minute)
		if _, err := strict.Login(ctx, "ada@epic.example", pw); err != nil {
			t.Fatalf("once Retry-After has passed: %v", err)
		}
	})
}

// TestChangePasswordThrottled: checks of the current password count against
// the login allowances, on the same counters, and each failure is audited.
func TestChangePasswordThrottled(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 3}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		const next = "a brand new passphrase for kate"
		kctx := func(addr string) context.Context {
			t.Helper()
			tok := must[crm.Tokens](t)(w.svc.Login(from(addr), kate.Email, pw))
			return crm.WithAccessToken(from(addr), tok.AccessToken)
		}
		k := kctx("198.51.100.7")

		// A new password that is refused costs no attempt and checks
		// nothing.
		for range 5 {
			_, err := w.svc.ChangePassword(k, wrongPW, "short")
			if e, _ := crm.AsError(err); crm.ErrorCode(err) != crm.CodeInvalid || e.Fields[0].Field != "new_password" {
				t.Fatalf("weak new password: %v", err)
			}
		}
		for range 3 {
			_, err := w.svc.ChangePassword(k, wrongPW, next)
			if e, _ := crm.AsError(err); crm.ErrorCode(err) != crm.CodeInvalid || e.Fields[0].Field != "current_password" {
				t.Fatalf("wrong current password: %v", err)
			}
		}
		_, err := w.svc.ChangePassword(k, pw, next)
		wantThrottled(t, err, 15*60)
		if e, _ := crm.AsError(err); e.Message != "too many wrong passwords; try again in 15m0s" {
			t.Errorf("message %q", e.Message)
		}
		// The same counters as logins, for that account and address.
		_, err = w.svc.Login(from("198.51.100.7"), kate.Email, pw)
		wantThrottled(t, err, 15*60)
		k2 := kctx("198.51.100.8")
		if _, err := w.svc.Me(k); err != nil {
			t.Fatalf("the session lives on: %v", err)
		}

		// Each failure is audited, naming the employee.
		var failed []crm.AuditEntry
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{Entity: "employee", EntityID: &kate.ID}, func(e crm.AuditEntry) error {
			if e.Action == "auth.password_check_failed" {
				failed = append(failed, e)
			}
			return nil
		}))
		if len(failed) != 3 || *failed[0].ActorID != kate.ID || *failed[0].ClientAddr != "198.51.100.7" {
			t.Fatalf("password_check_failed entries: %+v", failed)
		}

		// From another address the check is allowed, and a success forgets
		// its attempt.
		must[crm.Tokens](t)(w.svc.ChangePassword(k2, pw, next))
		w.clock.Advance(16 * time.Minute)
		if _, err := w.svc.Login(from("198.51.100.7"), kate.Email, next); err != nil {
			t.Fatalf("login after the window: %v", err)
		}
	})
}

// TestNothingTypedIsKept: a password typed into the email field of a login
// (or of a password change) is found in no column of any table afterwards,
// and the throttle still counts what was typed.
func TestNothingTypedIsKept(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 2}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		const typed = "Correct Horse Battery Staple 1987"
		for range 2 {
			_, err := w.svc.Login(from("203.0.113.9"), typed, typed)
			wantCode(t, err, crm.CodeUnauthenticated)
		}
		_, err := w.svc.Login(from("203.0.113.9"), typed, pw)
		wantThrottled(t, err, 0)
		_, err = w.svc.Login(context.Background(), "  "+typed+"  ", typed)
		wantCode(t, err, crm.CodeUnauthenticated)
		tok := must[crm.Tokens](t)(w.svc.Login(context.Background(), kate.Email, pw))
		_, err = w.svc.ChangePassword(crm.WithAccessToken(context.Background(), tok.AccessToken), typed, "a brand new passphrase for kate")
		wantCode(t, err, crm.CodeInvalid)

		dump := dumpText(t, w.db.SQL(), engine)
		if !strings.Contains(dump, "kate@epic.example") {
			t.Fatal("the dump misses the employees' emails: it does not read every table")
		}
		for _, s := range []string{typed, strings.ToLower(typed), "horse battery"} {
			if strings.Contains(strings.ToLower(dump), strings.ToLower(s)) {
				t.Errorf("%q is stored in the database:\n%s", s, dump)
			}
		}
	})
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
	if len(tables) < 10 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
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
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// TestPurge: what Purge deletes follows the configuration: failures older
// than the longest throttle window, sessions revoked, idle or past their
// absolute expiry; in local mode every login purges.
func TestPurge(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		cfg := crm.Config{AccountThrottleWindow: time.Hour, SessionIdle: 20 * time.Minute, SessionTTL: 2 * time.Hour}
		w := newSecWorld(t, engine, cfg, nil)
		ctx := context.Background()
		count := func(table string) int {
			t.Helper()
			var n int
			if err := w.db.SQL().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if _, err := w.svc.Login(ctx, "nobody@epic.example", wrongPW); crm.ErrorCode(err) != crm.CodeUnauthenticated {
			t.Fatal(err)
		}
		out := must[crm.Tokens](t)(w.svc.Login(ctx, "ada@epic.example", pw))
		if err := w.svc.Logout(crm.WithAccessToken(ctx, out.AccessToken)); err != nil {
			t.Fatal(err)
		}
		// 2 sessions (the manager's, the one logged out), 2 failures (pair and account).
		if s, f := count("sessions"), count("login_failures"); s != 2 || f != 2 {
			t.Fatalf("%d sessions, %d failures before the purge", s, f)
		}
		p := must[crm.Purged](t)(w.svc.Purge(ctx))
		if p != (crm.Purged{Sessions: 1}) {
			t.Fatalf("Purge = %+v, want the revoked session only", p)
		}
		// 19 minutes idle: kept; the failures are 19 minutes old, inside
		// the longest window (an hour).
		w.clock.Advance(19 * time.Minute)
		if p := must[crm.Purged](t)(w.svc.Purge(ctx)); p != (crm.Purged{}) {
			t.Fatalf("Purge after 19 minutes = %+v, want nothing", p)
		}
		w.clock.Advance(2 * time.Minute)
		if p := must[crm.Purged](t)(w.svc.Purge(ctx)); p != (crm.Purged{Sessions: 1}) {
			t.Fatalf("Purge after 21 idle minutes = %+v, want the idle session", p)
		}
		w.clock.Advance(40 * time.Minute)
		if p := must[crm.Purged](t)(w.svc.Purge(ctx)); p != (crm.Purged{LoginFailures: 2}) {
			t.Fatalf("Purge after an hour = %+v, want the failures", p)
		}
		if s, f, r := count("sessions"), count("login_failures"), count("refresh_tokens"); s+f+r != 0 {
			t.Fatalf("left: %d sessions, %d failures, %d refresh tokens", s, f, r)
		}

		// Absolute expiry, however busy the session.
		tok := must[crm.Tokens](t)(w.svc.Login(ctx, "ada@epic.example", pw))
		for range 7 {
			w.clock.Advance(15 * time.Minute)
			tok = must[crm.Tokens](t)(w.svc.Refresh(ctx, tok.RefreshToken))
		}
		w.clock.Advance(15 * time.Minute)
		if p := must[crm.Purged](t)(w.svc.Purge(ctx)); p != (crm.Purged{Sessions: 1}) || count("refresh_tokens") != 0 {
			t.Fatalf("Purge after 2 hours = %+v, %d refresh tokens left; want the expired session with its tokens", p, count("refresh_tokens"))
		}

		// Local mode: each login purges first.
		local := crm.NewService(crm.Deps{Store: w.db, Hasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
			Tokens: mustJWT(t, w.clock), Refresh: auth.RefreshTokens{}, IsCommonPassword: auth.IsCommonPassword, Now: w.clock.Now,
			Config: crm.Config{PurgeAtLogin: true}})
		gone := must[crm.Tokens](t)(w.svc.Login(ctx, "ada@epic.example", pw))
		must[crm.Tokens](t)(w.svc.Login(ctx, "ada@epic.example", pw)) // no purge: both stay
		if err := w.svc.Logout(crm.WithAccessToken(ctx, gone.AccessToken)); err != nil {
			t.Fatal(err)
		}
		if n := count("sessions"); n != 2 {
			t.Fatalf("%d sessions, want 2", n)
		}
		must[crm.Tokens](t)(local.Login(ctx, "ada@epic.example", pw))
		var revoked int
		if err := w.db.SQL().QueryRow("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL").Scan(&revoked); err != nil || revoked != 0 {
			t.Fatalf("%d revoked sessions after a local login (%v), want 0", revoked, err)
		}
		if n := count("sessions"); n != 2 {
			t.Fatalf("%d sessions after a local login, want 2 (the live one and the new one)", n)
		}
	})
}

func mustJWT(t *testing.T, c *clock) *auth.JWT {
	t.Helper()
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}
