package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

func TestNormalizeServerURL(t *testing.T) {
	ok := []struct{ in, want string }{
		{"https://crm.example.com", "https://crm.example.com"},
		{"  HTTPS://CRM.Example.COM/ ", "https://crm.example.com"},
		{"https://crm.example.com:443/", "https://crm.example.com"},
		{"http://localhost:80", "http://localhost"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://127.0.0.1:08080/", "http://127.0.0.1:8080"},
		{"https://crm.example.com:8443/crm/", "https://crm.example.com:8443/crm"},
		{"https://crm.example.com/api/v1/", "https://crm.example.com"},
		{"https://crm.example.com/crm/api/v1", "https://crm.example.com/crm"},
		{"http://[::1]:8080", "http://[::1]:8080"},
	}
	for _, c := range ok {
		got, err := NormalizeServerURL(c.in)
		if err != nil || got != c.want {
			t.Errorf("NormalizeServerURL(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := []string{"", "crm.example.com", "ftp://crm.example.com", "https://", "https://user:pw@crm.example.com",
		"https://crm.example.com/?x=1", "https://crm.example.com/#top", "https://crm.example.com:99999", "https://crm.example.com:",
		"://x", "mailto:ada@example.com"}
	for _, in := range bad {
		got, err := NormalizeServerURL(in)
		if crm.ErrorCode(err) != crm.CodeInvalid {
			t.Errorf("NormalizeServerURL(%q) = %q, %v; want an invalid error", in, got, err)
		}
		if strings.Contains(in, "pw") && err != nil && strings.Contains(err.Error(), "pw@") {
			// the refusal quotes the input; a password in it is the user's own
			// typing, but say so if that ever changes
			t.Logf("note: the error quotes the URL: %v", err)
		}
	}
}

// fake starts a server whose API routes are handled by h.
func fake(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func problem(w http.ResponseWriter, status int, p Problem, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	w.Header().Set("Content-Type", ProblemType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func TestClientDecodesProblems(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    crm.Error
	}{
		{"code and detail", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 404, Problem{Status: 404, Code: crm.CodeNotFound, Detail: "client 9 not found; list them with `epicevents clients list`"})
		}, crm.Error{Code: crm.CodeNotFound, Message: "client 9 not found; list them with `epicevents clients list`"}},
		{"fields", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 422, Problem{Status: 422, Code: crm.CodeInvalid, Detail: "invalid email: is not an email",
				Errors: []crm.FieldError{{Field: "email", Message: "is not an email"}}})
		}, crm.Error{Code: crm.CodeInvalid, Message: "invalid email: is not an email",
			Fields: []crm.FieldError{{Field: "email", Message: "is not an email"}}}},
		{"reason", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 401, Problem{Status: 401, Code: crm.CodeUnauthenticated, Reason: "password_change", Detail: "change it"})
		}, crm.Error{Code: crm.CodeUnauthenticated, Reason: "password_change", Message: "change it"}},
		{"retry after from the body", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 429, Problem{Status: 429, Code: crm.CodeThrottled, Detail: "too many", RetryAfter: 42}, "Retry-After", "42")
		}, crm.Error{Code: crm.CodeThrottled, Message: "too many", RetryAfter: 42}},
		{"retry after from the header", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 429, Problem{Status: 429, Detail: "too many"}, "Retry-After", "7")
		}, crm.Error{Code: crm.CodeThrottled, Message: "too many", RetryAfter: 7}},
		{"no code: from the status", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 409, Problem{Status: 409, Detail: "already signed"})
		}, crm.Error{Code: crm.CodeConflict, Message: "already signed"}},
		{"unknown code: from the status", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 412, Problem{Status: 412, Code: "whatever", Detail: "changed"})
		}, crm.Error{Code: crm.CodeStale, Message: "changed"}},
		{"malformed request", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 400, Problem{Status: 400, Code: crm.CodeInvalid, Detail: "limit: must be 1 to 500"})
		}, crm.Error{Code: crm.CodeInvalid, Message: "limit: must be 1 to 500"}},
		{"database down", func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 503, Problem{Status: 503, Code: crm.CodeUnavailable, Detail: "the database cannot be reached; try again later"})
		}, crm.Error{Code: crm.CodeUnavailable, Message: "the database cannot be reached; try again later"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fake(t, c.handler).GetClient(context.Background(), 9)
			e, ok := crm.AsError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want a *crm.Error", err, err)
			}
			if e.Code != c.want.Code || e.Message != c.want.Message || e.Reason != c.want.Reason ||
				e.RetryAfter != c.want.RetryAfter || fmt.Sprint(e.Fields) != fmt.Sprint(c.want.Fields) {
				t.Errorf("err = %+v, want %+v", *e, c.want)
			}
		})
	}
}

