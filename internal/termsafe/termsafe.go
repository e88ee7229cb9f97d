// Package termsafe makes text safe to print on a terminal. Text shown by the
// CLI may come from anyone: a client's name typed by a colleague, or
// whatever a server answers. A terminal obeys control characters — ESC
// starts sequences that retitle the window, clear the screen, move the
// cursor or rewrite what was printed; CR goes back to the start of the line;
// BS steps back over it — and the Unicode bidirectional controls reorder
// what is shown ("Trojan Source", CVE-2021-42574), so a hostile text could
// fake a prompt or pass for another. Everything here turns such characters
// into U+FFFD (or, for line breaks, into what the context allows), so that
// they show as harmless marks: "\x1b[31m" becomes "�[31m".
package termsafe

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Unsafe reports the runes that never reach a terminal as they are: C0
// controls (tab and line feed included: callers decide about those), DEL,
// C1 controls (which include the 8-bit CSI and OSC introducers) and the
// bidirectional controls.
func Unsafe(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || bidiControl(r)
}

// bidiControl reports the explicit directional formatting characters.
func bidiControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Line makes s safe to print as (part of) one line: tabs, line feeds and
// carriage returns become spaces, so that a value or a message cannot start
// a line of its own; every other unsafe rune and every invalid UTF-8 byte
// becomes U+FFFD. Table cells and the messages of a server go through it.
func Line(s string) string {
	return clean(s, func(b *strings.Builder, r rune, _ string, _ int) int {
		b.WriteByte(' ')
		return 0
	}, false)
}

// Text makes a text of several lines safe to print: tabs and line feeds
// stay, a carriage return becomes a line feed (CR LF becomes one), and
// every other unsafe rune and invalid UTF-8 byte becomes U+FFFD. CSV cells,
// which may hold notes of several lines, go through it.
func Text(s string) string {
	return clean(s, func(b *strings.Builder, r rune, s string, i int) int {
		switch r {
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				return 1 // the line feed of CR LF
			}
		default:
			b.WriteRune(r)
		}
		return 0
	}, true)
}

// clean copies s, passing tabs, line feeds and carriage returns to lines
// (which writes what stands for them and returns how many more bytes it
// used) and writing U+FFFD for every other unsafe rune. keepLines says that
// tabs and line feeds are fine as they are, which decides the fast path.
func clean(s string, lines func(b *strings.Builder, r rune, s string, i int) int, keepLines bool) string {
	if safe(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == '\t' || r == '\n' || r == '\r':
			size += lines(&b, r, s, i)
		case Unsafe(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// safe reports, quickly, that s needs no change: nothing unsafe, and no tab
// or line feed unless keepLines.
func safe(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if !keepLines || (c != '\t' && c != '\n') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || Unsafe(r) {
			return false
		}
		i += size
	}
	return true
}

// Writer returns a writer that passes everything to w with tabs and line
// feeds as they are and every other unsafe rune (carriage returns included)
// and invalid UTF-8 byte as U+FFFD. Each Write is cleaned on its own, which
// suits writers of whole messages such as fmt.Fprintf and log/slog
// handlers. The CLI writes its standard error through one, so that no
// message, whatever it quotes, can drive the terminal.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (tw writer) Write(p []byte) (int, error) {
	s := string(p)
	if safe(s, true) {
		return tw.w.Write(p)
	}
	s = clean(s, func(b *strings.Builder, r rune, _ string, _ int) int {
		if r == '\r' {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteRune(r)
		}
		return 0
	}, true)
	if _, err := io.WriteString(tw.w, s); err != nil {
		return 0, err
	}
	return len(p), nil
}

// JSON rewrites the characters of JSON text that encoding/json leaves raw
// but a terminal would obey — DEL, the C1 controls and the bidirectional
// controls — as \u escapes. They can only stand inside strings, where an
// escape means the same character: a program reading the JSON sees exactly
// the same data. (Every JSON encoder escapes the controls below U+0020
// already.) b is returned as it is when nothing needs rewriting.
func JSON(b []byte) []byte {
	i := 0
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if c == 0x7f || Unsafe(r) {
			break
		}
		i += size
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	out = append(out, b[:i]...)
	for i < len(b) {
		c := b[i]
		if c < utf8.RuneSelf && c != 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if c == 0x7f || Unsafe(r) {
			out = append(out, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

const hex = "0123456789abcdef"
