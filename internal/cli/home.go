package cli

import (
	"fmt"
	"path/filepath"
	"strings"
)

// warnOpenHome says on stderr, once per command, when EPICEVENTS_HOME exists
// and other users may read or change it. Its mode is left as it is: the
// owner chose it, and the files the CLI keeps there are 0600 anyway. Call it
// where a command reads or writes in the home folder.
func (a *App) warnOpenHome() {
	if a.homeChecked || !a.loaded {
		return
	}
	a.homeChecked = true
	if w := a.cfg.HomeWarning(); w != "" {
		fmt.Fprintln(a.stderr, w)
	}
}

// inFolder reports whether path lies in dir (or is dir).
func inFolder(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
