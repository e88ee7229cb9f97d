package httpapi

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestDocumentRules reads the embedded document's rules and checks a few
// that the decoder depends on, so that a change of the document that would
// quietly loosen them is seen, and that its limits are the domain's (local
// mode applies those: both modes must refuse the same input).
func TestDocumentRules(t *testing.T) {
	rules := documentRules()
	for _, c := range []struct {
		route, field string
		required     bool
		nullable     bool
		maxLength    int
	}{
		{"POST /api/v1/events", "attendees", true, false, 0},
		{"POST /api/v1/events", "notes", false, true, crm.MaxNotesLen},
		{"POST /api/v1/events", "name", true, false, crm.MaxEventName},
		{"PATCH /api/v1/events/{id}", "name", false, false, crm.MaxEventName},
		{"PATCH /api/v1/events/{id}", "notes", false, false, crm.MaxNotesLen},
		{"POST /api/v1/contracts", "signed", false, false, 0},
		{"POST /api/v1/contracts", "amount_due", false, true, 20},
		{"POST /api/v1/contracts", "total_amount", true, false, 20},
		{"POST /api/v1/clients", "phone", false, true, crm.MaxPhoneLen},
		{"PATCH /api/v1/clients/{id}", "phone", false, false, crm.MaxPhoneLen},
		{"POST /api/v1/clients", "company_name", false, true, crm.MaxCompanyLen},
		{"PATCH /api/v1/clients/{id}", "company_name", false, false, crm.MaxCompanyLen},
		{"POST /api/v1/employees", "email", true, false, crm.MaxEmailLen},
		{"POST /api/v1/employees", "first_name", true, false, crm.MaxNameLen},
		{"POST /api/v1/employees", "password", true, false, crm.MaxPasswordLen},
		{"POST /api/v1/employees/{id}/deactivate", "reassign_to", false, true, 0},
		{"POST /api/v1/auth/login", "email", true, false, crm.MaxEmailLen},
		{"POST /api/v1/auth/login", "password", true, false, crm.MaxPasswordInput},
		{"POST /api/v1/me/password", "current_password", true, false, crm.MaxPasswordInput},
		{"POST /api/v1/me/password", "new_password", true, false, crm.MaxPasswordLen},
	} {
		r, ok := rules[c.route]
		if !ok {
			t.Errorf("%s: no rules", c.route)
			continue
		}
		f, ok := r.body[c.field]
		if !ok {
			t.Errorf("%s: no field %s", c.route, c.field)
			continue
		}
		if got := slices.Contains(r.required, c.field); got != c.required {
			t.Errorf("%s %s: required = %v, want %v", c.route, c.field, got, c.required)
		}
		if f.nullable != c.nullable || f.maxLength != c.maxLength {
			t.Errorf("%s %s: %+v, want nullable %v maxLength %d", c.route, c.field, f, c.nullable, c.maxLength)
		}
	}
	if got := rules["GET /api/v1/clients"].query["search"].maxLength; got != crm.MaxEmailLen {
		t.Errorf("search: maxLength %d, want %d", got, crm.MaxEmailLen)
	}
	if r := rules["POST /api/v1/contracts/{id}/sign"]; r.body != nil {
		t.Errorf("sign takes no body, but has rules %+v", r.body)
	}
}

