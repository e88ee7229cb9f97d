package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
	"github.com/epicevents/epicevents/internal/httpapi/openapitest"
	"github.com/epicevents/epicevents/internal/testdb"
)

// TestOpenAPIDocument checks that the document loads, is a valid OpenAPI 3.1
// document, and keeps the conventions the API promises.
func TestOpenAPIDocument(t *testing.T) {
	spec := openapitest.Load(t)
	doc := spec.Doc
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info.Title != "Epic Events CRM API" || doc.Info.Version != "1" {
		t.Errorf("info = %q %q", doc.Info.Title, doc.Info.Version)
	}
	// 3.1 style only: no 3.0 "nullable".
	if bytes.Contains(spec.Bytes, []byte(`"nullable"`)) {
		t.Error(`the document uses "nullable": write type: ["T", "null"] (OpenAPI 3.1)`)
	}
	public := map[string]bool{"login": true, "refresh": true, "healthz": true, "readyz": true, "metrics": true, "openapi": true}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" {
				t.Errorf("%s: no operationId", where)
				continue
			}
			isPublic := op.Security != nil && len(*op.Security) == 0
			if isPublic != public[op.OperationID] {
				t.Errorf("%s: public = %v, want %v", where, isPublic, public[op.OperationID])
			}
			if !isPublic && op.Responses.Status(401) == nil {
				t.Errorf("%s: needs a token but documents no 401", where)
			}
			for code, resp := range op.Responses.Map() {
				if n, _ := strconv.Atoi(code); n >= 400 && resp.Value.Content.Get(httpapi.ProblemType) == nil &&
					op.OperationID != "readyz" {
					t.Errorf("%s %s: an error that is not %s", where, code, httpapi.ProblemType)
				}
			}
			if op.RequestBody != nil {
				for mt, c := range op.RequestBody.Value.Content {
					if mt != "application/json" {
						t.Errorf("%s: request body as %s", where, mt)
					}
					s := c.Schema.Value
					if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
						t.Errorf("%s: the request body must refuse unknown fields (additionalProperties: false)", where)
					}
				}
			}
			// A contract's ledger is a list under it, whose entries never
			// change: there is no version of them to match.
			ledger := strings.Contains(path, "/payments")
			if (strings.Contains(path, "{id}") && !ledger) || op.OperationID == "me" {
				// Every route of one resource, reads included, honours
				// If-Match.
				if op.Responses.Status(412) == nil || !takesIfMatch(op) {
					t.Errorf("%s: a route of one resource that does not document If-Match and 412", where)
				}
			} else if takesIfMatch(op) {
				t.Errorf("%s: documents If-Match, which only routes of one resource honour", where)
			}
			// Every string a client sends is bounded: a body field or a
			// query parameter has a maxLength (or is an enum). Headers are
			// bounded by the server's header size limit as a whole.
			for _, p := range op.Parameters {
				if p.Value.In != "header" {
					checkBounded(t, where+" parameter "+p.Value.Name, p.Value.Schema)
				}
			}
			if op.RequestBody != nil {
				for _, c := range op.RequestBody.Value.Content {
					checkBounded(t, where+" body", c.Schema)
				}
			}
		}
	}
	for name, s := range doc.Components.Schemas {
		v := s.Value
		if v.Type.Is("object") && v.AdditionalProperties.Has != nil && *v.AdditionalProperties.Has {
			t.Errorf("schema %s allows unknown fields", name)
		}
	}
}

// takesIfMatch reports whether op documents the If-Match header.
func takesIfMatch(op *openapi3.Operation) bool {
	for _, p := range op.Parameters {
		if p.Value.In == "header" && p.Value.Name == "If-Match" {
			return true
		}
	}
	return false
}

// checkBounded fails for every string of s, its properties, items and
// alternatives, that has no maxLength and is not an enum or a constant; and
// for every array without items.
func checkBounded(t *testing.T, where string, s *openapi3.SchemaRef) {
	t.Helper()
	if s == nil || s.Value == nil {
		return
	}
	v := s.Value
	if v.Type.Includes("string") && v.MaxLength == nil && len(v.Enum) == 0 && v.Const == nil {
		t.Errorf("%s: a string without maxLength", where)
	}
	if v.Type.Includes("array") && v.Items == nil {
		t.Errorf("%s: an array without items", where)
	}
	for name, p := range v.Properties {
		checkBounded(t, where+"."+name, p)
	}
	checkBounded(t, where+"[]", v.Items)
	for _, alt := range append(append(openapi3.SchemaRefs{}, v.OneOf...), v.AnyOf...) {
		checkBounded(t, where, alt)
	}
}

