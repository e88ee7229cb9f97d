package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func modeOf(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (os.ModePerm | os.ModeSticky)
}

// An existing home keeps its mode, whatever the program does in it; a
// warning says when others can read or change it, and how to close it.
func TestExistingHomeKeepsItsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	for _, tc := range []struct {
		mode os.FileMode
		warn string // "" = none
	}{
		{0o700, ""},
		{0o711, ""},
		{0o750, "is readable by other users"},
		{0o755, "is readable by other users"},
		{0o730, "is writable by other users"},
		{0o777, "is readable and writable by other users"},
		{os.ModeSticky | 0o777, "is readable and writable by other users"},
	} {
		home := filepath.Join(t.TempDir(), "my home")
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(home, tc.mode); err != nil {
			t.Fatal(err)
		}
		c := Config{Home: home}
		if err := c.EnsureHome(); err != nil {
			t.Fatal(err)
		}
		if err := c.SaveRemembered(Remembered{Server: "https://crm.example.com"}); err != nil {
			t.Fatal(err)
		}
		if got := modeOf(t, home); got != tc.mode {
			t.Errorf("%#o: the home became %#o", tc.mode, got)
		}
		if got := modeOf(t, filepath.Join(home, "config.json")); got != 0o600 {
			t.Errorf("%#o: config.json has mode %#o, want 0600", tc.mode, got)
		}
		w := c.HomeWarning()
		switch {
		case tc.warn == "" && w != "":
			t.Errorf("%#o: unexpected warning %q", tc.mode, w)
		case tc.warn != "":
			want := "warning: " + home + " " + tc.warn + "; run chmod 700 '" + home + "'"
			if w != want {
				t.Errorf("%#o: warning %q, want %q", tc.mode, w, want)
			}
		}
	}
}

// config.json written over a looser one is 0600, and reads back.
func TestSaveRememberedTightens(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	c := Config{Home: t.TempDir()}
	path := filepath.Join(c.Home, "config.json")
	if err := os.WriteFile(path, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.SaveRemembered(Remembered{Server: "https://crm.example.com"}); err != nil {
		t.Fatal(err)
	}
	if got := modeOf(t, path); got != 0o600 {
		t.Errorf("config.json has mode %#o, want 0600", got)
	}
	r, err := c.LoadRemembered()
	if err != nil || r.Server != "https://crm.example.com" {
		t.Errorf("LoadRemembered = %+v, %v", r, err)
	}
	entries, _ := os.ReadDir(c.Home)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestHomeThatIsAFile(t *testing.T) {
	home := filepath.Join(t.TempDir(), "epicevents")
	if err := os.WriteFile(home, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := Config{Home: home}.EnsureHome()
	if err == nil || !strings.Contains(err.Error(), "is a file, not a folder") {
		t.Errorf("EnsureHome on a file: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/home/ada/.config/epicevents": "/home/ada/.config/epicevents",
		"/tmp/my home":                 "'/tmp/my home'",
		"/tmp/it's":                    `'/tmp/it'\''s'`,
		"/tmp/$(reboot)":               "'/tmp/$(reboot)'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
