package clidoc

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCLIDocUpToDate fails when docs/cli.md is not what the commands
// generate: a command, a flag or a help text changed without the document.
func TestCLIDocUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := Write(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
		i := 0
		for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
			i++
		}
		line := func(l []string) string {
			if i < len(l) {
				return l[i]
			}
			return "(end of file)"
		}
		t.Fatalf("docs/cli.md is out of date: run `go generate ./...`\nfirst difference at line %d:\n  file:      %s\n  generated: %s", i+1, line(gl), line(wl))
	}
}

func TestLinkAndAnchor(t *testing.T) {
	for _, c := range []struct{ page, want string }{
		{"epicevents.md", "#epicevents"},
		{"epicevents_clients.md", "#epicevents-clients"},
		{"epicevents_clients_list.md", "#epicevents-clients-list"},
	} {
		if got := link(c.page); got != c.want {
			t.Errorf("link(%q) = %q, want %q", c.page, got, c.want)
		}
	}
}

func TestDemoteLeavesCodeBlocks(t *testing.T) {
	in := "## a\n\n```\n# a shell comment\n```\n### b\n"
	want := "### a\n\n```\n# a shell comment\n```\n#### b\n"
	if got := string(demote([]byte(in))); got != want {
		t.Errorf("demote = %q, want %q", got, want)
	}
}

func TestCompact(t *testing.T) {
	in := "### x\n\nShort\n\n#### Synopsis\n\n```text\nLong\n```\n\n#### Options\n\n```\n  -h, --help   help for x\n```\n\n"
	want := "### x\n\nShort\n\n```text\nLong\n```\n\n"
	if got := string(compact([]byte(in))); got != want {
		t.Errorf("compact = %q, want %q", got, want)
	}
	in = "#### Options\n\n```\n      --all   everyone\n  -h, --help   help for list\n```\n"
	want = "#### Options\n\n```\n      --all   everyone\n```\n"
	if got := string(compact([]byte(in))); got != want {
		t.Errorf("compact = %q, want %q", got, want)
	}
}