// TestAuditChangesAreDescribed: the changes of an audit entry are
// {"field": [before, after]}, each an array of exactly two values.
func TestAuditChangesAreDescribed(t *testing.T) {
	spec := openapitest.Load(t)
	changes := spec.Doc.Components.Schemas["AuditEntry"].Value.Properties["changes"].Value
	pair := changes.AdditionalProperties.Schema
	if pair == nil || !pair.Value.Type.Is("array") || pair.Value.Items == nil ||
		pair.Value.MinItems != 2 || pair.Value.MaxItems == nil || *pair.Value.MaxItems != 2 {
		t.Fatalf("AuditEntry.changes: %+v", pair)
	}
	entities := spec.Doc.Components.Parameters["Entity"].Value.Schema.Value.Enum
	var names []string
	for _, e := range entities {
		names = append(names, fmt.Sprint(e))
	}
	if !slices.Equal(names, crm.AuditEntities) {
		t.Errorf("the entity filter lists %v; the audit trail speaks of %v", names, crm.AuditEntities)
	}
}

// documentedRoutes returns "METHOD /path" of every operation, path
// parameters written {name} as in a ServeMux pattern.
func documentedRoutes(spec *openapitest.Spec) []string {
	var out []string
	for path, item := range spec.Doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, method+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// serverRoutes reads the ServeMux patterns that server.go registers with
// s.route("METHOD " + p + "/path", ...), p being Prefix.
func serverRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "route" {
				return true
			}
			pattern, ok := stringConst(call.Args[0])
			if !ok {
				t.Errorf("%s: a route whose pattern is not a constant: update serverRoutes", fset.Position(call.Pos()))
				return true
			}
			out = append(out, pattern)
			return true
		})
	}
	slices.Sort(out)
	return out
}

// stringConst evaluates a concatenation of string literals and the prefix
// constant (Prefix, or a local p = Prefix).
func stringConst(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.Ident:
		if e.Name == "p" || e.Name == "Prefix" {
			return httpapi.Prefix, true
		}
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		l, ok1 := stringConst(e.X)
		r, ok2 := stringConst(e.Y)
		return l + r, ok1 && ok2
	case *ast.ParenExpr:
		return stringConst(e.X)
	}
	return "", false
}

// TestRoutesMatchDocument checks that the server registers exactly the
// documented routes: from its source (every registered route is documented),
// and by asking the running server (every documented route exists).
func TestRoutesMatchDocument(t *testing.T) {
	spec := openapitest.Load(t)
	doc := documentedRoutes(spec)
	srv := serverRoutes(t)
	if len(srv) == 0 {
		t.Fatal("found no route in the server's source")
	}
	for _, r := range srv {
		if !slices.Contains(doc, r) {
			t.Errorf("the server has %s, which the document lacks", r)
		}
	}
	for _, r := range doc {
		if !slices.Contains(srv, r) {
			t.Errorf("the document has %s, which the server's source does not register", r)
		}
	}

	// Ask the server: a documented route must not get the "no such route"
	// answer (404/405 from the mux). No token, no body: the route answers
	// 401 or 400, which is all this needs.
	w := newWorld(t)
	for _, r := range doc {
		method, path, _ := strings.Cut(r, " ")
		path = strings.ReplaceAll(path, "{id}", "1")
		req, _ := http.NewRequest(method, w.base+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusMethodNotAllowed ||
			(resp.StatusCode == http.StatusNotFound && bytes.Contains(body, []byte("no such route"))) {
			t.Errorf("%s is documented, but the server answers %d %s", r, resp.StatusCode, body)
		}
	}
}

const testPassword = "violet tractor under the bridge"

// world is a server on a fresh SQLite database, with a manager, whose
// exchanges all go through the validating transport.
type world struct {
	t    *testing.T
	spec *openapitest.Spec
	base string
	hc   *http.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	store := testdb.Open(t, "sqlite")
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{
		Store:            store,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Config:           crm.Config{ThrottleMax: 3, ThrottleWindow: 15 * time.Minute},
	})
	if _, err := svc.Bootstrap(context.Background(), crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@epic.example", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	server := httpapi.NewServer(svc, httpapi.ServerOptions{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready:  func(ctx context.Context) error { return nil },
	})
	ts := httptest.NewServer(server.Handler())
	t.Cleanup(ts.Close)
	spec := openapitest.Load(t)
	return &world{t: t, spec: spec, base: ts.URL, hc: &http.Client{Transport: spec.Transport(t, nil)}}
}

// answer is one response, read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// problem returns the answer's problem document.
func (a answer) problem(t *testing.T) httpapi.Problem {
	t.Helper()
	var p httpapi.Problem
	a.decode(t, &p)
	return p
}

