package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestIfMatchOnEveryResourceRoute: If-Match per RFC 9110 §13.1.1 on reads,
// changes, actions and deletes: "*" and a list naming the current tag pass;
// a weak tag, an unknown tag, an old one and an empty list fail with 412
// and change nothing; only a header that is not valid syntax is a 400.
func TestIfMatchOnEveryResourceRoute(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		a := newAPITest(t, engine)
		f := a.fixtures()
		etag := func(path string) string {
			t.Helper()
			r := a.do("GET", path, "mgr", nil)
			r.expect(t, http.StatusOK)
			return r.header.Get("ETag")
		}
		client := objPath("clients", f.client)
		// Move the client past version 1, so that "1" is an old tag.
		a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Cool")}).expect(t, http.StatusOK)
		cur := etag(client)
		if cur == `"1"` {
			t.Fatalf("the client is still at %s after a change", cur)
		}
		failing := map[string]string{
			"old":          `"1"`,
			"weak current": "W/" + cur,
			"unknown":      `"abc"`,
			"leading zero": `"0` + strings.Trim(cur, `"`) + `"`,
			"empty list":   ` , `,
			"list of weak": `W/"1", W/` + cur,
		}
		for name, h := range failing {
			before := a.snapshot()
			a.do("GET", client, "sales", nil, "If-Match", h).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
			a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Changed")}, "If-Match", h).
				problem(t, http.StatusPreconditionFailed, crm.CodeStale)
			a.unchanged(before, "If-Match "+name)
		}
		for name, h := range map[string]string{
			"unquoted":         strings.Trim(cur, `"`),
			"unterminated":     `"3`,
			"star in a list":   `*, ` + cur,
			"no comma":         `"1" ` + cur,
			"lower-case weak":  "w/" + cur,
			"space in the tag": `"1 2"`,
			"two stars":        `*, *`,
		} {
			before := a.snapshot()
			a.do("GET", client, "sales", nil, "If-Match", h).problem(t, http.StatusBadRequest, crm.CodeInvalid, "If-Match")
			a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Changed")}, "If-Match", h).
				problem(t, http.StatusBadRequest, crm.CodeInvalid, "If-Match")
			a.unchanged(before, "If-Match "+name)
		}
		for _, h := range []string{"*", cur, `"1", ` + cur, `W/"1",` + cur + `,"x,y"`} {
			a.do("GET", client, "sales", nil, "If-Match", h).expect(t, http.StatusOK)
		}
		// Several header lines make one list.
		req, _ := http.NewRequest("GET", a.ts.URL+client, nil)
		req.Header.Set("Authorization", "Bearer "+a.token["sales"])
		req.Header.Add("If-Match", `"1"`)
		req.Header.Add("If-Match", cur)
		resp, err := a.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("If-Match on two lines, the second current: %d", resp.StatusCode)
		}
		// A change with a list naming the current tag goes through, and
		// moves the tag on.
		r := a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Listed")}, "If-Match", `"999", `+cur)
		r.expect(t, http.StatusOK)
		if next := r.header.Get("ETag"); next == cur {
			t.Errorf("the ETag did not move: %s", next)
		}
		a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Again")}, "If-Match", `"999", `+cur).
			problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		a.do("PATCH", client, "sales", crm.ClientPatch{CompanyName: ptr("Starred")}, "If-Match", "*").expect(t, http.StatusOK)
		// Not found comes before the precondition.
		a.do("GET", objPath("clients", 999999), "sales", nil, "If-Match", `"1"`).problem(t, http.StatusNotFound, crm.CodeNotFound)
		a.do("PATCH", objPath("clients", 999999), "sales", crm.ClientPatch{CompanyName: ptr("X")}, "If-Match", "*").
			problem(t, http.StatusNotFound, crm.CodeNotFound)

		// GET /me is the caller's employee: the same tag.
		me := etag(objPath("employees", a.ids["support"]))
		a.do("GET", "/api/v1/me", "support", nil, "If-Match", me).expect(t, http.StatusOK)
		a.do("GET", "/api/v1/me", "support", nil, "If-Match", "W/"+me).problem(t, http.StatusPreconditionFailed, crm.CodeStale)

		// Every route of one resource honours it, actions and deletes too.
		stale := `"999999"`
		sales2 := objPath("employees", a.ids["sales2"])
		for _, c := range []struct {
			method, path, who string
			body              any
		}{
			{"GET", objPath("employees", a.ids["sales"]), "mgr", nil},
			{"GET", objPath("contracts", f.signed), "mgr", nil},
			{"GET", objPath("events", f.assigned), "mgr", nil},
			{"PATCH", sales2, "mgr", crm.EmployeePatch{FirstName: ptr("Samuel")}},
			{"POST", sales2 + "/set-password", "mgr", SetPasswordRequest{Password: "a brand new temporary passphrase"}},
			{"POST", sales2 + "/deactivate", "mgr", nil},
			{"DELETE", sales2, "mgr", nil},
			{"POST", client + "/reassign", "mgr", SalesContactRequest{SalesContactID: a.ids["sales2"]}},
			{"PATCH", objPath("contracts", f.unsigned), "mgr", crm.ContractPatch{TotalAmount: ptr(crm.Cents(300000))}},
			{"POST", objPath("contracts", f.unsigned, "/sign"), "mgr", nil},
			{"POST", objPath("contracts", f.signed, "/reassign"), "mgr", SalesContactRequest{SalesContactID: a.ids["sales2"]}},
			{"PATCH", objPath("events", f.assigned), "mgr", crm.EventPatch{Attendees: ptr(90)}},
			{"POST", objPath("events", f.unassigned, "/assign"), "mgr", SupportRequest{SupportContactID: a.ids["support"]}},
			{"POST", objPath("events", f.assigned, "/unassign"), "mgr", nil},
		} {
			before := a.snapshot()
			a.do(c.method, c.path, c.who, c.body, "If-Match", stale).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
			a.unchanged(before, c.method+" "+c.path+" with a stale If-Match")
		}
		// The deactivated employee can still be reactivated only at its tag.
		a.do("POST", sales2+"/deactivate", "mgr", nil).expect(t, http.StatusOK)
		before := a.snapshot()
		a.do("POST", sales2+"/reactivate", "mgr", nil, "If-Match", stale).problem(t, http.StatusPreconditionFailed, crm.CodeStale)
		a.unchanged(before, "reactivate with a stale If-Match")
		a.do("POST", sales2+"/reactivate", "mgr", nil, "If-Match", etag(sales2)).expect(t, http.StatusOK)
		// set-password goes through at the current tag.
		a.do("POST", sales2+"/set-password", "mgr", SetPasswordRequest{Password: "a brand new temporary passphrase"},
			"If-Match", etag(sales2)).expect(t, http.StatusNoContent)
	})
}

