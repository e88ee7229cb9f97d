package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// csvWriter writes values of T as CSV rows of their JSON fields: every text
// cell (a JSON string, object or array) in double quotes, made inert
// (termsafe.Text) and guarded against formulas (EscapeFormula); numbers and
// booleans as JSON writes them and null as an empty cell, both unquoted.
// The header's names are text cells too. Rows end with a line feed, and
// each is written with one Write as soon as it is known.
type csvWriter[T any] struct {
	w       io.Writer
	header  []string
	index   map[string]int
	wrote   bool // header written
	dynamic bool // header comes from the first row's keys
	enc     jsonEncoder
	cells   []json.RawMessage // the current row, by header position
	line    []byte            // the current row as written
}

func newCSVWriter[T any](w io.Writer) *csvWriter[T] {
	c := &csvWriter[T]{w: w}
	if names, ok := jsonFieldNames(reflect.TypeFor[T]()); ok {
		c.setHeader(names)
	} else {
		c.dynamic = true
	}
	return c
}

func (c *csvWriter[T]) setHeader(names []string) {
	c.header = names
	c.index = make(map[string]int, len(names))
	for i, n := range names {
		c.index[n] = i
	}
	c.cells = make([]json.RawMessage, len(names))
}

// writeHeader writes the header row once. With a dynamic header and no row
// yet, nothing can be known and nothing is written.
func (c *csvWriter[T]) writeHeader() error {
	if c.wrote || c.header == nil {
		return nil
	}
	c.wrote = true
	b := c.line[:0]
	for i, name := range c.header {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTextCell(b, name)
	}
	return c.flush(append(b, '\n'))
}

func (c *csvWriter[T]) row(v T) error {
	b, err := c.enc.encode(v)
	if err != nil {
		return err
	}
	if c.header == nil && c.dynamic {
		keys, _, err := splitObject(b)
		if err != nil {
			return err
		}
		c.setHeader(keys)
	}
	if err := c.writeHeader(); err != nil {
		return err
	}
	clear(c.cells)
	err = eachField(b, func(key, val []byte) {
		var j int
		var ok bool
		if bytes.IndexByte(key, '\\') < 0 {
			j, ok = c.index[string(key[1:len(key)-1])] // no copy: Go looks a []byte key up as is
		} else {
			j, ok = c.index[unquote(key)]
		}
		if ok {
			c.cells[j] = val
		}
	})
	if err != nil {
		return err
	}
	line := c.line[:0]
	for i, raw := range c.cells {
		if i > 0 {
			line = append(line, ',')
		}
		line = appendCell(line, raw)
	}
	return c.flush(append(line, '\n'))
}

func (c *csvWriter[T]) flush(line []byte) error {
	c.line = line[:0] // reused for the next row
	_, err := c.w.Write(line)
	return err
}

// appendCell appends one JSON value as a CSV cell: a string as its text,
// objects and arrays as their compact JSON text, both quoted as text cells;
// numbers and booleans as written; null as an empty cell.
func appendCell(b []byte, raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return b
	}
	switch raw[0] {
	case '"':
		return appendTextCell(b, termsafe.Text(unquote(raw)))
	case '{', '[':
		return appendTextCell(b, string(termsafe.JSON(raw)))
	case 'n':
		return b
	}
	return append(b, raw...)
}

// appendTextCell appends s, guarded against formulas, in double quotes with
// its own double quotes doubled.
func appendTextCell(b []byte, s string) []byte {
	s = EscapeFormula(s)
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// splitObject splits a JSON object into its keys and raw values, in order.
// null gives no keys (an all-empty row).
func splitObject(b []byte) (keys []string, vals []json.RawMessage, err error) {
	err = eachField(b, func(key, val []byte) {
		keys = append(keys, unquote(key))
		vals = append(vals, val)
	})
	return keys, vals, err
}

// eachField calls fn with the raw key (quotes included) and raw value of
// each member of a JSON object, in order; null has none. b must be what
// encoding/json writes: valid and compact, which lets a plain scan replace a
// decoder (many times faster, and CSV of a hundred thousand rows must
// stream fast).
func eachField(b []byte, fn func(key, val []byte)) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return errors.New("output: csv needs values that encode as JSON objects")
	}
	bad := func() error { return fmt.Errorf("output: unexpected JSON %.40q", b) }
	i := 1
	for i < len(b)-1 {
		if b[i] != '"' {
			return bad()
		}
		j := endOfString(b, i)
		if j < 0 || j+1 >= len(b) || b[j+1] != ':' {
			return bad()
		}
		key := b[i : j+1]
		i = j + 2
		j = endOfValue(b, i)
		if j < 0 {
			return bad()
		}
		fn(key, b[i:j])
		i = j
		if b[i] == ',' {
			i++
		}
	}
	return nil
}

