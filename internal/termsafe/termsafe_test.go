package termsafe

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile holds what a hostile server or colleague could put in a text to
// drive a terminal: CSI and OSC sequences (7- and 8-bit), BEL, BS, CR, DEL,
// NUL, bidirectional controls and a broken UTF-8 byte.
const hostile = "\x1b[2J\x1b]0;pwned\x07\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\" +
	"\u009b31m\u009d0;t\u009cA\bB\rC\x7fD\x00E\u202eF\u2066G\xffH"

// rawUnsafe returns the first character of s that a terminal would obey.
func rawUnsafe(s string, keepLines bool) (string, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if keepLines && (r == '\n' || r == '\t') {
			i += size
			continue
		}
		if (r == utf8.RuneError && size == 1) || Unsafe(r) {
			return s[i : i+size], true
		}
		i += size
	}
	return "", false
}

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"":                                 "",
		"plain text, café, 東京 😀":           "plain text, café, 東京 😀",
		"two\nlines\tand a tab\r\n":        "two lines and a tab  ",
		"\x1b[31mred\x1b[0m":               "�[31mred�[0m",
		"bell\x07 back\b del\x7f nul\x00":  "bell� back� del� nul�",
		"c1 \u009b2J \u0085":               "c1 �2J �",
		"bidi \u202egnp.exe \u200f \u2068": "bidi �gnp.exe � �",
		"bad \xff\xfe utf8":                "bad �� utf8",
		"zero\u200bwidth":                  "zero\u200bwidth", // invisible, not a control: validation refuses it in names
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
	if s, bad := rawUnsafe(Line(hostile), false); bad {
		t.Errorf("Line left %q", s)
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "",
		"two\nlines\tand a tab":     "two\nlines\tand a tab",
		"crlf\r\nend\rmac\r":        "crlf\nend\nmac\n",
		"\x1b[31mred\x1b[0m":        "�[31mred�[0m",
		"bell\x07 back\b del\x7f":   "bell� back� del�",
		"c1 \u009b2J \u0085":        "c1 �2J �",
		"bidi \u202egnp.exe \u200f": "bidi �gnp.exe �",
		"bad \xff\xfe utf8":         "bad �� utf8",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
	if s, bad := rawUnsafe(Text(hostile), true); bad {
		t.Errorf("Text left %q", s)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := Writer(&buf)
	msg := "error: " + hostile + "\nnext\tline\n"
	n, err := w.Write([]byte(msg))
	if err != nil || n != len(msg) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(msg))
	}
	if s, bad := rawUnsafe(buf.String(), true); bad {
		t.Errorf("the writer let %q through: %q", s, buf.String())
	}
	// A carriage return would let a message rewrite its own line (a fake
	// prompt): it shows as a mark instead, on the same line.
	buf.Reset()
	_, _ = w.Write([]byte("real\rPassword: \n"))
	if got := buf.String(); got != "real�Password: \n" {
		t.Errorf("carriage return: %q", got)
	}
	buf.Reset()
	if _, err := w.Write([]byte("clean message\n\tindented\n")); err != nil || buf.String() != "clean message\n\tindented\n" {
		t.Errorf("clean text changed: %q, %v", buf.String(), err)
	}
	if _, err := Writer(failWriter{}).Write([]byte("\x1b")); err == nil {
		t.Error("a write error was lost")
	}
}

// JSON made inert means exactly the same data to a program that reads it.
func TestJSON(t *testing.T) {
	in := map[string]string{"name": hostile, "k\u009b": "\u2067x\x7f", "plain": "é\u2028"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(b)
	if s, bad := rawUnsafe(string(out), true); bad {
		t.Errorf("%q reached the output raw: %s", s, out)
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if want := strings.ToValidUTF8(v, "\ufffd"); back[strings.ToValidUTF8(k, "\ufffd")] != want {
			t.Errorf("%q: got %q, want %q", k, back[k], want)
		}
	}
	clean := []byte(`{"a":"é\u2028 東京"}`)
	if got := JSON(clean); string(got) != string(clean) || &got[0] != &clean[0] {
		t.Errorf("clean JSON changed or copied: %s", got)
	}
}
