package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// mapEnv is an Env backed by a map, as the program's tests use it.
func mapEnv(m map[string]string) Env {
	return func(k string) string { return m[k] }
}

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"5/15m", Rate{5, 15 * time.Minute}, true},
		{"50/1h", Rate{50, time.Hour}, true},
		{" 3 / 30s ", Rate{3, 30 * time.Second}, true},
		{"1/1ms", Rate{1, time.Millisecond}, true},
		{"", Rate{}, false},
		{"5", Rate{}, false},
		{"5/", Rate{}, false},
		{"/15m", Rate{}, false},
		{"0/15m", Rate{}, false},
		{"-1/15m", Rate{}, false},
		{"5/0s", Rate{}, false},
		{"5/-1m", Rate{}, false},
		{"5/15", Rate{}, false}, // a window needs a unit
		{"five/15m", Rate{}, false},
		{"5.5/15m", Rate{}, false},
		{"5/15m/2", Rate{}, false},
	} {
		got, err := ParseRate(tc.in)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			continue
		}
		want := fmt.Sprintf("%q is not a rate; write it as failures/window, such as 5/15m", tc.in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseRate(%q) = %v, %v; want error %s", tc.in, got, err, want)
		}
		if got != (Rate{}) {
			t.Errorf("ParseRate(%q) returned %v with its error; want the zero Rate", tc.in, got)
		}
	}
}

// Every setting has its default when its variable is unset or empty.
func TestLoadDefaults(t *testing.T) {
	home := t.TempDir()
	for name, env := range map[string]map[string]string{
		"unset": {"EPICEVENTS_HOME": home},
		"empty": {
			"EPICEVENTS_HOME": home, "EPICEVENTS_DATABASE_URL": "", "EPICEVENTS_KEYRING": "",
			"EPICEVENTS_ACCESS_TTL": "", "EPICEVENTS_SESSION_TTL": "", "EPICEVENTS_SESSION_IDLE": "",
			"EPICEVENTS_LOGIN_THROTTLE": "", "EPICEVENTS_LOGIN_ACCOUNT_THROTTLE": "",
			"EPICEVENTS_LOGIN_IP_THROTTLE": "", "EPICEVENTS_TZ": "", "TZ": "",
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Load(mapEnv(env))
			if err != nil {
				t.Fatal(err)
			}
			want := Config{
				Home:            home,
				DatabaseURL:     "sqlite:" + filepath.Join(home, "epicevents.db"),
				Keyring:         true,
				Location:        time.Local,
				AccessTTL:       15 * time.Minute,
				SessionTTL:      12 * time.Hour,
				SessionIdle:     30 * time.Minute,
				Throttle:        Rate{5, 15 * time.Minute},
				AccountThrottle: Rate{50, 15 * time.Minute},
				IPThrottle:      Rate{50, 15 * time.Minute},
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("Load defaults:\n got %+v\nwant %+v", c, want)
			}
		})
	}
}

// Without EPICEVENTS_HOME the home is "epicevents" in the user's
// configuration folder.
func TestLoadDefaultHome(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the configuration folder is found from XDG_CONFIG_HOME on Linux only")
	}
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	c, err := Load(mapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(xdg, "epicevents"); c.Home != want {
		t.Errorf("Home = %q, want %q", c.Home, want)
	}
	if want := "sqlite:" + filepath.Join(xdg, "epicevents", "epicevents.db"); c.DatabaseURL != want {
		t.Errorf("DatabaseURL = %q, want %q", c.DatabaseURL, want)
	}

	// With no way to find the folder, the error says what to set.
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	_, err = Load(mapEnv(nil))
	if err == nil || !strings.HasPrefix(err.Error(), "cannot find your configuration folder; set EPICEVENTS_HOME: ") {
		t.Errorf("Load without a home = %v; want the error that names EPICEVENTS_HOME", err)
	}
}

