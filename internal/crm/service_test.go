package crm_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

const pw = "violet tractor under the bridge"

// clock is a settable time source, so that tests expire tokens and sessions
// without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// world is a CRM with one employee of each kind logged in.
type world struct {
	t     *testing.T
	svc   *crm.Service
	store crm.Store
	clock *clock
	// contexts carrying each employee's access token
	mgr, mgr2, sales, sales2, support, support2 context.Context
	ids                                         map[string]int64
}

func newWorld(t *testing.T, engine string) *world {
	t.Helper()
	store := testdb.Open(t, engine)
	clk := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{
		Store:            store,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Now:              clk.Now,
		Config:           crm.Config{ThrottleMax: 3, ThrottleWindow: 15 * time.Minute, Location: paris},
	})
	w := &world{t: t, svc: svc, store: store, clock: clk, ids: map[string]int64{}}
	ctx := context.Background()
	boss, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace", Email: "ada@epic.example", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	w.ids["mgr"] = boss.ID
	w.mgr = w.login("ada@epic.example")
	for _, e := range []struct {
		key, first, last string
		role             crm.Role
	}{
		{"mgr2", "Grace", "Hopper", crm.RoleManagement},
		{"sales", "Bill", "Boquet", crm.RoleSales},
		{"sales2", "Sam", "Seller", crm.RoleSales},
		{"support", "Kate", "Hastroff", crm.RoleSupport},
		{"support2", "Alienor", "Vichum", crm.RoleSupport},
	} {
		emp, err := svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: e.first, LastName: e.last,
			Email: e.key + "@epic.example", Role: e.role, Password: pw})
		if err != nil {
			t.Fatalf("create %s: %v", e.key, err)
		}
		w.ids[e.key] = emp.ID
	}
	w.mgr2, w.sales, w.sales2 = w.login("mgr2@epic.example"), w.login("sales@epic.example"), w.login("sales2@epic.example")
	w.support, w.support2 = w.login("support@epic.example"), w.login("support2@epic.example")
	return w
}

func (w *world) login(email string) context.Context {
	w.t.Helper()
	tok, err := w.svc.Login(context.Background(), email, pw)
	if err != nil {
		w.t.Fatalf("login %s: %v", email, err)
	}
	return crm.WithAccessToken(context.Background(), tok.AccessToken)
}

func wantCode(t *testing.T, err error, want crm.Code) {
	t.Helper()
	if got := crm.ErrorCode(err); got != want {
		t.Fatalf("got %v (%q), want %q", err, got, want)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func str(s string) *string { return &s }

// deal makes a client of sales with a contract, signed or not, and an event
// on it when signed.
func (w *world) deal(signed bool) (crm.Client, crm.Contract) {
	w.t.Helper()
	c := must[crm.Client](w.t)(w.svc.CreateClient(w.sales, crm.NewClient{FirstName: "Kevin", LastName: "Casey",
		Email: strings.ToLower(w.t.Name())[:5] + time.Now().Format("150405.000000000") + "@startup.io", Phone: str("+678 123 456 78")}))
	k := must[crm.Contract](w.t)(w.svc.CreateContract(w.mgr, crm.NewContract{ClientID: c.ID, TotalAmount: 500000, Signed: signed}))
	return c, k
}

func (w *world) event(contractID int64) crm.Event {
	w.t.Helper()
	start := w.clock.Now().Add(24 * time.Hour)
	return must[crm.Event](w.t)(w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: contractID, Name: "John Ouick Wedding",
		Start: start, End: start.Add(13 * time.Hour), Location: "Candé-sur-Beuvron", Attendees: 75}))
}

