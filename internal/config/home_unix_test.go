//go:build unix

package config

import (
	"path/filepath"
	"syscall"
	"testing"
)

// A new home is 0700 whatever the umask, and so are the folders made above it.
func TestNewHomeIsPrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	for _, umask := range []int{0, 0o022, 0o277} {
		syscall.Umask(umask)
		c := Config{Home: filepath.Join(t.TempDir(), "config", "epicevents")}
		if w := c.HomeWarning(); w != "" {
			t.Errorf("warning about a home that does not exist: %q", w)
		}
		if err := c.EnsureHome(); err != nil {
			t.Fatal(err)
		}
		if got := modeOf(t, c.Home); got != 0o700 {
			t.Errorf("umask %#o: new home has mode %#o, want 0700", umask, got)
		}
		if got := modeOf(t, filepath.Dir(c.Home)); got&0o077 != 0 {
			t.Errorf("umask %#o: the folder made above it has mode %#o", umask, got)
		}
		if w := c.HomeWarning(); w != "" {
			t.Errorf("warning about a private home: %q", w)
		}
	}
}