// endOfString returns the index of the quote closing the string opened at
// b[i], or -1.
func endOfString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

// endOfValue returns the index just past the value starting at b[i]: the
// next ',' or closing bracket at depth 0, or -1.
func endOfValue(b []byte, i int) int {
	depth := 0
	for j := i; j < len(b); j++ {
		switch b[j] {
		case '"':
			if j = endOfString(b, j); j < 0 {
				return -1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			depth--
		case ',':
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

// unquote decodes a JSON string literal.
func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw)
	}
	return s
}

// EscapeFormula guards a CSV text cell against formula injection, whatever
// the list separator of the spreadsheet that opens the file. A spreadsheet
// runs a cell that starts with '=', '+', '-' or '@' (and Excel one that
// starts with a tab or a carriage return); and one whose list separator is
// ';' or a tab (French or German Excel, say) splits "Acme;=cmd|..." into two
// cells, the second a formula. So each of those characters, when it starts
// s or follows a ',', ';', tab or line break — the start of a cell for some
// spreadsheet — gets a "'" before it, which makes a spreadsheet show the
// rest as text. Double quotes between the separator and the character are
// skipped, as a spreadsheet would strip them (a plain number or a phone
// between such quotes is left alone, as in JSON text). A plain number (such
// as "-12.50") or a phone number ("+" and digits only) is left alone: it is
// data that a spreadsheet reads as such, not a formula.
func EscapeFormula(s string) string {
	if s == "" || isPlainNumber(s) || isPhone(s) {
		return s
	}
	var b []byte // nil until a character needs its "'"
	done := 0    // s[:done] is in b
	start, quoted := true, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start {
			switch c {
			case '"':
				quoted = true
				continue // still at the start of a cell
			case '=', '+', '-', '@', '\t', '\r':
				if quoted && quotedNumber(s[i:]) {
					break // such as the phone in {"phone":[null,"+33612345678"]}
				}
				if b == nil {
					b = make([]byte, 0, len(s)+4)
				}
				b = append(append(b, s[done:i]...), '\'')
				done = i
			}
		}
		quoted = false
		switch c {
		case ',', ';', '\t', '\n', '\r':
			start = true
		default:
			start = false
		}
	}
	if b == nil {
		return s
	}
	return string(append(b, s[done:]...))
}

// quotedNumber reports whether s, up to the next double quote, is a plain
// number or a phone: between quotes, such a value is data, not a formula.
func quotedNumber(s string) bool {
	end := strings.IndexByte(s, '"')
	if end < 0 {
		return false
	}
	return isPlainNumber(s[:end]) || isPhone(s[:end])
}

// isPlainNumber reports a decimal number: an optional sign, digits, and
// optionally a dot and more digits.
func isPlainNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	whole, frac, hasDot := cutByte(s, '.')
	return allDigits(whole) && (!hasDot || allDigits(frac))
}

// isPhone reports "+" followed by digits only, the stored form of a phone.
func isPhone(s string) bool {
	return len(s) > 1 && s[0] == '+' && allDigits(s[1:])
}

func cutByte(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jsonEncoder marshals like json.Marshal but leaves <, > and & alone, which
// suits a terminal and files better than HTML escapes.
type jsonEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
	raw []byte // the last record that wrote itself
}

// jsonAppender is a record that writes its own JSON, as encoding/json
// would and faster (crm.Client's AppendJSON).
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// encode returns the compact JSON of v, without a trailing newline. The
// bytes are valid until the next call.
func (e *jsonEncoder) encode(v any) ([]byte, error) {
	if a, ok := v.(jsonAppender); ok {
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
