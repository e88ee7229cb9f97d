package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// cursorFlag is the flag of every list that starts it after a given row.
const cursorFlag = "cursor"

// nextPageCommand is the command line that shows the page after this one:
// the words the user typed (so every flag, global ones such as -o included,
// in their order and spelling), without any --cursor they gave, then
// --cursor and the next page's cursor. Each word is quoted for a POSIX shell
// as needed, so that the line can be pasted as it is. fs is the parsed flag
// set of the command, which says which flags take a value.
func nextPageCommand(fs *pflag.FlagSet, args []string, cursor string) string {
	words := []string{"epicevents"}
	for _, w := range withoutFlag(fs, args, cursorFlag) {
		words = append(words, shellQuote(w))
	}
	words = append(words, "--"+cursorFlag, shellQuote(cursor))
	return strings.Join(words, " ")
}

// withoutFlag returns args without the long flag name and its value, whether
// given as "--name value" or "--name=value". It reads args as pflag does, so
// that a value that looks like the flag ("--search --cursor") is not taken
// for it.
func withoutFlag(fs *pflag.FlagSet, args []string, name string) []string {
	takesValue := func(f *pflag.Flag) bool { return f != nil && f.NoOptDefVal == "" }
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case strings.HasPrefix(a, "--"):
			n, _, hasValue := strings.Cut(a[2:], "=")
			consumes := !hasValue && takesValue(fs.Lookup(n)) && i+1 < len(args)
			if n == name {
				if consumes {
					i++
				}
				continue
			}
			out = append(out, a)
			if consumes {
				i++
				out = append(out, args[i])
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// Shorthands, possibly grouped ("-o json", "-ojson"): the first
			// one that takes a value takes the rest of the word, or the
			// next word.
			out = append(out, a)
			for j := 1; j < len(a); j++ {
				if takesValue(fs.ShorthandLookup(a[j : j+1])) {
					if j == len(a)-1 && i+1 < len(args) {
						i++
						out = append(out, args[i])
					}
					break
				}
			}
		default:
			out = append(out, a)
		}
	}
	return out
}

// shellQuote quotes s as one word for a POSIX shell (sh, bash, zsh): as it
// is when it holds only characters no shell treats specially, else in single
// quotes. A word with a control character, an invisible character or bytes
// that are not UTF-8 is written $'…' with escapes (bash, zsh, ksh), so that
// the line stays one line and shows what it holds.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	plain, printable := true, utf8.ValidString(s)
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_@%+=:,./-", r)):
		case r == ' ' || unicode.IsPrint(r) && r != utf8.RuneError:
			plain = false
		default:
			plain, printable = false, false
		}
	}
	// zsh expands a word that starts with "=" to a command's path.
	if plain && s[0] != '=' {
		return s
	}
	if printable {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
