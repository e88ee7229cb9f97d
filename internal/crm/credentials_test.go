package crm_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// gatedHasher is a PasswordHasher that a test can stop right after a
// password check: once armed, the next Verify reports on checked and waits
// for proceed before it returns, as a slow argon2 run on a busy server would.
type gatedHasher struct {
	crm.PasswordHasher
	mu      sync.Mutex
	armed   bool
	checked chan struct{}
	proceed chan struct{}
}

func newGatedHasher() *gatedHasher {
	return &gatedHasher{
		PasswordHasher: auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		checked:        make(chan struct{}),
		proceed:        make(chan struct{}),
	}
}

func (g *gatedHasher) arm() { g.mu.Lock(); g.armed = true; g.mu.Unlock() }

func (g *gatedHasher) Verify(encoded, password string) (bool, bool, error) {
	ok, rehash, err := g.PasswordHasher.Verify(encoded, password)
	g.mu.Lock()
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if armed {
		g.checked <- struct{}{}
		<-g.proceed
	}
	return ok, rehash, err
}

// secWorld is a small CRM for the security tests: a manager logged in, and
// whatever employees the test adds, on a store the test can query.
type secWorld struct {
	t     *testing.T
	svc   *crm.Service
	db    *sqlstore.DB
	clock *clock
	mgr   context.Context
}

func newSecWorld(t *testing.T, engine string, cfg crm.Config, hasher crm.PasswordHasher) *secWorld {
	t.Helper()
	db := testdb.Open(t, engine)
	clk := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if hasher == nil {
		hasher = auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	}
	svc := crm.NewService(crm.Deps{Store: db, Hasher: hasher, Tokens: jwt, Refresh: auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword, Now: clk.Now, Config: cfg})
	w := &secWorld{t: t, svc: svc, db: db, clock: clk}
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace", Email: "ada@epic.example", Password: pw}); err != nil {
		t.Fatal(err)
	}
	tok, err := svc.Login(ctx, "ada@epic.example", pw)
	if err != nil {
		t.Fatal(err)
	}
	w.mgr = crm.WithAccessToken(ctx, tok.AccessToken)
	return w
}

// employee creates an employee whose password is pw.
func (w *secWorld) employee(email string, role crm.Role) crm.Employee {
	w.t.Helper()
	e, err := w.svc.CreateEmployee(w.mgr, crm.NewEmployee{FirstName: "Test", LastName: "Person", Email: email, Role: role, Password: pw})
	if err != nil {
		w.t.Fatalf("create %s: %v", email, err)
	}
	return e
}

// liveSessions counts the sessions of the employee that are not revoked.
func (w *secWorld) liveSessions(id int64) int {
	w.t.Helper()
	var n int
	q := fmt.Sprintf("SELECT count(*) FROM sessions WHERE employee_id = %d AND revoked_at IS NULL", id)
	if err := w.db.SQL().QueryRow(q).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// logins are the two ways to open a session with a password: the API's
// (tokens) and the web UI's (a cookie), which share one core.
var logins = []struct {
	name  string
	login func(svc *crm.Service, ctx context.Context, email, password string) error
}{
	{"api", func(svc *crm.Service, ctx context.Context, email, password string) error {
		_, err := svc.Login(ctx, email, password)
		return err
	}},
	{"web", func(svc *crm.Service, ctx context.Context, email, password string) error {
		_, err := svc.LoginWeb(ctx, email, password)
		return err
	}},
}

// TestLoginRacingCredentialChange stops a login (of the API, and of the web
// UI) right after its password check, changes the employee's credentials,
// then lets the login go on: it must fail and leave no session behind, for
// each change that ends sessions.
func TestLoginRacingCredentialChange(t *testing.T) {
	const next = "a brand new passphrase for kate"
	for _, c := range []struct {
		name   string
		change func(w *secWorld, kate crm.Employee, kateCtx context.Context) error
		live   int // sessions of Kate's that the change itself leaves open
	}{
		{"password change", func(w *secWorld, _ crm.Employee, kctx context.Context) error {
			_, err := w.svc.ChangePassword(kctx, pw, next)
			return err
		}, 1},
		{"password reset", func(w *secWorld, kate crm.Employee, _ context.Context) error {
			return w.svc.SetPassword(w.mgr, kate.ID, next)
		}, 0},
		{"role change", func(w *secWorld, kate crm.Employee, _ context.Context) error {
			role := crm.RoleSales
			_, err := w.svc.UpdateEmployee(w.mgr, kate.ID, crm.EmployeePatch{Role: &role})
			return err
		}, 0},
		{"deactivation", func(w *secWorld, kate crm.Employee, _ context.Context) error {
			_, err := w.svc.Deactivate(w.mgr, kate.ID, nil)
			return err
		}, 0},
	} {
		for _, l := range logins {
			t.Run(c.name+"/"+l.name, func(t *testing.T) {
				testdb.ForEach(t, func(t *testing.T, engine string) {
					g := newGatedHasher()
					w := newSecWorld(t, engine, crm.Config{}, g)
					kate := w.employee("kate@epic.example", crm.RoleSupport)
					ctx := context.Background()
					tok := must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, pw))
					kctx := crm.WithAccessToken(ctx, tok.AccessToken)

					g.arm()
					done := make(chan error, 1)
					go func() { done <- l.login(w.svc, ctx, kate.Email, pw) }()
					<-g.checked // the login has checked the password that is about to change
					if err := c.change(w, kate, kctx); err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					close(g.proceed)
					err := <-done
					wantCode(t, err, crm.CodeUnauthenticated)
					if n := w.liveSessions(kate.ID); n != c.live {
						t.Fatalf("after a login racing the %s: %d live sessions, want %d", c.name, n, c.live)
					}
					// The session opened before the change ended with it: its
					// access token and its refresh token are refused.
					_, err = w.svc.Me(kctx)
					wantCode(t, err, crm.CodeUnauthenticated)
					_, err = w.svc.Refresh(ctx, tok.RefreshToken)
					wantCode(t, err, crm.CodeUnauthenticated)
				})
			})
		}
	}
}

