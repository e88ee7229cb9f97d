package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// privateHome returns a fresh EPICEVENTS_HOME of mode 0700, as the CLI makes
// one (t.TempDir's folders are 0755, which the CLI would warn about).
func privateHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	return home
}

// An EPICEVENTS_HOME that others can read keeps its mode; each command that
// uses it says so once, in plain words, and goes on.
func TestOpenHomeWarnsOnce(t *testing.T) {
	dead := deadURL(t)
	for _, mode := range []os.FileMode{0o755, os.ModeSticky | 0o777} {
		home := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(home, mode); err != nil {
			t.Fatal(err)
		}
		vars := map[string]string{"EPICEVENTS_HOME": home, "EPICEVENTS_KEYRING": "off",
			"EPICEVENTS_DATABASE_URL": "sqlite:" + filepath.Join(home, "crm.db")}
		code, _, stderr := remoteRun(t, vars, "", "whoami", "--server", dead)
		warning := "warning: " + home + " is readable"
		if code != 3 || strings.Count(stderr, warning) != 1 || !strings.Contains(stderr, "run chmod 700 "+home+"\n") {
			t.Errorf("%#o: exit %d: %q", mode, code, stderr)
		}
		// A local command that opens the database in the home: once too.
		code, _, stderr = remoteRun(t, vars, "", "clients", "list")
		if strings.Count(stderr, warning) != 1 {
			t.Errorf("%#o: clients list: exit %d: %q", mode, code, stderr)
		}
		fi, err := os.Stat(home)
		if err != nil || fi.Mode()&(os.ModePerm|os.ModeSticky) != mode {
			t.Errorf("%#o: the home's mode changed: %v %v", mode, fi.Mode(), err)
		}
	}

	// A private home: not a word.
	vars := map[string]string{"EPICEVENTS_HOME": privateHome(t), "EPICEVENTS_KEYRING": "off"}
	if _, _, stderr := remoteRun(t, vars, "", "whoami", "--server", dead); strings.Contains(stderr, "warning") {
		t.Errorf("warning about a private home: %q", stderr)
	}
}
