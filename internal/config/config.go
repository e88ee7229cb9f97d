// Package config loads the one Config of the program: defaults, then (for
// operator commands only) a .env file, then the environment, then flags.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Config is everything the program reads from its environment.
type Config struct {
	Home        string // EPICEVENTS_HOME
	DatabaseURL string // EPICEVENTS_DATABASE_URL, default sqlite:<Home>/epicevents.db
	Keyring     bool   // false when EPICEVENTS_KEYRING=off
	JWTSecret   string // EPICEVENTS_JWT_SECRET, comma-separated keys
	Location    *time.Location

	AccessTTL     time.Duration
	SessionTTL    time.Duration
	SessionIdle   time.Duration
	Throttle      Rate
	IPThrottle    Rate
	SentryDSN     string
	SentryEnv     string
	SentryRelease string

	// Failed password checks allowed: Throttle per account and client
	// address (per account in local mode), AccountThrottle per account
	// across addresses, IPThrottle per address across accounts.
	AccountThrottle Rate
}

// Rate is an allowance of events per window, written "5/15m".
type Rate struct {
	Max    int
	Window time.Duration
}

// ParseRate reads "N/DURATION".
func ParseRate(s string) (Rate, error) {
	n, d, ok := strings.Cut(s, "/")
	max, err1 := strconv.Atoi(strings.TrimSpace(n))
	win, err2 := time.ParseDuration(strings.TrimSpace(d))
	if !ok || err1 != nil || err2 != nil || max < 1 || win <= 0 {
		return Rate{}, fmt.Errorf("%q is not a rate; write it as failures/window, such as 5/15m", s)
	}
	return Rate{max, win}, nil
}

// Env looks a variable up; it is os.Getenv in production and a map in tests.
type Env func(string) string

// WithDotEnv returns an Env where the variables of the .env file in dir fill
// in what env lacks: the real environment wins. Only operator commands use it,
// so that a .env in some folder cannot redirect an employee's password.
func WithDotEnv(env Env, dir string) (Env, error) {
	vals, err := godotenv.Read(filepath.Join(dir, ".env"))
	if errors.Is(err, fs.ErrNotExist) {
		return env, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read .env: %w", err)
	}
	return func(k string) string {
		if v := env(k); v != "" {
			return v
		}
		return vals[k]
	}, nil
}

// Load builds the Config from env.
func Load(env Env) (Config, error) {
	c := Config{
		Home:          env("EPICEVENTS_HOME"),
		DatabaseURL:   env("EPICEVENTS_DATABASE_URL"),
		Keyring:       !strings.EqualFold(env("EPICEVENTS_KEYRING"), "off"),
		JWTSecret:     env("EPICEVENTS_JWT_SECRET"),
		SentryDSN:     env("SENTRY_DSN"),
		SentryEnv:     env("SENTRY_ENVIRONMENT"),
		SentryRelease: env("SENTRY_RELEASE"),
	}
	if c.Home == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return c, fmt.Errorf("cannot find your configuration folder; set EPICEVENTS_HOME: %w", err)
		}
		c.Home = filepath.Join(dir, "epicevents")
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = DefaultDatabase(c.Home)
	}
	var err error
	if c.Location, err = location(env); err != nil {
		return c, err
	}
	durations := []struct {
		name string
		dst  *time.Duration
		def  time.Duration
	}{
		{"EPICEVENTS_ACCESS_TTL", &c.AccessTTL, 15 * time.Minute},
		{"EPICEVENTS_SESSION_TTL", &c.SessionTTL, 12 * time.Hour},
		{"EPICEVENTS_SESSION_IDLE", &c.SessionIdle, 30 * time.Minute},
	}
	for _, d := range durations {
		*d.dst = d.def
		if v := env(d.name); v != "" {
			if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst <= 0 {
				return c, fmt.Errorf("%s=%q is not a duration; write it like 15m or 12h", d.name, v)
			}
		}
	}
	rates := []struct {
		name string
		dst  *Rate
		def  string
	}{
		{"EPICEVENTS_LOGIN_THROTTLE", &c.Throttle, "5/15m"},
		{"EPICEVENTS_LOGIN_ACCOUNT_THROTTLE", &c.AccountThrottle, "50/15m"},
		{"EPICEVENTS_LOGIN_IP_THROTTLE", &c.IPThrottle, "50/15m"},
	}
	for _, r := range rates {
		v := env(r.name)
		if v == "" {
			v = r.def
		}
		if *r.dst, err = ParseRate(v); err != nil {
			return c, fmt.Errorf("%s: %w", r.name, err)
		}
	}
	return c, nil
}

