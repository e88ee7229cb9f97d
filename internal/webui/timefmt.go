package webui

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// Layouts of the times the pages show and of the datetime-local inputs.
const (
	displayDateTime = "Mon 2 Jan 2006, 15:04"
	displayDate     = "Mon 2 Jan 2006"
	inputDateTime   = "2006-01-02T15:04"
)

// zoneName is how the pages name the company's time zone: its IANA name
// ("Europe/Paris"). The server's own zone (time.Local) is named after the
// TZ variable or the /etc/localtime link when they say which zone it is,
// and otherwise by its abbreviation (such as "CET").
func zoneName(loc *time.Location, now time.Time) string {
	if name := loc.String(); name != "Local" {
		return name
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && !strings.HasPrefix(tz, "/") {
		return tz
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok && name != "" {
			return name
		}
	}
	abbr, _ := now.In(loc).Zone()
	return abbr
}

// clock formats and reads times in the company's zone.
type clock struct {
	loc *time.Location
}

// dateTime is a time as the pages show it, in the company's zone.
func (c clock) dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(displayDateTime)
}

// date is the day of t in the company's zone.
func (c clock) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(displayDate)
}

// machineTime is t for a <time datetime="…"> attribute.
func machineTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// inputValue is t as the value of a datetime-local input, in the company's
// zone; the zero time is an empty input.
func (c clock) inputValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(c.loc).Format(inputDateTime)
}

// parseInput reads the value of a datetime-local input ("2026-06-01T14:30",
// seconds allowed) in the company's zone, with the CLI's rules: a local time
// that does not exist (clocks go forward) is refused, not moved.
func (c clock) parseInput(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if len(v) == len("2006-01-02T15:04:05") && strings.HasSuffix(v, ":00") {
		v = v[:len(v)-3] // a browser may add seconds; the CRM keeps minutes
	}
	if _, err := time.Parse(inputDateTime, v); err != nil {
		return time.Time{}, errors.New("enter a date and a time, such as 2026-06-01 14:30")
	}
	return crm.ParseDateTime(strings.Replace(v, "T", " ", 1), c.loc)
}
