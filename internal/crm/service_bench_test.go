package crm_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// benchClients is the size of the benchmarks' demo data: large enough that
// an unindexed list would show, small enough to load in about a second.
const benchClients = 10_000

// BenchmarkService measures the service's list, show and create paths (each
// call authenticates its access token against the database, as every request
// does) on SQLite, and on PostgreSQL when EPICEVENTS_TEST_POSTGRES_URL is set,
// over `demo` data of benchClients clients, as the SALES employee Bill Boquet.
func BenchmarkService(b *testing.B) {
	for _, engine := range testdb.Engines() {
		b.Run(engine, func(b *testing.B) {
			svc, ctx := benchWorld(b, engine)
			page := crm.Page{Limit: 100}
			from := time.Now().UTC().AddDate(0, 0, 30).Truncate(24 * time.Hour)
			to := from.AddDate(0, 0, 7)
			discard := func(any) error { return nil }
			lists := []struct {
				name string
				run  func() (string, error)
			}{
				{"clients list", func() (string, error) {
					return svc.ListClients(ctx, crm.ClientFilter{Page: page}, func(c crm.Client) error { return discard(c) })
				}},
				{"clients list --search casey", func() (string, error) {
					return svc.ListClients(ctx, crm.ClientFilter{Search: "casey", Page: page}, func(c crm.Client) error { return discard(c) })
				}},
				{"clients list --mine", func() (string, error) {
					return svc.ListClients(ctx, crm.ClientFilter{Mine: true, Page: page}, func(c crm.Client) error { return discard(c) })
				}},
				{"contracts list --unsigned", func() (string, error) {
					return svc.ListContracts(ctx, crm.ContractFilter{Unsigned: true, Page: page}, func(c crm.Contract) error { return discard(c) })
				}},
				{"contracts list --unpaid", func() (string, error) {
					return svc.ListContracts(ctx, crm.ContractFilter{Unpaid: true, Page: page}, func(c crm.Contract) error { return discard(c) })
				}},
				{"events list --without-support", func() (string, error) {
					return svc.ListEvents(ctx, crm.EventFilter{WithoutSupport: true, Page: page}, func(e crm.Event) error { return discard(e) })
				}},
				{"events list --from --to", func() (string, error) {
					return svc.ListEvents(ctx, crm.EventFilter{From: &from, To: &to, Page: page}, func(e crm.Event) error { return discard(e) })
				}},
			}
			for _, l := range lists {
				b.Run(l.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := l.run(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("clients show", func(b *testing.B) {
				id := int64(benchClients / 2)
				for b.Loop() {
					if _, err := svc.GetClient(ctx, id); err != nil {
						b.Fatal(err)
					}
				}
			})
			i := 0 // outside: the testing package may run the function more than once
			b.Run("clients create", func(b *testing.B) {
				for b.Loop() {
					i++
					phone := "+33612345678"
					if _, err := svc.CreateClient(ctx, crm.NewClient{FirstName: "Bench", LastName: "Mark",
						Email: fmt.Sprintf("bench.mark.%d@example.com", i), Phone: &phone}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// benchWorld returns a service over a database holding the demo data, and a
// context logged in as Bill Boquet (SALES).
func benchWorld(b *testing.B, engine string) (*crm.Service, context.Context) {
	b.Helper()
	w := testdb.NewDemoWorld(b, engine, benchClients)
	return w.Service, crm.WithAccessToken(context.Background(), w.Token)
}
