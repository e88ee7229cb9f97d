package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to create one database per script
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/epicevents/epicevents/internal/cli"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestMain makes the test binary double as the epicevents binary: scripts run
// it with `exec epicevents …` (testscript puts it on their PATH).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"epicevents": func() {
			useRemoteServer(os.Args[1:]) // remote mode only (remote_test.go)
			// Like main: SIGTERM stops `serve` gracefully.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
			stop()
			os.Exit(code)
		},
		"on-tty": onTTY, // terminal_test.go
	})
}

// TestScriptsSQLite runs every end-to-end script on an SQLite file of its own.
func TestScriptsSQLite(t *testing.T) {
	t.Parallel() // the four modes share the -parallel limit, script by script
	testscript.Run(t, params("sqlite", false, setupSQLite))
}

func setupSQLite(env *testscript.Env) error {
	env.Setenv("EPICEVENTS_DATABASE_URL", "sqlite:"+filepath.Join(env.WorkDir, "home", "epicevents.db"))
	return nil
}

// TestScriptsPostgres runs the same scripts on PostgreSQL, each in a fresh
// database created for it and dropped after it, connected as the application
// role of docs/postgresql.md (least privilege): an owner role migrated the
// database and granted the application role its privileges, and every command
// of the script connects as the application role, which owns nothing and
// cannot run DDL. EPICEVENTS_OWNER_DATABASE_URL connects as the owner, for
// the lines of a script that need it.
func TestScriptsPostgres(t *testing.T) {
	t.Parallel() // the four modes share the -parallel limit, script by script
	testscript.Run(t, params("postgres", false, postgresSetup(t)))
}

// postgresSetup returns the setup that gives each script a fresh database on
// EPICEVENTS_TEST_POSTGRES_URL, migrated by an owner role and used through an
// application role (testdb.NewAppRoleDB), or skips t without it.
func postgresSetup(t *testing.T) func(*testscript.Env) error {
	base := os.Getenv(testdb.PostgresEnv)
	if base == "" {
		t.Skip(testdb.PostgresEnv + " is not set: skipping the PostgreSQL end-to-end scripts")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("cannot reach %s: %v", testdb.PostgresEnv, err)
	}
	return func(env *testscript.Env) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		d, err := testdb.NewAppRoleDB(ctx, base)
		if err != nil {
			return fmt.Errorf("set up an application role database: %w", err)
		}
		env.Defer(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := d.Drop(ctx); err != nil {
				env.T().Log("drop the application role database ", d.Database, ": ", err)
			}
		})
		env.Setenv("EPICEVENTS_DATABASE_URL", d.AppURL)
		env.Setenv("EPICEVENTS_OWNER_DATABASE_URL", d.OwnerURL)
		return nil
	}
}

// checkLedgers fails the script unless, at its end, every contract's amount
// due is what its ledger says, whatever the script did (scripts that leave
// no database, or one whose schema has no ledger, have nothing to check).
func checkLedgers(env *testscript.Env) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The owner, on PostgreSQL: a script that migrates down and up again
	// leaves the application role without its grants on the new tables.
	url := env.Getenv("EPICEVENTS_OWNER_DATABASE_URL")
	if url == "" {
		url = env.Getenv("EPICEVENTS_DATABASE_URL")
	}
	if path, ok := strings.CutPrefix(url, "sqlite:"); ok {
		if _, err := os.Stat(path); err != nil {
			return
		}
	}
	db, err := sqlstore.Open(ctx, url)
	if err != nil {
		env.T().Fatal("open the script's database to check its ledgers: ", err)
	}
	defer db.Close()
	if cur, _, err := db.SchemaCurrent(ctx); err != nil || cur < ledgerMigration {
		return
	}
	if err := db.CheckLedgers(ctx); err != nil {
		env.T().Fatal("after the script: ", err)
	}
}

// ledgerMigration is the version of the migration that adds the payments
// ledger.
const ledgerMigration = 7

// params are the testscript parameters shared by both databases; setupDB sets
// EPICEVENTS_DATABASE_URL for one script.
func params(db string, remote bool, setupDB func(*testscript.Env) error) testscript.Params {
	return testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("EPICEVENTS_HOME", home)
			env.Setenv("EPICEVENTS_KEYRING", "off")
			env.Setenv("EPICEVENTS_TZ", "Europe/Paris")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("DB", db)
			// Under -race every process sleeps a second at exit, waiting
			// for late reports; scripts run hundreds of commands.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			if err := setupDB(env); err != nil {
				return err
			}
			// Deferred after the database's own cleanup, so it runs first.
			env.Defer(func() { checkLedgers(env) })
			return nil
		},
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "sqlite", "postgres":
				return cond == db, nil
			case "approle":
				// The script connects as an application role on a database
				// an owner role migrated (PostgreSQL runs only): the schema
				// is current before init, and migrations that would change
				// it are the owner's.
				return db == "postgres", nil
			case "remote":
				// Employee commands go through `epicevents serve`
				// (remote_test.go); for the few lines where remote mode
				// legitimately differs.
				return remote, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"dates":       cmdDates,
			"expect-exit": cmdExpectExit,
			"mode":        cmdMode,
			"next-page":   cmdNextPage,
			"sleep":       cmdSleep,
		},
	}
}

// cmdExpectExit runs `expect-exit N program args…`: it runs the program like
// exec does (the script's environment, folder and the stdin of a preceding
// `stdin` command), keeps its stdout and stderr for the `stdout` and `stderr`
// commands that follow, and fails unless it exits with code N.
func cmdExpectExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! expect-exit")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: expect-exit CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("expect-exit: %q is not an exit code", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("expect-exit: cannot run %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with code %d, want %d", args[1], got, want)
	}
}

// cmdMode runs `mode PERM path`: the file's permission bits must be PERM (octal).
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PERM path")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	if err != nil {
		ts.Fatalf("mode: %q is not an octal permission", args[0])
	}
	fi, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := fi.Mode().Perm()
	if (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %#o; want %s%#o", args[1], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdSleep runs `sleep DURATION`, such as `sleep 1500ms`.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}

// cmdDates runs `dates`: it sets YESTERDAY, TODAY and TOMORROW to those days
// (YYYY-MM-DD) in the script's EPICEVENTS_TZ as of now, for scripts about
// relative dates; run it right before the lines that use them.
func cmdDates(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dates")
	}
	loc, err := time.LoadLocation(ts.Getenv("EPICEVENTS_TZ"))
	ts.Check(err)
	now := time.Now().In(loc)
	for name, shift := range map[string]int{"YESTERDAY": -1, "TODAY": 0, "TOMORROW": 1} {
		ts.Setenv(name, now.AddDate(0, 0, shift).Format("2006-01-02"))
	}
}
