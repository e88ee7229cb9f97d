package output

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// money mimics crm.Cents: an integer that writes itself as a two-decimal
// text, and so as a JSON string.
type money int64

func (m money) AppendText(b []byte) []byte {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Appendf(b, "%s%d.%02d", sign, m/100, m%100)
}

func (m money) MarshalText() ([]byte, error) { return m.AppendText(nil), nil }

type change [2]any

// client mirrors the shape of the crm types: json tags, pointers for
// optional values, a hidden field, a nested map.
type client struct {
	ID      int64             `json:"id"`
	Name    string            `json:"name"`
	Phone   *string           `json:"phone"`
	Total   money             `json:"total"`
	Signed  bool              `json:"signed"`
	At      time.Time         `json:"at"`
	Changes map[string]change `json:"changes"`
	Secret  string            `json:"-"`
}

func ptr[T any](v T) *T { return &v }

var at = time.Date(2025, 3, 9, 14, 5, 0, 0, time.UTC)

func sample() []client {
	return []client{
		{ID: 1, Name: "Ann <Lee> & co", Phone: ptr("+33612345678"), Total: 150050, Signed: true, At: at,
			Changes: map[string]change{"name": {"a", "b"}}, Secret: "x"},
		{ID: 2, Name: "=SUM(1)", Total: -1250, At: at},
	}
}

// clientFields are the CSV fields of client: its JSON fields.
var clientFields = []Field[client]{
	Int("id", func(c client) int64 { return c.ID }),
	Text("name", func(c client) string { return c.Name }),
	OptText("phone", func(c client) *string { return c.Phone }),
	Money("total", func(c client) money { return c.Total }),
	Bool("signed", func(c client) bool { return c.Signed }),
	Time("at", func(c client) time.Time { return c.At }),
	JSONValue("changes", func(c client) any { return c.Changes }),
}

var clientView = View[client]{Columns: clientCols, Fields: clientFields}

var clientCols = []Column[client]{
	{Header: "ID", Value: func(c client) string { return fmt.Sprint(c.ID) }},
	{Header: "NAME", Value: func(c client) string { return c.Name }, MaxWidth: 10},
	{Header: "PHONE", Value: func(c client) string {
		if c.Phone == nil {
			return ""
		}
		return *c.Phone
	}},
	{Header: "AT", Value: func(c client) string { return FormatTime(c.At, time.UTC) }},
}

func render[T any](t *testing.T, opt Options, view View[T], rows []T) string {
	t.Helper()
	var buf bytes.Buffer
	l := NewList(&buf, opt, view)
	for _, r := range rows {
		if err := l.Row(r); err != nil {
			t.Fatalf("Row: %v", err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.String()
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": FormatTable, "json": FormatJSON, "csv": FormatCSV, " JSON ": FormatJSON} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "", "yaml"} {
		_, err := ParseFormat(in)
		want := fmt.Sprintf("unknown output format %q; use table, json or csv", in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseFormat(%q) error = %v; want %q", in, err, want)
		}
	}
}

func TestJSONList(t *testing.T) {
	got := render(t, Options{Format: FormatJSON}, clientView, sample())
	want := `[
  {"id":1,"name":"Ann <Lee> & co","phone":"+33612345678","total":"1500.50","signed":true,"at":"2025-03-09T14:05:00Z","changes":{"name":["a","b"]}},
  {"id":2,"name":"=SUM(1)","phone":null,"total":"-12.50","signed":false,"at":"2025-03-09T14:05:00Z","changes":null}
]
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back []map[string]any
	if err := json.Unmarshal([]byte(got), &back); err != nil || len(back) != 2 {
		t.Fatalf("output is not a JSON array of 2: %v", err)
	}
}

func TestEmptyLists(t *testing.T) {
	for _, tc := range []struct {
		format Format
		want   string
	}{
		{FormatJSON, "[]\n"},
		{FormatCSV, `"id","name","phone","total","signed","at","changes"` + "\n"},
		{FormatTable, "ID  NAME  PHONE  AT\n"},
		{"", "ID  NAME  PHONE  AT\n"},
	} {
		got := render(t, Options{Format: tc.format}, clientView, nil)
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.format, got, tc.want)
		}
	}
}

func TestCSVList(t *testing.T) {
	got := render(t, Options{Format: FormatCSV}, clientView, sample())
	want := `"id","name","phone","total","signed","at","changes"
1,"Ann <Lee> & co","+33612345678","1500.50",true,"2025-03-09T14:05:00Z","{""name"":[""a"",""b""]}"
2,"'=SUM(1)",,"-12.50",false,"2025-03-09T14:05:00Z",
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("not valid CSV of 3 records: %v", err)
	}
}

func TestCSVEscapesInsideRows(t *testing.T) {
	type row struct {
		S string `json:"s"`
		N int    `json:"n"`
	}
	fields := []Field[row]{Text("s", func(r row) string { return r.S }), Int("n", func(r row) int64 { return int64(r.N) })}
	got := render(t, Options{Format: FormatCSV}, View[row]{Fields: fields}, []row{{"@x", -5}, {"\tfoo", 0}, {"a,\"b\"\nc", 1}, {`q\"},[{\u2028`, 2}, {"\u2028<&>", 3}})
	want := "\"s\",\"n\"\n\"'@x\",-5\n\"'\tfoo\",0\n\"a,\"\"b\"\"\nc\",1\n\"q\\\"\"},[{\\u2028\",2\n\"\u2028<&>\",3\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTable(t *testing.T) {
	// Piped: the NAME column is laid out 10 wide (its MaxWidth), and the
	// longer name is written whole, pushing the rest of its row.
	got := render(t, Options{}, clientView, sample())
	want := "" +
		"ID  NAME        PHONE         AT\n" +
		"1   Ann <Lee> & co  +33612345678  2025-03-09 14:05\n" +
		"2   =SUM(1)                   2025-03-09 14:05\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(got, "\x1b") {
		t.Error("escape sequence without Color")
	}
}

