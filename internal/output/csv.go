package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
)

// csvWriter writes values of T as CSV rows of their JSON fields.
type csvWriter[T any] struct {
	w       *csv.Writer
	header  []string
	index   map[string]int
	wrote   bool // header written
	dynamic bool // header comes from the first row's keys
	enc     jsonEncoder
}

func newCSVWriter[T any](w io.Writer) *csvWriter[T] {
	c := &csvWriter[T]{w: csv.NewWriter(w)}
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
}

// writeHeader writes the header row once. With a dynamic header and no row
// yet, nothing can be known and nothing is written.
func (c *csvWriter[T]) writeHeader() error {
	if c.wrote || c.header == nil {
		return nil
	}
	c.wrote = true
	return c.flushRecord(c.header)
}

func (c *csvWriter[T]) row(v T) error {
	b, err := c.enc.encode(v)
	if err != nil {
		return err
	}
	keys, vals, err := splitObject(b)
	if err != nil {
		return err
	}
	if c.header == nil && c.dynamic {
		c.setHeader(keys)
	}
	if err := c.writeHeader(); err != nil {
		return err
	}
	rec := make([]string, len(c.header))
	for i, k := range keys {
		if j, ok := c.index[k]; ok {
			rec[j] = csvCell(vals[i])
		}
	}
	return c.flushRecord(rec)
}

func (c *csvWriter[T]) flushRecord(rec []string) error {
	if err := c.w.Write(rec); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

// splitObject splits a JSON object into its keys and raw values, in order.
// null gives no keys (an all-empty row). b must be what encoding/json
// writes: valid and compact, which lets a plain scan replace a decoder
// (many times faster, and CSV of a hundred thousand rows must stream fast).
func splitObject(b []byte) (keys []string, vals []json.RawMessage, err error) {
	if string(b) == "null" {
		return nil, nil, nil
	}
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, nil, errors.New("output: csv needs values that encode as JSON objects")
	}
	bad := fmt.Errorf("output: unexpected JSON %.40q", b)
	i := 1
	for i < len(b)-1 {
		// key
		if b[i] != '"' {
			return nil, nil, bad
		}
		j := endOfString(b, i)
		if j < 0 || j+1 >= len(b) || b[j+1] != ':' {
			return nil, nil, bad
		}
		keys = append(keys, unquote(b[i:j+1]))
		// value
		i = j + 2
		j = endOfValue(b, i)
		if j < 0 {
			return nil, nil, bad
		}
		vals = append(vals, json.RawMessage(b[i:j]))
		i = j
		if b[i] == ',' {
			i++
		}
	}
	return keys, vals, nil
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

// csvCell renders one JSON value as a CSV cell: strings as they are (guarded
// against formula injection), numbers and booleans as written, null as an
// empty cell, objects and arrays as compact JSON.
func csvCell(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		return EscapeFormula(unquote(raw))
	case 'n':
		return ""
	}
	// Numbers, booleans, and objects and arrays as compact JSON text.
	return string(raw)
}

// EscapeFormula guards a CSV text cell against formula injection: a cell that
// starts with '=', '+', '-', '@', a tab or a carriage return gets a "'"
// prefix so that a spreadsheet shows it as text, unless it is a plain number
// (such as "-12.50") or a phone number ("+" and digits only).
func EscapeFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
	default:
		return s
	}
	if isPlainNumber(s) || isPhone(s) {
		return s
	}
	return "'" + s
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
