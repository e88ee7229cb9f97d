package sqlstore

import (
	"slices"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Kevin Casey", "kevin casey"},
		{"Aliénor", "alienor"},
		{"ALIÉNOR", "alienor"},
		{norm.NFD.String("Aliénor"), "alienor"}, // typed decomposed (e + combining acute)
		{"Élodie Ébène", "elodie ebene"},
		{"SOCIÉTÉ GÉNÉRALE", "societe generale"},
		{"François Noël", "francois noel"},
		{"Fernández Muñoz", "fernandez munoz"},
		{"Łódź", "lodz"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"Æsir Œuvre Øre", "aesir oeuvre ore"},
		{"İstanbul", "istanbul"}, // lower-casing gives i + combining dot
		{"Đorđe Þór", "dorde thor"},
		{"Ελλάδα", "ελλαδα"},
		{"Дмитрий Йорк", "дмитрии иорк"}, // й is и + breve
		{"한국", "한국"},                     // Hangul decomposes and recomposes
		{"+66612345", "+66612345"},
		{`100% fun_club \ O'Brien "x"`, `100% fun_club \ o'brien "x"`},
	} {
		if got := fold(tc.in); got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSearchText(t *testing.T) {
	phone, company, empty := "+66612345", "Lou Bouzin", ""
	for _, tc := range []struct {
		phone, company *string
		want           string
	}{
		{&phone, &company, "jacky blangier jacky@loubouzin.grd lou bouzin +66612345"},
		{nil, nil, "jacky blangier jacky@loubouzin.grd"},
		{&empty, &empty, "jacky blangier jacky@loubouzin.grd"},
	} {
		if got := searchText("Jacky", "Blangier", "jacky@loubouzin.grd", tc.phone, tc.company); got != tc.want {
			t.Errorf("searchText = %q, want %q", got, tc.want)
		}
	}
}

func TestSearchWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t ", nil},
		{"john ouick", []string{"ouick", "john"}}, // longest first
		{"  John   OUICK ", []string{"ouick", "john"}},
		{"john\u00a0ouick", []string{"ouick", "john"}}, // any white space separates
		{"ALIÉNOR", []string{"alienor"}},
		{"jo john", []string{"john"}},      // found inside another word
		{"john jo JOHN", []string{"john"}}, // repeated
		{"oh ick ouick john", []string{"ouick", "john"}},
		{"12345 +666", []string{"12345", "+666"}},
		{"%", []string{"%"}},
		{"\u0301", nil}, // a word of marks only folds to nothing
	} {
		if got := searchWords(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("searchWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFTSTrigrams(t *testing.T) {
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{"ouick", "john"}, `"oui" "uic" "ick" "joh" "ohn"`},
		{[]string{"abcabc"}, `"abc" "bca" "cab"`}, // each window once
		{[]string{`o"ha`}, `"o""h" """ha"`},       // a quote is doubled: never FTS5 syntax
		{[]string{"éco"}, `"éco"`},                // windows of characters, not bytes
	} {
		if got := ftsTrigrams(tc.words); got != tc.want {
			t.Errorf("ftsTrigrams(%q) = %s, want %s", tc.words, got, tc.want)
		}
	}
}
