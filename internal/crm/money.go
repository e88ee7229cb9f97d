package crm

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Cents is an amount of euros as an exact integer number of cents.
type Cents int64

// MaxAmount is the largest amount the product accepts: 100,000,000.00.
const MaxAmount Cents = 100_000_000_00

// ParseCents parses "1500", "1500.5" or "1500.50" exactly. Negative values, more
// than two decimals, exponents, signs and anything but digits are refused.
func ParseCents(s string) (Cents, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("an amount is required, such as 1500 or 1500.50")
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, fmt.Errorf("%q is not an amount: use digits with at most two decimals, such as 1500 or 1500.50", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("%q has more than two decimals", s)
	}
	if len(strings.TrimLeft(whole, "0")) > 9 {
		return 0, fmt.Errorf("%q is more than %s", s, MaxAmount)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := Cents(w*100 + f)
	if c > MaxAmount {
		return 0, fmt.Errorf("%q is more than %s", s, MaxAmount)
	}
	return c, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount with two decimals, such as "1234.50".
func (c Cents) String() string { return string(c.AppendText(nil)) }

// AppendText appends the amount with two decimals to b.
func (c Cents) AppendText(b []byte) []byte {
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = -u // the magnitude, right even for the smallest int64
	}
	b = strconv.AppendUint(b, u/100, 10)
	return append(b, '.', byte('0'+u%100/10), byte('0'+u%10))
}

// MarshalText gives the amount with two decimals; encoding/json writes it as
// a JSON string ("1500.00"). A TextMarshaler rather than a JSON Marshaler,
// whose output encoding/json would parse again to check it.
func (c Cents) MarshalText() ([]byte, error) { return c.AppendText(nil), nil }

// UnmarshalJSON accepts a string ("1500.50") or a JSON number with at most two
// decimals, parsed exactly.
func (c *Cents) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	v, err := ParseCents(s)
	if err != nil {
		return err
	}
	*c = v
	return nil
}
