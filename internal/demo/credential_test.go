package demo_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/output"
)

// TestCredentialCarriesPassword: demo -o json and -o csv list each demo
// employee with their fields and the password, the one time it is shown.
func TestCredentialCarriesPassword(t *testing.T) {
	at := time.Date(2026, 11, 27, 3, 47, 0, 0, time.UTC)
	c := demo.Credential{
		Employee: crm.Employee{ID: 2, FirstName: "Bill", LastName: "Boquet", Email: "bill@epicevents.example",
			Role: crm.RoleSales, Active: true, CreatedAt: at, UpdatedAt: at},
		Password: `23itc-9x2tp <&> "q" \ é`,
	}

	// The same bytes as encoding/json without HTML escaping.
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	got, err := c.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.TrimSuffix(want.String(), "\n") {
		t.Errorf("AppendJSON:\n got %s\nwant %s", got, want.String())
	}

	// -o json goes through AppendJSON. (-o csv writes the CSV fields that
	// the CLI gives a credential, which its tests hold to this JSON.)
	var out bytes.Buffer
	l := output.NewList(&out, output.Options{Format: output.FormatJSON}, output.View[demo.Credential]{})
	if err := l.Row(c); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, field := range []string{"first_name", "deactivated_at", "password", "9x2tp <&>"} {
		if !strings.Contains(s, field) {
			t.Errorf("-o json lacks %q:\n%s", field, s)
		}
	}
}
