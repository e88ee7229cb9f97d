package output

import (
	"io"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// sampleRows is how many rows fix a table's column widths before it streams.
const sampleRows = 50

// columnGap separates table columns.
const columnGap = "  "

// ellipsis marks a value cut to its column width.
const ellipsis = "…"

// width is the number of terminal cells s takes (grapheme aware, so wide
// East Asian characters and emoji count as two).
func width(s string) int { return ansi.StringWidth(s) }

// boldStyle renders bold whatever the writer is: the caller has already
// decided that colour is welcome.
func boldStyle() lipgloss.Style {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	return r.NewStyle().Bold(true)
}

// tableWriter lays out rows of already sanitized cells.
type tableWriter struct {
	w       io.Writer
	headers []string
	max     []int
	widths  []int // nil until fixed
	pending [][]string
	bold    *lipgloss.Style
	line    strings.Builder
}

func newTableWriter(w io.Writer, headers []string, max []int, color bool) *tableWriter {
	t := &tableWriter{w: w, headers: headers, max: max}
	if color {
		s := boldStyle()
		t.bold = &s
	}
	return t
}

func (t *tableWriter) row(cells []string) error {
	if t.widths != nil {
		return t.writeRow(cells, false)
	}
	t.pending = append(t.pending, cells)
	if len(t.pending) >= sampleRows {
		return t.flush()
	}
	return nil
}

// flush fixes the widths from the rows seen so far, then writes the header
// and those rows.
func (t *tableWriter) flush() error {
	if t.widths != nil {
		return nil
	}
	t.widths = make([]int, len(t.headers))
	for i, h := range t.headers {
		cw := 0
		for _, r := range t.pending {
			cw = max(cw, width(r[i]))
		}
		t.widths[i] = max(width(h), min(cw, t.max[i]))
	}
	if err := t.writeRow(t.headers, true); err != nil {
		return err
	}
	for _, r := range t.pending {
		if err := t.writeRow(r, false); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

func (t *tableWriter) writeRow(cells []string, header bool) error {
	b := &t.line
	b.Reset()
	pad := 0 // spaces owed before the next cell; never written at line end
	for i, c := range cells {
		w := t.widths[i]
		if width(c) > w {
			c = ansi.Truncate(c, w, ellipsis)
		}
		if c != "" {
			if i > 0 {
				pad += len(columnGap)
			}
			b.WriteString(strings.Repeat(" ", pad))
			pad = 0
			if header && t.bold != nil {
				b.WriteString(t.bold.Render(c))
			} else {
				b.WriteString(c)
			}
		} else if i > 0 {
			pad += len(columnGap)
		}
		pad += w - width(c)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.w, b.String())
	return err
}
