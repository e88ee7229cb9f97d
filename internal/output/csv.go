package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// A Field is one column of CSV: its header and how to write its cell for a
// value of T. The fields of a record are its JSON fields, in the same order
// and under the same names; build them with Text, OptText, Int, OptInt,
// Bool, Money, Time, OptTime and JSONValue, which say the kind of each cell:
//
//   - text (Text, Money, Time and the text of JSONValue) is written in
//     double quotes, its own double quotes doubled, made inert on a terminal
//     (termsafe.Text) and guarded against formulas (EscapeFormula);
//   - numbers and booleans are written as JSON writes them, unquoted;
//   - null (a nil pointer) is an empty cell.
type Field[T any] struct {
	// Name heads the column, as a text cell.
	Name string
	cell func(b []byte, v T) ([]byte, error)
}

// Text is a field of text.
func Text[T any](name string, get func(T) string) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		return appendTextCell(b, termsafe.Text(get(v))), nil
	}}
}

// OptText is a field of text that may be null.
func OptText[T any](name string, get func(T) *string) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		if s := get(v); s != nil {
			return appendTextCell(b, termsafe.Text(*s)), nil
		}
		return b, nil
	}}
}

// Int is a field of a whole number, such as an id.
func Int[T any](name string, get func(T) int64) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		return strconv.AppendInt(b, get(v), 10), nil
	}}
}

// OptInt is a field of a whole number that may be null.
func OptInt[T any](name string, get func(T) *int64) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		if n := get(v); n != nil {
			return strconv.AppendInt(b, *n, 10), nil
		}
		return b, nil
	}}
}

// Bool is a field of true or false.
func Bool[T any](name string, get func(T) bool) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		return strconv.AppendBool(b, get(v)), nil
	}}
}

// An Amount appends its text to b, such as "1500.50" (crm.Cents does).
type Amount interface {
	AppendText(b []byte) []byte
}

// Money is a field of an amount, written as text (as JSON writes it: a
// string), which stays a plain number for a spreadsheet.
func Money[T any, M Amount](name string, get func(T) M) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		open := len(b)
		return closeTextCell(get(v).AppendText(append(b, '"')), open), nil
	}}
}

// Time is a field of a time, written as text in RFC 3339 with the
// nanoseconds it has, as JSON writes it; a time that RFC 3339 cannot show
// (a year beyond 9999) fails, as it does in JSON.
func Time[T any](name string, get func(T) time.Time) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		return appendTimeCell(b, get(v))
	}}
}

// OptTime is a field of a time that may be null.
func OptTime[T any](name string, get func(T) *time.Time) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		if t := get(v); t != nil {
			return appendTimeCell(b, *t)
		}
		return b, nil
	}}
}

// JSONValue is a field of any value, written as encoding/json writes it: a
// string as text, an object or an array as its compact JSON text (made inert
// with termsafe.JSON), a number or a boolean unquoted, null as an empty
// cell. The audit's changes are one.
func JSONValue[T any](name string, get func(T) any) Field[T] {
	return Field[T]{Name: name, cell: func(b []byte, v T) ([]byte, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(get(v)); err != nil {
			return nil, err
		}
		return appendCell(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
	}}
}

// FieldsOf makes the fields of E fields of T, through get: the fields of a
// record that another one embeds.
func FieldsOf[T, E any](fields []Field[E], get func(T) E) []Field[T] {
	out := make([]Field[T], len(fields))
	for i, f := range fields {
		out[i] = Field[T]{Name: f.Name, cell: func(b []byte, v T) ([]byte, error) { return f.cell(b, get(v)) }}
	}
	return out
}

// errNoFields is returned for CSV of a view without fields.
var errNoFields = errors.New("output: CSV needs the fields of the view")

// csvWriter writes values of T as CSV rows of their fields, under a header
// of the fields' names. Rows end with a line feed, and each is written with
// one Write as soon as it is known.
type csvWriter[T any] struct {
	w      io.Writer
	fields []Field[T]
	wrote  bool   // header written
	line   []byte // the current row as written
}

func newCSVWriter[T any](w io.Writer, fields []Field[T]) (*csvWriter[T], error) {
	if len(fields) == 0 {
		return nil, errNoFields
	}
	for _, f := range fields {
		if f.cell == nil {
			return nil, fmt.Errorf("output: the CSV field %q was not made by a field constructor", f.Name)
		}
	}
	return &csvWriter[T]{w: w, fields: fields}, nil
}

// writeHeader writes the header row once.
func (c *csvWriter[T]) writeHeader() error {
	if c.wrote {
		return nil
	}
	c.wrote = true
	b := c.line[:0]
	for i, f := range c.fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTextCell(b, f.Name)
	}
	return c.flush(append(b, '\n'))
}

func (c *csvWriter[T]) row(v T) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	line := c.line[:0]
	for i, f := range c.fields {
		if i > 0 {
			line = append(line, ',')
		}
		var err error
		if line, err = f.cell(line, v); err != nil {
			return err
		}
	}
	return c.flush(append(line, '\n'))
}

func (c *csvWriter[T]) flush(line []byte) error {
	c.line = line[:0] // reused for the next row
	_, err := c.w.Write(line)
	return err
}

// appendTimeCell appends t as a text cell, as time.Time's MarshalJSON
// writes it (RFC 3339 with the nanoseconds it has), and fails for the same
// times.
func appendTimeCell(b []byte, t time.Time) ([]byte, error) {
	open := len(b)
	b, err := t.AppendText(append(b, '"'))
	if err != nil {
		return nil, err
	}
	return closeTextCell(b, open), nil
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

// closeTextCell ends a text cell whose text was appended as it is after its
// opening quote, at b[open]. A text that the rules of appendTextCell would
// leave alone (amounts and times always are) is closed where it stands,
// without a copy; any other goes through them.
func closeTextCell(b []byte, open int) []byte {
	text := b[open+1:]
	if plainText(text) {
		return append(b, '"')
	}
	return appendTextCell(b[:open], termsafe.Text(string(text)))
}

// plainText reports a text that termsafe.Text and EscapeFormula leave as it
// is and that holds no double quote: printable ASCII without a separator of
// any spreadsheet, that starts with no formula character unless it is a
// plain number or a phone.
func plainText(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c > 0x7e || c == '"' || c == ',' || c == ';' {
			return false
		}
	}
	if len(s) > 0 {
		switch s[0] {
		case '=', '+', '-', '@':
			return isPlainNumber(string(s)) || isPhone(string(s))
		}
	}
	return true
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
