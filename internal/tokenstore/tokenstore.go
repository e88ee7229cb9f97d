// Package tokenstore keeps the CLI's tokens between commands: in the OS
// keychain when one answers, else in a 0600 file in EPICEVENTS_HOME. Tokens
// are kept per target (server URL or database) and per home.
package tokenstore

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
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/epicevents/epicevents/internal/config"
)

// Service is the keychain service name under which tokens are stored.
const Service = "epicevents"

// FileName is the name of the fallback file in the home directory.
const FileName = "tokens.json"

// keyringTimeout bounds every keychain call: a missing keychain daemon (a
// headless machine without a D-Bus secret service, say) can hang forever.
const keyringTimeout = 2 * time.Second

// Tokens is what the CLI keeps of a session.
type Tokens struct {
	AccessToken     string    `json:"access_token"`
	RefreshToken    string    `json:"refresh_token"`
	AccessExpiresAt time.Time `json:"access_expires_at"`
}

// keyringAPI is the part of go-keyring the store uses; tests swap it.
type keyringAPI struct {
	get func(service, user string) (string, error)
	set func(service, user, secret string) error
	del func(service, user string) error
}

// Store loads, saves and deletes tokens. It is safe for concurrent use within
// a process; two processes writing the file at once cannot corrupt it (writes
// are atomic renames) but the last writer wins.
type Store struct {
	home string

	mu         sync.Mutex
	useKeyring bool // turned off for good once a keychain call fails
	timeout    time.Duration
	kr         keyringAPI
}

// New returns a store for the home directory (EPICEVENTS_HOME). With
// useKeyring the OS keychain is tried first; the file is the fallback.
func New(home string, useKeyring bool) *Store {
	if abs, err := filepath.Abs(home); err == nil {
		home = abs
	}
	return &Store{
		home:       home,
		useKeyring: useKeyring,
		timeout:    keyringTimeout,
		kr:         keyringAPI{get: keyring.Get, set: keyring.Set, del: keyring.Delete},
	}
}

// Path is the file used when the keychain is off or does not answer.
func (s *Store) Path() string { return filepath.Join(s.home, FileName) }

// Load returns the tokens stored for target, or nil and no error when none
// are stored: the one place where absent is not an error.
func (s *Store) Load(target string) (*Tokens, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	fileTok, fileErr := s.fileLoad(target)
	if s.useKeyring {
		kt, err := s.keyringLoad(target)
		if err != nil {
			if fileTok != nil {
				return fileTok, nil
			}
			return nil, err
		}
		// Both may exist when a save fell back to the file while the
		// keychain was away. The later expiry is the later login or
		// refresh; using the older refresh token would look like token
		// reuse and end the session.
		if kt != nil && (fileTok == nil || !fileTok.AccessExpiresAt.After(kt.AccessExpiresAt)) {
			return kt, nil
		}
	}
	return fileTok, fileErr
}

// Save stores the tokens for target, replacing any.
func (s *Store) Save(target string, t Tokens) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.useKeyring {
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		key := s.key(target)
		if s.keyringCall(func() error { return s.kr.set(Service, key, string(b)) }) == nil {
			// Best effort: an older copy left in the file loses to the
			// keychain in Load anyway, so a failure here must not fail
			// a login.
			_ = s.fileUpdate(target, nil)
			return nil
		}
	}
	return s.fileUpdate(target, &t)
}

// Delete forgets the tokens of target, in the keychain and in the file.
// Nothing stored is not an error. A keychain that does not answer is
// skipped: logout revokes the session on the server, which makes any copy
// left there useless.
func (s *Store) Delete(target string) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.useKeyring {
		key := s.key(target)
		// ErrNotFound is fine; a failure has already switched to the file.
		_ = s.keyringCall(func() error { return s.kr.del(Service, key) })
	}
	return s.fileUpdate(target, nil)
}

// key names target in the keychain: per home and per target, and not
// revealing either.
func (s *Store) key(target string) string {
	sum := sha256.Sum256([]byte(s.home + "\x00" + target))
	return hex.EncodeToString(sum[:16])
}

var errKeyringTimeout = errors.New("the keychain did not answer in time")

