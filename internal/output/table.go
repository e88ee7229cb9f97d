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

// minTextWidth is the narrowest a text column is made to fit a terminal
// (four characters and "…"), unless its values are narrower still.
const minTextWidth = 5

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

// tableColumn is what the table writer knows of a column.
type tableColumn struct {
	header string
	max    int  // widest laid out when the table is not fitted (piped)
	fixed  bool // never shortened to fit, never cut
}

// tableWriter lays out rows of already sanitized cells.
//
// Piped (termWidth 0), a column is as wide as its widest value in the first
// rows, up to its max, and a value is never cut: a longer one pushes the rest
// of its row to the right. On a terminal (termWidth > 0), the columns take
// their widest value in the first rows; when the line is wider than the
// terminal, the widest text columns are narrowed first, and values are cut
// with "…" to their column. A line never goes past the terminal's edge, so
// it never wraps.
type tableWriter struct {
	w         io.Writer
	cols      []tableColumn
	termWidth int
	widths    []int // nil until fixed
	pending   [][]string
	bold      *lipgloss.Style
	line      strings.Builder
}

func newTableWriter(w io.Writer, cols []tableColumn, termWidth int, color bool) *tableWriter {
	t := &tableWriter{w: w, cols: cols, termWidth: max(termWidth, 0)}
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
	t.widths = make([]int, len(t.cols))
	for i, c := range t.cols {
		cw := 0
		for _, r := range t.pending {
			cw = max(cw, width(r[i]))
		}
		if t.termWidth == 0 {
			cw = min(cw, c.max)
		}
		t.widths[i] = max(width(c.header), cw)
	}
	if t.termWidth > 0 {
		fixed := make([]bool, len(t.cols))
		for i, c := range t.cols {
			fixed[i] = c.fixed
		}
		fit(t.widths, fixed, t.termWidth-len(columnGap)*(len(t.cols)-1))
	}
	headers := make([]string, len(t.cols))
	for i, c := range t.cols {
		headers[i] = c.header
	}
	if err := t.writeRow(headers, true); err != nil {
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

// fit narrows the widths of the columns that are not fixed, the widest
// first, until they add up to at most room cells or each is down to
// minTextWidth (or its own width, when narrower). Columns that were too wide
// end up equally wide.
func fit(widths []int, fixed []bool, room int) {
	total := 0
	for _, w := range widths {
		total += w
	}
	for total > room {
		widest, second := -1, minTextWidth
		for i, w := range widths {
			switch {
			case fixed[i] || w <= minTextWidth:
			case widest < 0 || w > widths[widest]:
				if widest >= 0 {
					second = max(second, widths[widest])
				}
				widest = i
			default:
				second = max(second, w)
			}
		}
		if widest < 0 {
			return // nothing left to narrow: writeRow cuts the line
		}
		// Down to the next widest at once; one cell at a time among equals.
		cut := min(max(widths[widest]-second, 1), total-room)
		widths[widest] -= cut
		total -= cut
	}
}

func (t *tableWriter) writeRow(cells []string, header bool) error {
	b := &t.line
	b.Reset()
	pad := 0       // spaces owed before the next cell; never written at line end
	lineWidth := 0 // cells of the line so far
	for i, c := range cells {
		w := t.widths[i]
		cw := width(c)
		if t.termWidth > 0 && !t.cols[i].fixed && cw > w {
			c = ansi.Truncate(c, w, ellipsis)
			cw = width(c)
		}
		if i > 0 {
			pad += len(columnGap)
		}
		if c != "" {
			b.WriteString(strings.Repeat(" ", pad))
			lineWidth += pad + cw
			pad = 0
			if header && t.bold != nil {
				b.WriteString(t.bold.Render(c))
			} else {
				b.WriteString(c)
			}
		}
		// A value wider than its column (piped, or in a fixed column)
		// pushes the rest of its row; the next column still gets its gap.
		pad += max(w-cw, 0)
	}
	if t.termWidth > 0 && lineWidth > t.termWidth {
		// Fixed columns alone are wider than the terminal, or a late row
		// overflows one: the line stops at the edge rather than wrap.
		cut := ansi.Truncate(b.String(), t.termWidth, ellipsis)
		b.Reset()
		b.WriteString(cut)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.w, b.String())
	return err
}
