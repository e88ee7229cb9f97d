package openapitest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// recorder is a testing.TB that keeps errors instead of failing, so that
// these tests can check that the validator reports what it must.
type recorder struct {
	testing.TB
}

func (r *recorder) Errorf(format string, args ...any) {}
func (r *recorder) Helper()                           {}

const employee = `{"id":1,"first_name":"Ada","last_name":"Lovelace","email":"ada@epic.example","role":"MANAGEMENT","active":true,"created_at":"2026-05-01T09:00:00Z","updated_at":"2026-05-01T09:00:00Z","deactivated_at":null}`

const contract = `{"id":3,"client_id":2,"client_name":"Kevin Casey","sales_contact_id":2,"sales_contact_name":"Bill Boquet","total_amount":"1500.00","amount_due":"0.50","signed":false,"signed_at":null,"created_at":"2026-05-01T09:00:00Z","updated_at":"2026-05-01T09:00:00Z"}`

// TestTheValidatorCatches runs exchanges against a fake server and checks, for
// each, whether the validator reports a violation: it proves that kin-openapi
// applies the OpenAPI 3.1 constructs that the document uses (type arrays with
// null, const, additionalProperties false, patterns, required headers).
func TestTheValidatorCatches(t *testing.T) {
	spec := Load(t)
	cases := []struct {
		name           string
		method, path   string
		auth           bool
		reqBody        string
		status         int
		header         map[string]string
		respType, body string
		violation      bool
	}{
		{"employee ok", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json", employee, false},
		{"ETag missing", "GET", "/api/v1/employees/1", true, "", 200, nil, "application/json", employee, true},
		{"ETag weak", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `W/"1"`}, "application/json", employee, true},
		{"a hash leaks", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `"active"`, `"password_hash":"x","active"`, 1), true},
		{"null omitted", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `,"deactivated_at":null`, ``, 1), true},
		{"time not UTC", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `"created_at":"2026-05-01T09:00:00Z"`, `"created_at":"2026-05-01T11:00:00+02:00"`, 1), true},
		{"nullable time with a number", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `"deactivated_at":null`, `"deactivated_at":5`, 1), true},
		{"null where not nullable", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `"email":"ada@epic.example"`, `"email":null`, 1), true},
		{"bad role", "GET", "/api/v1/employees/1", true, "", 200, map[string]string{"ETag": `"1"`}, "application/json",
			strings.Replace(employee, `"MANAGEMENT"`, `"BOSS"`, 1), true},
		{"contract ok", "GET", "/api/v1/contracts/3", true, "", 200, map[string]string{"ETag": `"7"`}, "application/json", contract, false},
		{"money as a number", "GET", "/api/v1/contracts/3", true, "", 200, map[string]string{"ETag": `"7"`}, "application/json",
			strings.Replace(contract, `"1500.00"`, `1500`, 1), true},
		{"money one decimal", "GET", "/api/v1/contracts/3", true, "", 200, map[string]string{"ETag": `"7"`}, "application/json",
			strings.Replace(contract, `"0.50"`, `"0.5"`, 1), true},
		{"page ok", "GET", "/api/v1/employees?limit=1&role=SALES", true, "", 200, nil, "application/json", `{"items":[` + employee + `],"next":"abc"}`, false},
		{"page next omitted", "GET", "/api/v1/employees", true, "", 200, nil, "application/json", `{"items":[]}`, true},
		{"limit over 500 answered", "GET", "/api/v1/employees?limit=501", true, "", 200, nil, "application/json", `{"items":[],"next":null}`, true},
		{"limit over 500 refused", "GET", "/api/v1/employees?limit=501", true, "", 400, nil, "application/problem+json",
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"limit: must be 1 to 500","code":"invalid","errors":[{"field":"limit","message":"must be 1 to 500"}]}`, false},
		{"no token answered", "GET", "/api/v1/me", false, "", 200, map[string]string{"ETag": `"1"`}, "application/json", employee, true},
		{"no token refused", "GET", "/api/v1/me", false, "", 401, map[string]string{"WWW-Authenticate": "Bearer"}, "application/problem+json",
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"log in","code":"unauthenticated"}`, false},
		{"problem as JSON", "GET", "/api/v1/me", false, "", 401, map[string]string{"WWW-Authenticate": "Bearer"}, "application/json",
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"log in","code":"unauthenticated"}`, true},
		{"401 without WWW-Authenticate", "GET", "/api/v1/me", false, "", 401, nil, "application/problem+json",
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"log in","code":"unauthenticated"}`, true},
		{"problem without code", "GET", "/api/v1/me", false, "", 401, map[string]string{"WWW-Authenticate": "Bearer"}, "application/problem+json",
			`{"type":"about:blank","title":"Unauthorized","status":401,"detail":"log in"}`, true},
		{"undocumented status", "GET", "/api/v1/me", true, "", 418, nil, "application/problem+json",
			`{"type":"about:blank","title":"Teapot","status":418,"detail":"x","code":"internal"}`, true},
		{"undocumented path", "GET", "/api/v1/nothing", true, "", 404, nil, "application/problem+json",
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"x","code":"not_found"}`, true},
		{"create ok", "POST", "/api/v1/employees", true,
			`{"first_name":"Bill","last_name":"Boquet","email":"bill@epic.example","role":"SALES","password":"violet tractor under the bridge"}`,
			201, map[string]string{"ETag": `"1"`, "Location": "/api/v1/employees/1"}, "application/json", employee, false},
		{"create without Location", "POST", "/api/v1/employees", true,
			`{"first_name":"Bill","last_name":"Boquet","email":"bill@epic.example","role":"SALES","password":"violet tractor under the bridge"}`,
			201, map[string]string{"ETag": `"1"`}, "application/json", employee, true},
		{"read-only field accepted", "POST", "/api/v1/employees", true,
			`{"id":9,"first_name":"Bill","last_name":"Boquet","email":"bill@epic.example","role":"SALES","password":"violet tractor under the bridge"}`,
			201, map[string]string{"ETag": `"1"`, "Location": "/api/v1/employees/1"}, "application/json", employee, true},
		{"nullable request field", "POST", "/api/v1/contracts", true, `{"client_id":2,"total_amount":"1500","amount_due":null,"signed":false}`,
			201, map[string]string{"ETag": `"1"`, "Location": "/api/v1/contracts/3"}, "application/json", contract, false},
		{"money with 3 decimals accepted", "POST", "/api/v1/contracts", true, `{"client_id":2,"total_amount":"1500.123"}`,
			201, map[string]string{"ETag": `"1"`, "Location": "/api/v1/contracts/3"}, "application/json", contract, true},
		{"429 without Retry-After", "POST", "/api/v1/auth/login", false, `{"email":"a@b.c","password":"x"}`, 429, nil, "application/problem+json",
			`{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"wait","code":"throttled","retry_after":60}`, true},
		{"429 with Retry-After", "POST", "/api/v1/auth/login", false, `{"email":"a@b.c","password":"x"}`, 429, map[string]string{"Retry-After": "60"}, "application/problem+json",
			`{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"wait","code":"throttled","retry_after":60}`, false},
		{"audit changes pairs", "GET", "/api/v1/audit", true, "", 200, nil, "application/json",
			`{"items":[{"id":1,"at":"2026-05-01T09:00:00Z","actor_id":null,"actor_email":null,"action":"auth.login_failed","entity":"employee","entity_id":null,"changes":{"email":[null,"x@y.z"]},"client_addr":"127.0.0.1"}],"next":null}`, false},
		{"audit change not a pair", "GET", "/api/v1/audit", true, "", 200, nil, "application/json",
			`{"items":[{"id":1,"at":"2026-05-01T09:00:00Z","actor_id":null,"actor_email":null,"action":"auth.login_failed","entity":"employee","entity_id":null,"changes":{"email":["x@y.z"]},"client_addr":null}],"next":null}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", c.respType)
				w.Header().Set("X-Request-ID", "0123456789abcdef")
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer srv.Close()
			rec := &recorder{TB: t}
			local := &Spec{Bytes: spec.Bytes, Doc: spec.Doc, router: spec.router}
			hc := &http.Client{Transport: local.Transport(rec, nil)}
			var body io.Reader
			if c.reqBody != "" {
				body = strings.NewReader(c.reqBody)
			}
			req, _ := http.NewRequest(c.method, srv.URL+c.path, body)
			if c.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if c.auth {
				req.Header.Set("Authorization", "Bearer x.y.z")
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != c.body {
				t.Errorf("the transport changed the body: %q", got)
			}
			v := local.Violations()
			if c.violation && len(v) == 0 {
				t.Errorf("no violation reported")
			}
			if !c.violation && len(v) > 0 {
				t.Errorf("unexpected violation: %v", v)
			}
			if testing.Verbose() {
				t.Log(v)
			}
		})
	}
}

// TestProxy checks that the proxy forwards and validates.
func TestProxy(t *testing.T) {
	spec := Load(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"1"`)
		w.Header().Set("X-Request-ID", "r")
		io.WriteString(w, employee)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	rec := &recorder{TB: t}
	p := spec.Proxy(rec, u)
	req, _ := http.NewRequest("GET", p.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != employee {
		t.Fatalf("proxy answered %d %s", resp.StatusCode, b)
	}
	if v := spec.Violations(); len(v) > 0 {
		t.Fatalf("violations: %v", v)
	}
	// Without a token the document refuses the request, and the fake server
	// accepts it: a violation.
	resp, err = http.Get(p.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := spec.Violations(); len(v) != 1 {
		t.Fatalf("want 1 violation, got %v", v)
	}
}