func TestSessions(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		ctx := context.Background()

		tok := must[crm.Tokens](t)(w.svc.Login(ctx, "SALES@epic.example ", pw))
		sctx := crm.WithAccessToken(ctx, tok.AccessToken)
		if me := must[crm.Employee](t)(w.svc.Me(sctx)); me.ID != w.ids["sales"] {
			t.Fatalf("Me = %d", me.ID)
		}

		// The access token expires; the refresh token gives a new pair once.
		w.clock.Advance(16 * time.Minute)
		_, err := w.svc.Me(sctx)
		wantCode(t, err, crm.CodeUnauthenticated)
		next := must[crm.Tokens](t)(w.svc.Refresh(ctx, tok.RefreshToken))
		if next.RefreshToken == tok.RefreshToken {
			t.Fatal("refresh token not rotated")
		}
		must[crm.Employee](t)(w.svc.Me(crm.WithAccessToken(ctx, next.AccessToken)))

		// Reusing the old refresh token ends the whole session.
		_, err = w.svc.Refresh(ctx, tok.RefreshToken)
		wantCode(t, err, crm.CodeUnauthenticated)
		_, err = w.svc.Me(crm.WithAccessToken(ctx, next.AccessToken))
		wantCode(t, err, crm.CodeUnauthenticated)
		_, err = w.svc.Refresh(ctx, next.RefreshToken)
		wantCode(t, err, crm.CodeUnauthenticated)

		// Idle and absolute expiry.
		tok = must[crm.Tokens](t)(w.svc.Login(ctx, "sales@epic.example", pw))
		w.clock.Advance(31 * time.Minute)
		_, err = w.svc.Refresh(ctx, tok.RefreshToken)
		wantCode(t, err, crm.CodeUnauthenticated)
		tok = must[crm.Tokens](t)(w.svc.Login(ctx, "sales@epic.example", pw))
		for i := 0; i < 25; i++ { // 12 h 30 min of steady use
			w.clock.Advance(30 * time.Minute)
			tok, err = w.svc.Refresh(ctx, tok.RefreshToken)
			if err != nil {
				if i < 23 {
					t.Fatalf("refresh %d: %v", i, err)
				}
				break
			}
		}
		wantCode(t, err, crm.CodeUnauthenticated)

		// Logout ends the session at once.
		tok = must[crm.Tokens](t)(w.svc.Login(ctx, "sales@epic.example", pw))
		sctx = crm.WithAccessToken(ctx, tok.AccessToken)
		if err := w.svc.Logout(sctx); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.Me(sctx)
		wantCode(t, err, crm.CodeUnauthenticated)
	})
}

func TestRefreshRace(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		tok := must[crm.Tokens](t)(w.svc.Login(context.Background(), "sales@epic.example", pw))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Refresh(context.Background(), tok.RefreshToken); err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if crm.ErrorCode(err) != crm.CodeUnauthenticated {
					t.Errorf("refresh: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d refreshes won, want exactly 1", wins)
		}
	})
}

func TestLoginFailuresAndThrottle(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		ctx := context.Background()
		_, errUnknown := w.svc.Login(ctx, "nobody@epic.example", pw)
		_, errWrong := w.svc.Login(ctx, "sales@epic.example", "wrong password but long")
		must[crm.Employee](t)(w.svc.Deactivate(w.mgr, w.ids["sales2"], nil))
		_, errInactive := w.svc.Login(ctx, "sales2@epic.example", pw)
		for _, err := range []error{errUnknown, errWrong, errInactive} {
			wantCode(t, err, crm.CodeUnauthenticated)
			if err.Error() != errWrong.Error() {
				t.Fatalf("messages differ: %q vs %q", err, errWrong)
			}
		}
		// Deactivation also ended sales2's session.
		_, err := w.svc.Me(w.sales2)
		wantCode(t, err, crm.CodeUnauthenticated)

		// ThrottleMax is 3 here: the third failure closes the window's allowance.
		for _, email := range []string{"sales@epic.example", "nobody@epic.example"} {
			for i := 0; i < 2; i++ {
				_, _ = w.svc.Login(ctx, email, "wrong password but long")
			}
			_, err := w.svc.Login(ctx, email, pw)
			e, _ := crm.AsError(err)
			if crm.ErrorCode(err) != crm.CodeThrottled || e.RetryAfter <= 0 {
				t.Fatalf("%s: got %v, want throttled with Retry-After", email, err)
			}
		}
		w.clock.Advance(16 * time.Minute)
		must[crm.Tokens](t)(w.svc.Login(ctx, "sales@epic.example", pw))
		w.mgr = w.login("ada@epic.example")

		// Failed logins are audited, with the account only when it exists.
		var failed []crm.AuditEntry
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{}, func(e crm.AuditEntry) error {
			if e.Action == "auth.login_failed" {
				failed = append(failed, e)
			}
			return nil
		}))
		named := 0
		for _, e := range failed {
			if e.ActorEmail != nil {
				named++
				if *e.ActorEmail == "nobody@epic.example" {
					t.Fatal("an unknown email was recorded")
				}
			}
		}
		if len(failed) < 6 || named == 0 || named == len(failed) {
			t.Fatalf("login_failed entries: %d, naming an account: %d", len(failed), named)
		}
	})
}

