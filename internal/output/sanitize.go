package output

import (
	"strings"
	"unicode/utf8"
)

// sanitize makes data safe to print on a terminal. Tabs and line breaks become
// spaces so that a row stays on one line. Every other control character — C0,
// DEL, C1 (which includes the 8-bit CSI and OSC introducers) — and the Unicode
// bidirectional controls, which can make a cell display as something it is
// not, become U+FFFD, as do invalid UTF-8 bytes. An ANSI escape sequence
// therefore loses its ESC and shows as harmless text such as "�[31m".
func sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
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
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || isBidiControl(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isBidiControl reports the explicit directional formatting characters
// ("Trojan Source", CVE-2021-42574).
func isBidiControl(r rune) bool {
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
