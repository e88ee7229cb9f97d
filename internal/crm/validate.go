package crm

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/phonefmt"
)

// Field limits: names 1–100 characters, email ≤ 254, company ≤ 200,
// location 1–300, event name 1–200, notes ≤ 5,000, attendees 0–100,000,
// amounts up to 100,000,000.00.
const (
	MaxNameLen     = 100
	MaxEmailLen    = 254
	MaxCompanyLen  = 200
	MaxLocationLen = 300
	MaxEventName   = 200
	MaxNotesLen    = 5000
	MaxAttendees   = 100_000
	MinPasswordLen = 15
	MaxPasswordLen = 128
	// MaxPhoneLen bounds a phone as typed, separators included: 15 digits
	// with every separator the syntax allows fit well within it.
	MaxPhoneLen = 50
	// MaxPasswordInput bounds a password given to be checked (login, the
	// current password of a change): no password the policy accepts is
	// longer, so a longer one is refused before any hashing.
	MaxPasswordInput = 1024
)

// tooLong reports whether s, as sent (surrounding spaces included), has
// more than max characters: the limits count what a client sends, as the
// API's document does, so that local and remote mode refuse the same input.
func tooLong(s string, max int) bool { return utf8.RuneCountInString(s) > max }

// text trims s and checks its length in characters and that it holds no control
// characters (newlines are allowed only where multiline is true).
func text(v *Validator, field, s string, min, max int, multiline bool) string {
	long := tooLong(s, max)
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "is not valid UTF-8 text")
	case n < min && min == 1:
		v.Add(field, "is required")
	case n < min:
		v.Add(field, "must be at least "+strconv.Itoa(min)+" characters")
	case long:
		v.Add(field, "must be at most "+strconv.Itoa(max)+" characters")
	case hasControl(s, multiline):
		v.Add(field, "must not contain control characters")
	}
	return s
}

func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		// U+FFFD is what a decoder makes of broken text (an unpaired
		// surrogate escape in JSON, say): refusing it keeps the data exact.
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return true
		}
	}
	return false
}

// msgInvisible refuses the characters that hasFormat finds.
const msgInvisible = "must not contain invisible characters (such as zero-width spaces or text-direction marks); type it again by hand"

// hasFormat reports a Unicode format character (category Cf): zero-width
// spaces and joiners, text-direction marks and overrides, the byte-order
// mark, soft hyphens, tags. They show as nothing, so "kevin\u200b@startup.io"
// looks exactly like "kevin@startup.io" and a name with a direction override
// shows as another name.
func hasFormat(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) {
			return true
		}
	}
	return false
}

// personName trims and checks a first or last name: 1–100 characters on one
// line, no control character, and no invisible format character, so that two
// people who look the same are the same.
func personName(v *Validator, field, s string) string {
	before := len(v.fields)
	s = text(v, field, s, 1, MaxNameLen, false)
	if len(v.fields) == before && hasFormat(s) {
		v.Add(field, msgInvisible)
	}
	return s
}

// email trims, lower-cases and checks an address: a bare address (no display
// name), at most 254 characters, with a domain that has a dot, and no
// control or invisible format character (so that no two accounts' emails
// look alike).
func email(v *Validator, field, s string) string {
	long := tooLong(s, MaxEmailLen)
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		v.Add(field, "is required")
		return s
	case long || len(s) > MaxEmailLen:
		v.Add(field, "must be at most 254 characters")
		return s
	case utf8.ValidString(s) && !hasControl(s, false) && hasFormat(s):
		v.Add(field, msgInvisible)
		return s
	}
	a, err := mail.ParseAddress(s)
	at := strings.LastIndexByte(s, '@')
	if err != nil || a.Address != s || at < 1 || !strings.Contains(s[at+1:], ".") ||
		strings.HasSuffix(s, ".") || hasControl(s, false) || strings.ContainsAny(s, " \"") {
		v.Add(field, "is not a valid email address (like name@example.com)")
	}
	return s
}

// CheckEmail refuses what cannot be anyone's email address (see email), so
// that a command refuses it before asking for a password.
func CheckEmail(field, s string) error {
	var v Validator
	email(&v, field, s)
	return v.Err()
}

// phoneSyntax is "+" then digits, where single spaces, dots or dashes may
// separate groups of digits and a group may stand in parentheses, as in
// "+1 (234) 567-8901": separators only ever stand between digits.
var phoneSyntax = regexp.MustCompile(`^\+\d+(?:(?:[ .-]|[ .-]?\(\d+\)[ .-]?)\d+)*$`)

// NormalizePhone accepts "+" and 6–15 digits, with spaces, dots, dashes or
// parentheses between them, and returns "+" and the digits.
func NormalizePhone(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if !phoneSyntax.MatchString(s) {
		return "", false
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(digits) < 6 || len(digits) > 15 {
		return "", false
	}
	return "+" + digits, true
}

// FormatPhone shows a stored phone ("+" and digits) grouped the way
// libphonenumber formats it when it knows the country's format, as stored
// otherwise (internal/phonefmt, generated from the library's metadata).
func FormatPhone(p string) string { return phonefmt.Format(p) }

func phone(v *Validator, field string, s *string) *string {
	if s == nil {
		return nil
	}
	if tooLong(*s, MaxPhoneLen) {
		v.Add(field, "must be at most "+strconv.Itoa(MaxPhoneLen)+" characters")
		return s
	}
	if strings.TrimSpace(*s) == "" {
		empty := ""
		return &empty
	}
	p, ok := NormalizePhone(*s)
	if !ok {
		v.Add(field, "must be + and 6 to 15 digits, such as +33 6 12 34 56 78")
		return s
	}
	return &p
}

// optText validates an optional text: nil stays nil, "" means clear.
func optText(v *Validator, field string, s *string, max int, multiline bool) *string {
	if s == nil {
		return nil
	}
	t := text(v, field, *s, 0, max, multiline)
	return &t
}

// CheckPassword applies the password policy: 15–128 characters, not
// the email, not a common password. No composition rules.
func CheckPassword(field, password, email string, common func(string) bool) error {
	var v Validator
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		v.Add(field, "is not valid UTF-8 text")
	case n < MinPasswordLen:
		v.Add(field, "must be at least 15 characters; a few unrelated words make a good one")
	case n > MaxPasswordLen:
		v.Add(field, "must be at most 128 characters")
	case email != "" && strings.EqualFold(strings.TrimSpace(password), email):
		v.Add(field, "must not be your email address")
	case common != nil && common(password):
		v.Add(field, "is too common; choose another")
	}
	return v.Err()
}

func validRole(v *Validator, field string, r Role) Role {
	r = Role(strings.ToUpper(strings.TrimSpace(string(r))))
	if !r.Valid() {
		v.Add(field, "must be MANAGEMENT, SALES or SUPPORT")
	}
	return r
}

func positiveID(v *Validator, field string, id int64) {
	if id <= 0 {
		v.Add(field, "must be a positive id")
	}
}