// TestParseIfMatch: the grammar of RFC 9110 §13.1.1 and §5.6.1, and the
// versions that strong comparison can match.
func TestParseIfMatch(t *testing.T) {
	for _, c := range []struct {
		lines    []string // nil: no header
		ok       bool
		any      bool
		versions []int64
	}{
		{nil, true, false, nil},
		{[]string{`*`}, true, true, nil},
		{[]string{`"3"`}, true, false, []int64{3}},
		{[]string{`"3", "7"`}, true, false, []int64{3, 7}},
		{[]string{`"3","7" ,	"9"`}, true, false, []int64{3, 7, 9}},
		{[]string{`, ,"3",,`}, true, false, []int64{3}},
		{[]string{`"3"`, `"7"`}, true, false, []int64{3, 7}},
		{[]string{`W/"3"`}, true, false, nil},
		{[]string{`W/"3", "4"`}, true, false, []int64{4}},
		{[]string{`"abc"`, `"007"`, `"0"`, `"-1"`, `"+3"`, `""`}, true, false, nil},
		{[]string{`"99999999999999999999"`}, true, false, nil},
		{[]string{`"a,b", "5"`}, true, false, []int64{5}},
		{[]string{`"é"`}, true, false, nil}, // obs-text: bytes above 0x7f
		{[]string{``}, true, false, nil},
		{[]string{` , `}, true, false, nil},
		{[]string{`3`}, false, false, nil},
		{[]string{`"3`}, false, false, nil},
		{[]string{`3"`}, false, false, nil},
		{[]string{`"3" "4"`}, false, false, nil},
		{[]string{`"3";"4"`}, false, false, nil},
		{[]string{`w/"3"`}, false, false, nil},
		{[]string{`W/ "3"`}, false, false, nil},
		{[]string{`W/`}, false, false, nil},
		{[]string{`"3 4"`}, false, false, nil},
		{[]string{"\"3\x7f\""}, false, false, nil},
		{[]string{`"a"b"`}, false, false, nil},
		{[]string{`*, "3"`}, false, false, nil},
		{[]string{`*`, `"3"`}, false, false, nil},
		{[]string{`*, *`}, false, false, nil},
		{[]string{`**`}, false, false, nil},
		{[]string{`*,`}, false, false, nil},
		{[]string{` * `}, true, true, nil},
		{[]string{`"*"`}, true, false, nil}, // a tag whose text is *
	} {
		h := http.Header{}
		for _, l := range c.lines {
			h.Add("If-Match", l)
		}
		got, err := parseIfMatch(h)
		if (err == nil) != c.ok {
			t.Errorf("%q: error %v, want ok=%v", c.lines, err, c.ok)
			continue
		}
		if !c.ok {
			if got.present {
				t.Errorf("%q: a malformed header parsed as %+v", c.lines, got)
			}
			continue
		}
		if got.present != (c.lines != nil) || got.any != c.any || !slices.Equal(got.versions, c.versions) {
			t.Errorf("%q: %+v, want any=%v versions=%v", c.lines, got, c.any, c.versions)
		}
	}
}

// TestIfMatchMatches: strong comparison against the current version.
func TestIfMatchMatches(t *testing.T) {
	for _, c := range []struct {
		cond    ifMatch
		version int64
		want    bool
	}{
		{ifMatch{}, 5, true},
		{ifMatch{present: true, any: true}, 5, true},
		{ifMatch{present: true, versions: []int64{4, 5}}, 5, true},
		{ifMatch{present: true, versions: []int64{4}}, 5, false},
		{ifMatch{present: true}, 5, false}, // only weak or unknown tags, or none
	} {
		if got := c.cond.matches(c.version); got != c.want {
			t.Errorf("%+v.matches(%d) = %v, want %v", c.cond, c.version, got, c.want)
		}
	}
}

// TestParseETag: only the tags ETag writes, byte for byte.
func TestParseETag(t *testing.T) {
	for s, want := range map[string]int64{`"3"`: 3, `"9223372036854775807"`: 1<<63 - 1, ETag(42): 42} {
		if v, ok := ParseETag(s); !ok || v != want {
			t.Errorf("ParseETag(%s) = %d, %v", s, v, ok)
		}
	}
	for _, s := range []string{`W/"3"`, `"03"`, `"+3"`, `"0"`, `"-1"`, `3`, `""`, `"3 "`, `"` + strconv.Itoa(1<<62) + `0"`} {
		if v, ok := ParseETag(s); ok {
			t.Errorf("ParseETag(%s) = %d", s, v)
		}
	}
}