func TestTemporaryPassword(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		ctx := context.Background()
		temp := "temporary but long enough"
		if err := w.svc.SetPassword(w.mgr, w.ids["support"], temp); err != nil {
			t.Fatal(err)
		}
		_, err := w.svc.Me(w.support) // the old session ended
		wantCode(t, err, crm.CodeUnauthenticated)
		tok := must[crm.Tokens](t)(w.svc.Login(ctx, "support@epic.example", temp))
		sctx := crm.WithAccessToken(ctx, tok.AccessToken)
		_, err = w.svc.ListEvents(sctx, crm.EventFilter{}, func(crm.Event) error { return nil })
		if e, _ := crm.AsError(err); e == nil || e.Reason != "password_change" {
			t.Fatalf("got %v, want a password change demand", err)
		}
		_, err = w.svc.ChangePassword(sctx, "not the temporary one", "a brand new passphrase")
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.ChangePassword(sctx, temp, "short")
		wantCode(t, err, crm.CodeInvalid)
		fresh := must[crm.Tokens](t)(w.svc.ChangePassword(sctx, temp, "a brand new passphrase"))
		must[crm.Employee](t)(w.svc.Me(crm.WithAccessToken(ctx, fresh.AccessToken)))
		_, err = w.svc.Me(sctx) // the temporary session ended with the change
		wantCode(t, err, crm.CodeUnauthenticated)
	})
}

func TestEmployeeRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		mgr := w.ids["mgr"]
		role := func(r crm.Role) *crm.Role { return &r }

		_, err := w.svc.UpdateEmployee(w.mgr, mgr, crm.EmployeePatch{Role: role(crm.RoleSales)})
		wantCode(t, err, crm.CodeForbidden)
		_, err = w.svc.Deactivate(w.mgr, mgr, nil)
		wantCode(t, err, crm.CodeForbidden)
		wantCode(t, w.svc.DeleteEmployee(w.mgr, mgr), crm.CodeForbidden)
		wantCode(t, w.svc.SetPassword(w.mgr, mgr, "another long passphrase"), crm.CodeForbidden)
		_, err = w.svc.UpdateEmployee(w.mgr, mgr, crm.EmployeePatch{})
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: "X", LastName: "Y", Email: "SALES@epic.example", Role: crm.RoleSales, Password: pw})
		wantCode(t, err, crm.CodeConflict)
		_, err = w.svc.CreateEmployee(w.sales, crm.NewEmployee{FirstName: "X", LastName: "Y", Email: "x@epic.example", Role: crm.RoleSales, Password: pw})
		wantCode(t, err, crm.CodeForbidden)

		// Deactivation ends the sessions; reactivating an active employee or
		// deactivating an inactive one is a conflict.
		must[crm.Employee](t)(w.svc.Deactivate(w.mgr2, mgr, nil))
		_, err = w.svc.Me(w.mgr)
		wantCode(t, err, crm.CodeUnauthenticated)
		_, err = w.svc.Reactivate(w.mgr2, w.ids["mgr2"])
		wantCode(t, err, crm.CodeConflict)
		_, err = w.svc.Deactivate(w.mgr2, mgr, nil)
		wantCode(t, err, crm.CodeConflict)
		must[crm.Employee](t)(w.svc.Reactivate(w.mgr2, mgr))
		w.mgr = w.login("ada@epic.example")

		// Referenced employees are not deleted; a role change waits for a handover.
		client, _ := w.deal(true)
		wantCode(t, w.svc.DeleteEmployee(w.mgr, w.ids["sales"]), crm.CodeConflict)
		_, err = w.svc.UpdateEmployee(w.mgr, w.ids["sales"], crm.EmployeePatch{Role: role(crm.RoleSupport)})
		wantCode(t, err, crm.CodeConflict)
		other := w.ids["support"]
		_, err = w.svc.Deactivate(w.mgr, w.ids["sales"], &other)
		wantCode(t, err, crm.CodeInvalid)
		missing := int64(9999)
		_, err = w.svc.Deactivate(w.mgr, w.ids["sales"], &missing)
		wantCode(t, err, crm.CodeNotFound)
		to := w.ids["sales2"]
		must[crm.Employee](t)(w.svc.Deactivate(w.mgr, w.ids["sales"], &to))
		if c := must[crm.Client](t)(w.svc.GetClient(w.mgr, client.ID)); c.SalesContactID != to {
			t.Fatalf("client went to %d, want %d", c.SalesContactID, to)
		}
		var contracts int
		must[string](t)(w.svc.ListContracts(w.mgr, crm.ContractFilter{SalesContactID: &to}, func(crm.Contract) error { contracts++; return nil }))
		if contracts != 1 {
			t.Fatalf("%d contracts followed the client", contracts)
		}
		// Unreferenced now: deleted, and the id is never reused.
		if err := w.svc.DeleteEmployee(w.mgr, w.ids["sales"]); err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.GetEmployee(w.mgr, w.ids["sales"])
		wantCode(t, err, crm.CodeNotFound)
		fresh := must[crm.Employee](t)(w.svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: "New", LastName: "Hire", Email: "new@epic.example", Role: crm.RoleSales, Password: pw}))
		if fresh.ID <= w.ids["support2"] {
			t.Fatalf("id %d reused", fresh.ID)
		}
	})
}

