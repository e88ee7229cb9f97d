package phonefmt

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// library is Format done by libphonenumber itself: what the CLI did before
// this package, and the reference it is held to.
func library(p string) string {
	num, err := phonenumbers.Parse(p, "")
	if err != nil {
		return p
	}
	f := phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	if f == "+"+strconv.Itoa(int(num.GetCountryCode()))+" "+phonenumbers.GetNationalSignificantNumber(num) {
		return p
	}
	return f
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"+33612345678", "+33 6 12 34 56 78"},
		{"+330612345678", "+33 6 12 34 56 78"}, // the national prefix 0 goes
		{"+14155550123", "+1 415-555-0123"},
		{"+442079460018", "+44 20 7946 0018"},
		{"+61412345678", "+61 412 345 678"},
		{"+6785123456", "+678 512 3456"},
		{"+6781234567", "+6781234567"}, // no Vanuatu format fits: as stored
		{"+819012345678", "+81 90-1234-5678"},
		{"+390612345678", "+39 06 1234 5678"}, // Italy keeps its leading 0
		{"+80012345678", "+800 1234 5678"},    // a non-geographical entity
		{"+13101234", "+1 310-1234"},
		{"+113101234", "+113101234"},   // without its national prefix 1, 7 digits are a local number: kept
		{"+999123456", "+999123456"},   // no such calling code
		{"+0123456789", "+0123456789"}, // no calling code starts with 0
		{"+3312", "+3312"},             // too short to group
		{"+33", "+33"},
		{"+", "+"},
		{"", ""},
		{"33612345678", "33612345678"}, // not "+" and digits: as it is
		{"+33 6 12 34 56 78", "+33 6 12 34 56 78"},
		{"+33a612345678", "+33a612345678"},
	} {
		if got := Format(c.in); got != c.want {
			t.Errorf("Format(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.HasPrefix(c.in, "+") && strings.Trim(c.in[1:], "0123456789") == "" {
			if lib := library(c.in); lib != c.want {
				t.Errorf("the library gives %q for %q, the table wants %q", lib, c.in, c.want)
			}
		}
	}
}

// TestCallingCodes: the table knows exactly the calling codes of the library.
func TestCallingCodes(t *testing.T) {
	for cc := 1; cc <= 999; cc++ {
		_, ok := lookup(cc)
		if lib := len(phonenumbers.GetRegionCodesForCountryCode(cc)) > 0; ok != lib {
			t.Errorf("calling code %d: in the table %v, in the library %v (run go generate ./internal/phonefmt)", cc, ok, lib)
		}
	}
}

// TestFormatAsLibrary compares Format with the library on the library's
// example numbers of every region and type, and on random numbers of 6 to 15
// digits after every calling code, some starting with the country's national
// prefix, so that every rule of the table is used.
func TestFormatAsLibrary(t *testing.T) {
	var numbers []string
	for region := range phonenumbers.GetSupportedRegions() {
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.VOICEMAIL; typ++ {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				numbers = append(numbers, phonenumbers.Format(n, phonenumbers.E164))
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			numbers = append(numbers, phonenumbers.Format(n, phonenumbers.E164))
		}
	}
	r := rand.New(rand.NewPCG(6, 27))
	digits := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteByte(byte('0' + r.IntN(10)))
		}
		return b.String()
	}
	for _, c := range countries {
		code := strconv.Itoa(c.code)
		for total := 6; total <= 15; total++ {
			rest := total - len(code)
			for range 20 {
				numbers = append(numbers, "+"+code+digits(rest))
			}
			if p := phonenumbers.GetNddPrefixForRegion(c.region, true); p != "" && rest > len(p) {
				for range 5 {
					numbers = append(numbers, "+"+code+p+digits(rest-len(p)))
				}
			}
		}
	}
	if len(numbers) < 10000 {
		t.Fatalf("only %d numbers to compare", len(numbers))
	}
	differ := 0
	for _, p := range numbers {
		if got, want := Format(p), library(p); got != want {
			differ++
			if differ <= 20 {
				t.Errorf("Format(%q) = %q, the library gives %q", p, got, want)
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d numbers differ from the library", differ, len(numbers))
	}
}

// FuzzFormat compares Format with the library on any "+" and digits.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"33612345678", "330612345678", "14155550123", "390612345678", "8005551234", "999123456", "0", "7", "88234"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
		if len(d) > 20 {
			d = d[:20]
		}
		p := "+" + d
		if got, want := Format(p), library(p); got != want {
			t.Errorf("Format(%q) = %q, the library gives %q", p, got, want)
		}
	})
}
