package auth

import (
	"strings"
	"testing"
)

func TestIsCommonPassword(t *testing.T) {
	tests := []struct {
		pw     string
		common bool
	}{
		// On the list, in any case and with surrounding spaces.
		{"passwordpassword", true},
		{"PasswordPassword", true},
		{"  iloveyouiloveyou  ", true},
		{"qwertyuiopasdfghjkl", true},
		{"1qaz2wsx3edc4rfv", true},
		{"correcthorsebatterystaple", true},
		{"correct horse battery staple", true},
		{"Correct Horse  Battery Staple", true},
		{"motdepassemotdepasse", true},
		{"manchesterunited", true},
		// A listed password with a short suffix.
		{"passwordpassword1", true},
		{"iloveyouiloveyou2024", true},
		{"iloveyouiloveyou!", true},
		{"iloveyouiloveyou2024!", false}, // a 5-character suffix is beyond the rule
		{"manchesterunited!", true},
		// Repeats of one character or a chunk of up to 4.
		{"aaaaaaaaaaaaaaa", true},
		{"               x", false}, // trimmed to "x": short, but not a pattern the list knows
		{"abababababababab", true},
		{"abcabcabcabcabc", true},
		{"abcabcabcabcabca", true},
		{"abcdabcdabcdabcd", true},
		{"1234123412341234", true},
		{"!!!!!!!!!!!!!!!!", true},
		{"éééééééééééééééé", true},
		// Digit and letter runs, up and down, wrapping.
		{"123456789012345", true},
		{"0123456789012345678", true},
		{"987654321098765", true},
		{"567890123456789", true},
		{"abcdefghijklmnopq", true},
		{"ZYXWVUTSRQPONMLK", true},
		{"1234567890123456!", true},
		// Keyboard walks, reversed too.
		{"1q2w3e4r5t6y7u8i", true},
		{"lkjhgfdsapoiuytrewq", true},
		// Not common.
		{"abcdeabcdeabcdeabcde", false}, // period 5 is beyond the rule
		{"correct horse battery stapler", false},
		{"purple-otter-sings-at-dawn", false},
		{"tr4in-st4tion-m0nday", false},
		{"148235967014823", false},
		{"passwordpassword12345", true},  // "passwordpassword123" is listed
		{"passwordpassword98765", false}, // a 5-character suffix is beyond the rule
		{"Xk9#mQ2$vL7!pR4z", false},
	}
	for _, tt := range tests {
		if got := IsCommonPassword(tt.pw); got != tt.common {
			t.Errorf("IsCommonPassword(%q) = %v, want %v", tt.pw, got, tt.common)
		}
	}
}

func TestCommonListLoaded(t *testing.T) {
	if len(common) < 500 {
		t.Fatalf("the embedded list has %d entries, want hundreds", len(common))
	}
	for pw := range common {
		if pw != strings.ToLower(strings.TrimSpace(pw)) || strings.HasPrefix(pw, "#") {
			t.Fatalf("list entry %q is not normalised", pw)
		}
	}
}
