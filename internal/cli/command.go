package cli

import (
	"bufio"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// Command returns the whole command tree of epicevents, with the help texts
// that --help shows, for tools that document it (internal/cli/clidoc writes
// docs/cli.md from it). Nothing in it has run: no configuration is read and
// no database is opened.
func Command() *cobra.Command {
	stdin := strings.NewReader("")
	a := &App{stdin: stdin, stdout: io.Discard, stderr: io.Discard, in: &lines{bufio.NewReader(stdin)},
		env: func(string) string { return "" }}
	return a.rootCmd()
}
