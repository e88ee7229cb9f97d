package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// csvFromJSON is the rule that CSV follows, written from a value's JSON:
// a header of its keys, then one row of its values, each cell by its JSON
// type — a string as a text cell, an object or array as the text of its
// compact JSON, a number or boolean as it is, null as an empty cell. The
// JSON is read with encoding/json's decoder, which keeps the keys in order.
func csvFromJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%T is not a JSON object: %v %v", v, tok, err)
	}
	var header, row []string
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		header = append(header, textCell(key.(string)))
		var cell string
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			cell = textCell(termsafe.Text(s))
		case '{', '[':
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				t.Fatal(err)
			}
			cell = textCell(string(termsafe.JSON(compact.Bytes())))
		case 'n':
		default:
			cell = string(raw)
		}
		row = append(row, cell)
	}
	return strings.Join(header, ",") + "\n" + strings.Join(row, ",") + "\n"
}

// textCell quotes s as CSV text, guarded against formulas.
func textCell(s string) string {
	return `"` + strings.ReplaceAll(EscapeFormula(s), `"`, `""`) + `"`
}

// objectCSV is the CSV of v through its fields.
func objectCSV[T any](t *testing.T, fields []Field[T], v T) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	err := Object(&buf, Options{Format: FormatCSV}, View[T]{Fields: fields}, v)
	return buf.String(), err
}

var texts = []string{"", "plain", "Adèle André", "emoji 🎉 and 中文", `quote " backslash \ slash /`,
	"<script>&amp;</script>", "\b\f\n\r\t", "\x00\x01\x1f\x7f\u0085\u009b\u202e", "\u2028 and \u2029",
	"bad utf-8 \xff\xfe end", "\xed\xa0\x80 surrogate half", "=cmd|' /C calc'!A0", "a;+1", "-12.50",
	"+33612345678", "+33 6", "\r\n@x", `a,"=x"`, "truncated \xe2\x80"}

// TestFieldsFollowJSON: CSV through fields is, byte for byte, the CSV that
// the rule above makes of the value's JSON, for every kind of field, with
// nulls, hostile texts, amounts and times in odd zones.
func TestFieldsFollowJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	zones := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("LMT", 561), time.FixedZone("NST", -12600)}
	for i := range 2000 {
		text := func() string { return texts[r.IntN(len(texts))] + texts[r.IntN(len(texts))] }
		c := client{ID: r.Int64() - 1<<62, Name: text(), Total: money(r.Int64N(1<<40) - 1<<39), Signed: r.IntN(2) == 0,
			At: time.Unix(r.Int64N(253402300799), int64(r.IntN(3))*r.Int64N(1e9)).In(zones[r.IntN(len(zones))])}
		if r.IntN(3) > 0 {
			p := text()
			c.Phone = &p
		}
		if r.IntN(3) > 0 {
			c.Changes = map[string]change{text(): {text(), nil}, "n": {r.Float64(), r.IntN(2) == 0}}
		}
		got, err := objectCSV(t, clientFields, c)
		if err != nil {
			t.Fatal(err)
		}
		if want := csvFromJSON(t, c); got != want {
			t.Fatalf("value %d: CSV differs from the rule applied to its JSON:\n got %q\nwant %q", i, got, want)
		}
	}
}

