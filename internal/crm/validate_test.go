package crm

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseCents(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Cents
		ok   bool
	}{
		{"1500", 150000, true},
		{"1500.5", 150050, true},
		{"1500.50", 150050, true},
		{"0", 0, true},
		{"0.01", 1, true},
		{" 12.3 ", 1230, true},
		{"100000000", MaxAmount, true},
		{"100000000.00", MaxAmount, true},
		{"100000000.01", 0, false},
		{"1500.505", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1e3", 0, false},
		{"1,5", 0, false},
		{".5", 0, false},
		{"5.", 0, false},
		{"", 0, false},
		{"abc", 0, false},
		{"99999999999999999999", 0, false},
		{"NaN", 0, false},
	} {
		got, err := ParseCents(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseCents(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestCentsString(t *testing.T) {
	for c, want := range map[Cents]string{0: "0.00", 5: "0.05", 10: "0.10", 150050: "1500.50", MaxAmount: "100000000.00",
		-150: "-1.50", -5: "-0.05", math.MinInt64: "-92233720368547758.08", math.MaxInt64: "92233720368547758.07"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(c), got, want)
		}
		b, err := json.Marshal(struct {
			A Cents  `json:"a"`
			P *Cents `json:"p"`
		}{c, &c})
		if want := `{"a":"` + want + `","p":"` + want + `"}`; err != nil || string(b) != want {
			t.Errorf("json of %d = %s, %v; want %s", int64(c), b, err, want)
		}
	}
}

func FuzzParseCents(f *testing.F) {
	for _, s := range []string{"1500", "1500.5", "1500.50", "0.01", "-1", "1e3", "100000000.01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCents(s)
		if err != nil {
			return
		}
		if c < 0 || c > MaxAmount {
			t.Fatalf("ParseCents(%q) = %d, out of range", s, c)
		}
		back, err := ParseCents(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip of %q: %s → %d, %v", s, c, back, err)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"+678 123 456 78", "+67812345678", true},
		{"+1 234 567 8901", "+12345678901", true},
		{"+666 12345", "+66612345", true},
		{"+33 6.12.34.56.78", "+33612345678", true},
		{"+1 (234) 567-8901", "+12345678901", true},
		{"+123456", "+123456", true},
		{"+12345", "", false},
		{"+1234567890123456", "", false},
		{"0612345678", "", false},
		{"+33 6 12 34 56 78 ", "+33612345678", true},
		{"+33--612345678", "", false},
		{"+33 6x12345678", "", false},
		{"+", "", false},
		{"+123456-", "", false},
		{"+33612345678)", "", false},
		{"+ 33612345678", "", false},
		{"+33((6))12345678", "", false},
		{"+(33) 612345678", "", false},
		{"+33 - 6 12 34 56 78", "", false},
		{"+44 (0)20 7946 0958", "+4402079460958", true},
	} {
		got, ok := NormalizePhone(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFormatPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+33612345678":   "+33 6 12 34 56 78",
		"+12345678901":   "+1 234-567-8901",
		"+67812345678":   "+67812345678", // Vanuatu numbers have 7 digits: shown as stored
		"+66612345":      "+66612345",
		"+1000000":       "+1000000",         // no US format fits: shown as stored
		"+390612345678":  "+39 06 1234 5678", // Italian leading zero kept
		"+447912345678":  "+44 7912 345678",
		"+14155552671":   "+1 415-555-2671",
		"+4915112345678": "+49 1511 2345678",
		"+999123456":     "+999123456", // no such country code
	} {
		if got := FormatPhone(in); got != want {
			t.Errorf("FormatPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidation(t *testing.T) {
	long := strings.Repeat("a", 101)
	for _, tc := range []struct {
		name  string
		check func(v *Validator)
		field string // "" = valid
	}{
		{"name ok", func(v *Validator) { text(v, "first_name", "  Kevin ", 1, MaxNameLen, false) }, ""},
		{"name empty", func(v *Validator) { text(v, "first_name", "   ", 1, MaxNameLen, false) }, "first_name"},
		{"name too long", func(v *Validator) { text(v, "first_name", long, 1, MaxNameLen, false) }, "first_name"},
		{"name 100 runes", func(v *Validator) { text(v, "first_name", strings.Repeat("é", 100), 1, MaxNameLen, false) }, ""},
		{"name control", func(v *Validator) { text(v, "first_name", "Ke\x1bvin", 1, MaxNameLen, false) }, "first_name"},
		{"notes newline", func(v *Validator) { text(v, "notes", "a\nb", 0, MaxNotesLen, true) }, ""},
		{"name newline", func(v *Validator) { text(v, "last_name", "a\nb", 1, MaxNameLen, false) }, "last_name"},
		{"email ok", func(v *Validator) { email(v, "email", "Kevin@Startup.io") }, ""},
		{"email no at", func(v *Validator) { email(v, "email", "kevin.startup.io") }, "email"},
		{"email display name", func(v *Validator) { email(v, "email", "Kevin <kevin@startup.io>") }, "email"},
		{"email no dot", func(v *Validator) { email(v, "email", "kevin@localhost") }, "email"},
		{"email too long", func(v *Validator) { email(v, "email", strings.Repeat("a", 250)+"@x.io") }, "email"},
		// Limits count what was sent, surrounding spaces included, as the
		// API's document does.
		{"name 100 and a space", func(v *Validator) { text(v, "first_name", " "+strings.Repeat("a", 100), 1, MaxNameLen, false) }, "first_name"},
		{"email 254 and a space", func(v *Validator) { email(v, "email", strings.Repeat("a", 249)+"@x.io ") }, "email"},
		{"email 254", func(v *Validator) { email(v, "email", strings.Repeat("a", 249)+"@x.io") }, ""},
		{"phone at its limit", func(v *Validator) { phone(v, "phone", ptrTo(strings.Repeat(" ", 36)+"+33612345678  ")) }, ""},
		{"phone too long", func(v *Validator) { phone(v, "phone", ptrTo(strings.Repeat(" ", 37)+"+33612345678  ")) }, "phone"},
		{"role ok", func(v *Validator) { validRole(v, "role", "sales") }, ""},
		{"role bad", func(v *Validator) { validRole(v, "role", "CEO") }, "role"},
	} {
		var v Validator
		tc.check(&v)
		err := v.Err()
		if tc.field == "" && err != nil {
			t.Errorf("%s: unexpected %v", tc.name, err)
		}
		if tc.field != "" {
			e, ok := AsError(err)
			if !ok || e.Code != CodeInvalid || e.Fields[0].Field != tc.field {
				t.Errorf("%s: got %v, want invalid %s", tc.name, err, tc.field)
			}
		}
	}
}

func TestCheckPassword(t *testing.T) {
	common := func(s string) bool { return s == "passwordpassword" }
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"correct horse battery", true},
		{"short", false},
		{strings.Repeat("x", 129), false},
		{strings.Repeat("é", 15), true},
		{"ada@epicevents.example", false},
		{"passwordpassword", false},
	} {
		err := CheckPassword("password", tc.pw, "ada@epicevents.example", common)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", tc.pw, err, tc.ok)
		}
	}
}

func TestParseDateTime(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"2023-06-04 13:00", "2023-06-04T11:00:00Z", true},
		{"  2023-06-04 13:00 ", "2023-06-04T11:00:00Z", true},
		{"2023-06-04 13:00:42", "2023-06-04T11:00:42Z", true}, // seconds kept
		{"2031-03-18T18:00", "2031-03-18T17:00:00Z", true},
		{"2031-03-18T18:00:07", "2031-03-18T17:00:07Z", true},
		{"2023-06-04T13:00:00+02:00", "2023-06-04T11:00:00Z", true},
		{"2023-06-04T13:00:00Z", "2023-06-04T13:00:00Z", true},
		{"2023-06-04T13:00:00.999Z", "2023-06-04T13:00:00Z", true}, // at the second
		{"2023-03-26 02:30", "", false},                            // DST gap in Paris
		{"2023-03-26 02:30:00", "", false},
		{"2023-03-26T02:30", "", false},
		{"2023-03-26T02:59:59", "", false},
		{"2023-02-30 10:00", "", false},
		{"2023-06-04", "", false},
		{"today", "", false},
		{"04/06/2023 13:00", "", false},
		{"2023-06-04 25:00", "", false},
		{"2023-06-04 13:00:60", "", false},
		{"2023-06-04 13", "", false},
		{"2023-06-04  13:00", "", false},
		{"2023-6-4 13:00", "", false},
		{"2023-06-04T13:00Z", "", false}, // an offset needs the seconds (RFC 3339)
		{"", "", false},
		{"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z", true},
		{"0000-01-01 00:00", "", false},          // year −1 in UTC: RFC 3339 cannot write it back
		{"0001-01-01 00:00", "", false},          // Paris was ahead of UTC then
		{"9999-12-31T23:30:00-01:00", "", false}, // year 10000 in UTC
	} {
		got, err := ParseDateTime(tc.in, paris)
		if (err == nil) != tc.ok || (tc.ok && got.Format(time.RFC3339) != tc.want) {
			t.Errorf("ParseDateTime(%q) = %v, %v; want %s ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	// 02:30 happens twice the day clocks go back: either is a valid answer.
	if got, err := ParseDateTime("2023-10-29 02:30", paris); err != nil || got.In(paris).Format(DateTimeLayout) != "2023-10-29 02:30" {
		t.Errorf("an hour that happens twice: %v, %v", got, err)
	}
	if _, err := ParseDateTime("2023-03-26 02:30", paris); err == nil || !strings.Contains(err.Error(), "does not exist in Europe/Paris") {
		t.Errorf("a DST gap: %v", err)
	}
}

func TestParseBound(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	// 23:30 in Paris on 4 June is 21:30 UTC: "today" is the 4th in Paris,
	// though it is still the 4th in UTC too; at 00:30 on the 5th in Paris it
	// is the 4th in UTC, and today is the 5th.
	evening := time.Date(2023, 6, 4, 21, 30, 0, 0, time.UTC)
	pastMidnight := time.Date(2023, 6, 4, 22, 30, 0, 0, time.UTC)
	// The day clocks go forward has 23 hours; the day they go back, 25.
	spring := time.Date(2023, 3, 26, 12, 0, 0, 0, time.UTC)
	autumn := time.Date(2023, 10, 29, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in       string
		now      time.Time
		from, to string // RFC 3339 in UTC; "" when refused
	}{
		{"2023-06-04", evening, "2023-06-03T22:00:00Z", "2023-06-04T21:59:59Z"},
		{"today", evening, "2023-06-03T22:00:00Z", "2023-06-04T21:59:59Z"},
		{" Today ", evening, "2023-06-03T22:00:00Z", "2023-06-04T21:59:59Z"},
		{"TOMORROW", evening, "2023-06-04T22:00:00Z", "2023-06-05T21:59:59Z"},
		{"yesterday", evening, "2023-06-02T22:00:00Z", "2023-06-03T21:59:59Z"},
		{"today", pastMidnight, "2023-06-04T22:00:00Z", "2023-06-05T21:59:59Z"},
		{"yesterday", pastMidnight, "2023-06-03T22:00:00Z", "2023-06-04T21:59:59Z"},
		{"today", spring, "2023-03-25T23:00:00Z", "2023-03-26T21:59:59Z"},
		{"today", autumn, "2023-10-28T22:00:00Z", "2023-10-29T22:59:59Z"},
		{"tomorrow", time.Date(2023, 12, 31, 12, 0, 0, 0, time.UTC), "2023-12-31T23:00:00Z", "2024-01-01T22:59:59Z"},
		{"2023-06-04 13:00", evening, "2023-06-04T11:00:00Z", "2023-06-04T11:00:00Z"},
		{"2023-06-04T13:00:30", evening, "2023-06-04T11:00:30Z", "2023-06-04T11:00:30Z"},
		{"2023-06-04T13:00:00Z", evening, "2023-06-04T13:00:00Z", "2023-06-04T13:00:00Z"},
		{"2023-06-31", evening, "", ""},
		{"2023-03-26 02:30", evening, "", ""},
		{"someday", evening, "", ""},
		{"to-day", evening, "", ""},
		{"", evening, "", ""},
	} {
		from, err := ParseBound(tc.in, paris, false, tc.now)
		to, err2 := ParseBound(tc.in, paris, true, tc.now)
		if tc.from == "" {
			if err == nil || err2 == nil {
				t.Errorf("ParseBound(%q) = %v … %v, want an error", tc.in, from, to)
			}
			continue
		}
		if err != nil || err2 != nil {
			t.Errorf("ParseBound(%q): %v, %v", tc.in, err, err2)
			continue
		}
		if from.Format(time.RFC3339) != tc.from || to.Format(time.RFC3339) != tc.to {
			t.Errorf("ParseBound(%q) at %s = %s … %s, want %s … %s", tc.in, tc.now, from.Format(time.RFC3339), to.Format(time.RFC3339), tc.from, tc.to)
		}
	}
	if _, err := ParseBound("someday", paris, false, evening); err == nil || !strings.Contains(err.Error(), "today, tomorrow, yesterday") {
		t.Errorf("the refusal should list the words: %v", err)
	}
}

func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{"2023-06-04 13:00", "2023-06-04T13:00:00+02:00", "2023-03-26 02:30", "", "2023-13-01 00:00"} {
		f.Add(s)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDateTime(s, paris)
		if err != nil {
			return
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Fatalf("ParseDateTime(%q) = %v: not UTC at the second", s, got)
		}
	})
}

func TestDiff(t *testing.T) {
	before := &Client{ID: 1, FirstName: "Kevin", Email: "k@x.io", SalesContactName: "A"}
	after := &Client{ID: 1, FirstName: "Kev", Email: "k@x.io", SalesContactName: "B", UpdatedAt: time.Now()}
	d := diff(before, after)
	if len(d) != 1 || d["first_name"] != (Change{"Kevin", "Kev"}) {
		t.Errorf("diff = %v", d)
	}
	if created := diff(nil, after); created["first_name"] != (Change{nil, "Kev"}) {
		t.Errorf("creation diff = %v", created)
	}
	if deleted := diff(before, nil); deleted["email"] != (Change{"k@x.io", nil}) {
		t.Errorf("deletion diff = %v", deleted)
	}
}

func ptrTo[T any](v T) *T { return &v }
