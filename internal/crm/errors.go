// Package crm holds the domain of Epic Events CRM: its types, validation, the
// permission matrix and the Service that applies every business rule once,
// whatever the transport (local CLI or HTTP server).
package crm

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error so that transports can map it to an HTTP status or an
// exit code from one table each.
type Code string

// The error codes of the product. Each maps to one exit code (cli's exitCodes)
// and one HTTP status (httpapi's statusOf).
const (
	CodeInvalid         Code = "invalid"
	CodeUnauthenticated Code = "unauthenticated"
	CodeThrottled       Code = "throttled"
	CodeForbidden       Code = "forbidden"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodeStale           Code = "stale"
	CodeUnavailable     Code = "unavailable"
	CodeInternal        Code = "internal"
)

// FieldError names one invalid field (by its JSON name) and says what is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type the product shows to users. Message is a full
// sentence safe to show; it never carries a secret or raw driver text. A
// message that names a command of the CLI names it in parentheses
// ("(`epicevents contracts sign 5`)") or in a last clause ("; list them with
// `epicevents clients list`"), so that the web UI can leave it out of its
// pages (webui's cliHint; a test reads every such message of this package).
type Error struct {
	Code       Code
	Message    string
	Fields     []FieldError
	RetryAfter int // seconds, for CodeThrottled
	// Reason refines CodeUnauthenticated ("expired", "password_change") so that a
	// client can react (refresh, prompt) without parsing the message.
	Reason string
	// Err is the underlying cause, for logs and Sentry only.
	Err error
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + ": " + f.Message
		}
		return "invalid input: " + strings.Join(parts, "; ")
	}
	return string(e.Code)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a CodeInvalid error for one field.
func Invalid(field, message string) *Error {
	return &Error{Code: CodeInvalid, Message: "invalid " + field + ": " + message, Fields: []FieldError{{Field: field, Message: message}}}
}

// errNothingToChange refuses an update that names no field.
var errNothingToChange = &Error{Code: CodeInvalid, Message: "nothing to change: give at least one field to change (see --help)"}

// plural writes "1 client" or "2 clients".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// NotFound says that an entity with that id does not exist.
func NotFound(entity string, id int64) *Error {
	return Errorf(CodeNotFound, "%s %d not found; list them with `epicevents %ss list`", entity, id, entity)
}

// ErrorCode returns the code of err: the code of an *Error in its chain, or
// CodeInternal for anything else.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Validator collects field errors so that one request reports all of them.
type Validator struct{ fields []FieldError }

// Add records a field error.
func (v *Validator) Add(field, message string) {
	v.fields = append(v.fields, FieldError{field, message})
}

// Err returns nil when no field error was recorded, else one CodeInvalid error.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := make([]string, len(v.fields))
	for i, f := range v.fields {
		msg[i] = f.Field + ": " + f.Message
	}
	return &Error{Code: CodeInvalid, Message: "invalid " + strings.Join(msg, "; "), Fields: v.fields}
}
