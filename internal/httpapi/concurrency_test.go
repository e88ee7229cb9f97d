package httpapi

// Concurrency: many clients racing for the same row, email
// or refresh token, against real HTTP servers on loopback. On PostgreSQL the
// requests are spread over two servers, each with its own Service, Store and
// connection pool on one database, as two `epicevents serve` processes would
// be; on SQLite over two pools on one file, as two processes would be. Run
// with -race.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi/openapitest"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// rigOptions tune newRig.
type rigOptions struct {
	servers int              // how many independent servers share the database; 1 when 0
	hasher  *auth.Hasher     // nil: cheap test parameters
	config  *crm.Config      // nil: the throttle of newAPITest (3 per 15 minutes)
	now     func() time.Time // the service's clock; nil: time.Now
}

// rigKey is the signing key every server of a rig shares, as several serve
// processes share EPICEVENTS_JWT_SECRET.
var rigKey = []byte(strings.Repeat("k", 32))

// newRig is newAPITest over servers that share one fresh database, each with
// its own connection pool, Service and JWT. It returns one apiTest per
// server; they share the employees, ids and tokens, set up through the first.
func newRig(t *testing.T, engine string, o rigOptions) []*apiTest {
	t.Helper()
	if o.servers == 0 {
		o.servers = 1
	}
	ctx := context.Background()
	url := testdb.URL(t, engine)
	spec := openapitest.Load(t)
	logs := &syncBuffer{}
	var out []*apiTest
	for i := range o.servers {
		db, err := sqlstore.Open(ctx, url)
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			if _, err := db.MigrateUp(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
		}
		jwt, err := auth.NewJWT([][]byte{rigKey}, 15*time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		hasher := o.hasher
		if hasher == nil {
			hasher = auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
		}
		cfg := crm.Config{ThrottleMax: 3, ThrottleWindow: 15 * time.Minute}
		if o.config != nil {
			cfg = *o.config
		}
		svc := crm.NewService(crm.Deps{Store: db, Hasher: hasher, Tokens: jwt, Refresh: auth.RefreshTokens{},
			IsCommonPassword: auth.IsCommonPassword, Config: cfg, Now: o.now})
		srv := NewServer(svc, ServerOptions{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Ready: db.Ping,
			DBStats: db.SQL().Stats})
		a := &apiTest{t: t, srv: srv, svc: svc, db: db, logs: logs, ids: map[string]int64{}, token: map[string]string{}}
		if i > 0 {
			a.ids, a.token = out[0].ids, out[0].token
		}
		a.ts = httptest.NewServer(srv.Handler())
		t.Cleanup(a.ts.Close)
		a.checked = &http.Client{Transport: spec.Transport(t, a.ts.Client().Transport)}
		out = append(out, a)
	}

	a := out[0]
	boss, err := a.svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "mgr@epic.example", Password: srvPassword})
	if err != nil {
		t.Fatal(err)
	}
	a.ids["mgr"] = boss.ID
	a.token["mgr"] = a.login("mgr@epic.example")
	for _, e := range []struct {
		key, first, last string
		role             crm.Role
	}{
		{"sales", "Bill", "Boquet", crm.RoleSales},
		{"sales2", "Sam", "Seller", crm.RoleSales},
		{"support", "Kate", "Hastroff", crm.RoleSupport},
		{"support2", "Sue", "Porter", crm.RoleSupport},
	} {
		var emp crm.Employee
		a.do("POST", "/api/v1/employees", "mgr", crm.NewEmployee{FirstName: e.first, LastName: e.last,
			Email: e.key + "@epic.example", Role: e.role, Password: srvPassword}).decode(t, http.StatusCreated, &emp)
		a.ids[e.key] = emp.ID
		a.token[e.key] = a.login(e.key + "@epic.example")
	}
	return out
}