func TestFieldKinds(t *testing.T) {
	type rec struct {
		S  string
		PS *string
		N  int64
		PN *int64
		B  bool
		M  money
		T  time.Time
		PT *time.Time
		V  any
	}
	at := time.Date(2025, 3, 9, 14, 5, 0, 120000000, time.FixedZone("", 5400))
	s, n := "-1+1", int64(-7)
	full := rec{S: `=x "y"`, PS: &s, N: 42, PN: &n, B: true, M: -150050, T: at, PT: &at, V: []any{"a", 1.5, nil}}
	for _, c := range []struct {
		field Field[rec]
		v     rec
		want  string
	}{
		{Text("s", func(r rec) string { return r.S }), full, `"'=x ""y"""`},
		{Text("s", func(r rec) string { return r.S }), rec{}, `""`},
		{OptText("ps", func(r rec) *string { return r.PS }), full, `"'-1+1"`},
		{OptText("ps", func(r rec) *string { return r.PS }), rec{}, ``},
		{Int("n", func(r rec) int64 { return r.N }), full, `42`},
		{OptInt("pn", func(r rec) *int64 { return r.PN }), full, `-7`},
		{OptInt("pn", func(r rec) *int64 { return r.PN }), rec{}, ``},
		{Bool("b", func(r rec) bool { return r.B }), full, `true`},
		{Bool("b", func(r rec) bool { return r.B }), rec{}, `false`},
		{Money("m", func(r rec) money { return r.M }), full, `"-1500.50"`},
		{Money("m", func(r rec) money { return r.M }), rec{}, `"0.00"`},
		{Time("t", func(r rec) time.Time { return r.T }), full, `"2025-03-09T14:05:00.12+01:30"`},
		{Time("t", func(r rec) time.Time { return r.T }), rec{}, `"0001-01-01T00:00:00Z"`},
		{OptTime("pt", func(r rec) *time.Time { return r.PT }), full, `"2025-03-09T14:05:00.12+01:30"`},
		{OptTime("pt", func(r rec) *time.Time { return r.PT }), rec{}, ``},
		{JSONValue("v", func(r rec) any { return r.V }), full, `"[""a"",1.5,null]"`},
		{JSONValue("v", func(r rec) any { return r.V }), rec{}, ``},
		{JSONValue("v", func(r rec) any { return r.V }), rec{V: "@x"}, `"'@x"`},
		{JSONValue("v", func(r rec) any { return r.V }), rec{V: -3}, `-3`},
		{JSONValue("v", func(r rec) any { return r.V }), rec{V: false}, `false`},
		{JSONValue("v", func(r rec) any { return r.V }), rec{V: map[string]string{"k": "<&>"}}, `"{""k"":""<&>""}"`},
	} {
		got, err := objectCSV(t, []Field[rec]{c.field}, c.v)
		if want := `"` + c.field.Name + `"` + "\n" + c.want + "\n"; err != nil || got != want {
			t.Errorf("%s of %+v: got %q, %v; want %q", c.field.Name, c.v, got, err, want)
		}
	}

	// A time that JSON cannot show fails in CSV too, and writes nothing of
	// its row.
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []Field[rec]{Time("t", func(r rec) time.Time { return r.T }),
		OptTime("pt", func(r rec) *time.Time { return r.PT })} {
		var buf bytes.Buffer
		l := NewList(&buf, Options{Format: FormatCSV}, View[rec]{Fields: []Field[rec]{Int("n", func(r rec) int64 { return r.N }), f}})
		if err := l.Row(rec{N: 1, T: far, PT: &far}); err == nil {
			t.Errorf("%s: a year beyond 9999 was written", f.Name)
		}
		if strings.Contains(buf.String(), "\n1,") {
			t.Errorf("%s: part of the failed row was written: %q", f.Name, buf.String())
		}
	}
	if _, err := objectCSV(t, []Field[rec]{JSONValue("v", func(r rec) any { return r.V })}, rec{V: func() {}}); err == nil {
		t.Error("a value encoding/json refuses was written")
	}
}

// TestFieldsOf: the fields of an embedded record, then the record's own.
func TestFieldsOf(t *testing.T) {
	type withSecret struct {
		client
		Password string `json:"password"`
	}
	fields := append(FieldsOf(clientFields, func(w withSecret) client { return w.client }),
		Text("password", func(w withSecret) string { return w.Password }))
	for _, c := range sample() {
		v := withSecret{client: c, Password: `p4ss "w0rd" =1`}
		got, err := objectCSV(t, fields, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := csvFromJSON(t, v); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestCSVNeedsFields: CSV of a view without fields, or with a field not
// made by a constructor, fails at once and writes nothing; JSON and tables
// need no fields.
func TestCSVNeedsFields(t *testing.T) {
	for name, view := range map[string]View[textRow]{
		"no fields":    {Columns: textCols},
		"bare literal": {Columns: textCols, Fields: []Field[textRow]{{Name: "A"}}},
	} {
		var buf bytes.Buffer
		l := NewList(&buf, Options{Format: FormatCSV}, view)
		if err := l.Row(textRow{"a", "b"}); err == nil {
			t.Errorf("%s: Row succeeded", name)
		}
		if err := l.Close(); err == nil {
			t.Errorf("%s: Close succeeded", name)
		}
		if err := Object(&buf, Options{Format: FormatCSV}, view, textRow{}); err == nil {
			t.Errorf("%s: Object succeeded", name)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %q", name, buf.String())
		}
		for _, f := range []Format{FormatJSON, FormatTable} {
			if err := Object(io.Discard, Options{Format: f}, view, textRow{}); err != nil {
				t.Errorf("%s, %s: %v", name, f, err)
			}
		}
	}
	if !errors.Is(NewList(io.Discard, Options{Format: FormatCSV}, View[textRow]{}).Close(), errNoFields) {
		t.Error("no fields: not errNoFields")
	}
}

// FuzzCloseTextCell: a text written in place (amounts, times) makes the
// same cell as the same text through the rules of every text cell.
func FuzzCloseTextCell(f *testing.F) {
	for _, s := range append(texts, "1500.50", "-0.01", "2025-03-09T14:05:00.12+01:30", "+12", "-", "@", "x@y", "a b") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte("x,")
		got := string(closeTextCell(append(append(b, '"'), s...), len(b)))
		if want := "x," + textCell(termsafe.Text(s)); got != want {
			t.Errorf("closeTextCell(%q) = %q, want %q", s, got, want)
		}
	})
}
