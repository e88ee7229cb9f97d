package auth

import (
	_ "embed"
	"strings"
	"unicode"
)

//go:embed common-passwords.txt
var commonList string

// common is the embedded list as a set. Built at package init: the list is
// small (tens of KiB) and every login-capable process needs it.
var common = func() map[string]struct{} {
	m := make(map[string]struct{}, 2048)
	for _, line := range strings.Split(commonList, "\n") {
		line = strings.ToLower(strings.TrimSpace(line))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[line] = struct{}{}
	}
	return m
}()

// IsCommonPassword reports whether pw is too guessable to accept whatever its
// length: it is on the embedded list (ignoring case, surrounding spaces, inner
// spaces, and a short digit or symbol suffix such as "1" or "2024!"), or it is a
// pattern that a length rule does not stop: one character or one chunk of up
// to 4 characters repeated ("abcabcabcabcabc"), or a run of consecutive digits
// or letters, up or down ("123456789012345", "zyxwvutsrqponml").
func IsCommonPassword(pw string) bool {
	s := strings.ToLower(strings.TrimSpace(pw))
	if s == "" {
		return true
	}
	squeezed := strings.Join(strings.FieldsFunc(s, unicode.IsSpace), "")
	for _, v := range []string{s, squeezed} {
		if weak(v) {
			return true
		}
		// The classic mangling rule: a listed password or a pattern plus "1",
		// "!", a year… Each suffix length is tried, as the base may itself end
		// in digits ("1234567890123456!").
		r := []rune(v)
		for k := 1; k <= 4 && k < len(r) && isSuffixRune(r[len(r)-k]); k++ {
			base := r[:len(r)-k]
			if _, ok := common[string(base)]; ok {
				return true
			}
			if len(base) >= 10 && pattern(base) {
				return true
			}
		}
	}
	return false
}

func weak(s string) bool {
	if _, ok := common[s]; ok {
		return true
	}
	return pattern([]rune(s))
}

func isSuffixRune(r rune) bool {
	return ('0' <= r && r <= '9') || strings.ContainsRune("!@#$%^&*?._-+=~", r)
}

// pattern reports whether r is periodic with a period of at most 4 runes, or a
// run of consecutive digits or letters.
func pattern(r []rune) bool {
	return periodic(r, 4) || run(r, +1) || run(r, -1)
}

// periodic reports whether r repeats a chunk of at most maxPeriod runes at
// least twice; a partial chunk at the end still counts ("abcabcabcabcabca").
func periodic(r []rune, maxPeriod int) bool {
	for k := 1; k <= maxPeriod && 2*k <= len(r); k++ {
		ok := true
		for i := k; i < len(r); i++ {
			if r[i] != r[i-k] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// run reports whether each rune of r follows the previous by step in the
// digits (wrapping 9→0, as people type "…7890123") or in the letters a–z
// (wrapping z→a).
func run(r []rune, step int) bool {
	if len(r) < 2 {
		return false
	}
	var lo, n rune
	switch c := r[0]; {
	case '0' <= c && c <= '9':
		lo, n = '0', 10
	case 'a' <= c && c <= 'z':
		lo, n = 'a', 26
	default:
		return false
	}
	for i := 1; i < len(r); i++ {
		prev, cur := r[i-1]-lo, r[i]-lo
		if cur < 0 || cur >= n || (prev+rune(step)+n)%n != cur {
			return false
		}
	}
	return true
}