func TestClientUnexpectedAnswers(t *testing.T) {
	t.Run("html from a proxy: unavailable", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(502)
			fmt.Fprint(w, "<html>Bad Gateway</html>")
		})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeUnavailable || !strings.Contains(err.Error(), c.BaseURL()) {
			t.Errorf("err = %v, want unavailable naming the server", err)
		}
	})
	t.Run("not json: internal, not a crm error", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "hello")
		})
		_, err := c.Me(context.Background())
		if _, ok := crm.AsError(err); ok || err == nil {
			t.Errorf("err = %v, want a plain error", err)
		}
	})
	t.Run("truncated json", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id": 1, "first_na`)
		})
		_, err := c.Me(context.Background())
		if _, ok := crm.AsError(err); ok || err == nil {
			t.Errorf("err = %v, want a plain error", err)
		}
	})
	t.Run("server error keeps the reference", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 500, Problem{Status: 500, Code: crm.CodeInternal, Detail: "internal error (reference abc123)", RequestID: "abc123"})
		})
		_, err := c.Me(context.Background())
		var se *ServerError
		if !errors.As(err, &se) || se.Reference() != "abc123" {
			t.Fatalf("err = %v (%T), want a *ServerError with reference abc123", err, err)
		}
		if _, ok := crm.AsError(err); ok {
			t.Errorf("a server error must not be a *crm.Error, so that the CLI reports an internal error")
		}
	})
	t.Run("redirect is not followed", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.example/api/v1/me", http.StatusFound)
		})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeInvalid || !strings.Contains(err.Error(), "elsewhere.example") {
			t.Errorf("err = %v, want invalid naming the redirect", err)
		}
	})
}

func TestClientUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	c, err := NewClient("http://"+addr+"/", ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Login(context.Background(), "ada@example.com", "secret secret secret")
	e, ok := crm.AsError(err)
	if !ok || e.Code != crm.CodeUnavailable {
		t.Fatalf("err = %v, want CodeUnavailable", err)
	}
	want := "the server at http://" + addr + " cannot be reached; check the address or try again later"
	if e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
	if strings.Contains(e.Message, "secret") {
		t.Errorf("the message leaks the password: %q", e.Message)
	}

	t.Run("unknown host", func(t *testing.T) {
		c, _ := NewClient("https://no-such-host.invalid", ClientOptions{})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeUnavailable {
			t.Errorf("err = %v, want CodeUnavailable", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-block:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(block)
		c, _ := NewClient(srv.URL, ClientOptions{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeUnavailable {
			t.Errorf("err = %v, want CodeUnavailable", err)
		}
	})
	t.Run("a plain-HTTP server given as https", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		defer srv.Close()
		c, _ := NewClient(strings.Replace(srv.URL, "http:", "https:", 1), ClientOptions{})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeUnavailable {
			t.Errorf("err = %v, want CodeUnavailable", err)
		}
	})
	t.Run("an untrusted certificate", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.NotFoundHandler())
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
		srv.StartTLS()
		defer srv.Close()
		c, _ := NewClient(srv.URL, ClientOptions{})
		_, err := c.Me(context.Background())
		if crm.ErrorCode(err) != crm.CodeUnavailable || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("err = %v, want CodeUnavailable about the certificate", err)
		}
	})
}

func TestClientSendsTokenAndJSON(t *testing.T) {
	var got *http.Request
	var body map[string]any
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprint(w, `{"id":7,"first_name":"Kim","last_name":"Lee","email":"kim@example.com","phone":null,"company_name":"Acme",
			"sales_contact_id":2,"sales_contact_name":"Bill Boyd","created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:04:05Z"}`)
	})
	ctx := crm.WithAccessToken(context.Background(), "tok-123")
	company := "Acme"
	cl, err := c.CreateClient(ctx, crm.NewClient{FirstName: "Kim", LastName: "Lee", Email: "kim@example.com", CompanyName: &company})
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != 7 || cl.CompanyName == nil || *cl.CompanyName != "Acme" || cl.Phone != nil || cl.SalesContactName != "Bill Boyd" {
		t.Errorf("client = %+v", cl)
	}
	if got.Method != "POST" || got.URL.Path != "/api/v1/clients" {
		t.Errorf("request = %s %s", got.Method, got.URL.Path)
	}
	if h := got.Header.Get("Authorization"); h != "Bearer tok-123" {
		t.Errorf("Authorization = %q", h)
	}
	if h := got.Header.Get("Content-Type"); h != "application/json" {
		t.Errorf("Content-Type = %q", h)
	}
	if body["first_name"] != "Kim" || body["company_name"] != "Acme" || body["phone"] != nil {
		t.Errorf("body = %v", body)
	}

	// Without a token in the context, no Authorization header at all.
	_, _ = c.Login(context.Background(), "a@b.c", "pw")
	if h, ok := got.Header["Authorization"]; ok {
		t.Errorf("Authorization sent without a token: %q", h)
	}
}

func TestClientQueryParameters(t *testing.T) {
	var query string
	var path string
	c := fake(t, func(w http.ResponseWriter, r *http.Request) {
		query, path = r.URL.RawQuery, r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items":[],"next":null}`)
	})
	ctx := context.Background()
	id := func(v int64) *int64 { return &v }
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, paris)
	to := time.Date(2026, 6, 30, 23, 59, 59, 0, paris)
	role := crm.Role(" sales") // written as the document says: upper case
	nop := func(any) error { return nil }
	cases := []struct {
		call      func() error
		path, raw string
	}{
		{func() error {
			_, err := c.ListEmployees(ctx, crm.EmployeeFilter{Role: &role, All: true}, func(crm.Employee) error { return nil })
			return err
		}, "/api/v1/employees", "all=true&limit=500&role=SALES"},
		{func() error {
			_, err := c.ListClients(ctx, crm.ClientFilter{Mine: true, SalesContactID: id(3), Search: "o'b & co", Page: crm.Page{Limit: 20}},
				func(v crm.Client) error { return nop(v) })
			return err
		}, "/api/v1/clients", "limit=20&mine=true&sales_contact_id=3&search=o%27b+%26+co"},
		{func() error {
			_, err := c.ListContracts(ctx, crm.ContractFilter{Unsigned: true, Unpaid: true, ClientID: id(4), Page: crm.Page{Limit: 1000}},
				func(v crm.Contract) error { return nop(v) })
			return err
		}, "/api/v1/contracts", "client_id=4&limit=500&unpaid=true&unsigned=true"},
		{func() error {
			_, err := c.ListEvents(ctx, crm.EventFilter{WithoutSupport: true, ContractID: id(5), From: &from, To: &to, Page: crm.Page{Limit: 100}},
				func(v crm.Event) error { return nop(v) })
			return err
		}, "/api/v1/events", "contract_id=5&from=2026-05-31T22%3A00%3A00Z&limit=100&to=2026-06-30T21%3A59%3A59Z&without_support=true"},
		{func() error {
			_, err := c.ListAudit(ctx, crm.AuditFilter{Entity: "client", EntityID: id(6), ActorID: id(1), Page: crm.Page{Limit: 10, Cursor: "abc"}},
				func(v crm.AuditEntry) error { return nop(v) })
			return err
		}, "/api/v1/audit", "actor_id=1&cursor=abc&entity=client&entity_id=6&limit=10"},
	}
	for _, tc := range cases {
		if err := tc.call(); err != nil {
			t.Fatal(err)
		}
		if path != tc.path || query != tc.raw {
			t.Errorf("GET %s?%s, want %s?%s", path, query, tc.path, tc.raw)
		}
	}
}

