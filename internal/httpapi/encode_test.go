package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// TestEncodeJSONMatchesEncodingJSON checks that answers written without
// reflection (records and pages of records) are byte for byte what
// encoding/json writes; crm's FuzzAppendJSON does the same for the records.
func TestEncodeJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 10, 9, 30, 0, 5, time.UTC)
	phone, next := "+33612345678", "eyJrIjoiY2xpZW50cyJ9"
	odd := "<&> \u2028 \xff"
	client := crm.Client{ID: 7, FirstName: "Adèle", LastName: odd, Email: "a@b.fr", Phone: &phone,
		SalesContactID: 2, SalesContactName: "Bill Boquet", CreatedAt: at, UpdatedAt: at}
	values := []any{
		client,
		crm.Employee{ID: 1, FirstName: "Ada", Role: crm.RoleManagement, CreatedAt: at, UpdatedAt: at},
		crm.Contract{ID: 3, TotalAmount: 150050, SignedAt: &at, CreatedAt: at, UpdatedAt: at},
		crm.Event{ID: 4, Name: odd, Start: at, End: at, CreatedAt: at, UpdatedAt: at},
		Page[crm.Client]{},
		Page[crm.Client]{Items: []crm.Client{}, Next: &odd},
		Page[crm.Client]{Items: []crm.Client{client, client}, Next: &next},
		Page[crm.Contract]{Items: []crm.Contract{{ID: 1, AmountDue: 5}}},
		Page[crm.Event]{Items: []crm.Event{{ID: 1, Attendees: 3}}, Next: &next},
		Page[crm.Employee]{Items: []crm.Employee{{ID: 1, DeactivatedAt: &at}}},
		Page[crm.AuditEntry]{Items: []crm.AuditEntry{{ID: 1, Changes: map[string]crm.Change{"b": {1.5, nil}, "a": {odd, true}}}}},
		map[string]string{"status": "ok"},
	}
	for i, v := range values {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := encodeJSON(&got, v); err != nil {
			t.Fatalf("value %d (%T): %v", i, v, err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("value %d (%T) differs from encoding/json:\n got %s\nwant %s", i, v, got.Bytes(), want.Bytes())
		}
	}
	// A time encoding/json refuses fails here too, instead of a broken body.
	bad := crm.Client{CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := encodeJSON(&bytes.Buffer{}, Page[crm.Client]{Items: []crm.Client{bad}}); err == nil {
		t.Error("a year beyond 9999 was encoded")
	}
}
