package crm

import (
	"fmt"
	"strings"
	"time"
)

// DateTimeLayout is how users type a local date and time; the same with
// seconds, or with a T between date and time, is read as well.
const DateTimeLayout = "2006-01-02 15:04"

// DateLayout is how users type a day.
const DateLayout = "2006-01-02"

// localLayouts are the spellings of a date and time without an offset, read
// in the user's zone: minutes or seconds, a space or a T between date and
// time.
var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
}

// ParseDateTime reads a date and time: "YYYY-MM-DD HH:MM", with seconds
// ("YYYY-MM-DD HH:MM:SS", kept) or a T instead of the space, in loc; or RFC
// 3339 with an offset. It returns the instant in UTC, at the second. A local
// time that does not exist in loc (a DST gap) is refused rather than
// silently moved.
func ParseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return inRange(s, t.UTC().Truncate(time.Second))
	}
	for _, layout := range localLayouts {
		if len(s) != len(layout) {
			continue
		}
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		// time.ParseInLocation moves a time of a DST gap to one that
		// exists; written back, it is not what was typed.
		if t.Format(layout) != s {
			return time.Time{}, fmt.Errorf("%s does not exist in %s (clocks change then)", s, loc)
		}
		return inRange(s, t.UTC())
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time: use YYYY-MM-DD HH:MM (seconds optional) or RFC 3339", s)
}

// inRange refuses an instant whose UTC year is outside 0001–9999: RFC 3339,
// how the API and the databases write times back, has four-digit years only,
// so "0000-01-01 00:00" in Paris (23:50:39 on 31 December of year −1 in UTC)
// could be stored but never read again.
func inRange(s string, t time.Time) (time.Time, error) {
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("%q is out of range: use a year between 0001 and 9999", s)
	}
	return t, nil
}

// relativeDays are the words a bound may use for a day near now.
var relativeDays = map[string]int{"yesterday": -1, "today": 0, "tomorrow": 1}

// ParseBound reads a --from or --to value: a day (YYYY-MM-DD, or today,
// tomorrow or yesterday in loc as of now), meaning the whole day, so its
// first second for from (end false) and its last second for to (end true);
// or a date and time as ParseDateTime reads it.
func ParseBound(s string, loc *time.Location, end bool, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	var y, d int
	var m time.Month
	if shift, ok := relativeDays[strings.ToLower(s)]; ok {
		y, m, d = now.In(loc).AddDate(0, 0, shift).Date()
	} else if day, err := time.ParseInLocation(DateLayout, s, loc); err == nil && len(s) == len(DateLayout) {
		y, m, d = day.Date()
	} else {
		t, err := ParseDateTime(s, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD, today, tomorrow, yesterday, or a date and time (YYYY-MM-DD HH:MM)", s)
		}
		return t, nil
	}
	if end {
		return time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(-time.Second).UTC(), nil
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), nil
}
