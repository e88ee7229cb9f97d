// Command floor is the least a Go HTTP server can do per request, to compare
// with `epicevents serve` (BENCHMARKS.md, "What misses"). It answers every
// request with a fixed JSON body the size of a client's (`GET
// /api/v1/clients/{id}`); with -pg it first runs two trivial statements on
// PostgreSQL through database/sql and pgx, as the server runs two (the
// session check, then the read). It does no authentication, no logging and
// no real query.
//
// On SIGINT or SIGTERM it prints how many requests it answered and its CPU
// time (user + system) per request.
//
//	go run ./scripts/load/floor -addr 127.0.0.1:8399 [-pg URL] &
//	wrk -t2 -c8 -d10s http://127.0.0.1:8399/
//	kill -INT %1
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// body is a client as the API returns it (about 400 bytes).
const body = `{"id":4711,"first_name":"Kevin","last_name":"Casey","email":"kevin@startup.io",` +
	`"phone":"+678 123 456 78","company_name":"Cool Startup LLC","sales_contact_id":2,` +
	`"sales_contact_name":"Bill Boquet","created_at":"2021-04-18T00:00:00Z",` +
	`"updated_at":"2023-03-29T00:00:00Z","version":1}`

func main() {
	addr := flag.String("addr", "127.0.0.1:8399", "listen address")
	pg := flag.String("pg", "", "PostgreSQL URL: run two trivial statements per request")
	flag.Parse()

	var db *sql.DB
	if *pg != "" {
		var err error
		if db, err = sql.Open("pgx", *pg); err != nil {
			log.Fatal(err)
		}
		db.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
		db.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	}
	var served atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if db != nil {
			for range 2 {
				var one int
				if err := db.QueryRowContext(r.Context(), "SELECT $1::int", 1).Scan(&one); err != nil {
					http.Error(w, err.Error(), http.StatusServiceUnavailable)
					return
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
		served.Add(1)
	})
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	fmt.Fprintf(os.Stderr, "floor: listening on %s (PostgreSQL: %v)\n", *addr, db != nil)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = srv.Shutdown(context.Background())
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	n := served.Load()
	perReq := "n/a"
	if n > 0 {
		perReq = fmt.Sprintf("%.1f µs", float64(cpu.Microseconds())/float64(n))
	}
	fmt.Println(strings.Join([]string{
		fmt.Sprintf("requests %d", n),
		fmt.Sprintf("cpu %s", cpu.Round(time.Millisecond)),
		"cpu per request " + perReq,
	}, ", "))
}
