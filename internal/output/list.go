package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// errClosed is returned by Row and Close after Close.
var errClosed = errors.New("output: list already closed")

// List renders a stream of values of T. Create it with NewList, call Row for
// each value and Close at the end. Each row is written with one Write call as
// soon as it can be: at once for JSON and CSV, and for a table once the first
// 50 rows have fixed the column widths (or at Close, for shorter lists); on
// a terminal (Options.Width), the table is fitted to its width. For
// large outputs the caller may wrap w in a bufio.Writer and flush it after
// Close. A List is not safe for concurrent use.
type List[T any] struct {
	w      io.Writer
	format Format
	cols   []Column[T]
	err    error // sticky: the first error, returned by every later call
	closed bool

	// JSON
	n   int
	enc jsonEncoder
	// CSV
	csv *csvWriter[T]
	// table
	table *tableWriter
}

// NewList starts a list written to w in opt.Format: a table of the view's
// Columns, CSV of its Fields, or JSON of T itself. An unknown format, or
// CSV of a view without fields, makes every later call fail.
func NewList[T any](w io.Writer, opt Options, view View[T]) *List[T] {
	l := &List[T]{w: w, cols: view.Columns}
	l.format, l.err = opt.format()
	switch l.format {
	case FormatCSV:
		if l.err == nil {
			l.csv, l.err = newCSVWriter(w, view.Fields)
		}
	case FormatTable:
		tc := make([]tableColumn, len(view.Columns))
		for i, c := range view.Columns {
			tc[i] = tableColumn{header: sanitize(c.Header), max: c.MaxWidth, fixed: c.Fixed}
			if tc[i].max <= 0 {
				tc[i].max = DefaultMaxWidth
			}
		}
		l.table = newTableWriter(w, tc, opt.Width, opt.Color)
	}
	return l
}

// Row writes one value.
func (l *List[T]) Row(v T) error {
	if l.err != nil {
		return l.err
	}
	if l.closed {
		return errClosed
	}
	l.err = l.row(v)
	return l.err
}

func (l *List[T]) row(v T) error {
	switch l.format {
	case FormatJSON:
		b, err := l.enc.encode(v)
		if err != nil {
			return err
		}
		b = termsafe.JSON(b)
		sep := ",\n  "
		if l.n == 0 {
			sep = "[\n  "
		}
		l.n++
		// One Write per row; b is reused, so copy into a fresh slice.
		out := make([]byte, 0, len(sep)+len(b))
		out = append(append(out, sep...), b...)
		_, err = l.w.Write(out)
		return err
	case FormatCSV:
		return l.csv.row(v)
	default:
		cells := make([]string, len(l.cols))
		for i, c := range l.cols {
			cells[i] = sanitize(c.value(v))
		}
		return l.table.row(cells)
	}
}

// Close ends the list: the closing bracket of a JSON array ("[]" when empty),
// the CSV header when no row came, the table header and short tables. It
// returns the first error met while writing.
func (l *List[T]) Close() error {
	if l.err != nil {
		return l.err
	}
	if l.closed {
		return errClosed
	}
	l.closed = true
	switch l.format {
	case FormatJSON:
		end := "\n]\n"
		if l.n == 0 {
			end = "[]\n"
		}
		_, l.err = io.WriteString(l.w, end)
	case FormatCSV:
		l.err = l.csv.writeHeader()
	default:
		l.err = l.table.flush()
	}
	return l.err
}

// jsonEncoder marshals like json.Marshal but leaves <, > and & alone, which
// suits a terminal and files better than HTML escapes. A record that writes
// its own JSON (crm.JSONAppender) does so, faster.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
	raw []byte // the last record that wrote itself
}

// encode returns the compact JSON of v, without a trailing newline. The
// bytes are valid until the next call.
func (e *jsonEncoder) encode(v any) ([]byte, error) {
	if a, ok := v.(crm.JSONAppender); ok {
		b, err := a.AppendJSON(e.raw[:0])
		if err != nil {
			return nil, err
		}
		e.raw = b
		return b, nil
	}
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.buf)
		e.enc.SetEscapeHTML(false)
	}
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}
