package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/output"
)

type demoOptions struct {
	clients int
	seed    uint64
}

func (a *App) demoCmd() *cobra.Command {
	o := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Fill the database with realistic sample data",
		Long: `demo adds sample data to a database where ` + "`epicevents init`" + ` was done:
five SALES and five SUPPORT employees, N clients (default 50) with a contract
and an event each (signed or not, paid or not, past or upcoming, with or
without support), and the three sample records (Kevin Casey,
the John Ouick Wedding, the Lou Bouzin General Assembly).

The employees' passwords are random and printed once, on standard output:
log in as them to try each role. Everything is added in one transaction, with
one audit entry (demo.load). The same --seed gives the same data. A database
that already holds the demo is refused (exit 6).

demo works on the database directly, like init (it reads a .env file in the
current folder); it refuses --server. A million clients take under a minute
on PostgreSQL (COPY) and on SQLite. On SQLite, a load of 50,000 clients or
more that finds no other process using the database writes without its WAL,
which is faster; a command started meanwhile is told to try again later.`,
		Example: `  epicevents demo
  epicevents demo --clients 1000000 --seed 7
  EPICEVENTS_DATABASE_URL=postgres://owner@db/epicevents epicevents demo -o json`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error { return a.runDemo(ctx, o) }),
	}
	f := cmd.Flags()
	f.IntVar(&o.clients, "clients", demo.DefaultClients, "number of clients, and of contracts and events (0 to "+fmt.Sprint(demo.MaxClients)+")")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the generator: the same seed gives the same data")
	return cmd
}

func (a *App) runDemo(ctx context.Context, o *demoOptions) error {
	db, err := a.openDB(ctx, true, false)
	if err != nil {
		return err
	}
	current, latest, err := db.SchemaCurrent(ctx)
	if err != nil {
		return err
	}
	switch {
	case current == 0:
		return &crm.Error{Code: crm.CodeInternal, Message: "the CRM is not set up in this database yet; run `epicevents init` first"}
	case current != latest:
		return &crm.Error{Code: crm.CodeInternal, Message: fmt.Sprintf(
			"the database schema is at version %d, this program needs %d; run `epicevents migrate up` first", current, latest)}
	}
	start := time.Now()
	res, err := demo.Load(ctx, db, auth.NewHasher(auth.DefaultParams), demo.Options{Clients: o.clients, Seed: o.seed})
	if err != nil {
		return err
	}
	l := output.NewList(a.stdout, a.format(), a.views().credentialList())
	for _, c := range res.Employees {
		if err := l.Row(c); err != nil {
			return err
		}
	}
	if err := l.Close(); err != nil {
		return err
	}
	a.done("Added %d employees, %d clients, %d contracts (with %d payments and refunds) and %d events in %s.",
		len(res.Employees), res.Clients, res.Contracts, res.Payments, res.Events, time.Since(start).Round(time.Millisecond))
	a.done("The passwords above are shown only now. Log in with, for example:\n  epicevents login --email %s", res.Employees[0].Email)
	return nil
}