// keyringCall runs f with a timeout. On any failure but "not found" the store
// stays on the file from then on. It returns nil or keyring.ErrNotFound when
// the keychain answered, another error when it did not.
func (s *Store) keyringCall(f func() error) error {
	done := make(chan error, 1) // buffered: a late answer must not block the goroutine
	go func() { done <- f() }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		err = errKeyringTimeout
	}
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		s.useKeyring = false
	}
	return err
}

// keyringLoad returns the tokens in the keychain, or nil when there are none
// or the keychain does not answer.
func (s *Store) keyringLoad(target string) (*Tokens, error) {
	key := s.key(target)
	secret := make(chan string, 1) // buffered: the call may outlive the timeout
	if err := s.keyringCall(func() error {
		v, err := s.kr.get(Service, key)
		secret <- v
		return err
	}); err != nil {
		return nil, nil
	}
	var t Tokens
	if err := json.Unmarshal([]byte(<-secret), &t); err != nil {
		return nil, &damagedError{where: "the system keychain", err: err}
	}
	return &t, nil
}

// damagedError is stored tokens that cannot be read: a tokens file or a
// keychain entry that is not what Save writes.
type damagedError struct {
	where string // the file's path, or "the system keychain"
	err   error
}

func (e *damagedError) Error() string {
	return fmt.Sprintf("the tokens in %s are damaged (%v); log in again", e.where, e.err)
}

func (e *damagedError) Unwrap() error { return e.err }

// IsDamaged reports whether err is Load's error for stored tokens that cannot
// be read. Nothing in them can be used: the caller is as good as logged out,
// and the next Save or Delete replaces them.
func IsDamaged(err error) bool {
	var d *damagedError
	return errors.As(err, &d)
}

// Where names the place of damaged tokens (a file's path, or the system
// keychain) for a message, or "" when err is not IsDamaged.
func Where(err error) string {
	var d *damagedError
	if errors.As(err, &d) {
		return d.where
	}
	return ""
}

// fileRead returns every entry of the file; an absent file is empty.
func (s *Store) fileRead() (map[string]Tokens, error) {
	path := s.Path()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Tokens{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading tokens: %w", err)
	}
	if err := tighten(path); err != nil {
		return nil, err
	}
	m := map[string]Tokens{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, &damagedError{where: path, err: err}
	}
	return m, nil
}

func (s *Store) fileLoad(target string) (*Tokens, error) {
	m, err := s.fileRead()
	if err != nil {
		return nil, err
	}
	if t, ok := m[target]; ok {
		return &t, nil
	}
	return nil, nil
}

// fileUpdate sets (t != nil) or removes (t == nil) the entry of target. A
// damaged file is replaced, since nothing in it can be used. Removing an
// entry that is not there writes nothing.
func (s *Store) fileUpdate(target string, t *Tokens) error {
	m, err := s.fileRead()
	var damaged *damagedError
	switch {
	case errors.As(err, &damaged):
		m = map[string]Tokens{}
	case err != nil:
		return err
	}
	if t != nil {
		m[target] = *t
	} else {
		if _, ok := m[target]; !ok && damaged == nil {
			return nil
		}
		delete(m, target)
	}
	return s.fileWrite(m)
}

// fileWrite replaces the file atomically: a temporary file with mode 0600 in
// the same directory, synced, then renamed over it. No entry left removes it.
func (s *Store) fileWrite(m map[string]Tokens) error {
	path := s.Path()
	if len(m) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing tokens: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	// A missing home is made private; an existing one keeps its mode (the
	// file itself is 0600 whatever the folder's).
	if _, err := config.MakePrivateDir(s.home); err != nil {
		return err
	}
	f, err := os.CreateTemp(s.home, ".tokens-*.tmp") // CreateTemp uses mode 0600
	if err != nil {
		return fmt.Errorf("saving tokens: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing to remove
	if runtime.GOOS != "windows" {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return fmt.Errorf("saving tokens: %w", err)
		}
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("saving tokens: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("saving tokens: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving tokens: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving tokens: %w", err)
	}
	return nil
}

// tighten brings a tokens file readable by others back to 0600.
func tighten(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("reading tokens: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("protecting %s: %w", path, err)
		}
	}
	return nil
}
