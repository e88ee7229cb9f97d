package auth

import (
	"crypto/rand"
	"strings"
)

// passwordAlphabet has no look-alikes (no 0/o, 1/l): a generated password is
// read off a screen and typed again. Its 32 letters make every byte of
// crypto/rand modulo 32 an unbiased pick.
const passwordAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// GeneratePassword returns 20 random characters in four groups of five
// (100 bits), easy to copy and in no list of common passwords: the passwords
// that `epicevents demo` gives its staff, and the temporary passwords the web
// UI gives a new employee or a reset one.
func GeneratePassword() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%5 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(passwordAlphabet[int(c)%len(passwordAlphabet)])
	}
	return sb.String()
}
