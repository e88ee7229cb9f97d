package output

import "github.com/epicevents/epicevents/internal/termsafe"

// sanitize makes data safe to print in a table cell (termsafe.Line): tabs
// and line breaks become spaces so that a row stays on one line, and every
// control character — C0, DEL, C1 (which includes the 8-bit CSI and OSC
// introducers) — every Unicode bidirectional control, which can make a cell
// display as something it is not, and every invalid UTF-8 byte becomes
// U+FFFD. An ANSI escape sequence therefore loses its ESC and shows as
// harmless text such as "�[31m".
func sanitize(s string) string { return termsafe.Line(s) }
