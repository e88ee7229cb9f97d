package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestListQueryRefusals: what a list answers a query it refuses, word for
// word (the CLI's scripts show these messages): every parameter at fault in
// one answer, unknown, repeated and too long ones first by name, then the
// values that do not parse in the list's order, the page last.
func TestListQueryRefusals(t *testing.T) {
	a := newAPITest(t, "sqlite")
	const bad = "invalid query parameters: "
	long := strings.Repeat("a", 255)
	for _, tc := range []struct {
		path   string
		status int
		detail string
	}{
		{"/clients?mine=yes", 400, bad + "mine: must be true or false"},
		{"/clients?mine=true&mine=false", 400, bad + "mine: is given more than once"},
		{"/clients?mine=x&mine=y", 400, bad + "mine: is given more than once; mine: must be true or false"},
		{"/clients?search=" + long, 400, bad + "search: must be at most 254 characters"},
		{"/clients?email=" + long + "%40x.io", 400, bad + "email: must be at most 254 characters; " +
			"email: must be an email address of 1 to 254 characters"},
		{"/clients?contract_id=1", 400, bad + "contract_id: is not a parameter of this list"},
		{"/employees?email=", 400, bad + "email: must be an email address of 1 to 254 characters"},
		{"/employees?all=1&limit=501", 400, bad + "all: must be true or false; limit: must be a whole number from 1 to 500"},
		{"/contracts?client_id=0&sales_contact_id=x&unpaid=", 400, bad + "unpaid: must be true or false; " +
			"client_id: must be an id (a positive whole number); sales_contact_id: must be an id (a positive whole number)"},
		{"/events?zzz=1&aaa=2&limit=0&mine=x&from=tomorrow&cursor=", 400, bad +
			"aaa: is not a parameter of this list; zzz: is not a parameter of this list; mine: must be true or false; " +
			"from: must be a date and time in RFC 3339 format, such as 2023-06-04T13:00:00Z (escape + as %2B); " +
			"limit: must be a whole number from 1 to 500"},
		{"/events?to=2023-06-04T13:00:00+02:00", 400, bad +
			"to: must be a date and time in RFC 3339 format, such as 2023-06-04T13:00:00Z (escape + as %2B)"},
		{"/audit?entity_id=-1&actor_id=x&limit=abc", 400, bad + "entity_id: must be an id (a positive whole number); " +
			"actor_id: must be an id (a positive whole number); limit: must be a whole number from 1 to 500"},
		{"/audit?entity=planet", 400, "invalid entity: must be one of employee, client, contract, event, session, demo"},
		{"/employees?role=intern", 400, ""},
		{"/clients?%zz&bogus=1", 400, "the query string is malformed: escape reserved characters (% as %25, + as %2B)"},
		{"/employees?role=sales&all=false&email=MGR%40epic.example&limit=1&cursor=", 200, ""},
		{"/events?from=2023-06-04T13:00:00%2B02:00&to=2023-06-04T13:00:00.5Z&upcoming=true&without_support=false", 200, ""},
	} {
		r := a.doUnchecked("GET", "/api/v1"+tc.path, "mgr", nil)
		if r.status != tc.status {
			t.Errorf("GET %s: %d %s, want %d", tc.path, r.status, r.body, tc.status)
			continue
		}
		if tc.status == http.StatusOK {
			continue
		}
		var p Problem
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("GET %s: %v: %s", tc.path, err, r.body)
		}
		if tc.detail != "" && p.Detail != tc.detail {
			t.Errorf("GET %s:\n got %q\nwant %q", tc.path, p.Detail, tc.detail)
		}
	}
}
