package crm

import (
	"fmt"
	"strings"
	"time"
)

// DateTimeLayout is how users type a local date and time.
const DateTimeLayout = "2006-01-02 15:04"

// DateLayout is how users type a day.
const DateLayout = "2006-01-02"

// ParseDateTime reads "YYYY-MM-DD HH:MM" in loc, or RFC 3339 with an offset, and
// returns the instant in UTC. A local time that does not exist in loc (a DST
// gap) is refused rather than silently moved.
func ParseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Truncate(time.Second), nil
	}
	t, err := time.ParseInLocation(DateTimeLayout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date and time: use YYYY-MM-DD HH:MM or RFC 3339", s)
	}
	if t.Format(DateTimeLayout) != s {
		return time.Time{}, fmt.Errorf("%s does not exist in %s (clocks change then)", s, loc)
	}
	return t.UTC(), nil
}

// ParseBound reads a --from or --to value: a day (the whole day, so the start
// of it for from and its last second for to) or a date and time.
func ParseBound(s string, loc *time.Location, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseInLocation(DateLayout, s, loc); err == nil && len(s) == len(DateLayout) {
		if end {
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc).Add(-time.Second)
		}
		return d.UTC(), nil
	}
	t, err := ParseDateTime(s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD, YYYY-MM-DD HH:MM or RFC 3339", s)
	}
	return t, nil
}