// pager serves total numbered clients in pages, with the cursor being the
// offset, and records the limits asked.
type pager struct {
	total int
	mu    sync.Mutex
	asked []string // "limit@offset"
	log   *[]string
}

func (p *pager) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit, err := strconv.Atoi(r.URL.Query().Get(qLimit))
	if err != nil || limit < 1 || limit > MaxLimit {
		problem(w, 400, Problem{Status: 400, Code: crm.CodeInvalid, Detail: "limit: must be 1 to 500"})
		return
	}
	off, _ := strconv.Atoi(r.URL.Query().Get(qCursor))
	p.mu.Lock()
	p.asked = append(p.asked, fmt.Sprintf("%d@%d", limit, off))
	if p.log != nil {
		*p.log = append(*p.log, fmt.Sprintf("page@%d", off))
	}
	p.mu.Unlock()
	page := Page[crm.Client]{Items: []crm.Client{}}
	for i := off; i < min(off+limit, p.total); i++ {
		page.Items = append(page.Items, crm.Client{ID: int64(i + 1), FirstName: "C", LastName: strconv.Itoa(i + 1)})
	}
	if off+limit < p.total {
		n := strconv.Itoa(off + limit)
		page.Next = &n
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}

func TestClientPagination(t *testing.T) {
	cases := []struct {
		total, limit int
		wantRows     int
		wantNext     bool
		wantAsked    string
	}{
		{1234, 0, 1234, false, "500@0 500@500 500@1000"},
		{1234, 700, 700, true, "500@0 200@500"},
		{1234, 1234, 1234, false, "500@0 500@500 234@1000"},
		{1000, 1000, 1000, false, "500@0 500@500"},
		{1001, 1000, 1000, true, "500@0 500@500"},
		{3, 100, 3, false, "100@0"},
		{0, 100, 0, false, "100@0"},
		{0, 0, 0, false, "500@0"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d rows, limit %d", tc.total, tc.limit), func(t *testing.T) {
			p := &pager{total: tc.total}
			c := fake(t, p.ServeHTTP)
			var ids []int64
			next, err := c.ListClients(context.Background(), crm.ClientFilter{Page: crm.Page{Limit: tc.limit}}, func(v crm.Client) error {
				ids = append(ids, v.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != tc.wantRows {
				t.Errorf("got %d rows, want %d", len(ids), tc.wantRows)
			}
			for i, id := range ids {
				if id != int64(i+1) {
					t.Fatalf("row %d has id %d: rows lost or repeated", i, id)
				}
			}
			if (next != "") != tc.wantNext {
				t.Errorf("next = %q, want more rows: %v", next, tc.wantNext)
			}
			if got := strings.Join(p.asked, " "); got != tc.wantAsked {
				t.Errorf("pages asked %s, want %s", got, tc.wantAsked)
			}
		})
	}
}

func TestClientListStreams(t *testing.T) {
	var log []string
	p := &pager{total: 1200, log: &log}
	c := fake(t, p.ServeHTTP)
	_, err := c.ListClients(context.Background(), crm.ClientFilter{}, func(v crm.Client) error {
		if v.ID%500 == 1 {
			log = append(log, fmt.Sprintf("row %d", v.ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each page's rows are emitted before the next page is asked for.
	want := "page@0 row 1 page@500 row 501 page@1000 row 1001"
	if got := strings.Join(log, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}

	t.Run("an emit error stops the list", func(t *testing.T) {
		p := &pager{total: 1200}
		c := fake(t, p.ServeHTTP)
		stop := errors.New("stop")
		n := 0
		_, err := c.ListClients(context.Background(), crm.ClientFilter{}, func(crm.Client) error {
			if n++; n == 10 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 10 || len(p.asked) != 1 {
			t.Errorf("err = %v after %d rows and %d pages; want the emit error after 10 rows, 1 page", err, n, len(p.asked))
		}
	})
	t.Run("items after next, unknown members skipped", func(t *testing.T) {
		c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"next": null, "extra": {"a": [1, 2]}, "items": [{"id": 1}, {"id": 2}]}`)
		})
		n := 0
		next, err := c.ListClients(context.Background(), crm.ClientFilter{}, func(crm.Client) error { n++; return nil })
		if err != nil || next != "" || n != 2 {
			t.Errorf("n = %d, next = %q, err = %v", n, next, err)
		}
	})
	t.Run("not a page", func(t *testing.T) {
		for _, body := range []string{`[]`, `{"next": null}`, `{"items": {}}`, `{"items": [1, 2]}`, `{"items": [], "next": "x"}`} {
			c := fake(t, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, body)
			})
			_, err := c.ListClients(context.Background(), crm.ClientFilter{}, func(crm.Client) error { return nil })
			if _, ok := crm.AsError(err); ok || err == nil {
				t.Errorf("%s: err = %v, want a plain error", body, err)
			}
		}
	})
}

// clientRig is the real server on a fresh database of one engine, its
// service (to compare local and remote answers) and a client of it.
type clientRig struct {
	db     *sqlstore.DB
	svc    *crm.Service
	client *Client
	url    string
}

const rigPassword = "velvet orchid lantern 42"

func newClientRig(t *testing.T, engine string) *clientRig {
	t.Helper()
	ctx := context.Background()
	db := testdb.Open(t, engine)
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{
		Store:            db,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Config:           crm.Config{ThrottleMax: 3},
	})
	if _, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@epicevents.example", Password: rigPassword}); err != nil {
		t.Fatal(err)
	}
	logs := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(NewServer(svc, ServerOptions{Logger: logs, Registry: prometheus.NewRegistry()}).Handler())
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, ClientOptions{UserAgent: "epicevents/test"})
	if err != nil {
		t.Fatal(err)
	}
	return &clientRig{db: db, svc: svc, client: c, url: srv.URL}
}

// login logs in through the client and returns a context with the token.
func (r *clientRig) login(t *testing.T, email string) context.Context {
	t.Helper()
	tok, err := r.client.Login(context.Background(), email, rigPassword)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return crm.WithAccessToken(context.Background(), tok.AccessToken)
}

// same calls op on the service and through the client with the same session
// and fails unless both give the same JSON or the same error.
func same[T any](t *testing.T, r *clientRig, ctx context.Context, what string, op func(crm.API) (T, error)) T {
	t.Helper()
	local, lerr := op(r.svc)
	remote, rerr := op(r.client)
	le, _ := crm.AsError(lerr)
	re, _ := crm.AsError(rerr)
	switch {
	case (lerr == nil) != (rerr == nil):
		t.Fatalf("%s: local error %v, remote error %v", what, lerr, rerr)
	case lerr != nil && (le == nil || re == nil):
		t.Fatalf("%s: local %v (%T), remote %v (%T): want *crm.Error on both sides", what, lerr, lerr, rerr, rerr)
	case lerr != nil:
		if le.Code != re.Code || le.Error() != re.Error() || le.Reason != re.Reason ||
			fmt.Sprint(le.Fields) != fmt.Sprint(re.Fields) {
			t.Fatalf("%s:\n local  %s %q %q %v\n remote %s %q %q %v", what, le.Code, le.Error(), le.Reason, le.Fields,
				re.Code, re.Error(), re.Reason, re.Fields)
		}
	default:
		lj, _ := json.Marshal(local)
		rj, _ := json.Marshal(remote)
		if string(lj) != string(rj) {
			t.Fatalf("%s:\n local  %s\n remote %s", what, lj, rj)
		}
	}
	return remote
}

// collect lists through op and returns the rows and the next cursor.
func collect[T any](op func(crm.Emit[T]) (string, error)) ([]T, string, error) {
	var rows []T
	next, err := op(func(v T) error { rows = append(rows, v); return nil })
	return rows, next, err
}

type listed[T any] struct {
	Rows []T
	More bool
}

func sameList[T any](t *testing.T, r *clientRig, ctx context.Context, what string,
	op func(crm.API, crm.Emit[T]) (string, error)) []T {
	t.Helper()
	return same(t, r, ctx, what, func(api crm.API) (listed[T], error) {
		rows, next, err := collect(func(emit crm.Emit[T]) (string, error) { return op(api, emit) })
		return listed[T]{rows, next != ""}, err
	}).Rows
}

func TestClientAgainstServer(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		r := newClientRig(t, engine)
		bg := context.Background()
		c := r.client

		// Authentication refusals read the same as in local mode.
		same(t, r, bg, "wrong password", func(api crm.API) (crm.Tokens, error) {
			return api.Login(bg, "ada@epicevents.example", "not the password at all")
		})
		// (The CLI never calls without a token: it says "not logged in"
		// itself; the server adds how to send one.)
		if _, err := c.Me(bg); crm.ErrorCode(err) != crm.CodeUnauthenticated {
			t.Fatalf("me without a token: %v", err)
		}
		same(t, r, crm.WithAccessToken(bg, "garbage"), "me with a bad token", func(api crm.API) (crm.Employee, error) {
			return api.Me(crm.WithAccessToken(bg, "garbage"))
		})

		ada := r.login(t, "ada@epicevents.example")
		me := same(t, r, ada, "me", func(api crm.API) (crm.Employee, error) { return api.Me(ada) })
		if me.Email != "ada@epicevents.example" || me.Role != crm.RoleManagement {
			t.Fatalf("me = %+v", me)
		}

		// Employees: create, refusals with fields, update, lists.
		bill, err := c.CreateEmployee(ada, crm.NewEmployee{FirstName: "Bill", LastName: "Boyd",
			Email: "bill@epicevents.example", Role: crm.RoleSales, Password: rigPassword})
		if err != nil {
			t.Fatal(err)
		}
		kate, err := c.CreateEmployee(ada, crm.NewEmployee{FirstName: "Kate", LastName: "Kim",
			Email: "kate@epicevents.example", Role: crm.RoleSupport, Password: rigPassword})
		if err != nil {
			t.Fatal(err)
		}
		same(t, r, ada, "duplicate email", func(api crm.API) (crm.Employee, error) {
			return api.CreateEmployee(ada, crm.NewEmployee{FirstName: "B", LastName: "B",
				Email: "bill@epicevents.example", Role: crm.RoleSales, Password: rigPassword})
		})
		same(t, r, ada, "invalid employee", func(api crm.API) (crm.Employee, error) {
			return api.CreateEmployee(ada, crm.NewEmployee{FirstName: "", LastName: "B",
				Email: "not an email", Role: "BOSS", Password: "short"})
		})
		same(t, r, ada, "get employee", func(api crm.API) (crm.Employee, error) { return api.GetEmployee(ada, bill.ID) })
		same(t, r, ada, "no such employee", func(api crm.API) (crm.Employee, error) { return api.GetEmployee(ada, 9999) })
		last := "Boyd-Smith"
		if _, err := c.UpdateEmployee(ada, bill.ID, crm.EmployeePatch{LastName: &last}); err != nil {
			t.Fatal(err)
		}
		same(t, r, ada, "empty patch", func(api crm.API) (crm.Employee, error) {
			return api.UpdateEmployee(ada, bill.ID, crm.EmployeePatch{})
		})
		role := crm.RoleSales
		if got := sameList(t, r, ada, "sales employees", func(api crm.API, emit crm.Emit[crm.Employee]) (string, error) {
			return api.ListEmployees(ada, crm.EmployeeFilter{Role: &role, Page: crm.Page{Limit: 100}}, emit)
		}); len(got) != 1 || got[0].LastName != "Boyd-Smith" {
			t.Fatalf("sales employees = %+v", got)
		}
		bad := crm.Role("BOSS")
		sameList(t, r, ada, "bad role filter", func(api crm.API, emit crm.Emit[crm.Employee]) (string, error) {
			return api.ListEmployees(ada, crm.EmployeeFilter{Role: &bad, Page: crm.Page{Limit: 100}}, emit)
		})

		// Clients, contracts and events as their owners.
		billCtx := r.login(t, "bill@epicevents.example")
		phone, company := "+33 6 12 34 56 78", "Acme"
		cl, err := c.CreateClient(billCtx, crm.NewClient{FirstName: "Kevin", LastName: "Casey",
			Email: "kevin@startup.example", Phone: &phone, CompanyName: &company})
		if err != nil {
			t.Fatal(err)
		}
		if cl.Phone == nil || *cl.Phone != "+33612345678" || cl.SalesContactID != bill.ID {
			t.Fatalf("client = %+v", cl)
		}
		same(t, r, ada, "manager cannot create clients", func(api crm.API) (crm.Client, error) {
			return api.CreateClient(ada, crm.NewClient{FirstName: "X", LastName: "Y", Email: "x@y.example"})
		})
		empty := ""
		same(t, r, billCtx, "clear the phone", func(api crm.API) (crm.Client, error) {
			return api.UpdateClient(billCtx, cl.ID, crm.ClientPatch{Phone: &empty})
		})
		sameList(t, r, billCtx, "search clients", func(api crm.API, emit crm.Emit[crm.Client]) (string, error) {
			return api.ListClients(billCtx, crm.ClientFilter{Mine: true, Search: "CAS", Page: crm.Page{Limit: 10}}, emit)
		})

		due := crm.Cents(50000)
		ct, err := c.CreateContract(ada, crm.NewContract{ClientID: cl.ID, TotalAmount: 150050, AmountDue: &due})
		if err != nil {
			t.Fatal(err)
		}
		if ct.TotalAmount != 150050 || ct.AmountDue != 50000 || ct.Signed || ct.ClientName != "Kevin Casey" {
			t.Fatalf("contract = %+v", ct)
		}
		start := time.Date(2026, 6, 4, 13, 0, 0, 0, time.FixedZone("CEST", 2*3600))
		same(t, r, billCtx, "event on an unsigned contract", func(api crm.API) (crm.Event, error) {
			return api.CreateEvent(billCtx, crm.NewEvent{ContractID: ct.ID, Name: "Launch", Start: start,
				End: start.Add(4 * time.Hour), Location: "Paris", Attendees: 75})
		})
		if _, err := c.SignContract(billCtx, ct.ID); err != nil {
			t.Fatal(err)
		}
		same(t, r, billCtx, "sign twice", func(api crm.API) (crm.Contract, error) { return api.SignContract(billCtx, ct.ID) })
		ev, err := c.CreateEvent(billCtx, crm.NewEvent{ContractID: ct.ID, Name: "Launch", Start: start,
			End: start.Add(4 * time.Hour), Location: "Paris", Attendees: 75})
		if err != nil {
			t.Fatal(err)
		}
		if !ev.Start.Equal(start) || ev.Start.Location() != time.UTC {
			t.Fatalf("event start %v, want %v in UTC", ev.Start, start)
		}
		if _, err := c.AssignSupport(ada, ev.ID, kate.ID); err != nil {
			t.Fatal(err)
		}
		kateCtx := r.login(t, "kate@epicevents.example")
		notes := "bring the banners"
		later := start.Add(time.Hour)
		if _, err := c.UpdateEvent(kateCtx, ev.ID, crm.EventPatch{Notes: &notes, Start: &later}); err != nil {
			t.Fatal(err)
		}
		name := "Renamed"
		same(t, r, kateCtx, "support cannot rename", func(api crm.API) (crm.Event, error) {
			return api.UpdateEvent(kateCtx, ev.ID, crm.EventPatch{Name: &name})
		})
		day := time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)
		endOfDay := day.Add(24*time.Hour - time.Nanosecond)
		if got := sameList(t, r, kateCtx, "events of the day", func(api crm.API, emit crm.Emit[crm.Event]) (string, error) {
			return api.ListEvents(kateCtx, crm.EventFilter{Mine: true, From: &day, To: &endOfDay, Page: crm.Page{Limit: 100}}, emit)
		}); len(got) != 1 || got[0].Notes == nil || *got[0].Notes != notes {
			t.Fatalf("events = %+v", got)
		}
		sameList(t, r, kateCtx, "from after to", func(api crm.API, emit crm.Emit[crm.Event]) (string, error) {
			return api.ListEvents(kateCtx, crm.EventFilter{From: &endOfDay, To: &day, Page: crm.Page{Limit: 100}}, emit)
		})
		if _, err := c.UnassignSupport(ada, ev.ID); err != nil {
			t.Fatal(err)
		}
		sameList(t, r, ada, "without support", func(api crm.API, emit crm.Emit[crm.Event]) (string, error) {
			return api.ListEvents(ada, crm.EventFilter{WithoutSupport: true, Page: crm.Page{Limit: 100}}, emit)
		})
		sameList(t, r, ada, "unpaid contracts", func(api crm.API, emit crm.Emit[crm.Contract]) (string, error) {
			return api.ListContracts(ada, crm.ContractFilter{Unpaid: true, ClientID: &cl.ID, Page: crm.Page{Limit: 100}}, emit)
		})
		same(t, r, billCtx, "sales cannot read the audit", func(api crm.API) (listed[crm.AuditEntry], error) {
			rows, next, err := collect(func(emit crm.Emit[crm.AuditEntry]) (string, error) {
				return api.ListAudit(billCtx, crm.AuditFilter{Page: crm.Page{Limit: 5}}, emit)
			})
			return listed[crm.AuditEntry]{rows, next != ""}, err
		})

		// Portfolio moves and deactivation.
		sam, err := c.CreateEmployee(ada, crm.NewEmployee{FirstName: "Sam", LastName: "Sole",
			Email: "sam@epicevents.example", Role: crm.RoleSales, Password: rigPassword})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReassignClient(ada, cl.ID, sam.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ReassignContract(ada, ct.ID, bill.ID); err != nil {
			t.Fatal(err)
		}
		same(t, r, ada, "deactivate oneself", func(api crm.API) (crm.Employee, error) {
			return api.Deactivate(ada, me.ID, nil)
		})
		if e, err := c.Deactivate(ada, sam.ID, &bill.ID); err != nil || e.Active || e.DeactivatedAt == nil {
			t.Fatalf("deactivate = %+v, %v", e, err)
		}
		same(t, r, ada, "deactivate twice", func(api crm.API) (crm.Employee, error) { return api.Deactivate(ada, sam.ID, nil) })
		if e, err := c.Reactivate(ada, sam.ID); err != nil || !e.Active {
			t.Fatalf("reactivate = %+v, %v", e, err)
		}
		if e, err := c.Deactivate(ada, sam.ID, nil); err != nil || e.Active {
			t.Fatalf("deactivate without reassign = %+v, %v", e, err)
		}
		if _, err := c.Reactivate(ada, sam.ID); err != nil {
			t.Fatal(err)
		}
		same(t, r, ada, "reactivate an active employee", func(api crm.API) (crm.Employee, error) { return api.Reactivate(ada, sam.ID) })
		if err := c.DeleteEmployee(ada, sam.ID); err != nil {
			t.Fatal(err)
		}
		same(t, r, ada, "deleted", func(api crm.API) (crm.Employee, error) { return api.GetEmployee(ada, sam.ID) })

		// A temporary password, then the employee's own; refresh and logout.
		if err := c.SetPassword(ada, kate.ID, "a temporary password 99"); err != nil {
			t.Fatal(err)
		}
		same(t, r, kateCtx, "session ended by set-password", func(api crm.API) (crm.Employee, error) { return api.Me(kateCtx) })
		tok, err := c.Login(bg, "kate@epicevents.example", "a temporary password 99")
		if err != nil {
			t.Fatal(err)
		}
		kateCtx = crm.WithAccessToken(bg, tok.AccessToken)
		same(t, r, kateCtx, "temporary password", func(api crm.API) (crm.Employee, error) { return api.Me(kateCtx) })
		tok, err = c.ChangePassword(kateCtx, "a temporary password 99", rigPassword+" kate")
		if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
			t.Fatalf("change password = %+v, %v", tok, err)
		}
		fresh, err := c.Refresh(bg, tok.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Refresh(bg, tok.RefreshToken) // reuse: the whole session ends
		if crm.ErrorCode(err) != crm.CodeUnauthenticated {
			t.Fatalf("refresh reuse: %v", err)
		}
		kateCtx = crm.WithAccessToken(bg, fresh.AccessToken)
		same(t, r, kateCtx, "after reuse", func(api crm.API) (crm.Employee, error) { return api.Me(kateCtx) })
		if err := c.Logout(billCtx); err != nil {
			t.Fatal(err)
		}
		same(t, r, billCtx, "after logout", func(api crm.API) (crm.Employee, error) { return api.Me(billCtx) })

		// Throttling: exit 3 with a wait, the same words as local mode.
		for range 3 {
			_, _ = c.Login(bg, "bill@epicevents.example", "wrong wrong wrong wrong")
		}
		_, err = c.Login(bg, "bill@epicevents.example", rigPassword)
		if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeThrottled || e.RetryAfter <= 0 ||
			!strings.HasPrefix(e.Message, "too many failed logins; try again in ") {
			t.Fatalf("throttled login: %#v", err)
		}
	})
}

func TestClientPagesOverServer(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		r := newClientRig(t, engine)
		ctx := r.login(t, "ada@epicevents.example")
		bill, err := r.client.CreateEmployee(ctx, crm.NewEmployee{FirstName: "Bill", LastName: "Boyd",
			Email: "bill@epicevents.example", Role: crm.RoleSales, Password: rigPassword})
		if err != nil {
			t.Fatal(err)
		}
		const total = 1103
		now := time.Now().UTC().Truncate(time.Second)
		err = r.db.InTx(context.Background(), func(q crm.Queries) error {
			for i := range total {
				_, err := q.CreateClient(context.Background(), crm.Client{FirstName: "C", LastName: fmt.Sprintf("Client %04d", i),
					Email: fmt.Sprintf("c%04d@example.com", i), SalesContactID: bill.ID, CreatedAt: now, UpdatedAt: now})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			limit, want int
			more        bool
		}{{0, total, false}, {700, 700, true}, {1000, 1000, true}, {total, total, false}, {50, 50, true}} {
			rows := sameList(t, r, ctx, fmt.Sprintf("clients, limit %d", tc.limit), func(api crm.API, emit crm.Emit[crm.Client]) (string, error) {
				return api.ListClients(ctx, crm.ClientFilter{Page: crm.Page{Limit: tc.limit}}, emit)
			})
			if len(rows) != tc.want {
				t.Errorf("limit %d: %d rows, want %d", tc.limit, len(rows), tc.want)
			}
			_, next, err := collect(func(emit crm.Emit[crm.Client]) (string, error) {
				return r.client.ListClients(ctx, crm.ClientFilter{Page: crm.Page{Limit: tc.limit}}, emit)
			})
			if err != nil || (next != "") != tc.more {
				t.Errorf("limit %d: next %q, err %v; want more: %v", tc.limit, next, err, tc.more)
			}
		}
		// The cursor a limited list returns goes on where it stopped (a
		// search: the emails c0000@… to c0099@…).
		first, next, err := collect(func(emit crm.Emit[crm.Client]) (string, error) {
			return r.client.ListClients(ctx, crm.ClientFilter{Search: "c00", Page: crm.Page{Limit: 60}}, emit)
		})
		if err != nil || next == "" {
			t.Fatal(err, next)
		}
		rest, next2, err := collect(func(emit crm.Emit[crm.Client]) (string, error) {
			return r.client.ListClients(ctx, crm.ClientFilter{Search: "c00", Page: crm.Page{Limit: 0, Cursor: next}}, emit)
		})
		if err != nil || next2 != "" || len(first)+len(rest) != 100 || rest[0].LastName != "Client 0060" {
			t.Fatalf("%d + %d rows, next %q, err %v", len(first), len(rest), next2, err)
		}
	})
}
