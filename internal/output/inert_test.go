package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/termsafe"
)

// hostile holds what a hostile server or colleague could put in a text to
// drive a terminal.
const hostile = "\x1b[2J\x1b]0;pwned\x07\u009b31m\bB\rC\x7fD\x00E\u202eF\u2066G\xffH"

// rawUnsafe returns the first character of s that a terminal would obey.
func rawUnsafe(s string) (string, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != '\n' && r != '\t' && ((r == utf8.RuneError && size == 1) || termsafe.Unsafe(r)) {
			return s[i : i+size], true
		}
		i += size
	}
	return "", false
}

// JSON output is inert on a terminal and still means exactly the same data.
func TestJSONInert(t *testing.T) {
	type row struct {
		Name  string            `json:"name"`
		Notes map[string]string `json:"notes"`
	}
	v := row{Name: hostile, Notes: map[string]string{"k\u009b": "\u2067x\x7f"}}
	var obj bytes.Buffer
	if err := Object(&obj, Options{Format: FormatJSON}, View[row]{}, v); err != nil {
		t.Fatal(err)
	}
	list := render(t, Options{Format: FormatJSON}, View[row]{}, []row{v, v})
	for name, out := range map[string]string{"object": obj.String(), "list": list} {
		if s, bad := rawUnsafe(out); bad {
			t.Errorf("%s: %q reached the output raw:\n%q", name, s, out)
		}
	}
	var back row
	if err := json.Unmarshal(obj.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	// encoding/json turned the broken byte into U+FFFD; everything else is
	// exactly what was given.
	if want := strings.Replace(hostile, "\xff", "\ufffd", 1); back.Name != want || back.Notes["k\u009b"] != "\u2067x\x7f" {
		t.Errorf("JSON changed the data: %q %q", back.Name, back.Notes)
	}
	var backList []row
	if err := json.Unmarshal([]byte(list), &backList); err != nil || len(backList) != 2 || backList[1].Notes["k\u009b"] != "\u2067x\x7f" {
		t.Errorf("list: %v %q", err, backList)
	}
}
