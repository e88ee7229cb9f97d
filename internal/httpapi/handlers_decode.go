package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
)

// bodyRule says whether a route needs a body.
type bodyRule int

const (
	bodyRequired bodyRule = iota
	// bodyOptional accepts no body at all, or one that decodes like any other
	// (a route without a body of its own decodes into struct{}, so that only
	// {} passes).
	bodyOptional
)

// decodeBody reads the request's JSON object into dst, a pointer to a flat
// struct of the crm or wire types; rule says whether an empty body is
// accepted. It is strict on purpose (OWASP API3/API8): 1 MiB at most,
// JSON content type only, valid UTF-8, one object and nothing after it, no
// duplicate key, no unknown or read-only field. Malformed input is 400. The
// route's request body in the OpenAPI document says which fields are
// required, which may be null and how long a string may be: a field missing,
// null where it may not be, or too long is 422 naming it, like a value of the
// right JSON type that does not parse (an amount, a time).
func decodeBody(w http.ResponseWriter, r *http.Request, dst any, rule bodyRule) error {
	rules, err := bodyBinding(r.Pattern, reflect.TypeOf(dst).Elem())
	if err != nil {
		return err // the document and the Go type disagree: an internal error
	}
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case err != nil:
		return badRequest("", "the request body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if rule == bodyOptional {
			return nil
		}
		return badRequest("", "a JSON body is required")
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	// encoding/json would silently turn invalid UTF-8 into U+FFFD: a name
	// stored that way would not be the one sent.
	if !utf8.Valid(body) {
		return badRequest("", "the body is not valid UTF-8")
	}
	return decodeObject(body, dst, rules)
}

// checkContentType accepts application/json with an optional UTF-8 charset.
// The API treats a wrong content type as a malformed request (400, not 415).
func checkContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return badRequest("Content-Type", "wrong content type: send the body as application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return badRequest("Content-Type", "wrong content type: JSON bodies are UTF-8")
	}
	return nil
}

// decodeObject decodes the members of one JSON object into the fields of dst
// one by one, so that an error names the field at fault, which
// encoding/json's errors from custom unmarshalers (amounts, times) do not.
// rules come from the document: a required field that is absent and a null
// that the document does not admit are refused, so that Go's zero values
// never stand in for them.
func decodeObject(data []byte, dst any, rules inputRules) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil {
		return syntaxError(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return badRequest("", "the body must be a JSON object")
	}
	rv := reflect.ValueOf(dst).Elem()
	fields := jsonFields(rv.Type())
	seen := map[string]bool{}
	var malformed, invalid crm.Validator
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntaxError(err)
		}
		key, _ := tok.(string) // inside an object, the decoder yields only string keys here
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return syntaxError(err)
		}
		// Two values for one key are read differently by different parsers;
		// refuse rather than pick one.
		if seen[key] {
			return badRequest(key, "appears more than once")
		}
		seen[key] = true
		idx, ok := fields[key]
		if !ok {
			if readOnly()[key] {
				return badRequest(key, "is read-only and cannot be set")
			}
			return badRequest(key, "is not a field of this request")
		}
		rule := rules.body[key]
		if string(raw) == "null" && !rule.nullable {
			invalid.Add(key, "must not be null")
			continue
		}
		f := rv.Field(idx)
		if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
			typeErr, msg := valueError(f.Type(), raw, err)
			if typeErr {
				malformed.Add(key, msg)
			} else {
				invalid.Add(key, msg)
			}
			continue
		}
		if rule.maxLength > 0 && raw[0] == '"' {
			var s string
			// raw is a valid JSON string: it decoded into the field.
			if json.Unmarshal(raw, &s) == nil && utf8.RuneCountInString(s) > rule.maxLength {
				invalid.Add(key, "must be at most "+strconv.Itoa(rule.maxLength)+" characters")
			}
		}
	}
	for _, name := range rules.required {
		if !seen[name] {
			invalid.Add(name, "is required")
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("", "the body holds more than one JSON value")
	}
	if err := malformed.Err(); err != nil {
		e, _ := crm.AsError(err)
		return &requestError{status: http.StatusBadRequest, err: e}
	}
	return invalid.Err() // CodeInvalid: 422
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return badRequest("", "the body is not valid JSON: "+se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "the body is not valid JSON: it ends too early")
	}
	return badRequest("", "the body is not valid JSON")
}

var (
	timeFieldType  = reflect.TypeFor[time.Time]()
	centsFieldType = reflect.TypeFor[crm.Cents]()
)

// valueError explains why raw does not fit a field of type t. typeErr is true
// when the JSON type is wrong (a malformed request, 400), false when the value
// has the right type but does not parse (an invalid value, 422).
func valueError(t reflect.Type, raw json.RawMessage, err error) (typeErr bool, msg string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isString := len(raw) > 0 && raw[0] == '"'
	switch t {
	case timeFieldType:
		return !isString, "must be a date and time in RFC 3339 format, such as 2023-06-04T13:00:00Z"
	case centsFieldType:
		// Cents accepts a string or a number; its own message says what is
		// wrong with the value and is safe to show.
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) || (!isString && !isNumber(raw)) {
			return true, "must be an amount such as \"1500.50\""
		}
		return false, err.Error()
	}
	switch t.Kind() {
	case reflect.String:
		return true, "must be a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true, "must be a whole number"
	case reflect.Bool:
		return true, "must be true or false"
	}
	return true, "has the wrong type"
}

// isNumber tells a JSON number from the other JSON types by its first byte.
func isNumber(raw json.RawMessage) bool {
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

// jsonFields maps the JSON names of a flat struct to its field indexes, by
// encoding/json's rules for such a struct: an exported field under its json
// tag's name, or its Go name without one; a field tagged "-" has none ("-,"
// names it "-"). An embedded struct without a tag name, whose fields
// encoding/json would bind in its place, is not bound: the document's check
// then refuses the type. It is the one reader of json tags; records write
// their JSON and CSV without it.
func jsonFields(t reflect.Type) map[string]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" && f.Anonymous && (f.Type.Kind() == reflect.Struct ||
			f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct) {
			continue // encoding/json would flatten it
		}
		if name == "" {
			name = f.Name
		}
		m[name] = i
	}
	fieldCache.Store(t, m)
	return m
}

var fieldCache sync.Map // reflect.Type → map[string]int

// readOnly is the set of field names the API answers in a record of any
// entity but no request sets (id, created_at, sales_contact_name, …), so that
// a client sending one back is told it is read-only rather than unknown.
var readOnly = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, e := range crm.Entities {
		for name := range jsonFields(e.Type) {
			m[name] = true
		}
	}
	return m
})