func location(env Env) (*time.Location, error) {
	for _, name := range []string{"EPICEVENTS_TZ", "TZ"} {
		if v := env(name); v != "" {
			loc, err := time.LoadLocation(strings.TrimPrefix(v, ":"))
			if err != nil {
				return nil, fmt.Errorf("%s=%q is not a time zone; use a name such as Europe/Paris", name, v)
			}
			return loc, nil
		}
	}
	return time.Local, nil
}

// EnsureHome creates the home folder, mode 0700, when it does not exist. An
// existing folder keeps its mode: whoever made it may share it on purpose,
// and changing it could break what else lives there (HomeWarning says when
// others can look in). Every file the program writes in it is 0600.
func (c Config) EnsureHome() error {
	_, err := MakePrivateDir(c.Home)
	return err
}

// MakePrivateDir creates dir with mode 0700 whatever the umask, and the
// folders above it that are missing (0700 as well), and reports whether it
// created dir. An existing dir is left as it is.
func MakePrivateDir(dir string) (created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return false, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	err = os.Mkdir(dir, 0o700)
	if errors.Is(err, fs.ErrExist) {
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return false, fmt.Errorf("%s is a file, not a folder; move it away or set EPICEVENTS_HOME to a folder", dir)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	// The umask may have taken bits away; 0700 is what the owner needs.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(dir, 0o700); err != nil {
			return true, fmt.Errorf("cannot protect %s: %w", dir, err)
		}
	}
	return true, nil
}

// HomeWarning returns a one-line warning when the home folder exists and
// other users may read it or change it (its mode grants read or write to
// group or others), or "" when it is private or absent. The folder's mode is
// the owner's choice, so the program only says how to close it.
func (c Config) HomeWarning() string {
	if runtime.GOOS == "windows" {
		return ""
	}
	fi, err := os.Stat(c.Home)
	if err != nil || !fi.IsDir() {
		return ""
	}
	perm := fi.Mode().Perm()
	var what string
	switch read, write := perm&0o044 != 0, perm&0o022 != 0; {
	case read && write:
		what = "readable and writable by other users"
	case read:
		what = "readable by other users"
	case write:
		what = "writable by other users"
	default:
		return ""
	}
	return fmt.Sprintf("warning: %s is %s; run chmod 700 %s", c.Home, what, shellQuote(c.Home))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	safe := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@%,=", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Remembered is what config.json in the home folder keeps between commands.
type Remembered struct {
	Server string `json:"server,omitempty"`
}

// LoadRemembered reads config.json; a missing file is an empty Remembered.
func (c Config) LoadRemembered() (Remembered, error) {
	var r Remembered
	b, err := os.ReadFile(filepath.Join(c.Home, "config.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s is not valid JSON; fix or delete it: %w", filepath.Join(c.Home, "config.json"), err)
	}
	return r, nil
}

// SaveRemembered writes config.json, mode 0600 even when an older file was
// looser: a temporary file in the same folder, renamed over it.
func (c Config) SaveRemembered(r Remembered) error {
	if err := c.EnsureHome(); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	path := filepath.Join(c.Home, "config.json")
	f, err := os.CreateTemp(c.Home, ".config-*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // nothing left to remove after the rename
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot save %s: %w", path, err)
	}
	return nil
}

// DefaultDatabase is the database URL used when none is configured.
func DefaultDatabase(home string) string {
	return "sqlite:" + filepath.Join(home, "epicevents.db")
}

// Fingerprint is a short, stable, non-reversible name for a value such as a
// database URL that may carry a password.
func Fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
