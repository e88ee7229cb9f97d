package tokenstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func tokens(n int) Tokens {
	return Tokens{
		AccessToken:     fmt.Sprintf("access-%d", n),
		RefreshToken:    fmt.Sprintf("refresh-%d", n),
		AccessExpiresAt: time.Date(2025, 1, 1, 12, n, 0, 0, time.UTC),
	}
}

func mustLoad(t *testing.T, s *Store, target string) *Tokens {
	t.Helper()
	got, err := s.Load(target)
	if err != nil {
		t.Fatalf("Load(%q): %v", target, err)
	}
	return got
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s has mode %o, want %o", path, got, want)
	}
}

func fileEntries(t *testing.T, home string) map[string]Tokens {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(home, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Tokens{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFileRoundTrip(t *testing.T) {
	home := filepath.Join(t.TempDir(), "a", "epicevents")
	s := New(home, false)

	if got := mustLoad(t, s, "https://crm.example"); got != nil {
		t.Fatalf("Load before any Save = %+v, want nil", got)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created the home directory: %v", err)
	}

	want := tokens(1)
	if err := s.Save("https://crm.example", want); err != nil {
		t.Fatal(err)
	}
	checkMode(t, home, 0o700)
	checkMode(t, filepath.Join(home, FileName), 0o600)

	got := mustLoad(t, New(home, false), "https://crm.example")
	if got == nil || *got != want {
		t.Fatalf("Load = %+v, want %+v", got, want)
	}

	// Saving again replaces.
	if err := s.Save("https://crm.example", tokens(2)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "https://crm.example"); *got != tokens(2) {
		t.Fatalf("after second Save: %+v", got)
	}

	// No temporary file is left behind.
	entries, _ := os.ReadDir(home)
	if len(entries) != 1 || entries[0].Name() != FileName {
		t.Errorf("home holds %v, want only %s", entries, FileName)
	}

	if err := s.Delete("https://crm.example"); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "https://crm.example"); got != nil {
		t.Fatalf("Load after Delete = %+v", got)
	}
	if _, err := os.Stat(filepath.Join(home, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty tokens file not removed: %v", err)
	}
	if err := s.Delete("https://crm.example"); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
}

func TestTargetsIndependent(t *testing.T) {
	home := t.TempDir()
	s := New(home, false)
	if err := s.Save("https://a.example", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save("sqlite:/tmp/x.db", tokens(2)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "https://a.example"); *got != tokens(1) {
		t.Errorf("a: %+v", got)
	}
	if got := mustLoad(t, s, "sqlite:/tmp/x.db"); *got != tokens(2) {
		t.Errorf("x.db: %+v", got)
	}
	if err := s.Delete("https://a.example"); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "https://a.example"); got != nil {
		t.Errorf("a after Delete: %+v", got)
	}
	if got := mustLoad(t, s, "sqlite:/tmp/x.db"); got == nil || *got != tokens(2) {
		t.Errorf("x.db after deleting a: %+v", got)
	}
}

func TestHomesIndependent(t *testing.T) {
	for _, kr := range []bool{false, true} {
		t.Run(fmt.Sprint("keyring=", kr), func(t *testing.T) {
			keyring.MockInit()
			h1, h2 := t.TempDir(), t.TempDir()
			s1, s2 := New(h1, kr), New(h2, kr)
			if err := s1.Save("https://a.example", tokens(1)); err != nil {
				t.Fatal(err)
			}
			if got := mustLoad(t, s2, "https://a.example"); got != nil {
				t.Fatalf("second home sees the first's tokens: %+v", got)
			}
			if err := s2.Save("https://a.example", tokens(2)); err != nil {
				t.Fatal(err)
			}
			if got := mustLoad(t, s1, "https://a.example"); *got != tokens(1) {
				t.Errorf("first home: %+v", got)
			}
			if err := s2.Delete("https://a.example"); err != nil {
				t.Fatal(err)
			}
			if got := mustLoad(t, s1, "https://a.example"); got == nil {
				t.Error("deleting in one home deleted in the other")
			}
		})
	}
}

func TestLooseModeTightened(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	home := t.TempDir()
	s := New(home, false)
	if err := s.Save("t", tokens(1)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(home, FileName)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "t"); got == nil {
		t.Fatal("tokens lost")
	}
	checkMode(t, path, 0o600)
}

func TestDamagedFile(t *testing.T) {
	for _, content := range []string{"{not json", "", "[]", `{"t": 5}`, "\x00\xff\xfe", `{"t": {"access_token": 7}}`} {
		home := t.TempDir()
		path := filepath.Join(home, FileName)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		s := New(home, false)
		_, err := s.Load("t")
		if !IsDamaged(err) || Where(err) != path {
			t.Fatalf("Load of %q: %v (damaged %v, where %q), want damaged at %s", content, err, IsDamaged(err), Where(err), path)
		}
		// Logging in again repairs it.
		if err := s.Save("t", tokens(1)); err != nil {
			t.Fatal(err)
		}
		if got := mustLoad(t, s, "t"); got == nil || *got != tokens(1) {
			t.Fatalf("after repair: %+v", got)
		}
		// Logging out of a damaged file removes it.
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete("t"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("after Delete of a damaged %q: %v", content, err)
		}
	}
	if IsDamaged(os.ErrPermission) || Where(os.ErrPermission) != "" {
		t.Error("another error taken for damaged tokens")
	}
}

func TestKeyringUsed(t *testing.T) {
	keyring.MockInit()
	home := t.TempDir()
	s := New(home, true)
	if err := s.Save("https://a.example", tokens(1)); err != nil {
		t.Fatal(err)
	}
	secret, err := keyring.Get(Service, s.key("https://a.example"))
	if err != nil {
		t.Fatalf("tokens not in the keychain: %v", err)
	}
	var inKeyring Tokens
	if err := json.Unmarshal([]byte(secret), &inKeyring); err != nil || inKeyring != tokens(1) {
		t.Fatalf("keychain holds %q (%v)", secret, err)
	}
	if _, err := os.Stat(filepath.Join(home, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tokens file written although the keychain works: %v", err)
	}
	if got := mustLoad(t, New(home, true), "https://a.example"); got == nil || *got != tokens(1) {
		t.Fatalf("Load = %+v", got)
	}
	if err := s.Delete("https://a.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(Service, s.key("https://a.example")); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("keychain item not deleted: %v", err)
	}
	if got := mustLoad(t, s, "https://a.example"); got != nil {
		t.Errorf("Load after Delete = %+v", got)
	}
}

func TestKeyringSaveRemovesStaleFileCopy(t *testing.T) {
	keyring.MockInit()
	home := t.TempDir()
	if err := New(home, false).Save("a", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if err := New(home, false).Save("b", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if err := New(home, true).Save("a", tokens(2)); err != nil {
		t.Fatal(err)
	}
	m := fileEntries(t, home)
	if _, ok := m["a"]; ok {
		t.Error("stale copy of a left in the file")
	}
	if _, ok := m["b"]; !ok {
		t.Error("b lost from the file")
	}
}

func TestLoadPrefersNewerCopy(t *testing.T) {
	keyring.MockInit()
	home := t.TempDir()
	// The keychain holds an old login; a later refresh fell back to the file.
	if err := New(home, true).Save("a", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if err := New(home, false).Save("a", tokens(2)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, New(home, true), "a"); *got != tokens(2) {
		t.Errorf("Load = %+v, want the newer file copy", got)
	}
	// And the other way round.
	if err := New(home, true).Save("a", tokens(3)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, New(home, true), "a"); *got != tokens(3) {
		t.Errorf("Load = %+v, want the newer keychain copy", got)
	}
}

func TestKeyringErrorFallsBackToFile(t *testing.T) {
	keyring.MockInitWithError(errors.New("no secret service"))
	home := t.TempDir()
	s := New(home, true)
	if err := s.Save("a", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if m := fileEntries(t, home); m["a"] != tokens(1) {
		t.Fatalf("file holds %+v", m)
	}
	// Once failed, the store stays on the file even if the keychain returns.
	keyring.MockInit()
	if err := s.Save("a", tokens(2)); err != nil {
		t.Fatal(err)
	}
	if m := fileEntries(t, home); m["a"] != tokens(2) {
		t.Fatalf("file holds %+v", m)
	}
	if _, err := keyring.Get(Service, s.key("a")); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("keychain used after a failure: %v", err)
	}
	if got := mustLoad(t, s, "a"); *got != tokens(2) {
		t.Errorf("Load = %+v", got)
	}
}

func TestKeyringTimeout(t *testing.T) {
	home := t.TempDir()
	s := New(home, true)
	s.timeout = 50 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	hang := func() { calls.Add(1); <-release }
	s.kr = keyringAPI{
		get: func(string, string) (string, error) { hang(); return "", nil },
		set: func(string, string, string) error { hang(); return nil },
		del: func(string, string) error { hang(); return nil },
	}
	start := time.Now()
	if got := mustLoad(t, s, "a"); got != nil {
		t.Fatalf("Load = %+v", got)
	}
	if err := s.Save("a", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "a"); got == nil || *got != tokens(1) {
		t.Fatalf("Load = %+v", got)
	}
	if err := s.Delete("a"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v: the keychain was waited for more than once", d)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("keychain called %d times, want 1: it must not be tried again after hanging", n)
	}
}

func TestUnreadableKeyringValue(t *testing.T) {
	keyring.MockInit()
	home := t.TempDir()
	s := New(home, true)
	if err := keyring.Set(Service, s.key("a"), "garbage"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("a"); !IsDamaged(err) || Where(err) != "the system keychain" {
		t.Errorf("unreadable keychain value: %v", err)
	}
	if err := s.Save("a", tokens(1)); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, s, "a"); *got != tokens(1) {
		t.Errorf("Load = %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New(t.TempDir(), false)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			target := fmt.Sprint("t", i)
			for j := range 10 {
				if err := s.Save(target, tokens(j)); err != nil {
					t.Error(err)
					return
				}
				if got, err := s.Load(target); err != nil || got == nil || *got != tokens(j) {
					t.Errorf("%s: Load = %+v, %v", target, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestKeyDependsOnHomeAndTarget(t *testing.T) {
	a, b := New("/h1", true), New("/h2", true)
	if a.key("t") == b.key("t") || a.key("t") == a.key("u") || a.key("t") != New("/h1", false).key("t") {
		t.Error("keys must differ per home and per target, and be stable")
	}
	// No ambiguity between home and target boundaries.
	if New("/h", true).key("1t") == New("/h1", true).key("t") {
		t.Error("home and target run together")
	}
}
