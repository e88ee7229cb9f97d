package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/config"
)

// TestLogoutServerDown: logout forgets the session here even when the server
// cannot be told, says so, and exits 0; the machine is back in local mode.
func TestLogoutServerDown(t *testing.T) {
	serverEnv := serveEnv(t)
	initCRM(t, serverEnv)
	base, _, stop := startServe(t, serverEnv)

	home := privateHome(t)
	vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off", "EPICEVENTS_TZ": "UTC"}
	code, _, stderr := remoteRun(t, vars, servePassword+"\n", "login", "--server", base, "--email", "ada@epic.example", "--password-stdin")
	if code != 0 {
		t.Fatalf("login: exit %d: %s", code, stderr)
	}
	stop()

	code, _, stderr = remoteRun(t, vars, "", "logout")
	if code != 0 || !strings.HasPrefix(stderr, "Logged out on this machine. The server could not be told") ||
		!strings.Contains(stderr, "idle timeout") {
		t.Fatalf("logout with the server down: exit %d: %s", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if len(line) > 80 {
			t.Errorf("a line wider than 80 columns: %q", line)
		}
	}
	if _, err := os.Stat(filepath.Join(home, "tokens.json")); !os.IsNotExist(err) {
		t.Errorf("the tokens are still here: %v", err)
	}
	if got := remembered(t, home); got != "" {
		t.Errorf("the server %q is still remembered", got)
	}
	code, _, stderr = remoteRun(t, vars, "", "whoami")
	if code != 3 || !strings.Contains(stderr, "not connected to a CRM") {
		t.Errorf("whoami after logout: exit %d: %s", code, stderr)
	}
}

// TestLogoutDatabaseDown: in local mode, a database that cannot be reached
// does not keep anyone logged in either.
func TestLogoutDatabaseDown(t *testing.T) {
	home := privateHome(t)
	dbURL := "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=2"
	vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off", "EPICEVENTS_DATABASE_URL": dbURL}
	tokens := filepath.Join(home, "tokens.json")
	saved := `{"database:` + config.Fingerprint(dbURL) + `": {"access_token": "a", "refresh_token": "r", "access_expires_at": "2999-01-01T00:00:00Z"}}`
	if err := os.WriteFile(tokens, []byte(saved), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := remoteRun(t, vars, "", "logout")
	if code != 0 || !strings.HasPrefix(stderr, "Logged out on this machine. The database could not be told") {
		t.Fatalf("logout with the database down: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(tokens); !os.IsNotExist(err) {
		t.Errorf("the tokens are still here: %v", err)
	}
}

// TestDamagedTokens: tokens that cannot be read mean "not logged in" (exit
// 3), never an internal error; logout forgets them, and login replaces them.
func TestDamagedTokens(t *testing.T) {
	env := serveEnv(t)
	initCRM(t, env)
	home := env("EPICEVENTS_HOME")
	tokens := filepath.Join(home, "tokens.json")
	for _, damaged := range []string{"{not json", "", "[1, 2]", `{"x": 5}`} {
		if err := os.WriteFile(tokens, []byte(damaged), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stderr := runCLI(t, env, "", "whoami")
		if code != 3 || !strings.Contains(stderr, "you are not logged in: the session saved in "+tokens+" is unreadable") {
			t.Errorf("whoami with tokens.json %q: exit %d: %s", damaged, code, stderr)
		}
		code, stderr = runCLI(t, env, "", "logout")
		if code != 3 || !strings.Contains(stderr, "you are not logged in") {
			t.Errorf("logout with tokens.json %q: exit %d: %s", damaged, code, stderr)
		}
		if _, err := os.Stat(tokens); !os.IsNotExist(err) {
			t.Errorf("logout left the damaged tokens.json %q: %v", damaged, err)
		}
	}
	if err := os.WriteFile(tokens, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, stderr := runCLI(t, env, servePassword+"\n", "login", "--email", "ada@epic.example", "--password-stdin"); code != 0 {
		t.Fatalf("login over damaged tokens: exit %d: %s", code, stderr)
	}
	if code, stderr := runCLI(t, env, "", "whoami"); code != 0 {
		t.Fatalf("whoami after login: exit %d: %s", code, stderr)
	}
}