// Each variable sets its one field.
func TestLoadSettings(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		check func(Config) any // the field under test
		want  any
	}{
		{"database URL", map[string]string{"EPICEVENTS_DATABASE_URL": "postgres://db/crm"},
			func(c Config) any { return c.DatabaseURL }, "postgres://db/crm"},
		{"database URL is kept as written", map[string]string{"EPICEVENTS_DATABASE_URL": "sqlite:/elsewhere/crm.db"},
			func(c Config) any { return c.DatabaseURL }, "sqlite:/elsewhere/crm.db"},
		{"keyring off", map[string]string{"EPICEVENTS_KEYRING": "off"},
			func(c Config) any { return c.Keyring }, false},
		{"keyring OFF in capitals", map[string]string{"EPICEVENTS_KEYRING": "OFF"},
			func(c Config) any { return c.Keyring }, false},
		{"keyring on", map[string]string{"EPICEVENTS_KEYRING": "on"},
			func(c Config) any { return c.Keyring }, true},
		{"keyring: only off turns it off", map[string]string{"EPICEVENTS_KEYRING": "no"},
			func(c Config) any { return c.Keyring }, true},
		{"JWT secret", map[string]string{"EPICEVENTS_JWT_SECRET": "new,old"},
			func(c Config) any { return c.JWTSecret }, "new,old"},
		{"Sentry DSN", map[string]string{"SENTRY_DSN": "https://k@sentry.example/1"},
			func(c Config) any { return c.SentryDSN }, "https://k@sentry.example/1"},
		{"Sentry environment", map[string]string{"SENTRY_ENVIRONMENT": "staging"},
			func(c Config) any { return c.SentryEnv }, "staging"},
		{"Sentry release", map[string]string{"SENTRY_RELEASE": "1.2.3"},
			func(c Config) any { return c.SentryRelease }, "1.2.3"},
		{"access TTL", map[string]string{"EPICEVENTS_ACCESS_TTL": "5m"},
			func(c Config) any { return c.AccessTTL }, 5 * time.Minute},
		{"session TTL", map[string]string{"EPICEVENTS_SESSION_TTL": "24h"},
			func(c Config) any { return c.SessionTTL }, 24 * time.Hour},
		{"session idle", map[string]string{"EPICEVENTS_SESSION_IDLE": "1h30m"},
			func(c Config) any { return c.SessionIdle }, 90 * time.Minute},
		{"login throttle", map[string]string{"EPICEVENTS_LOGIN_THROTTLE": "3/1m"},
			func(c Config) any { return c.Throttle }, Rate{3, time.Minute}},
		{"account throttle", map[string]string{"EPICEVENTS_LOGIN_ACCOUNT_THROTTLE": "20/1h"},
			func(c Config) any { return c.AccountThrottle }, Rate{20, time.Hour}},
		{"address throttle", map[string]string{"EPICEVENTS_LOGIN_IP_THROTTLE": "100/10m"},
			func(c Config) any { return c.IPThrottle }, Rate{100, 10 * time.Minute}},
		{"EPICEVENTS_TZ", map[string]string{"EPICEVENTS_TZ": "Europe/Paris"},
			func(c Config) any { return c.Location }, paris},
		{"TZ", map[string]string{"TZ": "Europe/Paris"},
			func(c Config) any { return c.Location }, paris},
		{"TZ with the POSIX colon", map[string]string{"TZ": ":Europe/Paris"},
			func(c Config) any { return c.Location }, paris},
		{"EPICEVENTS_TZ wins over TZ", map[string]string{"EPICEVENTS_TZ": "Asia/Tokyo", "TZ": "Europe/Paris"},
			func(c Config) any { return c.Location }, tokyo},
		{"EPICEVENTS_TZ wins even over a bad TZ", map[string]string{"EPICEVENTS_TZ": "Asia/Tokyo", "TZ": "Nowhere/Else"},
			func(c Config) any { return c.Location }, tokyo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"EPICEVENTS_HOME": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			c, err := Load(mapEnv(env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.check(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// A bad value is an error that names the variable, quotes the value and
// says how to write it.
func TestLoadInvalid(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"EPICEVENTS_ACCESS_TTL", "15", `EPICEVENTS_ACCESS_TTL="15" is not a duration; write it like 15m or 12h`},
		{"EPICEVENTS_ACCESS_TTL", "0s", `EPICEVENTS_ACCESS_TTL="0s" is not a duration; write it like 15m or 12h`},
		{"EPICEVENTS_ACCESS_TTL", "-5m", `EPICEVENTS_ACCESS_TTL="-5m" is not a duration; write it like 15m or 12h`},
		{"EPICEVENTS_SESSION_TTL", "a day", `EPICEVENTS_SESSION_TTL="a day" is not a duration; write it like 15m or 12h`},
		{"EPICEVENTS_SESSION_IDLE", "1d", `EPICEVENTS_SESSION_IDLE="1d" is not a duration; write it like 15m or 12h`},
		{"EPICEVENTS_LOGIN_THROTTLE", "5", `EPICEVENTS_LOGIN_THROTTLE: "5" is not a rate; write it as failures/window, such as 5/15m`},
		{"EPICEVENTS_LOGIN_ACCOUNT_THROTTLE", "0/15m", `EPICEVENTS_LOGIN_ACCOUNT_THROTTLE: "0/15m" is not a rate; write it as failures/window, such as 5/15m`},
		{"EPICEVENTS_LOGIN_IP_THROTTLE", "50/forever", `EPICEVENTS_LOGIN_IP_THROTTLE: "50/forever" is not a rate; write it as failures/window, such as 5/15m`},
		{"EPICEVENTS_TZ", "Mars/Olympus", `EPICEVENTS_TZ="Mars/Olympus" is not a time zone; use a name such as Europe/Paris`},
		{"TZ", "Nowhere/Else", `TZ="Nowhere/Else" is not a time zone; use a name such as Europe/Paris`},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			_, err := Load(mapEnv(map[string]string{"EPICEVENTS_HOME": t.TempDir(), tc.name: tc.value}))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Load: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

// Operator commands read a .env file, but the real environment wins over it.
func TestWithDotEnv(t *testing.T) {
	dir := t.TempDir()
	dotenv := "EPICEVENTS_DATABASE_URL=postgres://from-dotenv/crm\n" +
		"EPICEVENTS_JWT_SECRET=dotenv-secret\n" +
		"# a comment\n" +
		"EPICEVENTS_ACCESS_TTL=7m\n" +
		"export EPICEVENTS_SESSION_IDLE=\"45m\"\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(dotenv), 0o600); err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{
		"EPICEVENTS_HOME":       t.TempDir(),
		"EPICEVENTS_JWT_SECRET": "real-secret",
		"EPICEVENTS_ACCESS_TTL": "", // empty: .env fills it in
	}
	env, err := WithDotEnv(mapEnv(environ), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"EPICEVENTS_DATABASE_URL", "postgres://from-dotenv/crm"}, // only in .env
		{"EPICEVENTS_JWT_SECRET", "real-secret"},                  // both: the environment wins
		{"EPICEVENTS_ACCESS_TTL", "7m"},                           // empty in the environment
		{"EPICEVENTS_SESSION_IDLE", "45m"},                        // export and quotes
		{"EPICEVENTS_HOME", environ["EPICEVENTS_HOME"]},           // only in the environment
		{"EPICEVENTS_KEYRING", ""},                                // in neither
	} {
		if got := env(tc.name); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
	c, err := Load(env)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://from-dotenv/crm" || c.JWTSecret != "real-secret" ||
		c.AccessTTL != 7*time.Minute || c.SessionIdle != 45*time.Minute {
		t.Errorf("Load(.env + environment) = %+v", c)
	}
}

func TestWithDotEnvMissingOrUnreadable(t *testing.T) {
	environ := mapEnv(map[string]string{"EPICEVENTS_JWT_SECRET": "real-secret"})

	// No .env: the environment as it is.
	env, err := WithDotEnv(environ, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if env("EPICEVENTS_JWT_SECRET") != "real-secret" || env("EPICEVENTS_DATABASE_URL") != "" {
		t.Errorf("without .env the environment changed")
	}

	// A .env that cannot be read (here, a folder) is an error, not ignored.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".env"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := WithDotEnv(environ, dir); err == nil || !strings.HasPrefix(err.Error(), "cannot read .env: ") {
		t.Errorf("WithDotEnv(.env is a folder) = %v; want cannot read .env", err)
	}
}

func TestDefaultDatabase(t *testing.T) {
	for _, tc := range []struct{ home, want string }{
		{"/home/ann/.config/epicevents", "sqlite:" + filepath.Join("/home/ann/.config/epicevents", "epicevents.db")},
		{"rel", "sqlite:" + filepath.Join("rel", "epicevents.db")},
		{"/with space/x", "sqlite:" + filepath.Join("/with space/x", "epicevents.db")},
	} {
		if got := DefaultDatabase(tc.home); got != tc.want {
			t.Errorf("DefaultDatabase(%q) = %q, want %q", tc.home, got, tc.want)
		}
	}
}

// A fingerprint is 16 hex digits, the same for the same value, different for
// another, and does not show the value (a URL's password).
func TestFingerprint(t *testing.T) {
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	a := Fingerprint("postgres://crm:s3cret@db/crm")
	b := Fingerprint("postgres://crm:s3cret@db/crm2")
	for _, f := range []string{a, b, Fingerprint("")} {
		if !hex16.MatchString(f) {
			t.Errorf("fingerprint %q is not 16 hex digits", f)
		}
	}
	if a == b {
		t.Errorf("two URLs share the fingerprint %s", a)
	}
	if strings.Contains(a, "s3cret") {
		t.Errorf("fingerprint %q shows the password", a)
	}
	// SHA-256("") starts e3b0c44298fc1c14.
	if got := Fingerprint(""); got != "e3b0c44298fc1c14" {
		t.Errorf(`Fingerprint("") = %s, want e3b0c44298fc1c14`, got)
	}
}

func TestLoadRemembered(t *testing.T) {
	home := t.TempDir()
	c := Config{Home: home}

	// No config.json yet: nothing remembered, no error.
	r, err := c.LoadRemembered()
	if err != nil || r != (Remembered{}) {
		t.Fatalf("LoadRemembered without a file = %+v, %v", r, err)
	}

	if err := c.SaveRemembered(Remembered{Server: "https://crm.example.com"}); err != nil {
		t.Fatal(err)
	}
	if r, err = c.LoadRemembered(); err != nil || r.Server != "https://crm.example.com" {
		t.Fatalf("LoadRemembered after Save = %+v, %v", r, err)
	}

	// A broken file says which file and what to do.
	path := filepath.Join(home, "config.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = c.LoadRemembered()
	if want := path + " is not valid JSON; fix or delete it: "; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadRemembered(broken) = %v; want the prefix %q", err, want)
	}
}