// TestPermissionsThroughService checks that every write route applies the
// matrix with ownership, and that a refusal changes nothing.
func TestPermissionsThroughService(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		client, contract := w.deal(true)
		ev := w.event(contract.ID)
		must[crm.Event](t)(w.svc.AssignSupport(w.mgr, ev.ID, w.ids["support"]))
		due := crm.Cents(100)
		ops := map[string]func(ctx context.Context) error{
			"create client": func(ctx context.Context) error {
				_, err := w.svc.CreateClient(ctx, crm.NewClient{FirstName: "A", LastName: "B", Email: "ab" + time.Now().Format("150405.000000000") + "@x.io"})
				return err
			},
			"update client": func(ctx context.Context) error {
				_, err := w.svc.UpdateClient(ctx, client.ID, crm.ClientPatch{CompanyName: str("Cool Startup LLC")})
				return err
			},
			"reassign client": func(ctx context.Context) error {
				_, err := w.svc.ReassignClient(ctx, client.ID, w.ids["sales"])
				return err
			},
			"create contract": func(ctx context.Context) error {
				_, err := w.svc.CreateContract(ctx, crm.NewContract{ClientID: client.ID, TotalAmount: 100})
				return err
			},
			"update contract": func(ctx context.Context) error {
				_, err := w.svc.UpdateContract(ctx, contract.ID, crm.ContractPatch{AmountDue: &due})
				due--
				return err
			},
			"reassign contract": func(ctx context.Context) error {
				_, err := w.svc.ReassignContract(ctx, contract.ID, w.ids["sales"])
				return err
			},
			"create event": func(ctx context.Context) error {
				start := w.clock.Now().Add(48 * time.Hour)
				_, err := w.svc.CreateEvent(ctx, crm.NewEvent{ContractID: contract.ID, Name: "Launch", Start: start, End: start.Add(time.Hour), Location: "Paris", Attendees: 10})
				return err
			},
			"update event": func(ctx context.Context) error {
				n := 80
				_, err := w.svc.UpdateEvent(ctx, ev.ID, crm.EventPatch{Attendees: &n})
				return err
			},
			"assign support": func(ctx context.Context) error {
				_, err := w.svc.AssignSupport(ctx, ev.ID, w.ids["support"])
				return err
			},
			"read audit": func(ctx context.Context) error {
				_, err := w.svc.ListAudit(ctx, crm.AuditFilter{}, func(crm.AuditEntry) error { return nil })
				return err
			},
		}
		// sales owns the client and contract; support is assigned to the event;
		// sales2 and support2 own nothing.
		allowed := map[string]map[string]bool{
			"create client":     {"sales": true, "sales2": true},
			"update client":     {"mgr": true, "sales": true},
			"reassign client":   {"mgr": true},
			"create contract":   {"mgr": true},
			"update contract":   {"mgr": true, "sales": true},
			"reassign contract": {"mgr": true},
			"create event":      {"sales": true},
			"update event":      {"mgr": true, "support": true},
			"assign support":    {"mgr": true},
			"read audit":        {"mgr": true},
		}
		actors := map[string]context.Context{"mgr": w.mgr, "sales": w.sales, "sales2": w.sales2, "support": w.support, "support2": w.support2}
		for op, fn := range ops {
			for name, ctx := range actors {
				err := fn(ctx)
				if allowed[op][name] && err != nil {
					t.Errorf("%s as %s: %v", op, name, err)
				}
				if !allowed[op][name] && crm.ErrorCode(err) != crm.CodeForbidden {
					t.Errorf("%s as %s: got %v, want forbidden", op, name, err)
				}
			}
		}
	})
}

