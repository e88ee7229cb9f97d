package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// refKind says what a command-line reference names, and so whether it may be
// an email as well as an id.
type refKind int

const (
	idRef       refKind = iota // an id only (contracts, events, audit entries)
	employeeRef                // an employee: id or email
	clientRef                  // a client: id or email
)

// ref is an argument or flag value that names a row: its id, or for
// employees and clients their email, which resolve turns into the id through
// the API (the email filters of the lists), so that local and remote mode
// resolve alike.
type ref struct {
	kind  refKind
	id    int64
	email string
}

// parseRef reads value as a reference of kind; field names it in an error,
// as parseID does. It only reads: resolve looks an email up.
func parseRef(kind refKind, field, value string) (ref, error) {
	v := strings.TrimSpace(value)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil || kind == idRef {
		if err != nil || n <= 0 {
			return ref{}, crm.Invalid(field, fmt.Sprintf("%q is not an id (a positive whole number)", value))
		}
		return ref{kind: kind, id: n}, nil
	}
	// An address that cannot be anyone's (too long, invisible characters,
	// no domain) names nobody: refused here, as the API refuses such an
	// email filter, so that local and remote mode answer alike.
	if !strings.Contains(v, "@") || crm.CheckEmail(field, v) != nil {
		return ref{}, crm.Invalid(field, fmt.Sprintf("%q is not an id (a positive whole number) or an email", value))
	}
	return ref{kind: kind, email: v}, nil
}

// optRef parses the reference of a flag when it was given (nil otherwise).
func optRef(ctx context.Context, kind refKind, flag, field, value string) (*ref, error) {
	if !cmdFlags(ctx).Changed(flag) {
		return nil, nil
	}
	r, err := parseRef(kind, field, value)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// resolve returns the id that r names: its id, or the id of the employee or
// client whose email it is (compared case-insensitively). An email that
// names nobody is not found (exit 5). Deactivated employees are found too:
// the service says what they may not be used for.
func (r ref) resolve(ctx context.Context, api crm.API) (int64, error) {
	if r.email == "" {
		return r.id, nil
	}
	var id int64
	found := func(v int64) error { id = v; return nil }
	one := crm.Page{Limit: 1}
	var err error
	switch r.kind {
	case employeeRef:
		_, err = api.ListEmployees(ctx, crm.EmployeeFilter{Email: r.email, All: true, Page: one},
			func(e crm.Employee) error { return found(e.ID) })
	case clientRef:
		_, err = api.ListClients(ctx, crm.ClientFilter{Email: r.email, Page: one},
			func(c crm.Client) error { return found(c.ID) })
	}
	if err != nil {
		return 0, err
	}
	if id == 0 {
		if r.kind == clientRef {
			return 0, crm.Errorf(crm.CodeNotFound, "no client with email %s; find clients with `epicevents clients list --search TEXT`", r.email)
		}
		return 0, crm.Errorf(crm.CodeNotFound, "no employee with email %s; list them with `epicevents employees list --all`", r.email)
	}
	return id, nil
}

// resolveOpt resolves a reference that may be absent.
func resolveOpt(ctx context.Context, api crm.API, r *ref) (*int64, error) {
	if r == nil {
		return nil, nil
	}
	id, err := r.resolve(ctx, api)
	if err != nil {
		return nil, err
	}
	return &id, nil
}
