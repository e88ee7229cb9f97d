// Command gen writes docs/cli.md (the path given as its one argument) from
// the commands of epicevents; `go generate ./...` runs it.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/epicevents/epicevents/internal/cli/clidoc"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen PATH")
		os.Exit(2)
	}
	var buf bytes.Buffer
	if err := clidoc.Write(&buf); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
