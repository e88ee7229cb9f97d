package httpapi

import (
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// TestEntitiesAreServed: every entity has the routes its records point to
// (the Location of a create, the resource an ETag is the tag of), and every
// field of its records is read-only in a request.
func TestEntitiesAreServed(t *testing.T) {
	rules := documentRules()
	for _, e := range crm.Entities {
		for _, route := range []string{"GET " + Prefix + "/" + e.Plural, "GET " + Prefix + "/" + e.Plural + "/{id}"} {
			if _, ok := rules[route]; !ok {
				t.Errorf("%s: the document has no %s", e.Name, route)
			}
		}
		for name := range jsonFields(e.Type) {
			if !readOnly()[name] {
				t.Errorf("%s: %s is not read-only", e.Name, name)
			}
		}
	}
	if !readOnly()["sales_contact_name"] || readOnly()["password"] {
		t.Errorf("read-only: %v", readOnly())
	}
}