func TestContractAndEventRules(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		cents := func(c crm.Cents) *crm.Cents { return &c }
		_, unsigned := w.deal(false)

		// An event needs a signed contract.
		start := w.clock.Now().Add(time.Hour)
		_, err := w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: unsigned.ID, Name: "E", Start: start, End: start.Add(time.Hour), Location: "L"})
		wantCode(t, err, crm.CodeConflict)
		_, err = w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: 9999, Name: "E", Start: start, End: start.Add(time.Hour), Location: "L"})
		wantCode(t, err, crm.CodeNotFound)
		_, err = w.svc.CreateEvent(w.sales, crm.NewEvent{ContractID: unsigned.ID, Name: "E", Start: start, End: start, Location: "L"})
		wantCode(t, err, crm.CodeInvalid)

		// The sales contact lowers the amount due (a payment); only a refund
		// raises it; 0 ≤ due ≤ total.
		must[crm.Contract](t)(w.svc.UpdateContract(w.sales, unsigned.ID, crm.ContractPatch{AmountDue: cents(2000)}))
		_, err = w.svc.UpdateContract(w.sales, unsigned.ID, crm.ContractPatch{AmountDue: cents(2001)})
		wantCode(t, err, crm.CodeConflict)
		_, err = w.svc.UpdateContract(w.sales, unsigned.ID, crm.ContractPatch{AmountDue: cents(600000)})
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.UpdateContract(w.sales, unsigned.ID, crm.ContractPatch{})
		wantCode(t, err, crm.CodeInvalid)
		signed := must[crm.Contract](t)(w.svc.SignContract(w.sales, unsigned.ID))
		if !signed.Signed || signed.SignedAt == nil {
			t.Fatal("not signed")
		}
		_, err = w.svc.SignContract(w.mgr, unsigned.ID)
		wantCode(t, err, crm.CodeConflict)

		// After signature: the sales contact only lowers the due; management may do anything valid.
		_, err = w.svc.UpdateContract(w.sales, signed.ID, crm.ContractPatch{TotalAmount: cents(700000)})
		wantCode(t, err, crm.CodeForbidden)
		_, err = w.svc.UpdateContract(w.sales, signed.ID, crm.ContractPatch{AmountDue: cents(3000)})
		wantCode(t, err, crm.CodeForbidden)
		must[crm.Contract](t)(w.svc.UpdateContract(w.sales, signed.ID, crm.ContractPatch{AmountDue: cents(0)}))
		must[crm.Contract](t)(w.svc.UpdateContract(w.mgr, signed.ID, crm.ContractPatch{TotalAmount: cents(700000), AmountDue: cents(5000)}))

		// Only active SUPPORT employees are assigned; only management renames.
		ev := w.event(signed.ID)
		if ev.ClientID != signed.ClientID {
			t.Fatalf("event client %d, contract client %d", ev.ClientID, signed.ClientID)
		}
		_, err = w.svc.AssignSupport(w.mgr, ev.ID, w.ids["sales"])
		wantCode(t, err, crm.CodeInvalid)
		_, err = w.svc.AssignSupport(w.mgr, ev.ID, 9999)
		wantCode(t, err, crm.CodeNotFound)
		_, err = w.svc.UnassignSupport(w.mgr, ev.ID)
		wantCode(t, err, crm.CodeConflict)
		must[crm.Event](t)(w.svc.AssignSupport(w.mgr, ev.ID, w.ids["support"]))
		_, err = w.svc.UpdateEvent(w.support, ev.ID, crm.EventPatch{Name: str("Renamed")})
		wantCode(t, err, crm.CodeForbidden)
		later := ev.Start.Add(-2 * time.Hour)
		_, err = w.svc.UpdateEvent(w.support, ev.ID, crm.EventPatch{End: &later})
		wantCode(t, err, crm.CodeInvalid)
		must[crm.Event](t)(w.svc.UpdateEvent(w.mgr, ev.ID, crm.EventPatch{Name: str("Renamed"), Notes: str("DJ booked")}))

		// Reassigning the client moves its contracts with it.
		must[crm.Client](t)(w.svc.ReassignClient(w.mgr, signed.ClientID, w.ids["sales2"]))
		if c := must[crm.Contract](t)(w.svc.GetContract(w.mgr, signed.ID)); c.SalesContactID != w.ids["sales2"] {
			t.Fatalf("contract stayed with %d", c.SalesContactID)
		}
		_, err = w.svc.ReassignClient(w.mgr, signed.ClientID, w.ids["support"])
		wantCode(t, err, crm.CodeInvalid)

		// --mine: sales2 now owns the contract; support sees the assigned event.
		count := func(n *int) func(crm.Event) error { return func(crm.Event) error { *n++; return nil } }
		var mineSales, mineSupport, mineMgr int
		must[string](t)(w.svc.ListEvents(w.sales2, crm.EventFilter{Mine: true}, count(&mineSales)))
		must[string](t)(w.svc.ListEvents(w.support, crm.EventFilter{Mine: true}, count(&mineSupport)))
		must[string](t)(w.svc.ListEvents(w.mgr, crm.EventFilter{Mine: true}, count(&mineMgr)))
		if mineSales != 1 || mineSupport != 1 || mineMgr != 0 {
			t.Fatalf("--mine: sales %d, support %d, management %d", mineSales, mineSupport, mineMgr)
		}
	})
}

