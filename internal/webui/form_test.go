package webui

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

func TestField(t *testing.T) {
	f := NewForm("client", url.Values{"email": {"kevin@startup.io"}, "password": {"typed secret"},
		"first_name": {"Kevin"}, "sales_contact_id": {"7"}})
	fd, err := f.Field("first_name", "First name", "required", "autocomplete=given-name", "maxlength=100", "hint=As on their card")
	if err != nil {
		t.Fatal(err)
	}
	if fd.ID != "client-first-name" || fd.Name != "first_name" || fd.Type != "text" || fd.Value != "Kevin" ||
		!fd.Required || fd.Autocomplete != "given-name" || fd.MaxLength != "100" || fd.DescribedBy() != "client-first-name-hint" {
		t.Errorf("field %+v", fd)
	}
	if fd, _ := f.Field("password", "Password", "type=password"); fd.Value != "" {
		t.Errorf("a password field shows %q", fd.Value)
	}
	sel, err := f.Select("sales_contact_id", "Sales contact",
		PeopleOptions([]crm.Employee{{ID: 7, FirstName: "Bill", LastName: "Boquet"}}), "empty=Nobody yet", "required")
	if err != nil || sel.Type != "select" || sel.Empty != "Nobody yet" || sel.Value != "7" ||
		len(sel.Options) != 1 || sel.Options[0] != (Option{Value: "7", Label: "Bill Boquet"}) || !sel.Required {
		t.Errorf("select %+v, %v", sel, err)
	}
	for _, bad := range [][]string{
		{"type=color"}, {"type=select"}, {"colour=red"}, {"required=yes"}, {"min="}, {"autocomplete"},
	} {
		if _, err := f.Field("x", "X", bad...); err == nil {
			t.Errorf("options %q accepted", bad)
		}
	}
	if _, err := f.Select("x", "X", nil, "type=text"); err == nil {
		t.Error("a select took a type")
	}
}

// TestFlagValue: a checkbox shows ticked exactly when its handler reads
// the value as on, and a value neither on nor off is refused.
func TestFlagValue(t *testing.T) {
	for _, tc := range []struct {
		v      string
		on, ok bool
	}{
		{"", false, true}, {"0", false, true}, {"false", false, true}, {"off", false, true},
		{"1", true, true}, {"true", true, true}, {"on", true, true},
		{"yes", false, false}, {"2", false, false}, {"TRUE", false, false}, {" 1", false, false},
	} {
		on, ok := flagValue(tc.v)
		if on != tc.on || ok != tc.ok {
			t.Errorf("flagValue(%q) = %v, %v; want %v, %v", tc.v, on, ok, tc.on, tc.ok)
		}
		if got := (Field{Type: "checkbox", Value: tc.v}).Checked(); got != tc.on {
			t.Errorf("a checkbox of value %q ticked: %v, want %v", tc.v, got, tc.on)
		}
	}
}

// TestFormSetError: the service's field errors go beside the fields the
// form shows; anything else is said above the form.
func TestFormSetError(t *testing.T) {
	var v crm.Validator
	v.Add("email", "must be a valid email address")
	v.Add("phone", "must be a phone number, such as +33 6 12 34 56 78")
	f := NewForm("c", nil)
	if !f.SetError(v.Err(), "email", "phone") {
		t.Fatal("SetError refused a validation error")
	}
	if f.Errors["email"] != "Must be a valid email address." || f.Message != "Check the fields marked below." {
		t.Errorf("errors %q, message %q", f.Errors, f.Message)
	}
	// The first invalid field, and only it, gets the focus.
	a, _ := f.Field("first_name", "First name", "autofocus")
	b, _ := f.Field("email", "Email")
	c, _ := f.Field("phone", "Phone")
	if a.Autofocus || !b.Autofocus || c.Autofocus || b.DescribedBy() != "c-email-error" || b.Error == "" {
		t.Errorf("autofocus %v %v %v; %+v", a.Autofocus, b.Autofocus, c.Autofocus, b)
	}

	f = NewForm("c", nil)
	f.SetError(v.Err(), "email")
	if f.Message == "Check the fields marked below." || !strings.Contains(f.Message, "phone") {
		t.Errorf("a field the form does not show is not said: %q", f.Message)
	}

	f = NewForm("c", nil)
	f.SetError(&crm.Error{Code: crm.CodeConflict, Message: "contract 3 is already signed"})
	if f.Message != "Contract 3 is already signed." || len(f.Errors) != 0 {
		t.Errorf("conflict: %q %q", f.Message, f.Errors)
	}
	// The form-level message leaves the template's own autofocus alone.
	if fd, _ := f.Field("email", "Email", "autofocus"); !fd.Autofocus {
		t.Error("autofocus dropped")
	}

	for _, err := range []error{errors.New("driver: boom"), &crm.Error{Code: crm.CodeInternal, Message: "x"}} {
		if NewForm("c", nil).SetError(err) {
			t.Errorf("SetError took %v, which is not the user's to fix", err)
		}
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"must be positive": "Must be positive.",
		"Already done.":    "Already done.",
		"élan required":    "Élan required.",
		" spaced out ":     "Spaced out.",
		"really?":          "Really?",
		// The service's messages, without the commands of the CLI.
		crm.NotFound("client", 99).Error(): "Client 99 not found.",
		"the amount due of contract 5 is 10.00 and only a refund raises it: record a refund of the payment concerned (`epicevents contracts refund 5 --payment ID --reason TEXT`)": "The amount due of contract 5 is 10.00 and only a refund raises it: record a refund of the payment concerned.",
		"an employee with that email already exists; use another email, or find it with `epicevents employees list`":                                                               "An employee with that email already exists; use another email.",
		"employee 7 still owns 2 clients and 1 contract; reassign them first (`epicevents clients reassign` or `epicevents employees deactivate 7 --reassign-to ID`)":              "Employee 7 still owns 2 clients and 1 contract; reassign them first.",
		"contract 5 is not signed yet; an event needs a signed contract (`epicevents contracts sign 5`)":                                                                           "Contract 5 is not signed yet; an event needs a signed contract.",
		"contract 5 is paid in full: nothing more can be paid (see `epicevents contracts payments 5`)":                                                                             "Contract 5 is paid in full: nothing more can be paid.",
		"contract 5 has no payment 9; list its payments with `epicevents contracts payments 5`":                                                                                    "Contract 5 has no payment 9.",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}
