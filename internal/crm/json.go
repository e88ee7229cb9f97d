package crm

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// The records that lists return by the hundred — employees, clients,
// contracts, events — write their JSON themselves: byte for byte what
// encoding/json writes for them without HTML escaping (the struct tags stay
// the contract; TestAppendJSONMatchesEncodingJSON, TestAppendJSONGenerated
// and FuzzAppendJSON hold the two to the same bytes), without reflection and
// without re-parsing the output of time.Time's MarshalJSON. Encoding a page
// of 100 took a fifth of the API server's CPU per request before, and
// BenchmarkPageJSON measures what it saves (BENCHMARKS.md): the encoders stay
// only while they are faster.

// JSONAppender is a value that writes its own JSON: AppendJSON appends to b
// byte for byte what encoding/json writes for the value without HTML
// escaping, and fails where encoding/json fails. The API server and the
// CLI's output write such values through it, and any other value through
// encoding/json.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

var (
	_ JSONAppender = Employee{}
	_ JSONAppender = Client{}
	_ JSONAppender = Contract{}
	_ JSONAppender = Event{}
)

// AppendJSON appends the employee as a JSON object.
func (e Employee) AppendJSON(b []byte) ([]byte, error) {
	b = appendInt(append(b, `{"id":`...), e.ID)
	b = appendString(append(b, `,"first_name":`...), e.FirstName)
	b = appendString(append(b, `,"last_name":`...), e.LastName)
	b = appendString(append(b, `,"email":`...), e.Email)
	b = appendString(append(b, `,"role":`...), string(e.Role))
	b = strconv.AppendBool(append(b, `,"active":`...), e.Active)
	return appendTimes(b, e.CreatedAt, e.UpdatedAt, timeField{`,"deactivated_at":`, e.DeactivatedAt})
}

// AppendJSON appends the client as a JSON object.
func (c Client) AppendJSON(b []byte) ([]byte, error) {
	b = appendInt(append(b, `{"id":`...), c.ID)
	b = appendString(append(b, `,"first_name":`...), c.FirstName)
	b = appendString(append(b, `,"last_name":`...), c.LastName)
	b = appendString(append(b, `,"email":`...), c.Email)
	b = appendOptString(append(b, `,"phone":`...), c.Phone)
	b = appendOptString(append(b, `,"company_name":`...), c.CompanyName)
	b = appendInt(append(b, `,"sales_contact_id":`...), c.SalesContactID)
	b = appendString(append(b, `,"sales_contact_name":`...), c.SalesContactName)
	return appendTimes(b, c.CreatedAt, c.UpdatedAt)
}

// AppendJSON appends the contract as a JSON object.
func (c Contract) AppendJSON(b []byte) ([]byte, error) {
	b = appendInt(append(b, `{"id":`...), c.ID)
	b = appendInt(append(b, `,"client_id":`...), c.ClientID)
	b = appendString(append(b, `,"client_name":`...), c.ClientName)
	b = appendInt(append(b, `,"sales_contact_id":`...), c.SalesContactID)
	b = appendString(append(b, `,"sales_contact_name":`...), c.SalesContactName)
	b = append(c.TotalAmount.AppendText(append(b, `,"total_amount":"`...)), '"')
	b = append(c.AmountDue.AppendText(append(b, `,"amount_due":"`...)), '"')
	b = strconv.AppendBool(append(b, `,"signed":`...), c.Signed)
	b, err := appendOptTime(append(b, `,"signed_at":`...), c.SignedAt)
	if err != nil {
		return nil, err
	}
	return appendTimes(b, c.CreatedAt, c.UpdatedAt)
}

// AppendJSON appends the event as a JSON object.
func (e Event) AppendJSON(b []byte) ([]byte, error) {
	b = appendInt(append(b, `{"id":`...), e.ID)
	b = appendString(append(b, `,"name":`...), e.Name)
	b = appendInt(append(b, `,"contract_id":`...), e.ContractID)
	b = appendInt(append(b, `,"client_id":`...), e.ClientID)
	b = appendString(append(b, `,"client_name":`...), e.ClientName)
	b = appendString(append(b, `,"client_email":`...), e.ClientEmail)
	b = appendOptString(append(b, `,"client_phone":`...), e.ClientPhone)
	b, err := appendTime(append(b, `,"start":`...), e.Start)
	if err != nil {
		return nil, err
	}
	if b, err = appendTime(append(b, `,"end":`...), e.End); err != nil {
		return nil, err
	}
	b = appendOptInt(append(b, `,"support_contact_id":`...), e.SupportContactID)
	b = appendOptString(append(b, `,"support_contact_name":`...), e.SupportContactName)
	b = appendString(append(b, `,"location":`...), e.Location)
	b = strconv.AppendInt(append(b, `,"attendees":`...), int64(e.Attendees), 10)
	b = appendOptString(append(b, `,"notes":`...), e.Notes)
	return appendTimes(b, e.CreatedAt, e.UpdatedAt)
}

// timeField is an optional time that follows created_at and updated_at.
type timeField struct {
	key string // with its leading comma and colon
	t   *time.Time
}

// appendTimes ends an object with its created_at and updated_at, then the
// optional times of more.
func appendTimes(b []byte, created, updated time.Time, more ...timeField) ([]byte, error) {
	b, err := appendTime(append(b, `,"created_at":`...), created)
	if err != nil {
		return nil, err
	}
	if b, err = appendTime(append(b, `,"updated_at":`...), updated); err != nil {
		return nil, err
	}
	for _, f := range more {
		if b, err = appendOptTime(append(b, f.key...), f.t); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// appendTime writes t as time.Time's MarshalJSON does (RFC 3339 with the
// nanoseconds it has), and fails for the same times (years beyond 9999).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b, err := t.AppendText(append(b, '"'))
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

func appendOptInt(b []byte, v *int64) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return appendInt(b, *v)
}

func appendOptTime(b []byte, t *time.Time) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	return appendTime(b, *t)
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string, as encoding/json writes it
// without HTML escaping.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }

// appendString writes s as a JSON string exactly as encoding/json does with
// HTML escaping off: the short escapes for \b \f \n \r \t " and \, \u00XX
// for the other control characters, \ufffd for each invalid UTF-8 byte, and
// \u2028 and \u2029 escaped (JavaScript would end a line there).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
