package auth

import (
	"regexp"
	"testing"
)

func TestGeneratePassword(t *testing.T) {
	shape := regexp.MustCompile(`^[a-km-np-z2-9]{5}(-[a-km-np-z2-9]{5}){3}$`)
	seen := map[string]bool{}
	for range 200 {
		pw := GeneratePassword()
		if !shape.MatchString(pw) {
			t.Fatalf("%q is not four groups of five letters of the alphabet", pw)
		}
		if IsCommonPassword(pw) {
			t.Fatalf("%q is a common password", pw)
		}
		if seen[pw] {
			t.Fatalf("%q came twice", pw)
		}
		seen[pw] = true
	}
}