func TestTableColorHeader(t *testing.T) {
	got := render(t, Options{Color: true}, clientView, sample())
	first, rest, _ := strings.Cut(got, "\n")
	if !strings.Contains(first, "\x1b[1mID\x1b[0m") {
		t.Errorf("header not bold: %q", first)
	}
	if strings.Contains(rest, "\x1b") {
		t.Errorf("escape sequence in rows: %q", rest)
	}
}

type textRow struct{ A, B string }

var textCols = []Column[textRow]{
	{Header: "A", Value: func(r textRow) string { return r.A }, MaxWidth: 6},
	{Header: "B", Value: func(r textRow) string { return r.B }},
}

var textView = View[textRow]{Columns: textCols, Fields: []Field[textRow]{
	Text("A", func(r textRow) string { return r.A }),
	Text("B", func(r textRow) string { return r.B }),
}}

func TestTableControlCharacters(t *testing.T) {
	rows := []textRow{
		{"\x1b[31mred", "x"},
		{"a\x07b\x7fc", "\u009b2J"},
		{"l1\nl2\tz", "\u202egnp.exe"},
		{"bad\xffutf8", "ok"},
	}
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{}, "" +
			"A       B\n" +
			"�[31mred  x\n" +
			"a�b�c   �2J\n" +
			"l1 l2 z  �gnp.exe\n" +
			"bad�utf8  ok\n"},
		// On a terminal of 16 cells, both columns are narrowed to 7.
		{Options{Width: 16}, "" +
			"A        B\n" +
			"�[31mr…  x\n" +
			"a�b�c    �2J\n" +
			"l1 l2 z  �gnp.e…\n" +
			"bad�ut…  ok\n"},
	} {
		got := render(t, tc.opt, textView, rows)
		for _, bad := range []string{"\x1b", "\x07", "\x7f", "\u009b", "\u202e", "\xff", "\t"} {
			if strings.Contains(got, bad) {
				t.Errorf("width %d: output contains %q:\n%q", tc.opt.Width, bad, got)
			}
		}
		if got != tc.want {
			t.Errorf("width %d: got\n%q\nwant\n%q", tc.opt.Width, got, tc.want)
		}
	}
}

func TestTableWideRunes(t *testing.T) {
	rows := []textRow{{"東京都千代田区", "絵文字😀"}, {"abc", "b"}}
	// Piped: nothing is cut, whatever the width of the characters.
	if got, want := render(t, Options{}, textView, rows), "A       B\n東京都千代田区  絵文字😀\nabc     b\n"; got != want {
		t.Errorf("piped: got\n%q\nwant\n%q", got, want)
	}
	// On a terminal of 16 cells both columns are narrowed to 7 cells: three
	// double-width characters and "…" take 7; a fourth would overflow.
	got := render(t, Options{Width: 16}, textView, rows)
	want := "" +
		"A        B\n" +
		"東京都…  絵文字…\n" +
		"abc      b\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if width(line) > 16 {
			t.Errorf("line %q wider than the terminal", line)
		}
	}
	// An odd width: the cut never splits a wide character, and padding
	// makes up the cell.
	got = render(t, Options{Width: 15}, textView, rows)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if width(line) > 15 || !strings.Contains(got, "…") {
			t.Errorf("width 15: line %q", line)
		}
	}
}