// req describes a request: a body (marshalled unless it is a string or
// []byte, sent as is), headers as name, value pairs.
type req struct {
	method, path string
	token        string
	body         any
	headers      []string
}

// do sends r and checks the status.
func (w *world) do(r req, want int) answer {
	w.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			w.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, w.base+r.path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for i := 0; i+1 < len(r.headers); i += 2 {
		hr.Header.Set(r.headers[i], r.headers[i+1])
	}
	resp, err := w.hc.Do(hr)
	if err != nil {
		w.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	if resp.StatusCode != want {
		w.t.Errorf("%s %s: status %d, want %d: %s", r.method, r.path, resp.StatusCode, want, b)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (w *world) login(email, password string) crm.Tokens {
	w.t.Helper()
	var tok crm.Tokens
	w.do(req{method: "POST", path: "/api/v1/auth/login",
		body: httpapi.LoginRequest{Email: email, Password: password}}, 200).decode(w.t, &tok)
	return tok
}

func (w *world) create(token, path string, in any) (id int64, etag string) {
	w.t.Helper()
	a := w.do(req{method: "POST", path: path, token: token, body: in}, 201)
	var v struct{ ID int64 }
	a.decode(w.t, &v)
	if loc := a.header.Get("Location"); loc != path+"/"+strconv.FormatInt(v.ID, 10) {
		w.t.Errorf("POST %s: Location %q for id %d", path, loc, v.ID)
	}
	return v.ID, a.header.Get("ETag")
}

// pages follows a list's cursors and returns how many items it saw and how
// many pages it took.
func (w *world) pages(token, path string) (items, pages int) {
	w.t.Helper()
	next := ""
	for {
		p := path
		if next != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + url.QueryEscape(next)
		}
		var page struct {
			Items []json.RawMessage
			Next  *string
		}
		w.do(req{method: "GET", path: p, token: token}, 200).decode(w.t, &page)
		items += len(page.Items)
		pages++
		if page.Next == nil {
			return items, pages
		}
		if pages > 100 {
			w.t.Fatalf("%s: more than 100 pages", path)
		}
		next = *page.Next
	}
}

// TestOpenAPISmoke runs a realistic session through the validating
// transport: every request the document refuses must be refused, and every
// response must match the document.
func TestOpenAPISmoke(t *testing.T) {
	w := newWorld(t)

	// Operations and the document itself.
	w.do(req{method: "GET", path: "/healthz"}, 200)
	w.do(req{method: "GET", path: "/readyz"}, 200)
	if m := w.do(req{method: "GET", path: "/metrics"}, 200); !bytes.Contains(m.body, []byte("# HELP")) {
		t.Errorf("/metrics: %.200s", m.body)
	}
	if d := w.do(req{method: "GET", path: "/api/v1/openapi.json"}, 200); !bytes.Equal(d.body, w.spec.Bytes) {
		t.Error("the served document differs from internal/httpapi/openapi.json")
	}

	// Authentication.
	mgr := w.login("ada@epic.example", testPassword).AccessToken
	w.do(req{method: "GET", path: "/api/v1/me"}, 401)
	w.do(req{method: "GET", path: "/api/v1/me", token: "not.a.token"}, 401)
	var me crm.Employee
	w.do(req{method: "GET", path: "/api/v1/me", token: mgr}, 200).decode(t, &me)
	if me.Email != "ada@epic.example" || me.Role != crm.RoleManagement {
		t.Errorf("me = %+v", me)
	}

	// Employees.
	newEmp := func(first, email string, role crm.Role) int64 {
		id, _ := w.create(mgr, "/api/v1/employees", crm.NewEmployee{FirstName: first, LastName: "Tester",
			Email: email, Role: role, Password: testPassword})
		return id
	}
	salesID := newEmp("Bill", "bill@epic.example", crm.RoleSales)
	sales2ID := newEmp("Sam", "sam@epic.example", crm.RoleSales)
	supportID := newEmp("Kate", "kate@epic.example", crm.RoleSupport)
	spareID := newEmp("Spare", "spare@epic.example", crm.RoleSupport)
	sales := w.login("bill@epic.example", testPassword).AccessToken
	support := w.login("kate@epic.example", testPassword).AccessToken

	// Malformed and invalid input.
	p := w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: map[string]any{"first_name": "X", "last_name": "Y",
		"email": "x@epic.example", "role": "SALES", "password": "short"}}, 422).problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Field != "password" {
		t.Errorf("422 names %+v, want password", p.Errors)
	}
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: crm.NewEmployee{FirstName: "B", LastName: "B",
		Email: "BILL@epic.example", Role: crm.RoleSales, Password: testPassword}}, 409)
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: `{"first_name":"X","last_name":"Y","email":"y@epic.example","role":"SALES","password":"` + testPassword + `","admin":true}`}, 400)
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: `{"id":7,"first_name":"X","last_name":"Y","email":"y@epic.example","role":"SALES","password":"` + testPassword + `"}`}, 400)
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: `{"first_name":`}, 400)
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr, body: `{}`, headers: []string{"Content-Type", "text/plain"}}, 400)
	w.do(req{method: "POST", path: "/api/v1/employees", token: mgr,
		body: `{"first_name":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`}, 413)
	w.do(req{method: "POST", path: "/api/v1/employees", token: sales, body: crm.NewEmployee{FirstName: "X", LastName: "Y",
		Email: "z@epic.example", Role: crm.RoleSales, Password: testPassword}}, 403)
	w.do(req{method: "GET", path: "/api/v1/employees/99999", token: mgr}, 404)
	w.do(req{method: "GET", path: "/api/v1/employees/abc", token: mgr}, 400)

	var emp crm.Employee
	a := w.do(req{method: "GET", path: fmt.Sprint("/api/v1/employees/", spareID), token: sales}, 200)
	a.decode(t, &emp)
	etag := a.header.Get("ETag")
	a = w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/employees/", spareID), token: mgr,
		body: crm.EmployeePatch{FirstName: ptr("Sparky")}, headers: []string{"If-Match", etag}}, 200)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/employees/", spareID), token: mgr,
		body: crm.EmployeePatch{FirstName: ptr("Stale")}, headers: []string{"If-Match", etag}}, 412)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/employees/", spareID), token: mgr, body: `{}`}, 422)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/employees/", spareID, "/set-password"), token: mgr,
		body: httpapi.SetPasswordRequest{Password: "a brand new temporary passphrase"}}, 204)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/employees/", spareID, "/deactivate"), token: mgr}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/employees/", spareID, "/reactivate"), token: mgr}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/employees/", spareID, "/reactivate"), token: mgr}, 409)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/employees/", spareID, "/deactivate"), token: mgr,
		body: httpapi.DeactivateRequest{ReassignTo: nil}}, 200)
	w.do(req{method: "DELETE", path: fmt.Sprint("/api/v1/employees/", spareID), token: mgr}, 204)

	// Clients.
	clientID, clientTag := w.create(sales, "/api/v1/clients", crm.NewClient{FirstName: "Kevin", LastName: "Casey",
		Email: "kevin@startup.io", Phone: ptr("+678 123 456 78"), CompanyName: ptr("Cool Startup LLC")})
	w.do(req{method: "POST", path: "/api/v1/clients", token: mgr, body: crm.NewClient{FirstName: "No", LastName: "Way",
		Email: "no@way.example"}}, 403)
	w.do(req{method: "POST", path: "/api/v1/clients", token: sales, body: crm.NewClient{FirstName: "Bad", LastName: "Phone",
		Email: "bad@phone.example", Phone: ptr("12")}}, 422)
	for i := range 5 {
		w.create(sales, "/api/v1/clients", crm.NewClient{FirstName: "Client", LastName: fmt.Sprint("Number", i),
			Email: fmt.Sprintf("client%d@example.com", i)})
	}
	a = w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/clients/", clientID), token: sales,
		body: crm.ClientPatch{CompanyName: ptr("Cooler Startup LLC")}, headers: []string{"If-Match", clientTag}}, 200)
	if a.header.Get("ETag") == clientTag {
		t.Error("PATCH kept the ETag")
	}
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/clients/", clientID), token: sales,
		body: crm.ClientPatch{Phone: ptr("")}, headers: []string{"If-Match", clientTag}}, 412)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/clients/", clientID), token: support,
		body: crm.ClientPatch{Phone: ptr("")}}, 403)
	w.do(req{method: "GET", path: "/api/v1/clients/99999", token: support}, 404)
	if n, pages := w.pages(support, "/api/v1/clients?limit=2"); n != 6 || pages != 3 {
		t.Errorf("clients: %d items in %d pages, want 6 in 3", n, pages)
	}
	if n, _ := w.pages(sales, "/api/v1/clients?mine=true&search=casey"); n != 1 {
		t.Errorf("clients?mine&search: %d items, want 1", n)
	}
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/clients/", clientID, "/reassign"), token: mgr,
		body: httpapi.SalesContactRequest{SalesContactID: sales2ID}}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/clients/", clientID, "/reassign"), token: mgr,
		body: httpapi.SalesContactRequest{SalesContactID: salesID}}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/clients/", clientID, "/reassign"), token: mgr,
		body: httpapi.SalesContactRequest{SalesContactID: 99999}}, 404)

	// Contracts.
	contractID, _ := w.create(mgr, "/api/v1/contracts", crm.NewContract{ClientID: clientID, TotalAmount: 1500_00})
	w.create(mgr, "/api/v1/contracts", map[string]any{"client_id": clientID, "total_amount": "2000.50", "amount_due": "0", "signed": true})
	w.do(req{method: "POST", path: "/api/v1/contracts", token: sales, body: crm.NewContract{ClientID: clientID, TotalAmount: 100}}, 403)
	w.do(req{method: "POST", path: "/api/v1/contracts", token: mgr, body: crm.NewContract{ClientID: 99999, TotalAmount: 100}}, 404)
	w.do(req{method: "POST", path: "/api/v1/contracts", token: mgr, body: `{"client_id":1,"total_amount":"12.345"}`}, 422)
	var contract crm.Contract
	a = w.do(req{method: "GET", path: fmt.Sprint("/api/v1/contracts/", contractID), token: support}, 200)
	a.decode(t, &contract)
	if contract.TotalAmount != 1500_00 || !strings.Contains(string(a.body), `"total_amount":"1500.00"`) {
		t.Errorf("contract: %s", a.body)
	}
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/contracts/", contractID), token: sales,
		body: crm.ContractPatch{AmountDue: ptr(crm.Cents(1000_00))}, headers: []string{"If-Match", a.header.Get("ETag")}}, 200)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/contracts/", contractID), token: sales,
		body: crm.ContractPatch{AmountDue: ptr(crm.Cents(2000_00))}}, 422)
	w.do(req{method: "POST", path: "/api/v1/events", token: sales, body: crm.NewEvent{ContractID: contractID, Name: "Too Early",
		Start: time.Date(2030, 6, 4, 13, 0, 0, 0, time.UTC), End: time.Date(2030, 6, 5, 2, 0, 0, 0, time.UTC), Location: "Nowhere"}}, 409)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/contracts/", contractID, "/sign"), token: sales,
		headers: []string{"If-Match", a.header.Get("ETag")}}, 412)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/contracts/", contractID, "/sign"), token: sales}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/contracts/", contractID, "/sign"), token: sales}, 409)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/contracts/", contractID, "/reassign"), token: mgr,
		body: httpapi.SalesContactRequest{SalesContactID: supportID}}, 422)
	if n, _ := w.pages(sales, "/api/v1/contracts?unsigned=false&unpaid=true&mine=true&client_id="+strconv.FormatInt(clientID, 10)); n != 1 {
		t.Errorf("contracts?unpaid&mine: %d, want 1", n)
	}
	w.pages(mgr, "/api/v1/contracts?unsigned=true&sales_contact_id="+strconv.FormatInt(salesID, 10))

	// Events.
	start := time.Date(2030, 6, 4, 13, 0, 0, 0, time.UTC)
	eventID, eventTag := w.create(sales, "/api/v1/events", crm.NewEvent{ContractID: contractID, Name: "John Ouick Wedding",
		Start: start, End: start.Add(13 * time.Hour), Location: "53 Rue du Château, 41120 Candé-sur-Beuvron, France",
		Attendees: 75, Notes: ptr("Wedding starts at 3PM, by the river.")})
	w.do(req{method: "POST", path: "/api/v1/events", token: sales, body: map[string]any{"contract_id": contractID, "name": "Backwards",
		"start": "2030-06-05T13:00:00Z", "end": "2030-06-04T13:00:00Z", "location": "Here", "attendees": 1}}, 422)
	w.do(req{method: "POST", path: "/api/v1/events", token: sales, body: map[string]any{"contract_id": contractID, "name": "Bad",
		"start": "tomorrow", "end": "2030-06-04T13:00:00Z", "location": "Here", "attendees": 1}}, 422)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/events/", eventID, "/assign"), token: mgr,
		body: httpapi.SupportRequest{SupportContactID: supportID}, headers: []string{"If-Match", eventTag}}, 200)
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/events/", eventID, "/assign"), token: sales,
		body: httpapi.SupportRequest{SupportContactID: supportID}}, 403)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/events/", eventID), token: support,
		body: crm.EventPatch{Notes: ptr("Kate organises the DJ."), Attendees: ptr(80)}}, 200)
	w.do(req{method: "PATCH", path: fmt.Sprint("/api/v1/events/", eventID), token: support,
		body: crm.EventPatch{Name: ptr("Renamed")}}, 403)
	var ev crm.Event
	w.do(req{method: "GET", path: fmt.Sprint("/api/v1/events/", eventID), token: sales}, 200).decode(t, &ev)
	if ev.SupportContactID == nil || *ev.SupportContactID != supportID || ev.Attendees != 80 {
		t.Errorf("event = %+v", ev)
	}
	if n, _ := w.pages(support, "/api/v1/events?mine=true&from=2030-06-01T00:00:00Z&to=2030-06-30T23:59:59Z&limit=1"); n != 1 {
		t.Errorf("events?mine&from&to: %d, want 1", n)
	}
	w.pages(mgr, "/api/v1/events?without_support=true&contract_id="+strconv.FormatInt(contractID, 10)+
		"&support_contact_id="+strconv.FormatInt(supportID, 10)+"&sales_contact_id="+strconv.FormatInt(salesID, 10))
	w.do(req{method: "POST", path: fmt.Sprint("/api/v1/events/", eventID, "/unassign"), token: mgr}, 200)
	w.do(req{method: "DELETE", path: fmt.Sprint("/api/v1/employees/", salesID), token: mgr}, 409)

	// Lists: filters and bad parameters.
	if n, _ := w.pages(mgr, "/api/v1/employees?role=SALES&all=true&limit=1"); n != 2 {
		t.Errorf("employees?role=SALES: %d, want 2", n)
	}
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "all=yes", "role=BOSS", "colour=red", "cursor=%00garbage"} {
		w.do(req{method: "GET", path: "/api/v1/employees?" + q, token: mgr}, 400)
	}
	w.do(req{method: "GET", path: "/api/v1/events?from=yesterday", token: mgr}, 400)
	w.do(req{method: "GET", path: "/api/v1/me?x=1", token: mgr}, 400)

	// Audit.
	if n, _ := w.pages(mgr, "/api/v1/audit?entity=client&entity_id="+strconv.FormatInt(clientID, 10)+"&limit=2"); n < 3 {
		t.Errorf("audit of client %d: %d entries, want at least 3", clientID, n)
	}
	w.pages(mgr, "/api/v1/audit?actor_id="+strconv.FormatInt(me.ID, 10))
	w.do(req{method: "GET", path: "/api/v1/audit", token: sales}, 403)

	// Sessions: refresh, reuse, password change, logout.
	tok := w.login("sam@epic.example", testPassword)
	var fresh crm.Tokens
	w.do(req{method: "POST", path: "/api/v1/auth/refresh", body: httpapi.RefreshRequest{RefreshToken: tok.RefreshToken}}, 200).decode(t, &fresh)
	w.do(req{method: "POST", path: "/api/v1/auth/refresh", body: httpapi.RefreshRequest{RefreshToken: tok.RefreshToken}}, 401)
	tok = w.login("sam@epic.example", testPassword)
	w.do(req{method: "POST", path: "/api/v1/me/password", token: tok.AccessToken,
		body: httpapi.PasswordChange{CurrentPassword: "wrong", NewPassword: "another long passphrase here"}}, 422)
	w.do(req{method: "POST", path: "/api/v1/me/password", token: tok.AccessToken,
		body: httpapi.PasswordChange{CurrentPassword: testPassword, NewPassword: "another long passphrase here"}}, 200).decode(t, &fresh)
	w.do(req{method: "GET", path: "/api/v1/me", token: tok.AccessToken}, 401)
	w.do(req{method: "POST", path: "/api/v1/auth/logout", token: fresh.AccessToken}, 204)
	w.do(req{method: "GET", path: "/api/v1/me", token: fresh.AccessToken}, 401)

	// Throttling: after ThrottleMax failures, 429 with Retry-After.
	for range 3 {
		w.do(req{method: "POST", path: "/api/v1/auth/login", body: httpapi.LoginRequest{Email: "kate@epic.example", Password: "wrong password!!"}}, 401)
	}
	a = w.do(req{method: "POST", path: "/api/v1/auth/login", body: httpapi.LoginRequest{Email: "kate@epic.example", Password: testPassword}}, 429)
	if a.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	if n := w.spec.Checked(); n < 100 {
		t.Errorf("only %d exchanges went through the validating transport", n)
	}
}

