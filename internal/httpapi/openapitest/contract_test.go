package openapitest_test

// The contract test: every operation of the OpenAPI document, run against a
// real `epicevents serve` (cli.Main in this process, listening on a loopback
// port) on SQLite, and on PostgreSQL when EPICEVENTS_TEST_POSTGRES_URL is
// set. Each operation gets a valid request, and from the document the
// variations of it that the document refuses: each required field missing,
// each field that may not be null set to null, each string one character
// over its maxLength, an unknown field or parameter, limit out of range, a
// stale, weak or malformed If-Match, no access token, a bad or unknown id.
// Each must get the status the API promises for it, one the document lists
// for the operation, and a body that conforms (the validating transport
// checks every exchange, seeding included). An operation of the document
// without a case fails the test: a new route cannot be forgotten.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/epicevents/epicevents/internal/cli"
	"github.com/epicevents/epicevents/internal/httpapi"
	"github.com/epicevents/epicevents/internal/httpapi/openapitest"
	"github.com/epicevents/epicevents/internal/testdb"
)

const (
	contractPassword = "violet tractor under the bridge"
	managerEmail     = "ada@epic.example"
)

func TestContract(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		spec := openapitest.Load(t)
		w := &world{spec: spec, base: startServe(t, testdb.URL(t, engine)), tokens: map[string]string{}, ids: map[string]int64{}}
		w.seed(t)
		ops := operations(spec.Doc)
		documented := map[string]bool{}
		for _, op := range ops {
			documented[op.id] = true
			sc, ok := scenarios[op.id]
			if !ok {
				t.Errorf("%s %s (%s) has no contract case: add one to scenarios", op.method, op.path, op.id)
				continue
			}
			t.Run(op.id, func(t *testing.T) { w.check(t, op, sc) })
		}
		for id := range scenarios {
			if !documented[id] {
				t.Errorf("scenarios has %s, which is not an operation of the document", id)
			}
		}
		if n := spec.Checked(); n < 500 {
			t.Errorf("only %d exchanges went through the validating transport", n)
		}
	})
}

