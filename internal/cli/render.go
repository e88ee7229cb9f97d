package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

// listFlags are the flags every list command shares.
type listFlags struct {
	limit int
}

func (l *listFlags) bind(cmd *cobra.Command) {
	cmd.Flags().IntVar(&l.limit, "limit", 100, "at most this many rows (0 = all, streamed)")
}

func (l listFlags) page() (crm.Page, error) {
	if l.limit < 0 {
		return crm.Page{}, crm.Invalid("limit", "must be 0 (all) or more")
	}
	return crm.Page{Limit: l.limit}, nil
}

// renderList streams the rows that fetch emits in the chosen format and says on
// stderr when more rows exist than the limit let through.
func renderList[T any](a *App, cols []output.Column[T], limit int, fetch func(crm.Emit[T]) (string, error)) error {
	l := output.NewList(a.stdout, a.format(), cols)
	rows := 0
	next, err := fetch(func(v T) error {
		rows++
		return l.Row(v)
	})
	if err != nil && rows == 0 {
		return err // print nothing on stdout when nothing was listed
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err == nil && next != "" {
		fmt.Fprintf(a.stderr, "Showing the first %d rows; more exist: use --limit N to see more (--limit 0 shows all).\n", limit)
	}
	return err
}

// renderObject shows one object in the chosen format.
func renderObject[T any](a *App, cols []output.Column[T], v T) error {
	return output.Object(a.stdout, a.format(), cols, v)
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
