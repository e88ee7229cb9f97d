package main

// Concurrent CLI writers in local mode: several
// `epicevents` processes writing to one database at once must wait for each
// other, never fail with "database is locked", and lose nothing.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// concurrentCLI runs the epicevents binary (this test binary, see TestMain) with
// a base environment.
type concurrentCLI struct {
	bin string
	env []string
}

func (c concurrentCLI) run(home, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(append([]string(nil), c.env...), "EPICEVENTS_HOME="+home)
	cmd.Dir = home
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func (c concurrentCLI) must(t *testing.T, home, stdin string, args ...string) string {
	t.Helper()
	out, errs, err := c.run(home, stdin, args...)
	if err != nil {
		t.Fatalf("epicevents %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errs)
	}
	return out
}

// TestConcurrentCLIWriters: 8 SALES employees, each logged in in a home of
// their own, run 10 `clients create` each, all 8 at once, on one database.
// Every process exits 0 (none fails with "database is locked"), every client
// is there, and every creation has its audit entry.
func TestConcurrentCLIWriters(t *testing.T) {
	for _, engine := range testdb.Engines() {
		t.Run(engine, func(t *testing.T) { testConcurrentCLIWriters(t, engine) })
	}
}

func testConcurrentCLIWriters(t *testing.T, engine string) {
	bin, err := exec.LookPath("epicevents")
	if err != nil {
		t.Fatalf("the epicevents stand-in is not on PATH: %v", err)
	}
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "shared.db")
	if engine == "postgres" {
		dbURL = testdb.URL(t, engine)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"EPICEVENTS_DATABASE_URL=" + dbURL,
		"EPICEVENTS_KEYRING=off",
		"NO_COLOR=1",
		// Under -race every process would sleep a second at exit.
		"GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"),
	}
	c := concurrentCLI{bin: bin, env: env}
	home := func(name string) string {
		h := filepath.Join(dir, "home-"+name)
		if err := os.MkdirAll(h, 0o700); err != nil {
			t.Fatal(err)
		}
		return h
	}
	const pw = "violet tractor under the bridge"
	admin := home("admin")
	c.must(t, admin, pw+"\n", "init", "--email", "ada@epic.example", "--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
	c.must(t, admin, pw+"\n", "login", "--email", "ada@epic.example", "--password-stdin")

	// SQLite is the case that matters (one file, one write lock); the
	// PostgreSQL run is shorter.
	const writers = 8
	perWriter := 10
	if engine == "postgres" {
		perWriter = 5
	}
	homes := make([]string, writers)
	for w := range writers {
		email := fmt.Sprintf("sales%d@epic.example", w)
		c.must(t, admin, pw+"\n", "employees", "create", "--first-name", "Sales", "--last-name", fmt.Sprint(w),
			"--email", email, "--role", "SALES", "--password-stdin")
		homes[w] = home(fmt.Sprint(w))
		c.must(t, homes[w], pw+"\n", "login", "--email", email, "--password-stdin")
	}

	type failure struct {
		args   string
		err    error
		stderr string
	}
	var (
		mu       sync.Mutex
		failures []failure
		wg       sync.WaitGroup
	)
	start := make(chan struct{})
	began := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range perWriter {
				args := []string{"clients", "create", "--first-name", "Client", "--last-name", fmt.Sprintf("W%dN%d", w, i),
					"--email", fmt.Sprintf("client-%d-%d@example.com", w, i), "--company", "Company O'Brien; DROP TABLE clients; --"}
				_, stderr, err := c.run(homes[w], "", args...)
				if err != nil {
					mu.Lock()
					failures = append(failures, failure{strings.Join(args, " "), err, stderr})
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	t.Logf("%d processes × %d writes on %s in %s", writers, perWriter, engine, time.Since(began).Round(time.Millisecond))
	for _, f := range failures {
		locked := strings.Contains(strings.ToLower(f.stderr), "locked") || strings.Contains(strings.ToLower(f.stderr), "busy")
		t.Errorf("epicevents %s: %v (database locked: %v)\n%s", f.args, f.err, locked, f.stderr)
	}

	// Every row and every audit entry is there.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlstore.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var clients, audits, distinct int
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*), count(DISTINCT lower(email)) FROM clients").Scan(&clients, &distinct); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM audit_entries WHERE action = 'client.create'").Scan(&audits); err != nil {
		t.Fatal(err)
	}
	if want := writers * perWriter; clients != want || distinct != want || audits != want {
		t.Fatalf("%d clients (%d distinct emails), %d client.create audit entries; want %d of each", clients, distinct, audits, want)
	}
	// The change and its audit entry are one: each client has its entry.
	var orphans int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM clients c WHERE NOT EXISTS
		(SELECT 1 FROM audit_entries a WHERE a.action = 'client.create' AND a.entity = 'client' AND a.entity_id = c.id)`).
		Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Fatalf("%d clients without their audit entry", orphans)
	}
	// The SQL in the company name was stored as text, not run.
	out := c.must(t, homes[0], "", "clients", "list", "--mine", "-o", "json")
	if n := strings.Count(out, `"company_name": "Company O'Brien; DROP TABLE clients; --"`) +
		strings.Count(out, `"company_name":"Company O'Brien; DROP TABLE clients; --"`); n != perWriter {
		t.Fatalf("%d of sales0's clients show the company name verbatim, want %d:\n%s", n, perWriter, out)
	}
}
