package webui

import (
	"strings"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	c := clock{loc: paris}
	summer := time.Date(2026, 6, 1, 12, 30, 0, 0, time.UTC)
	if got := c.dateTime(summer); got != "Mon 1 Jun 2026, 14:30" {
		t.Errorf("dateTime %q", got)
	}
	if got := c.date(summer); got != "Mon 1 Jun 2026" {
		t.Errorf("date %q", got)
	}
	if got := machineTime(summer.In(paris)); got != "2026-06-01T12:30:00Z" {
		t.Errorf("machineTime %q", got)
	}
	if got := c.inputValue(summer); got != "2026-06-01T14:30" {
		t.Errorf("inputValue %q", got)
	}
	for _, zero := range []string{c.dateTime(time.Time{}), c.date(time.Time{}), c.inputValue(time.Time{})} {
		if zero != "" {
			t.Errorf("the zero time shows as %q", zero)
		}
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		err  string
	}{
		{"2026-06-01T14:30", summer, ""},
		{"2026-06-01T14:30:00", summer, ""},
		{" 2026-06-01T14:30 ", summer, ""},
		{"2026-12-01T14:30", time.Date(2026, 12, 1, 13, 30, 0, 0, time.UTC), ""},
		// Clocks go forward at 02:00 on 29 March 2026 in Paris.
		{"2026-03-29T02:30", time.Time{}, "does not exist in Europe/Paris"},
		{"2026-06-01T14:30:15", time.Time{}, "enter a date and a time"},
		{"2026-06-01 14:30", time.Time{}, "enter a date and a time"},
		{"2026-13-01T14:30", time.Time{}, "enter a date and a time"},
		{"2026-06-01T14:30Z", time.Time{}, "enter a date and a time"},
		{"", time.Time{}, "enter a date and a time"},
	} {
		got, err := c.parseInput(tc.in)
		switch {
		case tc.err == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("parseInput(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseInput(%q) error %v, want one saying %q", tc.in, err, tc.err)
		}
	}
	// What an input shows, it reads back.
	if got, err := c.parseInput(c.inputValue(summer)); err != nil || !got.Equal(summer) {
		t.Errorf("round trip: %v, %v", got, err)
	}
}

func TestZoneName(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	if got := zoneName(paris, time.Now()); got != "Europe/Paris" {
		t.Errorf("zoneName(Europe/Paris) = %q", got)
	}
	t.Setenv("TZ", "America/New_York")
	if got := zoneName(time.Local, time.Now()); got != "America/New_York" {
		t.Errorf("zoneName(Local) with TZ set = %q", got)
	}
	t.Setenv("TZ", "")
	if got := zoneName(time.Local, time.Now()); got == "" || got == "Local" {
		t.Errorf("zoneName(Local) = %q: it should name the zone", got)
	}
}