// hit sends one request without touching t, for goroutines: body is a JSON
// value (nil for none), token the raw access token ("" for none), hdr name/value
// pairs.
func hit(client *http.Client, base, method, path, token string, body any, hdr ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// race sends n requests at once, the i-th to servers[i % len(servers)], once
// all are ready, and returns their statuses and bodies.
func race(t *testing.T, servers []*apiTest, n int, req func(i int) (method, path, token string, body any, hdr []string)) ([]int, [][]byte) {
	t.Helper()
	statuses, bodies := make([]int, n), make([][]byte, n)
	errs := make([]error, n)
	// Own transports with room for every request at once.
	clients := make([]*http.Client, len(servers))
	for i := range clients {
		clients[i] = &http.Client{Timeout: 60 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
		t.Cleanup(clients[i].CloseIdleConnections)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, path, token, body, hdr := req(i)
			s := i % len(servers)
			<-start
			statuses[i], bodies[i], errs[i] = hit(clients[s], servers[s].ts.URL, method, path, token, body, hdr...)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	return statuses, bodies
}

// tally counts statuses and fails on any outside want, showing a body of each.
func tally(t *testing.T, statuses []int, bodies [][]byte, want ...int) map[int]int {
	t.Helper()
	got := map[int]int{}
	for i, s := range statuses {
		got[s]++
		ok := false
		for _, w := range want {
			ok = ok || s == w
		}
		if !ok {
			t.Errorf("request %d: status %d, want one of %v; body %s", i, s, want, bodies[i])
		}
	}
	return got
}

// auditCount counts the audit entries of action.
func (a *apiTest) auditCount(action string) int {
	a.t.Helper()
	var n int
	q := "SELECT count(*) FROM audit_entries WHERE action = '" + action + "'"
	if err := a.db.SQL().QueryRow(q).Scan(&n); err != nil {
		a.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// count counts the rows of a table.
func (a *apiTest) count(table string) int {
	a.t.Helper()
	var n int
	if err := a.db.SQL().QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		a.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestConcurrentCreateSameEmail: 30 creations of a client with one email at
// once, over two servers: exactly one 201, 29 × 409, one row, one audit entry.
func TestConcurrentCreateSameEmail(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2})
		a := servers[0]
		const n = 30
		statuses, bodies := race(t, servers, n, func(i int) (string, string, string, any, []string) {
			who := []string{"sales", "sales2"}[i%2]
			// The email differs only in case and spacing: still one client.
			emails := []string{"race@client.example", "RACE@client.example", " Race@Client.Example "}
			return "POST", "/api/v1/clients", a.token[who], crm.NewClient{FirstName: "Racer",
				LastName: strconv.Itoa(i), Email: emails[i%len(emails)]}, nil
		})
		got := tally(t, statuses, bodies, http.StatusCreated, http.StatusConflict)
		if got[http.StatusCreated] != 1 || got[http.StatusConflict] != n-1 {
			t.Fatalf("statuses %v, want one 201 and %d × 409", got, n-1)
		}
		for i, s := range statuses {
			if s == http.StatusConflict && !strings.Contains(string(bodies[i]), `"code":"conflict"`) {
				t.Fatalf("409 is not a conflict problem: %s", bodies[i])
			}
		}
		if c := a.count("clients"); c != 1 {
			t.Fatalf("%d clients, want 1", c)
		}
		if c := a.auditCount("client.create"); c != 1 {
			t.Fatalf("%d client.create audit entries, want 1", c)
		}
	})
}

// TestConcurrentPatchSameIfMatch: 30 PATCHes of one client with the same
// If-Match at once, over two servers: exactly one 200, 29 × 412, the version
// moved by one, one audit entry.
func TestConcurrentPatchSameIfMatch(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2})
		a := servers[0]
		var cl crm.Client
		r := a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.io"})
		r.decode(t, http.StatusCreated, &cl)
		etag := r.header.Get("ETag")
		path := "/api/v1/clients/" + strconv.FormatInt(cl.ID, 10)
		const n = 30
		statuses, bodies := race(t, servers, n, func(i int) (string, string, string, any, []string) {
			who := []string{"sales", "mgr"}[i%2]
			return "PATCH", path, a.token[who], crm.ClientPatch{CompanyName: ptr("Company " + strconv.Itoa(i))},
				[]string{"If-Match", etag}
		})
		got := tally(t, statuses, bodies, http.StatusOK, http.StatusPreconditionFailed)
		if got[http.StatusOK] != 1 || got[http.StatusPreconditionFailed] != n-1 {
			t.Fatalf("statuses %v, want one 200 and %d × 412", got, n-1)
		}
		winner := -1
		for i, s := range statuses {
			if s == http.StatusOK {
				winner = i
			}
		}
		r = a.do("GET", path, "support", nil)
		r.decode(t, http.StatusOK, &cl)
		if cl.CompanyName == nil || *cl.CompanyName != "Company "+strconv.Itoa(winner) {
			t.Fatalf("company %v, want the winner's (request %d)", cl.CompanyName, winner)
		}
		if want := ETag(2); r.header.Get("ETag") != want {
			t.Fatalf("ETag %s, want %s: one change only", r.header.Get("ETag"), want)
		}
		if c := a.auditCount("client.update"); c != 1 {
			t.Fatalf("%d client.update audit entries, want 1", c)
		}
	})
}

