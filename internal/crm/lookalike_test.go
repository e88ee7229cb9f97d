package crm

import (
	"strings"
	"testing"
)

// Names and emails refuse control characters and invisible format
// characters (Unicode category Cf), so that two people or two accounts
// cannot look identical. Other texts keep what people type.
func TestLookAlikeNamesAndEmails(t *testing.T) {
	type check func(v *Validator, s string) string
	first := func(v *Validator, s string) string { return personName(v, "first_name", s) }
	mail := func(v *Validator, s string) string { return email(v, "email", s) }
	company := func(v *Validator, s string) string { return text(v, "company_name", s, 0, MaxCompanyLen, false) }
	for _, tc := range []struct {
		name    string
		check   check
		in      string
		message string // "" = valid
	}{
		{"plain name", first, " Kevin ", ""},
		{"accents and scripts", first, "Aliénor Ōkubo Żaneta Ελένη Николай 李 أحمد", ""},
		{"apostrophe and hyphen", first, "Jean-Pierre O'Neil", ""},
		{"combining accent", first, "Ale\u0301nor", ""},
		{"zero-width space", first, "Ke\u200bvin", msgInvisible},
		{"zero-width non-joiner", first, "Ke\u200cvin", msgInvisible},
		{"zero-width joiner", first, "Ke\u200dvin", msgInvisible},
		{"word joiner", first, "Kevin\u2060", msgInvisible},
		{"byte-order mark", first, "\ufeffKevin", msgInvisible},
		{"soft hyphen", first, "Ke\u00advin", msgInvisible},
		{"left-to-right mark", first, "Kevin\u200e", msgInvisible},
		{"right-to-left override", first, "\u202eniveK", msgInvisible},
		{"isolate", first, "\u2066Kevin\u2069", msgInvisible},
		{"arabic letter mark", first, "Kevin\u061c", msgInvisible},
		{"tag character", first, "Kevin\U000e0041", msgInvisible},
		{"escape", first, "Ke\x1b[2Jvin", "must not contain control characters"},
		{"bell", first, "Kevin\a", "must not contain control characters"},
		{"C1 CSI", first, "Kevin\u009b2J", "must not contain control characters"},
		{"DEL", first, "Kevin\x7f", "must not contain control characters"},
		{"carriage return", first, "Kevin\rBill", "must not contain control characters"},
		{"plain email", mail, "Kevin@Startup.io", ""},
		{"email with dashes", mail, "jean-pierre.o-neil@start-up.io", ""},
		{"email zero-width space", mail, "kevin\u200b@startup.io", msgInvisible},
		{"email zero-width in domain", mail, "kevin@start\u200bup.io", msgInvisible},
		{"email direction mark", mail, "kevin@startup.io\u200e", msgInvisible},
		{"email byte-order mark", mail, "\ufeffkevin@startup.io", msgInvisible},
		{"email soft hyphen", mail, "ke\u00advin@startup.io", msgInvisible},
		{"email escape", mail, "kevin\x1b@startup.io", "is not a valid email address (like name@example.com)"},
		{"email C1", mail, "kevin\u0085@startup.io", "is not a valid email address (like name@example.com)"},
		// Only names and emails: a company may need a joiner (Persian).
		{"company with ZWNJ", company, "شرکت\u200cها", ""},
	} {
		var v Validator
		tc.check(&v, tc.in)
		err := v.Err()
		if tc.message == "" {
			if err != nil {
				t.Errorf("%s: %q refused: %v", tc.name, tc.in, err)
			}
			continue
		}
		e, ok := AsError(err)
		if !ok || e.Code != CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Message != tc.message {
			t.Errorf("%s: %q gave %v; want one field error %q", tc.name, tc.in, err, tc.message)
		}
		if ok && strings.ContainsAny(e.Error(), "\u200b\u202e\x1b") {
			t.Errorf("%s: the message repeats the character: %q", tc.name, e.Error())
		}
	}
}
