// Package httpapi is the JSON API of `epicevents serve`, described by
// openapi.json: the Server, whose handlers call crm.Service, and the Client,
// which implements crm.API against it so that the CLI behaves the same in
// local and remote mode.
//
// This file is the wire contract both sides share; the query parameters of
// the lists are in filters.go.
package httpapi

import (
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// Prefix is the path prefix of every API route.
const Prefix = "/api/v1"

// MaxBodyBytes caps request bodies (413 beyond).
const MaxBodyBytes = 1 << 20

// RequestDeadline bounds the work of one request, database included; it is
// shorter than serve's write timeout so that the answer (503 when the
// database is too slow) still reaches the client.
const RequestDeadline = 20 * time.Second

// MaxLimit is the largest page a list answers; DefaultLimit when none is asked.
const (
	MaxLimit     = 500
	DefaultLimit = 100
)

// ProblemType is the media type of error bodies (RFC 9457).
const ProblemType = "application/problem+json"

// Problem is an error body. Code and Reason are extensions that carry the
// crm error code, so that the client rebuilds the same *crm.Error and the CLI
// exits with the same code as in local mode.
type Problem struct {
	Type       string           `json:"type"`
	Title      string           `json:"title"`
	Status     int              `json:"status"`
	Detail     string           `json:"detail"`
	Code       crm.Code         `json:"code"`
	Reason     string           `json:"reason,omitempty"`
	Errors     []crm.FieldError `json:"errors,omitempty"`
	RequestID  string           `json:"request_id,omitempty"`
	RetryAfter int              `json:"retry_after,omitempty"`
}

// statusOf is the one table from error codes to HTTP statuses. A malformed
// request (bad JSON, unknown field, bad query parameter, wrong content type)
// is 400 with CodeInvalid; see badRequest.
var statusOf = map[crm.Code]int{
	crm.CodeInvalid:         422,
	crm.CodeUnauthenticated: 401,
	crm.CodeThrottled:       429,
	crm.CodeForbidden:       403,
	crm.CodeNotFound:        404,
	crm.CodeConflict:        409,
	crm.CodeStale:           412,
	crm.CodeUnavailable:     503,
	crm.CodeInternal:        500,
}

// StatusOf returns the HTTP status of an error code.
func StatusOf(c crm.Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return 500
}

// Page is the body of every list response; the next page is asked with
// ?cursor=<next>.
type Page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}

// Request bodies beyond the crm input types (crm.NewEmployee, crm.NewClient,
// crm.NewContract, crm.NewEvent and the patches), whose JSON names they share.
type (
	// LoginRequest is POST /auth/login.
	LoginRequest struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	// RefreshRequest is POST /auth/refresh.
	RefreshRequest struct {
		RefreshToken string `json:"refresh_token"`
	}
	// PasswordChange is POST /me/password.
	PasswordChange struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	// SetPasswordRequest is POST /employees/{id}/set-password.
	SetPasswordRequest struct {
		Password string `json:"password"`
	}
	// EmployeeCheckRequest is POST /employees/check: a new employee's
	// fields but the password, to learn whether creating them would be
	// refused before the password is even asked for.
	EmployeeCheckRequest struct {
		FirstName string   `json:"first_name"`
		LastName  string   `json:"last_name"`
		Email     string   `json:"email"`
		Role      crm.Role `json:"role"`
	}
	// DeactivateRequest is POST /employees/{id}/deactivate (the body is optional).
	DeactivateRequest struct {
		ReassignTo *int64 `json:"reassign_to"`
	}
	// SalesContactRequest is POST /clients/{id}/reassign and /contracts/{id}/reassign.
	SalesContactRequest struct {
		SalesContactID int64 `json:"sales_contact_id"`
	}
	// SupportRequest is POST /events/{id}/assign.
	SupportRequest struct {
		SupportContactID int64 `json:"support_contact_id"`
	}
	// PaymentRequest is POST /contracts/{id}/payments. Empty method,
	// reference and received_on are left out: the service's defaults.
	PaymentRequest struct {
		Amount     crm.Cents `json:"amount"`
		Method     string    `json:"method,omitempty"`
		Reference  string    `json:"reference,omitempty"`
		ReceivedOn string    `json:"received_on,omitempty"`
	}
	// RefundRequest is POST /contracts/{id}/payments/{pid}/refund; a nil
	// amount refunds what is left of the payment.
	RefundRequest struct {
		Amount *crm.Cents `json:"amount"`
		Reason string     `json:"reason"`
	}
)

// IdempotencyHeader is the request header whose key makes a POST that
// records something safe to send again (crm.Service.Once).
const IdempotencyHeader = "Idempotency-Key"

// ETag is the entity tag of a row at a version.
func ETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// ParseETag returns the version of an entity tag that ETag wrote, byte for
// byte: entity tags compare as strings, so "007" is not the tag of version 7,
// and a weak tag is never the tag of a version (If-Match compares strongly).
func ParseETag(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseInt(s[1:len(s)-1], 10, 64)
	return v, err == nil && v > 0 && ETag(v) == s
}
