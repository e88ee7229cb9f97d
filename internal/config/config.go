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

// EnsureHome creates the home folder with mode 0700.
func (c Config) EnsureHome() error {
	if err := os.MkdirAll(c.Home, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", c.Home, err)
	}
	return os.Chmod(c.Home, 0o700)
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

// SaveRemembered writes config.json (mode 0600).
func (c Config) SaveRemembered(r Remembered) error {
	if err := c.EnsureHome(); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	return os.WriteFile(filepath.Join(c.Home, "config.json"), append(b, '\n'), 0o600)
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