// TestAuditTrail checks that changes are audited with before and after values
// and that no secret ever reaches the trail.
func TestAuditTrail(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		_, k := w.deal(false)
		due := crm.Cents(1234)
		must[crm.Contract](t)(w.svc.UpdateContract(w.mgr, k.ID, crm.ContractPatch{AmountDue: &due}))
		if err := w.svc.SetPassword(w.mgr, w.ids["support"], "temporary but long enough"); err != nil {
			t.Fatal(err)
		}
		id := k.ID
		var entries []crm.AuditEntry
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{Entity: "contract", EntityID: &id}, func(e crm.AuditEntry) error {
			entries = append(entries, e)
			return nil
		}))
		if len(entries) != 2 || entries[0].Action != "contract.payment" || entries[1].Action != "contract.create" {
			t.Fatalf("entries: %+v", entries)
		}
		if c := entries[0].Changes["amount_due"]; c[0] != "5000.00" || c[1] != "12.34" {
			t.Fatalf("amount_due change = %v", c)
		}
		must[string](t)(w.svc.ListAudit(w.mgr, crm.AuditFilter{}, func(e crm.AuditEntry) error {
			for field, c := range e.Changes {
				text := strings.ToLower(field) + " " + strings.ToLower(jsonish(c))
				if strings.Contains(text, "password") || strings.Contains(text, "argon2") || strings.Contains(text, "temporary but") {
					t.Errorf("secret in audit entry %d: %s", e.ID, text)
				}
			}
			return nil
		}))
	})
}

func jsonish(c crm.Change) string {
	var b strings.Builder
	for _, v := range c {
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func TestNotAuthenticated(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		for _, ctx := range []context.Context{context.Background(), crm.WithAccessToken(context.Background(), "garbage")} {
			_, err := w.svc.ListClients(ctx, crm.ClientFilter{}, func(crm.Client) error { return nil })
			wantCode(t, err, crm.CodeUnauthenticated)
		}
		var e *crm.Error
		if _, err := w.svc.GetClient(w.mgr, 424242); !errors.As(err, &e) || e.Code != crm.CodeNotFound {
			t.Fatalf("got %v", err)
		}
	})
}

// TestIfMatch checks optimistic concurrency: of many writers that read the
// same version, exactly one wins and the others are told the row is stale.
func TestIfMatch(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newWorld(t, engine)
		client, _ := w.deal(false)
		if client.Version != 1 {
			t.Fatalf("new client at version %d", client.Version)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, stale := 0, 0
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := crm.WithIfMatch(w.mgr, client.Version)
				_, err := w.svc.UpdateClient(ctx, client.ID, crm.ClientPatch{CompanyName: str("Company " + strings.Repeat("x", i))})
				mu.Lock()
				defer mu.Unlock()
				switch crm.ErrorCode(err) {
				case "":
					wins++
				case crm.CodeStale:
					stale++
				default:
					t.Errorf("update: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || stale != 29 {
			t.Fatalf("%d won, %d stale; want 1 and 29", wins, stale)
		}
		now := must[crm.Client](t)(w.svc.GetClient(w.mgr, client.ID))
		if now.Version != 2 {
			t.Fatalf("version %d after one change", now.Version)
		}
		must[crm.Client](t)(w.svc.UpdateClient(crm.WithIfMatch(w.mgr, now.Version), client.ID, crm.ClientPatch{FirstName: str("Kev")}))
	})
}
