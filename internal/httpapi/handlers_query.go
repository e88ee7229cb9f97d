package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
)

// listQuery reads the values of a list's query parameters (see
// filterCodec.decode). It collects every problem, so that one 400 names them
// all.
type listQuery struct {
	values url.Values
	errs   []crm.FieldError
}

// errMalformedQuery answers a query string that does not decode: URL.Query
// would drop what it cannot decode (a stray %), and a filter lost that way
// would widen the list without a word.
var errMalformedQuery = badRequest("", "the query string is malformed: escape reserved characters (% as %25, + as %2B)")

func (q *listQuery) add(name, message string) {
	q.errs = append(q.errs, crm.FieldError{Field: name, Message: message})
}

// err is the 400 for every problem found, or nil.
func (q *listQuery) err() error {
	if len(q.errs) == 0 {
		return nil
	}
	msg := make([]string, len(q.errs))
	for i, f := range q.errs {
		msg[i] = f.Field + ": " + f.Message
	}
	return &requestError{status: http.StatusBadRequest, err: &crm.Error{Code: crm.CodeInvalid,
		Message: "invalid query parameters: " + strings.Join(msg, "; "), Fields: q.errs}}
}

// str returns the parameter, "" when absent.
func (q *listQuery) str(name string) string { return q.values.Get(name) }

// bool reads "true" or "false"; absent is false.
func (q *listQuery) bool(name string) bool {
	if !q.values.Has(name) {
		return false
	}
	switch v := q.values.Get(name); v {
	case "true":
		return true
	case "false":
		return false
	}
	q.add(name, "must be true or false")
	return false
}

// email reads an address to match exactly; "" when absent. Given, it holds
// 1 to 254 characters, as an email does.
func (q *listQuery) email(name string) string {
	if !q.values.Has(name) {
		return ""
	}
	v := q.values.Get(name)
	if n := utf8.RuneCountInString(v); n < 1 || n > crm.MaxEmailLen {
		q.add(name, "must be an email address of 1 to 254 characters")
		return ""
	}
	return v
}

// id reads a positive integer; nil when absent.
func (q *listQuery) id(name string) *int64 {
	if !q.values.Has(name) {
		return nil
	}
	v, err := strconv.ParseInt(q.values.Get(name), 10, 64)
	if err != nil || v <= 0 {
		q.add(name, "must be an id (a positive whole number)")
		return nil
	}
	return &v
}

// time reads an RFC 3339 time; nil when absent.
func (q *listQuery) time(name string) *time.Time {
	if !q.values.Has(name) {
		return nil
	}
	t, err := time.Parse(time.RFC3339, q.values.Get(name))
	if err != nil {
		// An unescaped "+02:00" arrives as " 02:00" (a + in a query is a
		// space): say so, as it is the likely mistake.
		q.add(name, "must be a date and time in RFC 3339 format, such as 2023-06-04T13:00:00Z (escape + as %2B)")
		return nil
	}
	return &t
}

// limit reads the page size: 1 to MaxLimit, DefaultLimit when absent. The
// service reads every row for a limit of 0, which a request must never get.
func (q *listQuery) limit() int {
	if !q.values.Has(qLimit) {
		return DefaultLimit
	}
	n, err := strconv.Atoi(q.values.Get(qLimit))
	if err != nil || n < 1 || n > MaxLimit {
		q.add(qLimit, "must be a whole number from 1 to "+strconv.Itoa(MaxLimit))
		return DefaultLimit
	}
	return n
}
