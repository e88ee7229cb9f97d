package tokenstore

import (
	"os"
	"path/filepath"
	"testing"
)

// A home made by someone else keeps its mode (the CLI warns about it
// instead); the tokens file in it is 0600 all the same.
func TestExistingHomeKeepsItsMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o755, 0o777} {
		home := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(home, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(home, mode); err != nil {
			t.Fatal(err)
		}
		if err := New(home, false).Save("https://crm.example", tokens(1)); err != nil {
			t.Fatal(err)
		}
		checkMode(t, home, mode)
		checkMode(t, filepath.Join(home, FileName), 0o600)
	}
}
