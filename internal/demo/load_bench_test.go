package demo_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/testdb"
)

// BenchmarkLoad loads EPICEVENTS_BENCH_CLIENTS clients (default 10,000) into
// a fresh database of each engine, once per iteration.
func BenchmarkLoad(b *testing.B) {
	n := 10_000
	if s := os.Getenv("EPICEVENTS_BENCH_CLIENTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, engine := range testdb.Engines() {
		b.Run(engine, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := testdb.Open(b, engine)
				ctx := context.Background()
				if _, err := db.CreateEmployee(ctx, crm.Employee{FirstName: "Ada", LastName: "Lovelace",
					Email: "ada@example.com", Role: crm.RoleManagement, Active: true,
					CreatedAt: time.Now(), UpdatedAt: time.Now()}, "x"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := demo.Load(ctx, db, fakeHasher{}, demo.Options{Clients: n}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(3*n)/b.Elapsed().Seconds()*float64(b.N), "rows/s")
		})
	}
}

type fakeHasher struct{}

func (fakeHasher) Hash(p string) (string, error) { return "$fake$" + p, nil }