// TestConcurrentRefresh: 20 refreshes of one refresh token at once, over two
// servers: exactly one 200. The 19 others reuse a rotated token, which ends
// the whole session (the winner's new tokens die too) and is audited.
func TestConcurrentRefresh(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2})
		a := servers[0]
		var pair crm.Tokens
		a.do("POST", "/api/v1/auth/login", "", LoginRequest{Email: "sales@epic.example", Password: srvPassword}).
			decode(t, http.StatusOK, &pair)
		const n = 20
		statuses, bodies := race(t, servers, n, func(int) (string, string, string, any, []string) {
			return "POST", "/api/v1/auth/refresh", "", RefreshRequest{RefreshToken: pair.RefreshToken}, nil
		})
		got := tally(t, statuses, bodies, http.StatusOK, http.StatusUnauthorized)
		if got[http.StatusOK] != 1 || got[http.StatusUnauthorized] != n-1 {
			t.Fatalf("statuses %v, want one 200 and %d × 401", got, n-1)
		}
		var won crm.Tokens
		for i, s := range statuses {
			if s == http.StatusOK {
				if err := json.Unmarshal(bodies[i], &won); err != nil {
					t.Fatal(err)
				}
			}
		}
		if won.RefreshToken == "" || won.RefreshToken == pair.RefreshToken {
			t.Fatalf("the winner got %+v", won)
		}
		// The reuse revoked the session: every token of it is dead.
		a.checkUnauthorized(a.do("GET", "/api/v1/me", won.AccessToken, nil), `Bearer error="invalid_token"`)
		a.checkUnauthorized(a.do("GET", "/api/v1/me", pair.AccessToken, nil), `Bearer error="invalid_token"`)
		a.do("POST", "/api/v1/auth/refresh", "", RefreshRequest{RefreshToken: won.RefreshToken}).
			problem(t, http.StatusUnauthorized, crm.CodeUnauthenticated)
		if c := a.auditCount("auth.refresh_reuse"); c < 1 {
			t.Fatalf("%d auth.refresh_reuse audit entries, want at least 1", c)
		}
		// Other sessions are untouched.
		a.do("GET", "/api/v1/me", "sales", nil).expect(t, http.StatusOK)
	})
}

