package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// dialect is the SQL engine behind a DB. Queries are written once with ?
// placeholders; the dialect rewrites what truly differs between the engines.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

// timeLayout is how SQLite stores every timestamp: fixed width, UTC, to the
// second, so that comparing the text compares the times.
const timeLayout = "2006-01-02T15:04:05Z"

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// rebind turns ? placeholders into $1, $2… on PostgreSQL. A ? inside a quoted
// literal is left alone; our SQL has none, but the rule keeps rebind honest.
func (d dialect) rebind(query string) string {
	if d != postgresDialect || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// args converts bind values for the engine. Times are truncated to the second
// on both engines so that they compare the same way; SQLite gets them as
// timeLayout text because the driver's own formatting does not sort.
func (d dialect) args(in []any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		switch t := v.(type) {
		case time.Time:
			out[i] = d.time(t)
		case *time.Time:
			if t == nil {
				out[i] = nil
			} else {
				out[i] = d.time(*t)
			}
		default:
			out[i] = v
		}
	}
	return out
}

func (d dialect) time(t time.Time) any {
	t = t.UTC().Truncate(time.Second)
	if d == sqliteDialect {
		return t.Format(timeLayout)
	}
	return t
}

// contains is the condition "col contains the text ?", as an exact
// substring: nothing in the text is a pattern.
func (d dialect) contains(col string) string {
	if d == postgresDialect {
		return "strpos(" + col + ", ?) > 0"
	}
	return "instr(" + col + ", ?) > 0"
}

// parseTime reads a timestamp back from either engine.
func parseTime(src any) (time.Time, error) {
	switch v := src.(type) {
	case time.Time:
		return v.UTC(), nil
	case string:
		return time.Parse(timeLayout, v)
	case []byte:
		return time.Parse(timeLayout, string(v))
	}
	return time.Time{}, fmt.Errorf("sqlstore: cannot read %T as a time", src)
}

// timeDest scans a NOT NULL timestamp column into *t.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(src any) error {
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*d.t = t
	return nil
}

// nullTimeDest scans a nullable timestamp column into *t (nil for NULL).
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(src any) error {
	if src == nil {
		*d.t = nil
		return nil
	}
	t, err := parseTime(src)
	if err != nil {
		return err
	}
	*d.t = &t
	return nil
}
