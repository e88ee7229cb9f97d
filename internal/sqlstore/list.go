package sqlstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
)

// cursor is the sort key of the last row of a page. It travels as base64url
// JSON; Kind ties it to one list so that a cursor of another list is refused.
type cursor struct {
	Kind  string     `json:"k"`
	Last  string     `json:"l,omitempty"`
	First string     `json:"f,omitempty"`
	At    *time.Time `json:"t,omitempty"`
	ID    int64      `json:"i"`
}

// The lists, as cursor kinds.
const (
	employeeList = "employees"
	clientList   = "clients"
	contractList = "contracts"
	eventList    = "events"
	auditList    = "audit"
)

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // cannot fail: plain fields
	return base64.RawURLEncoding.EncodeToString(b)
}

// errBadCursor is returned for a cursor this store did not make for that list.
func errBadCursor() error {
	return &crm.Error{
		Code:    crm.CodeInvalid,
		Message: "the cursor is invalid; start from the first page",
		Fields:  []crm.FieldError{{Field: "cursor", Message: "invalid"}},
	}
}

// plainText reports whether s could be a stored name: valid UTF-8 without
// NUL, which PostgreSQL refuses in any text parameter. A cursor is client
// input; it must fail as an invalid cursor, never as a database error.
func plainText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// decodeCursor reads a cursor of list kind; needTime says whether its key
// holds a time (contracts, events).
func decodeCursor(s, kind string, needTime bool) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, errBadCursor()
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return c, errBadCursor()
	}
	if c.Kind != kind || c.ID <= 0 || (c.At != nil) != needTime || !plainText(c.Last) || !plainText(c.First) {
		return c, errBadCursor()
	}
	return c, nil
}

// byName adds the keyset condition of the lists ordered by last name, first
// name and id (employees, clients) to f; alias names the table.
func byName(f *filter, page crm.Page, kind, alias string) error {
	if page.Cursor == "" {
		return nil
	}
	c, err := decodeCursor(page.Cursor, kind, false)
	if err != nil {
		return err
	}
	f.add("("+alias+".last_name, "+alias+".first_name, "+alias+".id) > (?, ?, ?)", c.Last, c.First, c.ID)
	return nil
}

// byTime adds the keyset condition of the lists ordered by a time and id:
// ascending (events) when after is true, else descending (newest first).
func byTime(f *filter, page crm.Page, kind, timeCol, idCol string, after bool) error {
	if page.Cursor == "" {
		return nil
	}
	c, err := decodeCursor(page.Cursor, kind, true)
	if err != nil {
		return err
	}
	op := "<"
	if after {
		op = ">"
	}
	f.add("("+timeCol+", "+idCol+") "+op+" (?, ?)", *c.At, c.ID)
	return nil
}

// list runs a query that is already filtered and ordered, reads at most
// page.Limit rows (all when 0) plus one to learn whether another page exists,
// and streams them to emit as they are read. It returns the cursor of the last
// emitted row when more rows follow, else "".
func list[T any](ctx context.Context, q *queries, entity, query string, args []any,
	page crm.Page, scan func(rowScanner) (T, error), key func(T) cursor, emit crm.Emit[T]) (string, error) {
	if page.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, page.Limit+1)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return "", translate(err, "list", entity)
	}
	defer rows.Close()
	var (
		last T
		n    int
	)
	for rows.Next() {
		if page.Limit > 0 && n == page.Limit {
			return key(last).encode(), nil
		}
		if last, err = scan(rows); err != nil {
			return "", translate(err, "list", entity)
		}
		if err := emit(last); err != nil {
			return "", err
		}
		n++
	}
	return "", translate(rows.Err(), "list", entity)
}
