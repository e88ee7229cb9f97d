package cli_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/testdb"
)

func TestMigrateAppRoleUsage(t *testing.T) {
	env := serveEnv(t)
	code, stderr := runCLI(t, env, "", "migrate", "up", "--app-role", "epicevents_app")
	if code != 2 || !strings.Contains(stderr, "--app-role is for PostgreSQL") {
		t.Errorf("migrate up --app-role on SQLite: exit %d: %s", code, stderr)
	}
	code, stderr = runCLI(t, env, "", "migrate", "status", "--app-role", "epicevents_app")
	if code != 2 || !strings.Contains(stderr, "--app-role goes with `migrate up`") {
		t.Errorf("migrate status --app-role: exit %d: %s", code, stderr)
	}
}

// TestAppRoleEndToEnd follows docs/postgresql.md: the owner migrates and
// grants, then init, the CLI and serve run as the application role; serve
// warns when it runs as the owner or as a superuser.
func TestAppRoleEndToEnd(t *testing.T) {
	d := testdb.AppRole(t) // skips without PostgreSQL
	home := t.TempDir()
	asRole := func(dbURL string) func(string) string {
		vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off", "EPICEVENTS_DATABASE_URL": dbURL}
		return func(k string) string { return vars[k] }
	}
	owner, app := asRole(d.OwnerURL), asRole(d.AppURL)
	expect := func(env func(string) string, stdin string, wantCode int, want string, args ...string) {
		t.Helper()
		code, stderr := runCLI(t, env, stdin, args...)
		if code != wantCode || !strings.Contains(stderr, want) {
			t.Fatalf("%s: exit %d, want %d with %q: %s", strings.Join(args, " "), code, wantCode, want, stderr)
		}
	}

	// Start from an empty schema, as on a fresh database.
	for {
		code, stderr := runCLI(t, owner, "", "migrate", "down", "--yes")
		if code != 0 {
			t.Fatalf("migrate down as the owner: exit %d: %s", code, stderr)
		}
		if strings.Contains(stderr, "Nothing to roll back") {
			break
		}
	}
	// The application role cannot set up the schema: it says who can.
	expect(app, servePassword+"\n", 1, "as the owner role",
		"init", "--email", "ada@epic.example", "--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")

	expect(owner, "", 2, "create it first: CREATE ROLE nobody_here LOGIN PASSWORD", "migrate", "up", "--app-role", "nobody_here")
	expect(owner, "", 2, "is not valid", "migrate", "up", "--app-role", `x"; DROP TABLE clients; --`)
	expect(owner, "", 6, "the role running the migration", "migrate", "up", "--app-role", d.Owner)
	expect(owner, "", 0, "Granted "+d.App+" the privileges of the application role.", "migrate", "up", "--app-role", d.App)
	expect(owner, "", 0, "The schema is up to date.", "migrate", "up", "--app-role", d.App)

	// As the application role: init, migrate status/up (read only), the CLI.
	expect(app, "", 0, "The schema is up to date.", "migrate", "up")
	expect(app, "", 0, "", "migrate", "status")
	expect(app, servePassword+"\n", 0, "The CRM is ready",
		"init", "--email", "ada@epic.example", "--first-name", "Ada", "--last-name", "Lovelace", "--password-stdin")
	expect(app, "", 1, "cannot roll back the schema", "migrate", "down", "--yes")
	expect(app, servePassword+"\n", 0, "Logged in as Ada Lovelace", "login", "--email", "ada@epic.example", "--password-stdin")
	expect(app, servePassword+"\n", 0, "", "employees", "create", "--first-name", "Tim", "--last-name", "Porary",
		"--email", "tim@epic.example", "--role", "SUPPORT", "--password-stdin")
	expect(app, "", 0, "", "employees", "delete", "2", "--yes")
	expect(app, "", 0, "Logged out.", "logout")

	// serve as the application role: no warning about its privileges.
	base, logs, stop := startServe(t, app)
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"ada@epic.example","password":"`+servePassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login through serve as the application role: %d\n%s", resp.StatusCode, logs.String())
	}
	if code := stop(); code != 0 || strings.Contains(logs.String(), "SECURITY") {
		t.Errorf("serve as the application role: exit %d:\n%s", code, logs.String())
	}

	// serve as the owner, then as a superuser: a loud warning each.
	u, err := url.Parse(d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := url.Parse(os.Getenv(testdb.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	u.User = b.User
	for _, c := range []struct {
		env  func(string) string
		want string
	}{
		{owner, "the OWNER of the CRM tables"},
		{asRole(u.String()), "as the SUPERUSER"},
	} {
		_, logs, stop := startServe(t, c.env)
		stop()
		out := logs.String()
		if !strings.Contains(out, `"level":"WARN"`) || !strings.Contains(out, c.want) ||
			!strings.Contains(out, "migrate up --app-role") {
			t.Errorf("serve's warning lacks %q:\n%s", c.want, out)
		}
	}
}
