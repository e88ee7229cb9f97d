package cli

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// listCmd is a command shaped like `epicevents clients list`, with the
// global flags, for the next-page tests.
func listCmd(t *testing.T, args ...string) *cobra.Command {
	t.Helper()
	root := &cobra.Command{Use: "epicevents"}
	root.PersistentFlags().StringP("output", "o", "table", "")
	root.PersistentFlags().Bool("debug", false, "")
	root.PersistentFlags().String("server", "", "")
	list := &cobra.Command{Use: "list", Run: func(*cobra.Command, []string) {}}
	list.Flags().String("search", "", "")
	list.Flags().Bool("mine", false, "")
	list.Flags().Int("limit", 100, "")
	list.Flags().String("cursor", "", "")
	clients := &cobra.Command{Use: "clients", Aliases: []string{"client"}}
	clients.AddCommand(list)
	root.AddCommand(clients)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return cmd
}

func TestNextPageCommand(t *testing.T) {
	const next = "eyJrIjoiY2xpZW50cyJ9"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"clients", "list", "--search", "casey"},
			"epicevents clients list --search casey --cursor " + next},
		// Every flag given stays, global ones included, as typed.
		{[]string{"-o", "json", "client", "list", "--mine", "--limit=2", "--server", "https://crm.example.com:8443/x"},
			"epicevents -o json client list --mine --limit=2 --server https://crm.example.com:8443/x --cursor " + next},
		{[]string{"clients", "list", "-ocsv", "--debug"},
			"epicevents clients list -ocsv --debug --cursor " + next},
		// The cursor given is replaced, in either form.
		{[]string{"clients", "list", "--cursor", "old", "--limit", "5"},
			"epicevents clients list --limit 5 --cursor " + next},
		{[]string{"clients", "list", "--cursor=old", "--search", "x"},
			"epicevents clients list --search x --cursor " + next},
		// A value that looks like a flag is the value of the flag before it.
		{[]string{"clients", "list", "--search", "--cursor"},
			"epicevents clients list --search --cursor --cursor " + next},
		{[]string{"clients", "list", "--search", "-o"},
			"epicevents clients list --search -o --cursor " + next},
		// Values are quoted so that the line can be pasted.
		{[]string{"clients", "list", "--search", "john ouick"},
			"epicevents clients list --search 'john ouick' --cursor " + next},
		{[]string{"clients", "list", "--search", "O'Hara & co; rm -rf ~ $(id) `id` *"},
			`epicevents clients list --search 'O'\''Hara & co; rm -rf ~ $(id) ` + "`id`" + ` *' --cursor ` + next},
		{[]string{"clients", "list", "--search", ""},
			"epicevents clients list --search '' --cursor " + next},
		{[]string{"clients", "list", "--search=Aliénor"},
			"epicevents clients list '--search=Aliénor' --cursor " + next},
		{[]string{"clients", "list", "--search", "=cmd"},
			"epicevents clients list --search '=cmd' --cursor " + next},
		{[]string{"clients", "list", "--search", "a\nb\tc\x1b[31m\\'"},
			`epicevents clients list --search $'a\nb\tc\x1b[31m\\\'' --cursor ` + next},
		{[]string{"clients", "list", "--search", "evil\u202ecorp", "--", "x"},
			`epicevents clients list --search $'evil\u202ecorp' -- x --cursor ` + next},
		{[]string{"clients", "list", "--search", "bad\xffbyte"},
			`epicevents clients list --search $'bad\xffbyte' --cursor ` + next},
	} {
		cmd := listCmd(t, tc.args...)
		if got := nextPageCommand(cmd.Flags(), tc.args, next); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

// TestShellQuoteRoundTrip has a real shell read each quoted word back.
func TestShellQuoteRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash:", err)
	}
	words := []string{"plain", "", "two words", "O'Hara", `back\slash`, "$HOME", "`id`", "a\nb", "tab\there",
		"\x1b[31mred", "Aliénor", "東京", "evil\u202ecorp", "=cmd", "~root", "*", "-x", "bad\xffbyte", "\\'\"", "!event"}
	var script strings.Builder
	script.WriteString("printf '%s\\0'")
	for _, w := range words {
		script.WriteString(" " + shellQuote(w))
	}
	out, err := exec.Command(bash, "--norc", "--noprofile", "-c", script.String()).Output()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, script.String())
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(got) != len(words) {
		t.Fatalf("bash read %d words, want %d: %q", len(got), len(words), got)
	}
	for i, w := range words {
		if got[i] != w {
			t.Errorf("%q quoted as %s reads back as %q", w, shellQuote(w), got[i])
		}
	}
}
