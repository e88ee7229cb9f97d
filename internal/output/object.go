package output

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// Object writes one value, as shown by show, create, update and the actions.
// A table is one aligned "Header: value" line per column of the view, never
// cut; JSON is one indented object; CSV is a header and one row of the
// view's fields, like a list of one.
func Object[T any](w io.Writer, opt Options, view View[T], v T) error {
	format, err := opt.format()
	if err != nil {
		return err
	}
	switch format {
	case FormatJSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := w.Write(termsafe.JSON(buf.Bytes()))
		return err
	case FormatCSV:
		c, err := newCSVWriter(w, view.Fields)
		if err != nil {
			return err
		}
		return c.row(v)
	}
	fields := view.Columns
	labels := make([]string, len(fields))
	lw := 0
	for i, f := range fields {
		labels[i] = sanitize(f.Header) + ":"
		lw = max(lw, width(labels[i]))
	}
	var bold func(string) string
	if opt.Color {
		s := boldStyle()
		bold = func(x string) string { return s.Render(x) }
	}
	var b strings.Builder
	for i, f := range fields {
		label := labels[i]
		pad := strings.Repeat(" ", lw-width(label)+1)
		if bold != nil {
			label = bold(label)
		}
		val := sanitize(f.value(v))
		b.WriteString(label)
		if val != "" {
			b.WriteString(pad)
			b.WriteString(val)
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}