func TestTableEmptyCellsNoTrailingSpaces(t *testing.T) {
	got := render(t, Options{}, textView, []textRow{{"", ""}, {"x", ""}})
	want := "A  B\n\nx\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTableWidthsFromFirstRows(t *testing.T) {
	cols := []Column[textRow]{
		{Header: "A", Value: func(r textRow) string { return r.A }},
		{Header: "B", Value: func(r textRow) string { return r.B }},
	}
	var rows []textRow
	for range sampleRows {
		rows = append(rows, textRow{"ab", "x"})
	}
	rows = append(rows, textRow{"abcdef", "y"})
	for _, tc := range []struct {
		opt  Options
		last string
	}{
		{Options{}, "abcdef  y"},      // piped: never cut, pushes its row
		{Options{Width: 80}, "a…  y"}, // terminal: cut to its column
	} {
		got := render(t, tc.opt, View[textRow]{Columns: cols}, rows)
		lines := strings.Split(got, "\n")
		if lines[0] != "A   B" || lines[1] != "ab  x" {
			t.Errorf("width %d: widths not from the first rows: %q %q", tc.opt.Width, lines[0], lines[1])
		}
		if last := lines[len(lines)-2]; last != tc.last {
			t.Errorf("width %d: late long row %q, want %q", tc.opt.Width, last, tc.last)
		}
	}
}

// wideRow is a row of a client list, as wide as real ones.
type wideRow struct {
	ID                                int
	Name, Email, Phone, Company, Sale string
}

var wideCols = []Column[wideRow]{
	{Header: "ID", Value: func(r wideRow) string { return fmt.Sprint(r.ID) }, Fixed: true},
	{Header: "Name", Value: func(r wideRow) string { return r.Name }},
	{Header: "Email", Value: func(r wideRow) string { return r.Email }},
	{Header: "Phone", Value: func(r wideRow) string { return r.Phone }, Fixed: true},
	{Header: "Company", Value: func(r wideRow) string { return r.Company }},
	{Header: "Sales contact", Value: func(r wideRow) string { return r.Sale }},
}

func wideRows() []wideRow {
	return []wideRow{
		{1, "Kevin Casey", "kevin@startup.io", "+678 123 456 78", "Cool Startup LLC", "Bill Boquet"},
		{12, "Aliénor Vichum-Delacroix", "alienor.vichum-delacroix@mufflins.example", "+33 6 12 34 56 78",
			"Salle des fêtes de Mufflins et environs", "Bill Boquet"},
		{103, "John Ouick", "john.ouick@gmail.com", "+1 234-567-8901", "", "Hugo Marchetti"},
	}
}

func TestTableFitsTerminal(t *testing.T) {
	piped := render(t, Options{}, View[wideRow]{Columns: wideCols}, wideRows())
	for _, w := range []int{80, 200} {
		got := render(t, Options{Width: w}, View[wideRow]{Columns: wideCols}, wideRows())
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("width %d: %d lines:\n%s", w, len(lines), got)
		}
		for _, line := range lines {
			if width(line) > w {
				t.Errorf("width %d: line of %d cells: %q", w, width(line), line)
			}
		}
		// The fixed columns are never cut.
		for _, whole := range []string{"103", "+33 6 12 34 56 78", "+1 234-567-8901"} {
			if !strings.Contains(got, whole) {
				t.Errorf("width %d: %q was cut:\n%s", w, whole, got)
			}
		}
		switch w {
		case 80:
			// The widest text columns (email, company, name) gave way first,
			// to one width; the narrower ones kept their values.
			for _, cut := range []string{"alienor.vic…", "Salle des fê…", "Aliénor Vic…", "kevin@start…"} {
				if !strings.Contains(got, cut) {
					t.Errorf("width 80: no %q:\n%s", cut, got)
				}
			}
			for _, whole := range []string{"Kevin Casey", "Bill Boquet", "John Ouick"} {
				if !strings.Contains(got, whole) {
					t.Errorf("width 80: %q was cut:\n%s", whole, got)
				}
			}
			if width(lines[0]) != 80 {
				t.Errorf("width 80: the header takes %d cells, not the whole terminal:\n%s", width(lines[0]), got)
			}
		case 200:
			// Everything fits: nothing is cut, and the table is the one a
			// pipe gets (whose values are all within the columns' caps but
			// the longest email and company).
			if strings.Contains(got, "…") {
				t.Errorf("width 200: a value was cut:\n%s", got)
			}
			for _, r := range wideRows() {
				if !strings.Contains(got, r.Email) || !strings.Contains(got, r.Company) {
					t.Errorf("width 200: %q or %q missing:\n%s", r.Email, r.Company, got)
				}
			}
		}
	}
	// Piped, the same rows are never cut, whatever their length.
	if strings.Contains(piped, "…") {
		t.Errorf("piped output was cut:\n%s", piped)
	}
	for _, r := range wideRows() {
		if !strings.Contains(piped, r.Email) || !strings.Contains(piped, r.Company) {
			t.Errorf("piped: %q or %q missing:\n%s", r.Email, r.Company, piped)
		}
	}
}