// TestReadRulesRefusesWhatItCannotRead: a document the rules cannot be read
// from fails at start-up, naming the operation.
func TestReadRulesRefusesWhatItCannotRead(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":             `{`,
		"unknown schema":       `{"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Nope"}}}}}}}}`,
		"remote reference":     `{"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"other.json#/A"}}}}}}}}`,
		"required not a field": `{"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"object","required":["a"],"properties":{"b":{"type":"string"}}}}}}}}}}`,
		"unknown parameter":    `{"paths":{"/x":{"get":{"parameters":[{"$ref":"#/components/parameters/Nope"}]}}}}`,
		"form body":            `{"paths":{"/x":{"post":{"requestBody":{"content":{"text/plain":{"schema":{"type":"string"}}}}}}}}`,
	} {
		if _, err := readRules([]byte(doc)); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
	rules, err := readRules([]byte(`{"paths":{"/x":{"post":{"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/A"}}}}}}},
		"components":{"schemas":{"A":{"type":"object","required":["a"],"properties":{"a":{"oneOf":[{"$ref":"#/components/schemas/S"},{"type":"null"}]},"b":{"type":["string","null"],"maxLength":3}}},
		"S":{"type":"string","maxLength":7}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := inputRules{body: map[string]fieldRule{"a": {nullable: true, maxLength: 7}, "b": {nullable: true, maxLength: 3}},
		required: []string{"a"}, query: map[string]fieldRule{}}
	if got := rules["POST /x"]; !reflect.DeepEqual(got, want) {
		t.Errorf("rules = %+v, want %+v", got, want)
	}
}

// TestBodyBinding: a Go type that does not decode exactly the document's
// body is caught: a missing or extra field, or a field the document lets be
// null that is not a pointer (null would read as a zero value).
func TestBodyBinding(t *testing.T) {
	type (
		extra struct {
			Password string `json:"password"`
			Admin    bool   `json:"admin"`
		}
		missing struct {
			ReassignTo *int64 `json:"reassign_to"`
			Extra      int    `json:"extra"`
		}
		notPointer struct {
			ReassignTo int64 `json:"reassign_to"`
		}
	)
	for _, c := range []struct {
		pattern string
		t       reflect.Type
		ok      bool
	}{
		{"POST /api/v1/employees/{id}/set-password", reflect.TypeFor[SetPasswordRequest](), true},
		{"POST /api/v1/employees/{id}/deactivate", reflect.TypeFor[DeactivateRequest](), true},
		{"POST /api/v1/contracts/{id}/sign", reflect.TypeFor[struct{}](), true},
		{"POST /api/v1/employees/{id}/set-password", reflect.TypeFor[extra](), false},
		{"POST /api/v1/employees/{id}/deactivate", reflect.TypeFor[missing](), false},
		{"POST /api/v1/employees/{id}/deactivate", reflect.TypeFor[notPointer](), false},
		{"POST /api/v1/employees/{id}/deactivate", reflect.TypeFor[struct{}](), false}, // an optional field it would refuse as unknown
		{"POST /api/v1/no-such-route", reflect.TypeFor[struct{}](), false},
	} {
		_, err := bodyBinding(c.pattern, c.t)
		if (err == nil) != c.ok {
			t.Errorf("%s with %s: error %v, want ok=%v", c.pattern, c.t, err, c.ok)
		}
		// Cached: the same answer again.
		if _, again := bodyBinding(c.pattern, c.t); (again == nil) != (err == nil) {
			t.Errorf("%s with %s: %v, then %v", c.pattern, c.t, err, again)
		}
	}
}

// TestRequiredAndNull: a required field that is missing, and null for a field
// that may not be null, are refused with 422 naming the field, and change
// nothing; null where the document allows it is taken as absent.
func TestRequiredAndNull(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		f := a.fixtures()
		start := time.Now().UTC().Add(96 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
		end := time.Now().UTC().Add(99 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
		event := func(drop string, set ...any) map[string]any {
			m := map[string]any{"contract_id": f.signed, "name": "Launch", "start": start, "end": end,
				"location": "Paris", "attendees": 40, "notes": "Bring a cake"}
			delete(m, drop)
			for i := 0; i+1 < len(set); i += 2 {
				m[set[i].(string)] = set[i+1]
			}
			return m
		}
		long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
		for _, c := range []struct {
			name, method, path, who string
			body                    any
			field, message          string
		}{
			{"event without attendees", "POST", "/api/v1/events", "sales", event("attendees"), "attendees", "is required"},
			{"event without a name", "POST", "/api/v1/events", "sales", event("name"), "name", "is required"},
			{"event with a null name", "POST", "/api/v1/events", "sales", event("", "name", nil), "name", "must not be null"},
			{"event with null attendees", "POST", "/api/v1/events", "sales", event("", "attendees", nil), "attendees", "must not be null"},
			{"event name too long", "POST", "/api/v1/events", "sales", event("", "name", long(crm.MaxEventName+1)), "name", "must be at most 200 characters"},
			{"event start too long", "POST", "/api/v1/events", "sales", event("", "start", start[:19]+"."+strings.Repeat("0", 50)+"Z"), "start", "must be at most 64 characters"},
			{"contract signed null", "POST", "/api/v1/contracts", "mgr",
				map[string]any{"client_id": f.client, "total_amount": "10.00", "signed": nil}, "signed", "must not be null"},
			{"contract without a total", "POST", "/api/v1/contracts", "mgr", map[string]any{"client_id": f.client}, "total_amount", "is required"},
			{"client without an email", "POST", "/api/v1/clients", "sales",
				map[string]any{"first_name": "Jo", "last_name": "Ouick", "phone": nil}, "email", "is required"},
			{"client patch with a null name", "PATCH", objPath("clients", f.client), "sales", `{"first_name":null}`, "first_name", "must not be null"},
			{"client patch with a null phone", "PATCH", objPath("clients", f.client), "sales", `{"phone":null}`, "phone", "must not be null"},
			{"client patch, company too long", "PATCH", objPath("clients", f.client), "sales",
				map[string]any{"company_name": long(crm.MaxCompanyLen + 1)}, "company_name", "must be at most 200 characters"},
			{"event patch with null notes", "PATCH", objPath("events", f.assigned), "mgr", `{"notes":null}`, "notes", "must not be null"},
			{"contract patch with a null total", "PATCH", objPath("contracts", f.unsigned), "mgr", `{"total_amount":null}`, "total_amount", "must not be null"},
			{"reassign to null", "POST", objPath("clients", f.client, "/reassign"), "mgr", `{"sales_contact_id":null}`, "sales_contact_id", "must not be null"},
			{"reassign to nobody", "POST", objPath("clients", f.client, "/reassign"), "mgr", `{}`, "sales_contact_id", "is required"},
			{"assign without support", "POST", objPath("events", f.unassigned, "/assign"), "mgr", `{}`, "support_contact_id", "is required"},
			{"set-password null", "POST", objPath("employees", a.ids["sales2"], "/set-password"), "mgr", `{"password":null}`, "password", "must not be null"},
			{"payment without an amount", "POST", objPath("contracts", f.unsigned, "/payments"), "mgr", `{"method":"cash"}`, "amount", "is required"},
			{"payment with a null method", "POST", objPath("contracts", f.unsigned, "/payments"), "mgr", `{"amount":"1","method":null}`, "method", "must not be null"},
			{"payment reference too long", "POST", objPath("contracts", f.unsigned, "/payments"), "mgr",
				map[string]any{"amount": "1", "reference": long(crm.MaxReferenceLen + 1)}, "reference", "must be at most 100 characters"},
			{"refund without a reason", "POST", objPath("contracts", f.unsigned, "/payments/1/refund"), "mgr", `{"amount":null}`, "reason", "is required"},
			{"refund reason too long", "POST", objPath("contracts", f.unsigned, "/payments/1/refund"), "mgr",
				map[string]any{"reason": long(crm.MaxReasonLen + 1)}, "reason", "must be at most 500 characters"},
			{"login without a password", "POST", "/api/v1/auth/login", "", `{"email":"mgr@epic.example"}`, "password", "is required"},
			{"login, email too long", "POST", "/api/v1/auth/login", "",
				map[string]any{"email": strings.Repeat("a", 250) + "@x.io", "password": srvPassword}, "email", "must be at most 254 characters"},
			{"refresh null", "POST", "/api/v1/auth/refresh", "", `{"refresh_token":null}`, "refresh_token", "must not be null"},
			{"password change without the current one", "POST", "/api/v1/me/password", "support",
				`{"new_password":"another long passphrase here"}`, "current_password", "is required"},
		} {
			before := a.snapshot()
			p := a.do(c.method, c.path, c.who, c.body).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, c.field)
			for _, e := range p.Errors {
				if e.Field == c.field && e.Message != c.message {
					t.Errorf("%s: %s %q, want %q", c.name, c.field, e.Message, c.message)
				}
			}
			a.unchanged(before, c.name)
		}

		// Every missing field is named, in the document's order.
		p := a.do("POST", "/api/v1/events", "sales", `{"notes":null}`).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid)
		var names []string
		for _, e := range p.Errors {
			names = append(names, e.Field)
		}
		if want := []string{"contract_id", "name", "start", "end", "location", "attendees"}; !slices.Equal(names, want) {
			t.Errorf("missing fields named %v, want %v", names, want)
		}
		// A wrong JSON type stays a malformed request (400), even with a
		// missing field beside it.
		a.do("POST", "/api/v1/events", "sales", event("name", "attendees", "many")).problem(t, http.StatusBadRequest, crm.CodeInvalid, "attendees")
		// Unknown fields stay 400.
		a.do("POST", "/api/v1/events", "sales", event("", "colour", nil)).problem(t, http.StatusBadRequest, crm.CodeInvalid, "colour")

		// Null where the document allows it is absent.
		var e crm.Event
		a.do("POST", "/api/v1/events", "sales", event("", "notes", nil)).decode(t, http.StatusCreated, &e)
		if e.Notes != nil || e.Attendees != 40 {
			t.Errorf("event = %+v", e)
		}
		var k crm.Contract
		a.do("POST", "/api/v1/contracts", "mgr", map[string]any{"client_id": f.client, "total_amount": "10.00", "amount_due": nil}).
			decode(t, http.StatusCreated, &k)
		if k.AmountDue != 1000 || k.Signed {
			t.Errorf("contract = %+v", k)
		}
		var cl crm.Client
		a.do("POST", "/api/v1/clients", "sales", map[string]any{"first_name": "Jo", "last_name": "Ouick", "email": "jo@ouick.example",
			"phone": nil, "company_name": nil}).decode(t, http.StatusCreated, &cl)
		if cl.Phone != nil || cl.CompanyName != nil {
			t.Errorf("client = %+v", cl)
		}
		a.do("POST", objPath("employees", a.ids["sales2"], "/deactivate"), "mgr", `{"reassign_to":null}`).expect(t, http.StatusOK)
		// A field at its limit is accepted: the limit counts characters.
		a.do("PATCH", objPath("clients", cl.ID), "sales", map[string]any{"company_name": long(crm.MaxCompanyLen)}).expect(t, http.StatusOK)
		// An optional field left out keeps its default.
		a.do("POST", "/api/v1/contracts", "mgr", map[string]any{"client_id": f.client, "total_amount": "12.00"}).
			decode(t, http.StatusCreated, &k)
		if k.Signed || k.AmountDue != 1200 {
			t.Errorf("contract = %+v", k)
		}
	})
}

// TestQueryLength: a query parameter longer than the document allows is a
// malformed request.
func TestQueryLength(t *testing.T) {
	a := newAPITest(t, "sqlite")
	a.do("GET", "/api/v1/clients?search="+strings.Repeat("a", crm.MaxEmailLen), "sales", nil).expect(t, http.StatusOK)
	a.do("GET", "/api/v1/clients?search="+strings.Repeat("a", crm.MaxEmailLen+1), "sales", nil).
		problem(t, http.StatusBadRequest, crm.CodeInvalid, "search")
	a.do("GET", "/api/v1/employees?cursor="+strings.Repeat("a", 2049), "sales", nil).
		problem(t, http.StatusBadRequest, crm.CodeInvalid, "cursor")
	a.do("GET", "/api/v1/events?from=2030-01-01T00:00:00"+strings.Repeat("0", 60)+"Z", "sales", nil).
		problem(t, http.StatusBadRequest, crm.CodeInvalid, "from")
}