// TestConcurrentMixedWrites: creations, patches and reads of many clients at
// once over two servers: no 500, no 503 ("database is locked", serialization
// failures), and every change has its audit entry.
func TestConcurrentMixedWrites(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2})
		a := servers[0]
		var cl crm.Client
		a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Base", LastName: "Client", Email: "base@client.example"}).
			decode(t, http.StatusCreated, &cl)
		path := "/api/v1/clients/" + strconv.FormatInt(cl.ID, 10)
		const n = 40
		statuses, bodies := race(t, servers, n, func(i int) (string, string, string, any, []string) {
			switch i % 4 {
			case 0, 1:
				return "POST", "/api/v1/clients", a.token["sales"], crm.NewClient{FirstName: "Many",
					LastName: strconv.Itoa(i), Email: fmt.Sprintf("many%d@client.example", i)}, nil
			case 2:
				return "PATCH", path, a.token["sales"], crm.ClientPatch{LastName: ptr("Patched" + strconv.Itoa(i))}, nil
			}
			return "GET", "/api/v1/clients?limit=5", a.token["support"], nil, nil
		})
		got := tally(t, statuses, bodies, http.StatusOK, http.StatusCreated)
		if got[http.StatusCreated] != n/2 {
			t.Fatalf("statuses %v", got)
		}
		if c, want := a.count("clients"), 1+n/2; c != want {
			t.Fatalf("%d clients, want %d", c, want)
		}
		if c, want := a.auditCount("client.create"), 1+n/2; c != want {
			t.Fatalf("%d client.create audit entries, want %d", c, want)
		}
		if c, want := a.auditCount("client.update"), n/4; c != want {
			t.Fatalf("%d client.update audit entries, want %d", c, want)
		}
		a.do("GET", path, "support", nil).expect(t, http.StatusOK)
		if r := a.do("GET", path, "support", nil); r.header.Get("ETag") != ETag(int64(1+n/4)) {
			t.Fatalf("ETag %s after %d patches", r.header.Get("ETag"), n/4)
		}
	})
}

// TestConcurrentContractWritesOneSalesRep: payments, signatures and new
// contracts of one sales rep at once, over two servers. Each write updates
// the rep's row of the report totals (and the row of its hour of signing) in
// its transaction, so they queue on it: every request still succeeds, and
// the totals equal a recomputation from the contracts.
func TestConcurrentContractWritesOneSalesRep(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		servers := newRig(t, engine, rigOptions{servers: 2})
		a := servers[0]
		var cl crm.Client
		a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Hot", LastName: "Row", Email: "hot@row.example"}).
			decode(t, http.StatusCreated, &cl)
		const n = 30
		ids := make([]int64, n)
		for i := range ids {
			var k crm.Contract
			a.do("POST", "/api/v1/contracts", "mgr", crm.NewContract{ClientID: cl.ID, TotalAmount: crm.Cents(1000 + i)}).
				decode(t, http.StatusCreated, &k)
			ids[i] = k.ID
		}
		statuses, bodies := race(t, servers, n, func(i int) (string, string, string, any, []string) {
			path := "/api/v1/contracts/" + strconv.FormatInt(ids[i], 10)
			switch i % 3 {
			case 0:
				return "PATCH", path, a.token["mgr"], crm.ContractPatch{AmountDue: ptr(crm.Cents(i))}, nil
			case 1:
				return "POST", path + "/sign", a.token["mgr"], nil, nil
			}
			return "POST", "/api/v1/contracts", a.token["mgr"], crm.NewContract{ClientID: cl.ID, TotalAmount: 500, Signed: true}, nil
		})
		tally(t, statuses, bodies, http.StatusOK, http.StatusCreated)
		for _, q := range [][2]string{
			{"SELECT count(*), sum(amount_due) FROM contracts WHERE amount_due > 0",
				"SELECT sum(contracts), sum(amount_due) FROM contract_due_totals"},
			{"SELECT count(*), sum(total_amount) FROM contracts WHERE signed_at IS NOT NULL",
				"SELECT sum(contracts), sum(total) FROM contract_signed_totals"},
		} {
			var want, got [2]int64
			if err := a.db.SQL().QueryRow(q[0]).Scan(&want[0], &want[1]); err != nil {
				t.Fatal(err)
			}
			if err := a.db.SQL().QueryRow(q[1]).Scan(&got[0], &got[1]); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s = %v; from the contracts %v", q[1], got, want)
			}
		}
	})
}