func TestTablePipedNeverCut(t *testing.T) {
	long := strings.Repeat("Kate needs to organize the DJ for after party. ", 20)
	got := render(t, Options{}, textView, []textRow{{long, "b"}, {"a", long}})
	if !strings.Contains(got, long+"  b\n") || !strings.HasSuffix(got, long+"\n") || strings.Contains(got, "…") {
		t.Errorf("a long value was cut or lost:\n%s", got)
	}
}

func TestTableNarrowTerminal(t *testing.T) {
	// Fixed columns alone are wider than the terminal: the line stops at its
	// edge with "…", so that the terminal never wraps it.
	got := render(t, Options{Width: 20}, View[wideRow]{Columns: wideCols}, wideRows())
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if width(line) > 20 {
			t.Errorf("line of %d cells: %q", width(line), line)
		}
		if !strings.HasSuffix(line, "…") {
			t.Errorf("line cut without …: %q", line)
		}
	}
	// With colour, the escape sequences of the header take no room.
	got = render(t, Options{Width: 20, Color: true}, View[wideRow]{Columns: wideCols}, wideRows())
	header, _, _ := strings.Cut(got, "\n")
	if !strings.Contains(header, "\x1b[1m") || width(header) > 20 {
		t.Errorf("coloured header: %q (%d cells)", header, width(header))
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		widths []int
		fixed  []bool
		room   int
		want   []int
	}{
		{"fits already", []int{3, 10, 20}, []bool{true, false, false}, 40, []int{3, 10, 20}},
		{"widest first", []int{3, 10, 30}, []bool{true, false, false}, 33, []int{3, 10, 20}},
		{"then equally", []int{3, 10, 30}, []bool{true, false, false}, 19, []int{3, 8, 8}},
		{"ties in turn", []int{20, 20}, []bool{false, false}, 31, []int{15, 16}},
		{"fixed kept", []int{16, 30, 16}, []bool{true, false, true}, 40, []int{16, 8, 16}},
		{"down to the minimum", []int{16, 30, 16}, []bool{true, false, true}, 20, []int{16, minTextWidth, 16}},
		{"narrow values kept", []int{2, 3, 30}, []bool{false, false, false}, 10, []int{2, 3, minTextWidth}},
	} {
		got := slices.Clone(tc.widths)
		fit(got, tc.fixed, tc.room)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: fit(%v, room %d) = %v, want %v", tc.name, tc.widths, tc.room, got, tc.want)
		}
	}
}

// recorder remembers each Write, to see what reaches the writer before Close.
type recorder struct {
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) String() string { return strings.Join(r.writes, "") }

func TestStreaming(t *testing.T) {
	const n = 120
	for _, f := range []Format{FormatTable, FormatJSON, FormatCSV} {
		t.Run(string(f), func(t *testing.T) {
			rec := &recorder{}
			l := NewList(rec, Options{Format: f}, textView)
			for i := range n {
				if err := l.Row(textRow{fmt.Sprintf("r%03d", i), "b"}); err != nil {
					t.Fatal(err)
				}
				out := rec.String()
				switch {
				case f != FormatTable || i >= sampleRows-1:
					if !strings.Contains(out, fmt.Sprintf("r%03d", i)) {
						t.Fatalf("row %d not written before Close", i)
					}
				default:
					if out != "" {
						t.Fatalf("table wrote before its widths were fixed (row %d)", i)
					}
				}
			}
			before := len(rec.writes)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if f == FormatTable && len(rec.writes) != before {
				t.Errorf("table wrote %d more times at Close", len(rec.writes)-before)
			}
			if err := l.Row(textRow{}); err == nil {
				t.Error("Row after Close succeeded")
			}
		})
	}
}