// TestClientConformsToDocument runs every operation of the remote-mode Client
// (crm.API over HTTP) through the validating transport: what the CLI sends in
// remote mode is what the document describes, and so is what it gets.
func TestClientConformsToDocument(t *testing.T) {
	w := newWorld(t)
	c, err := httpapi.NewClient(w.base, httpapi.ClientOptions{HTTPClient: w.hc})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	as := func(tok crm.Tokens) context.Context { return crm.WithAccessToken(bg, tok.AccessToken) }
	tok, err := c.Login(bg, "ada@epic.example", testPassword)
	must(err)
	mgr := as(tok)
	_, err = c.Me(mgr)
	must(err)
	mk := func(email string, role crm.Role) crm.Employee {
		e, err := c.CreateEmployee(mgr, crm.NewEmployee{FirstName: "E", LastName: email, Email: email, Role: role, Password: testPassword})
		must(err)
		return e
	}
	s1, s2, sup, spare := mk("s1@epic.example", crm.RoleSales), mk("s2@epic.example", crm.RoleSales),
		mk("sup@epic.example", crm.RoleSupport), mk("spare@epic.example", crm.RoleSupport)
	_, err = c.GetEmployee(mgr, s1.ID)
	must(err)
	_, err = c.UpdateEmployee(mgr, spare.ID, crm.EmployeePatch{LastName: ptr("Spare")})
	must(err)
	must(c.SetPassword(mgr, spare.ID, "a brand new temporary passphrase"))
	_, err = c.Deactivate(mgr, spare.ID, nil)
	must(err)
	_, err = c.Reactivate(mgr, spare.ID)
	must(err)
	must(c.DeleteEmployee(mgr, spare.ID))
	stok, err := c.Login(bg, "s1@epic.example", testPassword)
	must(err)
	sales := as(stok)
	cl, err := c.CreateClient(sales, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io"})
	must(err)
	_, err = c.CreateClient(sales, crm.NewClient{FirstName: "Jo", LastName: "Ouick", Email: "jo@example.com",
		Phone: ptr("+1 234 567 8901"), CompanyName: ptr("Ouick")})
	must(err)
	_, err = c.UpdateClient(sales, cl.ID, crm.ClientPatch{CompanyName: ptr("Cool Startup LLC")})
	must(err)
	_, err = c.GetClient(sales, cl.ID)
	must(err)
	_, err = c.ReassignClient(mgr, cl.ID, s2.ID)
	must(err)
	_, err = c.ReassignClient(mgr, cl.ID, s1.ID)
	must(err)
	due := crm.Cents(500_00)
	ct, err := c.CreateContract(mgr, crm.NewContract{ClientID: cl.ID, TotalAmount: 1500_00, AmountDue: &due})
	must(err)
	_, err = c.CreateContract(mgr, crm.NewContract{ClientID: cl.ID, TotalAmount: 100_00})
	must(err)
	_, err = c.UpdateContract(sales, ct.ID, crm.ContractPatch{AmountDue: ptr(crm.Cents(400_00))})
	must(err)
	_, err = c.SignContract(sales, ct.ID)
	must(err)
	_, err = c.GetContract(sales, ct.ID)
	must(err)
	_, err = c.ReassignContract(mgr, ct.ID, s1.ID)
	must(err)
	paid, err := c.RecordPayment(sales, ct.ID, crm.NewPayment{Amount: 150_00, Method: "cheque", Reference: "CHQ 42"})
	must(err)
	_, err = c.RecordPayment(mgr, ct.ID, crm.NewPayment{Amount: 50_00})
	must(err)
	_, err = c.RefundPayment(mgr, ct.ID, crm.NewRefund{PaymentID: paid.ID, Amount: ptr(crm.Cents(20_00)), Reason: "goodwill"})
	must(err)
	_, err = c.RefundPayment(mgr, ct.ID, crm.NewRefund{PaymentID: paid.ID, Reason: "event cancelled"})
	must(err)
	start := time.Date(2030, 5, 5, 15, 0, 0, 0, time.UTC)
	ev, err := c.CreateEvent(sales, crm.NewEvent{ContractID: ct.ID, Name: "Lou Bouzin General Assembly", Start: start,
		End: start.Add(2 * time.Hour), Location: "Salle des fêtes de Mufflins", Attendees: 200})
	must(err)
	_, err = c.AssignSupport(mgr, ev.ID, sup.ID)
	must(err)
	_, err = c.UpdateEvent(mgr, ev.ID, crm.EventPatch{Notes: ptr("Bring chairs"), Start: ptr(start.Add(time.Hour)), End: ptr(start.Add(3 * time.Hour))})
	must(err)
	_, err = c.GetEvent(sales, ev.ID)
	must(err)
	_, err = c.UnassignSupport(mgr, ev.ID)
	must(err)

	count := func(name string, list func(emit func() error) (string, error)) {
		t.Helper()
		if _, err := list(func() error { return nil }); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	role := crm.RoleSales
	from, to := start.Add(-time.Hour), start.Add(time.Hour)
	id := func(v int64) *int64 { return &v }
	count("employees", func(e func() error) (string, error) {
		return c.ListEmployees(mgr, crm.EmployeeFilter{Role: &role, All: true, Page: crm.Page{Limit: 1}},
			func(crm.Employee) error { return e() })
	})
	count("clients", func(e func() error) (string, error) {
		return c.ListClients(sales, crm.ClientFilter{Mine: true, SalesContactID: id(s1.ID), Search: "ca", Page: crm.Page{Limit: 0}},
			func(crm.Client) error { return e() })
	})
	count("contracts", func(e func() error) (string, error) {
		return c.ListContracts(sales, crm.ContractFilter{Unsigned: true, Unpaid: true, Mine: true, SalesContactID: id(s1.ID),
			ClientID: id(cl.ID), Page: crm.Page{Limit: 1}}, func(crm.Contract) error { return e() })
	})
	count("events", func(e func() error) (string, error) {
		return c.ListEvents(sales, crm.EventFilter{WithoutSupport: true, Mine: true, SupportContactID: id(sup.ID),
			SalesContactID: id(s1.ID), ContractID: id(ct.ID), From: &from, To: &to, Page: crm.Page{Limit: 600}},
			func(crm.Event) error { return e() })
	})
	count("payments", func(e func() error) (string, error) {
		return c.ListPayments(sales, ct.ID, crm.PaymentFilter{Page: crm.Page{Limit: 1}}, func(crm.Payment) error { return e() })
	})
	count("audit", func(e func() error) (string, error) {
		return c.ListAudit(mgr, crm.AuditFilter{Entity: "client", EntityID: id(cl.ID), ActorID: id(s1.ID), Page: crm.Page{Limit: 2}},
			func(crm.AuditEntry) error { return e() })
	})

	// Errors come back as the same *crm.Error codes as in local mode.
	for _, c := range []struct {
		err  error
		want crm.Code
	}{
		{func() error { _, err := c.Me(bg); return err }(), crm.CodeUnauthenticated},
		{func() error { _, err := c.GetClient(sales, 99999); return err }(), crm.CodeNotFound},
		{func() error {
			_, err := c.CreateContract(sales, crm.NewContract{ClientID: cl.ID, TotalAmount: 1})
			return err
		}(), crm.CodeForbidden},
		{func() error { _, err := c.SignContract(sales, ct.ID); return err }(), crm.CodeConflict},
		{func() error {
			_, err := c.RecordPayment(sales, ct.ID, crm.NewPayment{Amount: 1_000_000_00})
			return err
		}(), crm.CodeConflict},
		{func() error {
			_, err := c.RefundPayment(sales, ct.ID, crm.NewRefund{PaymentID: paid.ID, Reason: "no"})
			return err
		}(), crm.CodeForbidden},
		{func() error {
			_, err := c.CreateClient(sales, crm.NewClient{FirstName: "", LastName: "X", Email: "nope"})
			return err
		}(), crm.CodeInvalid},
	} {
		if got := crm.ErrorCode(c.err); got != c.want {
			t.Errorf("got %v (%s), want %s", c.err, got, c.want)
		}
	}

	fresh, err := c.Refresh(bg, stok.RefreshToken)
	must(err)
	fresh, err = c.ChangePassword(as(fresh), testPassword, "another long passphrase here")
	must(err)
	must(c.Logout(as(fresh)))
	if n := w.spec.Checked(); n < 40 {
		t.Errorf("only %d exchanges went through the validating transport", n)
	}
}

// TestTransportCatchesServerDrift makes sure the smoke test would notice a
// server that answers outside the document (the transport is not a no-op on
// the real server).
func TestTransportCatchesServerDrift(t *testing.T) {
	w := newWorld(t)
	rec := &quiet{TB: t}
	hc := &http.Client{Transport: w.spec.Transport(rec, nil)}
	resp, err := hc.Get(w.base + "/api/v1/no-such-route")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(w.spec.Violations()) != 1 {
		t.Errorf("an undocumented route was not reported: %v", w.spec.Violations())
	}
}

// quiet is a testing.TB whose Errorf is silent: the violations are checked
// through Spec.Violations.
type quiet struct{ testing.TB }

func (quiet) Errorf(string, ...any) {}
func (quiet) Helper()               {}

func ptr[T any](v T) *T { return &v }

// TestProxyAgainstServer drives the real server through the validating proxy
// with the remote-mode Client, as the end-to-end tests do with a subprocess.
func TestProxyAgainstServer(t *testing.T) {
	w := newWorld(t)
	target, err := url.Parse(w.base)
	if err != nil {
		t.Fatal(err)
	}
	spec := openapitest.Load(t)
	proxy := spec.Proxy(t, target)
	c, err := httpapi.NewClient(proxy.URL, httpapi.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Login(context.Background(), "ada@epic.example", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	me, err := c.Me(crm.WithAccessToken(context.Background(), tok.AccessToken))
	if err != nil || me.Email != "ada@epic.example" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	if _, err := c.Me(context.Background()); crm.ErrorCode(err) != crm.CodeUnauthenticated {
		t.Fatalf("me without a token: %v", err)
	}
	if n := spec.Checked(); n != 3 {
		t.Errorf("the proxy checked %d exchanges, want 3", n)
	}
}
