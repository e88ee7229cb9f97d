// Package phonefmt groups a phone number written "+" and digits the way
// libphonenumber formats it internationally ("+33612345678" → "+33 6 12 34 56
// 78"), from a table generated from the library's metadata (data.go, by
// ./gen), so that the CLI need not link the library.
//
// github.com/nyaruka/phonenumbers decodes the metadata of every country when
// its package initialises: 5 to 17 ms measured on the 2-core development
// machine, in every process that links it — that is, in every command of the
// CLI, which formats phones only in its tables. This package builds nothing
// until a number is formatted, and then only the patterns it tries. Its
// tests hold it to the library's own Parse and Format on every country
// calling code.
package phonefmt

//go:generate go run ./gen

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// country is libphonenumber's metadata of one calling code (for +1, that of
// the US, which holds the formats of every NANPA region).
type country struct {
	code     int
	region   string // the main region, or "001" for a non-geographical entity
	metadata bool   // whether the library has metadata for it

	nationalPrefix string  // national_prefix_for_parsing, a regular expression
	transform      string  // national_prefix_transform_rule
	nationalNumber string  // the general description's national number pattern
	lengths        []int32 // possible lengths of a national number
	localLengths   []int32 // lengths possible only for local dialling
	formats        []numberFormat
}

// numberFormat is one international number format.
type numberFormat struct {
	pattern    string // a regular expression matching the whole national number
	format     string // its replacement, "$1 $2 $3"
	leading    string // the last leading-digits pattern
	hasLeading bool
}

// The lengths of libphonenumber (phonenumberutil.go).
const (
	minLengthNSN     = 2
	maxLengthNSN     = 17
	maxLengthCountry = 3
)

var (
	mu      sync.Mutex
	regexps = map[string]*regexp.Regexp{}
)

// re compiles pattern once (libphonenumber's regexFor).
func re(pattern string) *regexp.Regexp {
	mu.Lock()
	defer mu.Unlock()
	r, ok := regexps[pattern]
	if !ok {
		r = regexp.MustCompile(pattern)
		regexps[pattern] = r
	}
	return r
}

// lookup returns the country of a calling code.
func lookup(code int) (*country, bool) {
	i := sort.Search(len(countries), func(i int) bool { return countries[i].code >= code })
	if i < len(countries) && countries[i].code == code {
		return &countries[i], true
	}
	return nil, false
}

// Format groups p, "+" and digits, as libphonenumber's
// Format(Parse(p, ""), INTERNATIONAL) does, and returns p as it is when the
// library would not parse it or knows no grouping for it (it would then
// write the country code and the national number ungrouped).
func Format(p string) string {
	if len(p) < 2 || p[0] != '+' || strings.Trim(p[1:], "0123456789") != "" {
		return p
	}
	digits := p[1:]
	// maybeExtractCountryCode: more than two digits after the plus, a first
	// digit other than 0, and a known calling code of 1 to 3 digits.
	if len(digits) <= minLengthNSN || digits[0] == '0' {
		return p
	}
	var c *country
	var nsn string
	for i := 1; i <= maxLengthCountry && i <= len(digits); i++ {
		code, _ := strconv.Atoi(digits[:i])
		if found, ok := lookup(code); ok {
			c, nsn = found, digits[i:]
			break
		}
	}
	if c == nil || len(nsn) < minLengthNSN {
		return p
	}
	if c.metadata {
		// parseHelper keeps the number without its national prefix only
		// when that is of a possible length.
		if stripped, ok := c.stripNationalPrefix(nsn); ok {
			switch c.testLength(stripped) {
			case tooShort, possibleLocalOnly, invalidLength:
			default:
				nsn = stripped
			}
		}
	}
	if len(nsn) < minLengthNSN || len(nsn) > maxLengthNSN {
		return p
	}
	f, ok := c.chooseFormat(nsn)
	if !ok {
		return p
	}
	grouped := re(f.pattern).ReplaceAllString(nsn, f.format)
	if grouped == nsn {
		return p
	}
	return "+" + strconv.Itoa(c.code) + " " + grouped
}

// stripNationalPrefix is libphonenumber's maybeStripNationalPrefixAndCarrierCode
// (the carrier code is not kept): the number without a leading national
// prefix, when it has one that may be removed.
func (c *country) stripNationalPrefix(number string) (string, bool) {
	if number == "" || c.nationalPrefix == "" {
		return "", false
	}
	prefix := re("^(?:" + c.nationalPrefix + ")")
	groups := prefix.FindStringSubmatchIndex(number)
	if groups == nil {
		return "", false
	}
	national := re("^(?:" + c.nationalNumber + ")$")
	viable := national.MatchString(number)
	n := len(groups)/2 - 1 // capturing groups
	if c.transform == "" || groups[n*2] < 0 {
		if viable && !national.MatchString(number[groups[1]:]) {
			return "", false
		}
		return number[groups[1]:], true
	}
	transformed := prefix.ReplaceAllString(number, c.transform)
	if viable && !national.MatchString(transformed) {
		return "", false
	}
	return transformed, true
}

// The results of testLength that parsing cares about.
const (
	possible = iota
	possibleLocalOnly
	tooShort
	tooLong
	invalidLength
)

// testLength is libphonenumber's testNumberLength for an unknown number type.
func (c *country) testLength(number string) int {
	if c.lengths[0] == -1 {
		return invalidLength
	}
	n := int32(len(number))
	for _, l := range c.localLengths {
		if l == n {
			return possibleLocalOnly
		}
	}
	switch {
	case c.lengths[0] == n:
		return possible
	case c.lengths[0] > n:
		return tooShort
	case c.lengths[len(c.lengths)-1] < n:
		return tooLong
	}
	for _, l := range c.lengths[1:] {
		if l == n {
			return possible
		}
	}
	return invalidLength
}

// chooseFormat is libphonenumber's chooseFormattingPatternForNumber: the
// first format whose last leading-digits pattern matches the start of the
// national number and whose pattern matches all of it.
func (c *country) chooseFormat(nsn string) (numberFormat, bool) {
	for _, f := range c.formats {
		whole := re("^(?:" + f.pattern + ")$")
		if !f.hasLeading {
			if whole.MatchString(nsn) {
				return f, true
			}
			continue
		}
		if loc := re(f.leading).FindStringIndex(nsn); loc != nil && loc[0] == 0 && whole.MatchString(nsn) {
			return f, true
		}
	}
	return numberFormat{}, false
}