// startServe runs `epicevents init` then `epicevents serve` on dbURL, in
// this process, and returns the server's base URL; the server stops when
// the test ends.
func startServe(t *testing.T, dbURL string) string {
	t.Helper()
	vars := map[string]string{
		"EPICEVENTS_HOME":              t.TempDir(),
		"EPICEVENTS_KEYRING":           "off",
		"EPICEVENTS_DATABASE_URL":      dbURL,
		"EPICEVENTS_JWT_SECRET":        strings.Repeat("contract-test-key-", 3),
		"EPICEVENTS_LOGIN_THROTTLE":    "1000/15m",
		"EPICEVENTS_LOGIN_IP_THROTTLE": "1000/15m",
	}
	env := func(k string) string { return vars[k] }
	var out, errs buffer
	if code := cli.Main(context.Background(), []string{"init", "--email", managerEmail, "--first-name", "Ada",
		"--last-name", "Lovelace", "--password-stdin"}, strings.NewReader(contractPassword+"\n"), &out, &errs, env); code != 0 {
		t.Fatalf("epicevents init: exit %d: %s", code, errs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &buffer{}
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, strings.NewReader(""), &buffer{}, stderr, env)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
		if t.Failed() {
			t.Logf("epicevents serve said:\n%s", stderr.String())
		}
	})
	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:[0-9]+)\n`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening: %s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say it was listening: %s", stderr.String())
		}
	}
}

// buffer is a bytes.Buffer safe for the server's goroutines.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// operation is what the test reads of one operation of the document.
type operation struct {
	id, method, path string
	op               *openapi3.Operation
	params           openapi3.Parameters // the path's and the operation's
}

func operations(doc *openapi3.T) []operation {
	var out []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, operation{id: op.OperationID, method: method, path: path, op: op,
				params: append(slices.Clone(item.Parameters), op.Parameters...)})
		}
	}
	slices.SortFunc(out, func(a, b operation) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return out
}

// success is the one 2xx status the operation documents.
func (o operation) success(t *testing.T) int {
	t.Helper()
	var codes []int
	for code := range o.op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	if len(codes) != 1 {
		t.Fatalf("%s documents %v as its success, want exactly one 2xx", o.id, codes)
	}
	return codes[0]
}

func (o operation) documents(status int) bool { return o.op.Responses.Status(status) != nil }

func (o operation) secured() bool { return o.op.Security == nil || len(*o.op.Security) > 0 }

func (o operation) takes(in, name string) bool {
	for _, p := range o.params {
		if p.Value.In == in && p.Value.Name == name {
			return true
		}
	}
	return false
}

func (o operation) query() []*openapi3.Parameter {
	var out []*openapi3.Parameter
	for _, p := range o.params {
		if p.Value.In == "query" {
			out = append(out, p.Value)
		}
	}
	return out
}

// body is the request body's schema, nil when the operation takes none.
func (o operation) body() *openapi3.Schema {
	if o.op.RequestBody == nil {
		return nil
	}
	return o.op.RequestBody.Value.Content.Get("application/json").Schema.Value
}

// nullable reports whether s, or one of its alternatives, admits null.
func nullable(s *openapi3.Schema) bool {
	if s.Type.IncludesNull() {
		return true
	}
	for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		if nullable(alt.Value) {
			return true
		}
	}
	return false
}

// maxLength is the maxLength of s or of its alternative that has one; 0 when none.
func maxLength(s *openapi3.Schema) int {
	if s.MaxLength != nil {
		return int(*s.MaxLength)
	}
	for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
		if n := maxLength(alt.Value); n > 0 {
			return n
		}
	}
	return 0
}

// world is the server and what the test seeded in it through the API.
type world struct {
	spec   *openapitest.Spec
	base   string
	tokens map[string]string // access tokens by employee key
	ids    map[string]int64  // ids by key: employees, and client, signed, unsigned, event, event2
	shared struct {
		refresh string // a refresh token that no refused request may use up
	}
	n int // makes emails and names unique
}

func (w *world) unique(prefix string) string {
	w.n++
	return prefix + strconv.Itoa(w.n)
}

// request is one HTTP request, before it is sent.
type request struct {
	method, path string
	query        url.Values
	header       http.Header
	body         []byte // nil: none
}

// answer is one response, read.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (w *world) send(t *testing.T, r request) answer {
	t.Helper()
	u := w.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(r.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	hc := &http.Client{Transport: w.spec.Transport(t, nil)}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// call sends a JSON request (body nil: none) with token, wants status and
// decodes the answer into out (when not nil).
func (w *world) call(t *testing.T, method, path, token string, body any, want int, out any) answer {
	t.Helper()
	r := request{method: method, path: path, header: http.Header{}}
	if token != "" {
		r.header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r.body = b
		r.header.Set("Content-Type", "application/json")
	}
	a := w.send(t, r)
	if a.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, a.status, a.body, want)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, a.body, err)
		}
	}
	return a
}

func (w *world) login(t *testing.T, email string) (access, refresh string) {
	t.Helper()
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	w.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": contractPassword}, 200, &tok)
	return tok.AccessToken, tok.RefreshToken
}

func (w *world) create(t *testing.T, path, who string, body map[string]any) int64 {
	t.Helper()
	var v struct{ ID int64 }
	w.call(t, "POST", path, w.tokens[who], body, 201, &v)
	return v.ID
}

func (w *world) employee(t *testing.T, key, role string) int64 {
	t.Helper()
	email := key + "@epic.example"
	if key == "" {
		email = w.unique("new") + "@epic.example"
	}
	id := w.create(t, "/api/v1/employees", "mgr", map[string]any{"first_name": "Eve", "last_name": "Tester",
		"email": email, "role": role, "password": contractPassword})
	if key != "" {
		w.ids[key] = id
	}
	return id
}

func (w *world) client(t *testing.T) int64 {
	t.Helper()
	return w.create(t, "/api/v1/clients", "sales", map[string]any{"first_name": "Kevin", "last_name": "Casey",
		"email": w.unique("kevin") + "@startup.example", "phone": nil, "company_name": nil})
}

func (w *world) contract(t *testing.T, signed bool) int64 {
	t.Helper()
	return w.create(t, "/api/v1/contracts", "mgr", map[string]any{"client_id": w.ids["client"], "total_amount": "1500.00", "signed": signed})
}

// eventStart is a time of the events the test makes, in the future.
var eventStart = time.Now().UTC().Add(30 * 24 * time.Hour).Truncate(time.Hour)

func (w *world) event(t *testing.T) int64 {
	t.Helper()
	return w.create(t, "/api/v1/events", "sales", map[string]any{"contract_id": w.ids["signed"], "name": "Lou Bouzin General Assembly",
		"start": eventStart.Format(time.RFC3339), "end": eventStart.Add(2 * time.Hour).Format(time.RFC3339),
		"location": "Salle des fêtes de Mufflins", "attendees": 200, "notes": nil})
}

// seed makes, through the API, the people and records the cases share, and
// two of each kind so that every list has a next page at limit=1.
func (w *world) seed(t *testing.T) {
	w.tokens["mgr"], _ = w.login(t, managerEmail)
	for key, role := range map[string]string{"sales": "SALES", "sales2": "SALES", "support": "SUPPORT", "support2": "SUPPORT",
		"spare": "SUPPORT", "keeper": "SUPPORT", "dormant": "SUPPORT", "pwuser": "SALES"} {
		w.employee(t, key, role)
	}
	w.call(t, "POST", "/api/v1/employees/"+strconv.FormatInt(w.ids["dormant"], 10)+"/deactivate", w.tokens["mgr"], nil, 200, nil)
	for _, key := range []string{"sales", "support", "support2", "pwuser"} {
		w.tokens[key], _ = w.login(t, key+"@epic.example")
	}
	_, w.shared.refresh = w.login(t, "support2@epic.example")
	w.ids["client"] = w.client(t)
	w.ids["client2"] = w.client(t)
	w.ids["signed"] = w.contract(t, true)
	w.ids["unsigned"] = w.contract(t, false)
	w.ids["event"] = w.event(t)
	w.ids["event2"] = w.event(t)
	w.call(t, "POST", "/api/v1/events/"+strconv.FormatInt(w.ids["event"], 10)+"/assign", w.tokens["mgr"],
		map[string]any{"support_contact_id": w.ids["support"]}, 200, nil)
	w.ids["paid"] = w.contract(t, false)
	w.ids["payment"] = w.payment(t, w.ids["paid"])
	w.payment(t, w.ids["paid"])
}

// payment records a payment of 100.00 on a contract and returns its id.
func (w *world) payment(t *testing.T, contractID int64) int64 {
	t.Helper()
	return w.create(t, "/api/v1/contracts/"+strconv.FormatInt(contractID, 10)+"/payments", "mgr",
		map[string]any{"amount": "100.00", "method": "cheque", "reference": "CHQ 1"})
}

// target is a valid request of one operation, as a scenario prepares it.
type target struct {
	id    int64          // the {id} of the path; 0 when it has none
	pid   int64          // the {pid} of the path (a payment); 0 when it has none
	body  map[string]any // a valid body; nil when the operation takes none
	token string         // a session of its own, instead of the scenario's who
}

// scenario is how to make a valid request of one operation.
type scenario struct {
	// who sends it: an employee key of world.tokens; "" for a public route.
	who string
	// prepare returns a valid request. fresh asks for a target the request
	// may change or use up (an employee to delete, a session to end): it is
	// set for the variations that must succeed. Otherwise the target may be
	// shared, as a refused request changes nothing.
	prepare func(t *testing.T, w *world, fresh bool) target
	// anyQuery: the route reads or ignores its query string itself (the
	// operations routes), so an unknown parameter is not refused.
	anyQuery bool
}

func none(*testing.T, *world, bool) target { return target{} }

// id returns a prepare that targets the shared record key.
func id(key string) func(*testing.T, *world, bool) target {
	return func(_ *testing.T, w *world, _ bool) target { return target{id: w.ids[key]} }
}

// scenarios has a case for every operation of the document, by operationId.
var scenarios = map[string]scenario{
	"login": {who: "", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"email": "sales@epic.example", "password": contractPassword}}
	}},
	"refresh": {who: "", prepare: func(t *testing.T, w *world, fresh bool) target {
		tok := w.shared.refresh
		if fresh {
			_, tok = w.login(t, "support2@epic.example")
		}
		return target{body: map[string]any{"refresh_token": tok}}
	}},
	"logout": {who: "support2", prepare: func(t *testing.T, w *world, fresh bool) target {
		if !fresh {
			return target{}
		}
		tok, _ := w.login(t, "support2@epic.example")
		return target{token: tok}
	}},
	"me": {who: "sales", prepare: none},
	"changePassword": {who: "pwuser", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{body: map[string]any{"current_password": contractPassword, "new_password": w.unique("a passphrase of my own, number ")}}
		if fresh {
			id := w.employee(t, "", "SALES")
			var e struct{ Email string }
			w.call(t, "GET", "/api/v1/employees/"+strconv.FormatInt(id, 10), w.tokens["mgr"], nil, 200, &e)
			tg.token, _ = w.login(t, e.Email)
		}
		return tg
	}},
	"listEmployees": {who: "sales", prepare: none},
	"createEmployee": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"first_name": "Bill", "last_name": "Boquet", "email": w.unique("bill") + "@epic.example",
			"role": "SALES", "password": contractPassword}}
	}},
	"checkCreateEmployee": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"first_name": "Bill", "last_name": "Boquet", "email": w.unique("bill") + "@epic.example",
			"role": "SALES"}}
	}},
	"getEmployee": {who: "support", prepare: id("sales")},
	"updateEmployee": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{id: w.ids["spare"], body: map[string]any{"first_name": "Aliénor", "last_name": "Vichum",
			"email": w.unique("spare") + "@epic.example", "role": "SUPPORT"}}
	}},
	"deleteEmployee": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		if fresh {
			return target{id: w.employee(t, "", "SUPPORT")}
		}
		return target{id: w.ids["keeper"]}
	}},
	"deactivateEmployee": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["keeper"], body: map[string]any{"reassign_to": w.ids["support2"]}}
		if fresh {
			tg.id = w.employee(t, "", "SUPPORT")
		}
		return tg
	}},
	"reactivateEmployee": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		if !fresh {
			return target{id: w.ids["dormant"]}
		}
		id := w.employee(t, "", "SUPPORT")
		w.call(t, "POST", "/api/v1/employees/"+strconv.FormatInt(id, 10)+"/deactivate", w.tokens["mgr"], nil, 200, nil)
		return target{id: id}
	}},
	"setEmployeePassword": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{id: w.ids["spare"], body: map[string]any{"password": w.unique("a temporary passphrase, number ")}}
	}},
	"checkSetEmployeePassword": {who: "mgr", prepare: id("spare")},
	"listClients":              {who: "sales", prepare: none},
	"createClient": {who: "sales", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"first_name": "John", "last_name": "Ouick", "email": w.unique("john") + "@ouick.example",
			"phone": "+1 234 567 8901", "company_name": "Ouick"}}
	}},
	"getClient": {who: "support", prepare: id("client")},
	"updateClient": {who: "sales", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{id: w.ids["client"], body: map[string]any{"first_name": "Kevin", "last_name": "Casey",
			"email": w.unique("kevin") + "@startup.example", "phone": "+678 123 456 78", "company_name": "Cool Startup LLC"}}
	}},
	"reassignClient": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["client2"], body: map[string]any{"sales_contact_id": w.ids["sales2"]}}
		if fresh {
			tg.id = w.client(t)
		}
		return tg
	}},
	"listContracts": {who: "sales", prepare: none},
	"createContract": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"client_id": w.ids["client"], "total_amount": "1500.00", "amount_due": "500.00", "signed": false}}
	}},
	"getContract": {who: "support", prepare: id("signed")},
	"updateContract": {who: "sales", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["unsigned"], body: map[string]any{"total_amount": "2000.00", "amount_due": "1000.00"}}
		if fresh {
			tg.id = w.contract(t, false)
		}
		return tg
	}},
	"signContract": {who: "sales", prepare: func(t *testing.T, w *world, fresh bool) target {
		if fresh {
			return target{id: w.contract(t, false)}
		}
		return target{id: w.ids["unsigned"]}
	}},
	"reassignContract": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["unsigned"], body: map[string]any{"sales_contact_id": w.ids["sales2"]}}
		if fresh {
			tg.id = w.contract(t, false)
		}
		return tg
	}},
	"listEvents": {who: "sales", prepare: none},
	"createEvent": {who: "sales", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{body: map[string]any{"contract_id": w.ids["signed"], "name": "John Ouick Wedding",
			"start": eventStart.Format(time.RFC3339), "end": eventStart.Add(13 * time.Hour).Format(time.RFC3339),
			"location": "53 Rue du Château, 41120 Candé-sur-Beuvron, France", "attendees": 75,
			"notes": "Wedding starts at 3PM, by the river."}}
	}},
	"getEvent": {who: "support", prepare: id("event")},
	"updateEvent": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{id: w.ids["event"], body: map[string]any{"name": "John Ouick Wedding", "start": eventStart.Format(time.RFC3339),
			"end": eventStart.Add(13 * time.Hour).Format(time.RFC3339), "location": "Candé-sur-Beuvron", "attendees": 80,
			"notes": "Kate needs to organize the DJ for after party."}}
	}},
	"assignSupport": {who: "mgr", prepare: func(_ *testing.T, w *world, _ bool) target {
		return target{id: w.ids["event2"], body: map[string]any{"support_contact_id": w.ids["support"]}}
	}},
	"unassignSupport": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		if !fresh {
			return target{id: w.ids["event"]}
		}
		id := w.event(t)
		w.call(t, "POST", "/api/v1/events/"+strconv.FormatInt(id, 10)+"/assign", w.tokens["mgr"],
			map[string]any{"support_contact_id": w.ids["support"]}, 200, nil)
		return target{id: id}
	}},
	"listPayments": {who: "support", prepare: id("paid")},
	"recordPayment": {who: "sales", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["paid"], body: map[string]any{"amount": "10.00", "method": "card",
			"reference": "VISA 4242", "received_on": time.Now().Format(time.DateOnly)}}
		if fresh {
			tg.id = w.contract(t, false)
		}
		return tg
	}},
	"refundPayment": {who: "mgr", prepare: func(t *testing.T, w *world, fresh bool) target {
		tg := target{id: w.ids["paid"], pid: w.ids["payment"], body: map[string]any{"amount": "1.00", "reason": "a goodwill gesture"}}
		if fresh {
			tg.id = w.contract(t, false)
			tg.pid = w.payment(t, tg.id)
		}
		return tg
	}},
	"listAudit": {who: "mgr", prepare: none},
	"openapi":   {prepare: none, anyQuery: true},
	"healthz":   {prepare: none, anyQuery: true},
	"readyz":    {prepare: none, anyQuery: true},
	"metrics":   {prepare: none, anyQuery: true},
}

// variation is one request derived from the valid one, and what it must get.
type variation struct {
	name  string
	fresh bool // prepare a target the request may use up (it must succeed)
	want  int
	field string // a 4xx must name this field in its errors
	msg   string // and say this of it, when set
	// target edits the valid target (its body) before the request is made;
	// request edits the request made.
	target  func(*target)
	request func(*request)
}

// variations derives, from the document, the requests the operation must
// answer and how.
func (w *world) variations(t *testing.T, o operation, sc scenario) []variation {
	ok := o.success(t)
	vs := []variation{{name: "valid", fresh: true, want: ok}}
	if o.secured() {
		vs = append(vs, variation{name: "without an access token", want: 401,
			request: func(r *request) { r.header.Del("Authorization") }})
	}
	if strings.Contains(o.path, "{id}") {
		vs = append(vs, variation{name: "id 0", want: 400, field: "id",
			request: func(r *request) { r.path = withID(o.path, "0") }})
		if o.documents(404) {
			vs = append(vs, variation{name: "unknown id", want: 404,
				request: func(r *request) { r.path = withID(o.path, "999999999") }})
		}
	}
	if body := o.body(); body != nil {
		for _, f := range body.Required {
			vs = append(vs, variation{name: "without " + f, want: 422, field: f, msg: "is required",
				target: func(tg *target) { delete(tg.body, f) }})
		}
		names := make([]string, 0, len(body.Properties))
		for name := range body.Properties {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			s := body.Properties[name].Value
			if nullable(s) {
				vs = append(vs, variation{name: name + " null", fresh: true, want: ok,
					target: func(tg *target) { tg.body[name] = nil }})
			} else {
				vs = append(vs, variation{name: name + " null", want: 422, field: name, msg: "must not be null",
					target: func(tg *target) { tg.body[name] = nil }})
			}
			if n := maxLength(s); n > 0 {
				vs = append(vs, variation{name: name + " over its maxLength", want: 422, field: name,
					target: func(tg *target) { tg.body[name] = strings.Repeat("a", n+1) }})
			}
		}
		vs = append(vs,
			variation{name: "an unknown field", want: 400, field: "unknown_field",
				target: func(tg *target) { tg.body["unknown_field"] = true }},
			variation{name: "not JSON", want: 400,
				request: func(r *request) { r.header.Set("Content-Type", "text/plain") }},
			variation{name: "not an object", want: 400,
				request: func(r *request) { r.body = []byte(`[]`) }})
		if o.documents(413) {
			vs = append(vs, variation{name: "over 1 MiB", want: 413,
				request: func(r *request) {
					r.body = []byte(`{"unknown_field":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`)
				}})
		}
		if !o.op.RequestBody.Value.Required {
			vs = append(vs, variation{name: "without a body", fresh: true, want: ok,
				request: func(r *request) { r.body = nil; r.header.Del("Content-Type") }})
		}
	}
	if params := o.query(); len(params) > 0 {
		all := url.Values{}
		for _, p := range params {
			if v, ok := exampleValue(p); ok {
				all.Set(p.Name, v)
			}
		}
		vs = append(vs,
			variation{name: "every filter", want: ok, request: func(r *request) { r.query = all }},
			variation{name: "an unknown parameter", want: 400, field: "unknown_parameter",
				request: func(r *request) { r.query = url.Values{"unknown_parameter": {"1"}} }})
		for _, p := range params {
			if n := maxLength(p.Schema.Value); n > 0 {
				vs = append(vs, variation{name: p.Name + " over its maxLength", want: 400, field: p.Name,
					request: func(r *request) { r.query = url.Values{p.Name: {strings.Repeat("a", n+1)}} }})
			}
		}
		if o.takes("query", "limit") {
			for _, l := range []string{"0", "501", "ten"} {
				vs = append(vs, variation{name: "limit " + l, want: 400, field: "limit",
					request: func(r *request) { r.query = url.Values{"limit": {l}} }})
			}
		}
	} else if !sc.anyQuery {
		vs = append(vs, variation{name: "a query parameter", want: 400,
			request: func(r *request) { r.query = url.Values{"unknown_parameter": {"1"}} }})
	}
	if o.takes("header", "Idempotency-Key") {
		vs = append(vs,
			variation{name: "Idempotency-Key", fresh: true, want: ok,
				request: func(r *request) { r.header.Set("Idempotency-Key", w.unique("key-")) }},
			variation{name: "Idempotency-Key not ASCII", want: 400, field: "Idempotency-Key",
				request: func(r *request) { r.header.Set("Idempotency-Key", "clé") }})
	}
	if o.takes("header", "If-Match") {
		vs = append(vs,
			variation{name: "If-Match stale", want: 412, request: func(r *request) { r.header.Set("If-Match", `"999999999"`) }},
			variation{name: "If-Match weak current", want: 412, request: func(r *request) { r.header.Set("If-Match", "W/"+w.etag(t, o, r)) }},
			variation{name: "If-Match unknown tags", want: 412, request: func(r *request) { r.header.Set("If-Match", `"x", ""`) }},
			variation{name: "If-Match malformed", want: 400, field: "If-Match", request: func(r *request) { r.header.Set("If-Match", "3") }},
			variation{name: "If-Match *", fresh: true, want: ok, request: func(r *request) { r.header.Set("If-Match", "*") }},
			variation{name: "If-Match a list with the current tag", fresh: true, want: ok,
				request: func(r *request) { r.header.Set("If-Match", `"999999999", W/"1", `+w.etag(t, o, r)) }})
	}
	return vs
}

// exampleValue is a valid value of a query parameter: its example in the
// document, else one made from its schema; the cursor has none (paging has
// its own case).
func exampleValue(p *openapi3.Parameter) (string, bool) {
	s := p.Schema.Value
	switch {
	case p.Name == "cursor":
		return "", false
	case p.Example != nil:
		return fmt.Sprint(p.Example), true
	case s.Example != nil:
		return fmt.Sprint(s.Example), true
	case len(s.Examples) > 0:
		return fmt.Sprint(s.Examples[0]), true
	case p.Name == "limit":
		return "2", true
	case s.Format == "email":
		return "kevin@startup.example", true
	case len(s.Enum) > 0:
		return fmt.Sprint(s.Enum[0]), true
	case s.Type.Is("boolean"):
		return "true", true
	case s.Type.Is("integer"):
		return "1", true
	case s.Format == "date-time":
		return eventStart.Format(time.RFC3339), true
	}
	return "a", true
}

func withID(path, id string) string { return strings.Replace(path, "{id}", id, 1) }

// etag reads the current ETag of the resource r is about: the path up to its
// {id}, or /me.
func (w *world) etag(t *testing.T, o operation, r *request) string {
	t.Helper()
	path := r.path
	if i := strings.Index(o.path, "{id}"); i >= 0 {
		rest := strings.TrimPrefix(o.path[i:], "{id}")
		path = strings.TrimSuffix(r.path, rest)
	}
	a := w.send(t, request{method: "GET", path: path, header: http.Header{"Authorization": r.header.Values("Authorization")}})
	if a.status != 200 || a.header.Get("ETag") == "" {
		t.Fatalf("GET %s for its ETag: %d %s", path, a.status, a.body)
	}
	return a.header.Get("ETag")
}

// check runs every variation of one operation.
func (w *world) check(t *testing.T, o operation, sc scenario) {
	for _, v := range w.variations(t, o, sc) {
		tg := sc.prepare(t, w, v.fresh)
		tg.body = maps.Clone(tg.body)
		if v.target != nil {
			v.target(&tg)
		}
		r := request{method: o.method, path: withID(o.path, strconv.FormatInt(tg.id, 10)), header: http.Header{}}
		if tok := cmp.Or(tg.token, w.tokens[sc.who]); tok != "" && o.secured() {
			r.header.Set("Authorization", "Bearer "+tok)
		}
		if tg.body != nil {
			b, err := json.Marshal(tg.body)
			if err != nil {
				t.Fatal(err)
			}
			r.body = b
			r.header.Set("Content-Type", "application/json")
		}
		if v.request != nil {
			v.request(&r)
		}
		r.path = strings.Replace(r.path, "{pid}", strconv.FormatInt(tg.pid, 10), 1)
		a := w.send(t, r)
		if a.status != v.want {
			t.Errorf("%s: %s %s → %d, want %d: %.300s", v.name, r.method, r.path, a.status, v.want, a.body)
			continue
		}
		if v.field != "" {
			checkNames(t, v, a)
		}
	}
	if o.takes("query", "limit") {
		w.checkPaging(t, o, sc)
	}
	if o.takes("header", "Idempotency-Key") {
		w.checkReplay(t, o, sc)
	}
}

// checkNames fails unless the problem names v.field (saying v.msg of it).
func checkNames(t *testing.T, v variation, a answer) {
	t.Helper()
	var p httpapi.Problem
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Errorf("%s: the answer is not a problem: %s", v.name, a.body)
		return
	}
	for _, e := range p.Errors {
		if e.Field == v.field && (v.msg == "" || e.Message == v.msg) {
			return
		}
	}
	t.Errorf("%s: the problem does not name %s (%q): %s", v.name, v.field, v.msg, a.body)
}

// checkPaging follows the list's next cursor at limit=1: the seed made two
// of everything, so there is always a second page.
func (w *world) checkPaging(t *testing.T, o operation, sc scenario) {
	path := withID(o.path, strconv.FormatInt(sc.prepare(t, w, false).id, 10))
	r := request{method: "GET", path: path, query: url.Values{"limit": {"1"}}, header: http.Header{}}
	r.header.Set("Authorization", "Bearer "+w.tokens[sc.who])
	var page struct{ Next *string }
	a := w.send(t, r)
	if a.status != 200 || json.Unmarshal(a.body, &page) != nil || page.Next == nil {
		t.Errorf("%s?limit=1: %d %.300s, want 200 with a next cursor", path, a.status, a.body)
		return
	}
	r.query.Set("cursor", *page.Next)
	if a := w.send(t, r); a.status != 200 {
		t.Errorf("%s?limit=1&cursor=…: %d %.300s", path, a.status, a.body)
	}
}

// checkReplay sends a valid request twice with one Idempotency-Key: the
// second answer is the first, status and body.
func (w *world) checkReplay(t *testing.T, o operation, sc scenario) {
	tg := sc.prepare(t, w, true)
	b, err := json.Marshal(tg.body)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.Replace(withID(o.path, strconv.FormatInt(tg.id, 10)), "{pid}", strconv.FormatInt(tg.pid, 10), 1)
	r := request{method: o.method, path: path, body: b, header: http.Header{}}
	r.header.Set("Authorization", "Bearer "+w.tokens[sc.who])
	r.header.Set("Content-Type", "application/json")
	r.header.Set("Idempotency-Key", w.unique("contract-test-key-"))
	first, again := w.send(t, r), w.send(t, r)
	if first.status != o.success(t) || again.status != first.status || !bytes.Equal(again.body, first.body) {
		t.Errorf("%s %s twice with one Idempotency-Key: %d %.300s, then %d %.300s", o.method, path,
			first.status, first.body, again.status, again.body)
	}
}
