package testdb

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/sqlstore"
)

// DemoWorld is a service over a fresh database of engine holding the demo
// data of `demo --clients N` (seed 1), for benchmarks.
type DemoWorld struct {
	Service *crm.Service
	DB      *sqlstore.DB
	// Token is an access token of the demo's first SALES employee, Bill
	// Boquet.
	Token string
	// Staff are the demo's employees (sales, then support) with their
	// passwords; the manager is DemoManagerEmail with DemoManagerPassword.
	Staff []demo.Credential
}

// The manager NewDemoWorld bootstraps.
const (
	DemoManagerEmail    = "ada@epicevents.example"
	DemoManagerPassword = "velvet orchid lantern 42"
)

// NewDemoWorld bootstraps a manager, loads the demo data of clients clients
// with the bulk loader and logs Bill Boquet in. Passwords are hashed with
// cheap argon2 parameters: logins are not what benchmarks measure.
func NewDemoWorld(tb testing.TB, engine string, clients int) DemoWorld {
	tb.Helper()
	db := Open(tb, engine)
	hasher := auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, time.Hour, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{Store: db, Hasher: hasher, Tokens: jwt, Refresh: auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword})
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: DemoManagerEmail, Password: DemoManagerPassword}); err != nil {
		tb.Fatal(err)
	}
	res, err := demo.Load(ctx, db, hasher, demo.Options{Clients: clients, Seed: 1})
	if err != nil {
		tb.Fatal(err)
	}
	bill := res.Employees[0]
	tokens, err := svc.Login(ctx, bill.Email, bill.Password)
	if err != nil {
		tb.Fatal(err)
	}
	return DemoWorld{Service: svc, DB: db, Token: tokens.AccessToken, Staff: res.Employees}
}