func TestShortTableWrittenAtClose(t *testing.T) {
	rec := &recorder{}
	l := NewList(rec, Options{}, textView)
	_ = l.Row(textRow{"a", "b"})
	if len(rec.writes) != 0 {
		t.Fatal("short table written before Close")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.String(); got != "A  B\na  b\n" {
		t.Errorf("got %q", got)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errors.New("disk full")
}

func TestWriteErrorsAreSticky(t *testing.T) {
	for _, f := range []Format{FormatTable, FormatJSON, FormatCSV} {
		fw := &failWriter{}
		l := NewList(fw, Options{Format: f}, textView)
		var err error
		for range sampleRows + 5 {
			if err = l.Row(textRow{"a", "b"}); err != nil {
				break
			}
		}
		if err == nil {
			err = l.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error = %v", f, err)
		}
		calls := fw.n
		if l.Row(textRow{}) == nil || l.Close() == nil || fw.n != calls {
			t.Errorf("%s: calls after an error were not refused", f)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	l := NewList(&bytes.Buffer{}, Options{Format: "yaml"}, textView)
	if err := l.Row(textRow{}); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("Row: %v", err)
	}
	if err := Object(&bytes.Buffer{}, Options{Format: "yaml"}, textView, textRow{}); err == nil {
		t.Error("Object accepted an unknown format")
	}
}

func TestObject(t *testing.T) {
	c := sample()[0]
	c.Name = "Ann\x1b]0;pwned\x07 Lee, a name longer than any column"
	cols := []Column[client]{
		{Header: "ID", Value: func(c client) string { return fmt.Sprint(c.ID) }},
		{Header: "Name", Value: func(c client) string { return c.Name }, MaxWidth: 5},
		{Header: "Phone number", Value: func(c client) string { return "" }},
		{Header: "Signed at", Value: func(c client) string { return FormatTime(c.At, time.UTC) }},
	}
	view := View[client]{Columns: cols, Fields: clientFields}
	var buf bytes.Buffer
	if err := Object(&buf, Options{}, view, c); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID:           1\n" +
		"Name:         Ann�]0;pwned� Lee, a name longer than any column\n" +
		"Phone number:\n" +
		"Signed at:    2025-03-09 14:05\n"
	if got := buf.String(); got != want {
		t.Errorf("table got\n%q\nwant\n%q", got, want)
	}

	buf.Reset()
	if err := Object(&buf, Options{Color: true}, view, c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "\x1b[1mID:\x1b[0m") {
		t.Errorf("label not bold: %q", buf.String())
	}

	buf.Reset()
	c = sample()[1]
	if err := Object(&buf, Options{Format: FormatJSON}, view, c); err != nil {
		t.Fatal(err)
	}
	wantJSON := `{
  "id": 2,
  "name": "=SUM(1)",
  "phone": null,
  "total": "-12.50",
  "signed": false,
  "at": "2025-03-09T14:05:00Z",
  "changes": null
}
`
	if got := buf.String(); got != wantJSON {
		t.Errorf("json got\n%s\nwant\n%s", got, wantJSON)
	}

	buf.Reset()
	if err := Object(&buf, Options{Format: FormatCSV}, view, c); err != nil {
		t.Fatal(err)
	}
	wantCSV := `"id","name","phone","total","signed","at","changes"` + "\n" + `2,"'=SUM(1)",,"-12.50",false,"2025-03-09T14:05:00Z",` + "\n"
	if got := buf.String(); got != wantCSV {
		t.Errorf("csv got %q, want %q", got, wantCSV)
	}
}

func TestFormatTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	if got := FormatTime(at, paris); got != "2025-03-09 15:05" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := FormatOptTime(&at, time.UTC); got != "2025-03-09 14:05" {
		t.Errorf("FormatOptTime = %q", got)
	}
	if got := FormatOptTime(nil, paris); got != "" {
		t.Errorf("FormatOptTime(nil) = %q", got)
	}
	if got := FormatTime(time.Time{}, paris); got != "" {
		t.Errorf("FormatTime(zero) = %q", got)
	}
}
