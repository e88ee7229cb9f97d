// Package output is the one renderer behind -o table|json|csv. Lists stream:
// a row is written as soon as it arrives (after the first rows of a table,
// which fix the column widths), so a million-row listing never sits in memory.
package output

import (
	"fmt"
	"strings"
	"time"
)

// Format is an output format chosen with -o.
type Format string

// The output formats. The zero Format renders as a table.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
)

// ParseFormat turns the value of -o into a Format. It accepts any letter case
// and surrounding spaces.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatJSON, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown output format %q; use table, json or csv", s)
}

// DefaultMaxWidth is the widest a table column gets when Column.MaxWidth is 0.
const DefaultMaxWidth = 40

// A View is how lists and objects of T are shown: Columns for a table,
// Fields for CSV. JSON needs neither: it writes T itself.
type View[T any] struct {
	// Columns are a table's columns, or the lines of an object shown as a
	// table: what a reader needs, in the user's words and time zone.
	Columns []Column[T]
	// Fields are the columns of CSV: every field of T's JSON, in the same
	// order and under the same names.
	Fields []Field[T]
}

// Column is one column of a table (or one line of an object shown as a
// table).
type Column[T any] struct {
	// Header is the column title in a table, or the label of an object's line.
	Header string
	// Value renders the cell for one value. It may return any text: control
	// characters are replaced before it reaches the terminal.
	Value func(T) string
	// MaxWidth caps the column width in terminal cells when the table is not
	// written to a terminal (Options.Width is 0); 0 means DefaultMaxWidth.
	// There, a longer value is written whole and pushes the rest of its row.
	// On a terminal the columns are fitted to its width instead. It does not
	// apply to Object.
	MaxWidth int
	// Fixed keeps the column's values whole when a table is fitted to a
	// terminal: ids, times, amounts, phones, which mean nothing cut. The
	// other columns hold text, and the widest of them are narrowed first,
	// their values cut with "…".
	Fixed bool
}

func (c Column[T]) value(v T) string {
	if c.Value == nil {
		return ""
	}
	return c.Value(v)
}

// Options says how to render.
type Options struct {
	// Format is the output format; the zero value means FormatTable.
	Format Format
	// Color allows styling (bold headers) in tables. The caller decides: true
	// only when writing to a terminal that takes escape sequences (TERM is
	// not "dumb") and NO_COLOR is unset.
	Color bool
	// Width is the width, in cells, of the terminal that a table is written
	// to: its lines are fitted to it and never go past its edge. 0 means
	// that the output is not a terminal (a pipe, a file): then no value is
	// ever cut.
	Width int
}

func (o Options) format() (Format, error) {
	switch o.Format {
	case "", FormatTable:
		return FormatTable, nil
	case FormatJSON, FormatCSV:
		return o.Format, nil
	}
	return "", fmt.Errorf("unknown output format %q; use table, json or csv", string(o.Format))
}

// TimeLayout is how tables show times: minutes, in the user's zone.
const TimeLayout = "2006-01-02 15:04"

// FormatTime renders t as "2006-01-02 15:04" in loc (time.Local when loc is
// nil). The zero time renders as "".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(TimeLayout)
}

// FormatOptTime is FormatTime for an optional time: nil renders as "".
func FormatOptTime(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return FormatTime(*t, loc)
}