// TestLoginsRacingPasswordChange runs logins (of the API and of the web UI)
// with the current password in parallel with a change of that password,
// round after round: once the change is done, the only live session is the
// one the change opened.
func TestLoginsRacingPasswordChange(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{ThrottleMax: 1 << 20, AccountThrottleMax: 1 << 20, IPThrottleMax: 1 << 20}, nil)
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		ctx := context.Background()
		current, next := pw, "another passphrase, quite long"
		const rounds, parallel = 30, 6
		for round := range rounds {
			tok := must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, current))
			kctx := crm.WithAccessToken(ctx, tok.AccessToken)
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, parallel+1)
			for i := range parallel {
				wg.Go(func() {
					<-start
					err := logins[i%len(logins)].login(w.svc, ctx, kate.Email, current) // API and web alike
					if err != nil && crm.ErrorCode(err) != crm.CodeUnauthenticated {
						errs <- fmt.Errorf("login: %w", err)
					}
				})
			}
			wg.Go(func() {
				<-start
				if _, err := w.svc.ChangePassword(kctx, current, next); err != nil {
					errs <- fmt.Errorf("change: %w", err)
				}
			})
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("round %d: %v", round, err)
			}
			if n := w.liveSessions(kate.ID); n != 1 {
				t.Fatalf("round %d: %d live sessions after the password change, want 1 (the change's own): "+
					"a login with the old password left a session behind", round, n)
			}
			current, next = next, current
		}
	})
}

// TestRehashAtLogin: when the hashing parameters rise, a login stores a
// stronger hash of the same password; that is no change of credentials:
// the employee's other sessions live on, and so does a login racing it.
func TestRehashAtLogin(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newSecWorld(t, engine, crm.Config{}, nil) // m=64 KiB
		kate := w.employee("kate@epic.example", crm.RoleSupport)
		ctx := context.Background()
		tok := must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, pw))
		old := must[string](t)(w.db.GetPasswordHash(ctx, kate.ID))

		stronger := crm.NewService(crm.Deps{Store: w.db,
			Hasher: auth.NewHasher(auth.Params{Memory: 128, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
			Tokens: mustJWT(t, w.clock), Refresh: auth.RefreshTokens{}, IsCommonPassword: auth.IsCommonPassword, Now: w.clock.Now})
		must[crm.Tokens](t)(stronger.Login(ctx, kate.Email, pw))
		rehashed := must[string](t)(w.db.GetPasswordHash(ctx, kate.ID))
		if rehashed == old || !strings.Contains(rehashed, "m=128,") {
			t.Fatalf("hash after a login with stronger parameters: %s (was %s)", rehashed, old)
		}
		after := must[crm.Employee](t)(w.db.GetEmployee(ctx, kate.ID))
		if after.CredentialVersion != kate.CredentialVersion || after.Version != kate.Version || !after.UpdatedAt.Equal(kate.UpdatedAt) {
			t.Fatalf("the rehash changed the employee: %+v, was %+v", after, kate)
		}
		must[crm.Employee](t)(w.svc.Me(crm.WithAccessToken(ctx, tok.AccessToken)))
		// The stronger hash verifies at the old service too.
		must[crm.Tokens](t)(w.svc.Login(ctx, kate.Email, pw))
	})
}
