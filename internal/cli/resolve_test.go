package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		kind  refKind
		in    string
		id    int64
		email string
		err   string // a part of the refusal; "" when accepted
	}{
		{idRef, "12", 12, "", ""},
		{idRef, " 12 ", 12, "", ""},
		{idRef, "0", 0, "", `"0" is not an id (a positive whole number)`},
		{idRef, "-3", 0, "", "is not an id"},
		{idRef, "kate@epicevents.example", 0, "", `"kate@epicevents.example" is not an id (a positive whole number)`},
		{idRef, "", 0, "", "is not an id"},
		{employeeRef, "7", 7, "", ""},
		{employeeRef, "Kate@EpicEvents.example", 0, "Kate@EpicEvents.example", ""},
		{employeeRef, " kate@epicevents.example ", 0, "kate@epicevents.example", ""},
		{employeeRef, "0", 0, "", `"0" is not an id (a positive whole number)`},
		{employeeRef, "99999999999999999999", 0, "", "is not an id (a positive whole number) or an email"},
		{employeeRef, "kate", 0, "", `"kate" is not an id (a positive whole number) or an email`},
		{employeeRef, "", 0, "", "or an email"},
		{employeeRef, "1.5", 0, "", "or an email"},
		{clientRef, "kevin@startup.io", 0, "kevin@startup.io", ""},
		{clientRef, "kevin", 0, "", "or an email"},
		// An address no one can have names nobody: refused as the API
		// refuses such an email filter, so both modes answer alike.
		{clientRef, strings.Repeat("k", 250) + "@startup.io", 0, "", "or an email"},
		{employeeRef, "kate\u200b@epicevents.example", 0, "", `"kate\u200b@epicevents.example" is not an id (a positive whole number) or an email`},
		{employeeRef, "kate@", 0, "", "or an email"},
	} {
		r, err := parseRef(tc.kind, "sales_contact_id", tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || crm.ErrorCode(err) != crm.CodeInvalid {
				t.Errorf("parseRef(%d, %q) = %+v, %v; want an invalid error with %q", tc.kind, tc.in, r, err, tc.err)
			}
			continue
		}
		if err != nil || r.id != tc.id || r.email != tc.email || r.kind != tc.kind {
			t.Errorf("parseRef(%d, %q) = %+v, %v; want id %d email %q", tc.kind, tc.in, r, err, tc.id, tc.email)
		}
	}
}

// directory answers the email filters of the lists from two maps, as the
// service does: exact addresses, any case.
type directory struct {
	crm.API
	employees, clients map[string]int64
	asked              []string
}

func (d *directory) ListEmployees(_ context.Context, f crm.EmployeeFilter, emit crm.Emit[crm.Employee]) (string, error) {
	d.asked = append(d.asked, "employee "+f.Email)
	if !f.All || f.Limit != 1 {
		return "", crm.Errorf(crm.CodeInvalid, "resolve should ask for one employee among all, got %+v", f)
	}
	if id, ok := d.employees[strings.ToLower(f.Email)]; ok {
		return "", emit(crm.Employee{ID: id})
	}
	return "", nil
}

func (d *directory) ListClients(_ context.Context, f crm.ClientFilter, emit crm.Emit[crm.Client]) (string, error) {
	d.asked = append(d.asked, "client "+f.Email)
	if id, ok := d.clients[strings.ToLower(f.Email)]; ok {
		return "", emit(crm.Client{ID: id})
	}
	return "", nil
}

func TestResolve(t *testing.T) {
	d := &directory{employees: map[string]int64{"kate@epicevents.example": 4}, clients: map[string]int64{"kevin@startup.io": 12}}
	ctx := context.Background()
	for _, tc := range []struct {
		kind  refKind
		in    string
		want  int64
		code  crm.Code
		err   string
		asked string // the look-up made, "" for none
	}{
		{employeeRef, "3", 3, "", "", ""},
		{employeeRef, "KATE@epicevents.example", 4, "", "", "employee KATE@epicevents.example"},
		{employeeRef, "nobody@epicevents.example", 0, crm.CodeNotFound,
			"no employee with email nobody@epicevents.example; list them with `epicevents employees list --all`", "employee nobody@epicevents.example"},
		{clientRef, "kevin@startup.io", 12, "", "", "client kevin@startup.io"},
		{clientRef, "kate@epicevents.example", 0, crm.CodeNotFound, "no client with email kate@epicevents.example", "client kate@epicevents.example"},
		{clientRef, "12", 12, "", "", ""},
	} {
		d.asked = nil
		r, err := parseRef(tc.kind, "id", tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.resolve(ctx, d)
		if crm.ErrorCode(err) != tc.code || got != tc.want || (tc.err != "" && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("resolve %q = %d, %v; want %d (%q %s)", tc.in, got, err, tc.want, tc.code, tc.err)
		}
		if strings.Join(d.asked, ";") != tc.asked {
			t.Errorf("resolve %q asked %q, want %q", tc.in, d.asked, tc.asked)
		}
	}
	if id, err := resolveOpt(ctx, d, nil); id != nil || err != nil {
		t.Errorf("resolveOpt(nil) = %v, %v", id, err)
	}
}
