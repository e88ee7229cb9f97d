package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

// listFlags are the flags every list command shares.
type listFlags struct {
	limit  int
	cursor string
}

func (l *listFlags) bind(cmd *cobra.Command) {
	cmd.Flags().IntVar(&l.limit, "limit", 100, "at most this many rows (0 = all, streamed)")
	cmd.Flags().StringVar(&l.cursor, cursorFlag, "", "start after a page: the `cursor` of its \"more:\" line")
}

func (l listFlags) page() (crm.Page, error) {
	if l.limit < 0 {
		return crm.Page{}, crm.Invalid("limit", "must be 0 (all) or more")
	}
	return crm.Page{Limit: l.limit, Cursor: l.cursor}, nil
}

// renderList streams the rows that fetch emits in the chosen format. When
// more rows exist than the limit let through, one line on stderr gives the
// command that shows the next page, whatever the format.
func renderList[T any](a *App, view output.View[T], fetch func(crm.Emit[T]) (string, error)) error {
	l := output.NewList(a.stdout, a.format(), view)
	rows := 0
	next, err := fetch(func(v T) error {
		rows++
		return l.Row(v)
	})
	if err != nil && rows == 0 {
		return badCursor(err) // print nothing on stdout when nothing was listed
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err == nil && next != "" {
		fs := pflag.NewFlagSet("", pflag.ContinueOnError)
		if a.cmd != nil { // set by the root's PersistentPreRunE
			fs = a.cmd.Flags()
		}
		fmt.Fprintf(a.stderr, "more: %s\n", nextPageCommand(fs, a.args, next))
	}
	return err
}

// badCursor says in the CLI's words that --cursor was not one of this list's
// (another list's, or mangled in a copy).
func badCursor(err error) error {
	if e, ok := crm.AsError(err); ok && e.Code == crm.CodeInvalid && len(e.Fields) == 1 && e.Fields[0].Field == cursorFlag {
		return &crm.Error{Code: crm.CodeInvalid, Message: "--cursor: not a cursor of this list; run the command without --cursor to start from the first page",
			Fields: e.Fields, Err: err}
	}
	return err
}

// renderObject shows one object in the chosen format.
func renderObject[T any](a *App, view output.View[T], v T) error {
	return output.Object(a.stdout, a.format(), view, v)
}

// changesText renders audit changes as "field: before → after; …".
func changesText(c map[string]crm.Change) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %s → %s", k, jsonText(c[k][0]), jsonText(c[k][1]))
	}
	return strings.Join(parts, "; ")
}

func jsonText(v any) string {
	if v == nil {
		return "∅"
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// done prints a short confirmation on stderr, so that stdout holds only data.
func (a *App) done(format string, args ...any) {
	fmt.Fprintf(a.stderr, format+"\n", args...)
}
