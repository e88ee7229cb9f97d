package webui

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
	"github.com/epicevents/epicevents/internal/webui/browsertest"
)

func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }

const testPassword = "violet tractor under the bridge"

// xss are values that must show as text wherever a page renders them.
var xss = []string{`<script>alert(1)</script>`, `" onmouseover="alert(1)`, `'><img src=x onerror=alert(1)>`}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reports records what the UI sends to the error tracker.
type reports struct {
	mu   sync.Mutex
	refs []string
	errs []error
}

func (r *reports) CaptureError(err error, reference string, _ map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refs = append(r.refs, reference)
	r.errs = append(r.errs, err)
}

// uiTest is the UI over a real service on a fresh SQLite database, with a
// manager and two sales employees, and a few routes that exist only in the
// tests: a page showing every component, an action that answers with a
// flash message, and routes that fail in each way.
type uiTest struct {
	t       *testing.T
	srv     *Server
	ts      *httptest.Server
	svc     *crm.Service
	logs    *syncBuffer
	reg     *prometheus.Registry
	reports *reports
	boss    crm.Employee
	sales   []crm.Employee
}

func newUITest(t *testing.T) *uiTest {
	t.Helper()
	db := testdb.Open(t, "sqlite")
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
	})
	ctx := context.Background()
	boss, err := svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@epic.example", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	u := &uiTest{t: t, svc: svc, logs: &syncBuffer{}, reg: prometheus.NewRegistry(), reports: &reports{}, boss: boss}
	as := crm.WithActor(ctx, crm.Actor{Employee: boss})
	for _, p := range [][2]string{{"Bill", "Boquet"}, {"Chloé", "Durand"}} {
		e, err := svc.CreateEmployee(as, crm.NewEmployee{FirstName: p[0], LastName: p[1], Role: crm.RoleSales,
			Email: strings.ToLower(p[0][:1]+p[1]) + "@epic.example", Password: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		u.sales = append(u.sales, e)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	u.srv, err = New(svc, Options{Location: paris, Logger: slog.New(slog.NewJSONHandler(u.logs, nil)),
		Reporter: u.reports, Registry: u.reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.srv.pages.add(os.DirFS("testdata"), "components.html"); err != nil {
		t.Fatal(err)
	}
	u.srv.handlePublic("GET /_test/components", u.components)
	u.srv.handlePublic("POST /_test/flash", func(w http.ResponseWriter, r *http.Request) error {
		if err := parseForm(w, r); err != nil {
			return err
		}
		u.srv.redirect(w, r, "/_test/components", r.PostForm.Get("note"))
		return nil
	})
	u.srv.handlePublic("GET /_test/fail/{how}", u.fail)
	u.srv.handlePublic("POST /_test/fail/{how}", u.fail)
	u.ts = httptest.NewServer(u.srv)
	t.Cleanup(u.ts.Close)
	return u
}

// row is a line of the components page's list.
type row struct {
	ID                                 int64
	Name, Email, Phone, Company, Sales string
	Updated                            time.Time
}

// components renders the test page of every component, as the manager:
// ?invalid=1 renders its form as answered with errors (422), and ?name=
// puts a value of the user's into the form and the list.
func (u *uiTest) components(w http.ResponseWriter, r *http.Request) error {
	r = withViewer(r, crm.Actor{Employee: u.boss})
	q := r.URL.Query()
	name := q.Get("name")
	if name == "" {
		name = "Kevin"
	}
	p := u.srv.newPage(w, r, "Components")
	p.Form = NewForm("client", url.Values{
		"first_name":       {name},
		"email":            {"kevin@startup.io"},
		"sales_contact_id": {strconv.FormatInt(u.sales[1].ID, 10)},
		"start":            {u.srv.clock.inputValue(time.Date(2026, 6, 1, 12, 30, 0, 0, time.UTC))},
		"attendees":        {"75"},
		"notes":            {"Wheelchair access at the back door.\n" + name},
		"signed":           {"1"},
	})
	status := http.StatusOK
	if q.Get("invalid") == "1" {
		status = http.StatusUnprocessableEntity
		var v crm.Validator
		v.Add("email", "must be a valid email address")
		v.Add("total_amount", "must be a positive amount, such as 1500.00")
		p.Form.Values.Set("email", "kevin@")
		p.Form.SetError(v.Err(), "first_name", "email", "total_amount", "sales_contact_id",
			"support_contact_id", "start", "attendees", "notes", "signed")
	}
	updated := time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)
	rows := []row{
		{1, "Kevin Casey", "kevin@startup.io", "+33 6 12 34 56 78", "Cool Startup LLC", "Bill Boquet", updated},
		{2, name, "a.very.long.address.that.goes.on.and.on@subdomain.of.a-very-long-company-name.example", "", "", "Chloé Durand", updated.Add(-48 * time.Hour)},
		{3, "John Ouick", "john.ouick@gmail.com", "+1 234-567-8901", "Ouick & Sons <Weddings>", "Bill Boquet", updated.Add(-30 * 24 * time.Hour)},
	}
	p.Data = struct {
		Rows   []row
		Next   string
		Search SearchBox
		People []Option
		Record row
	}{
		Rows:   rows,
		Next:   nextPage(r.URL, "eyJpZCI6M30"),
		Search: SearchBox{ID: "client-search", Action: "/_test/components", Label: "Search clients", Value: q.Get("search"), Results: "results"},
		People: PeopleOptions(u.sales),
		Record: rows[0],
	}
	return u.srv.render(w, r, status, "components", p)
}

// fail fails in the way its path names.
func (u *uiTest) fail(_ http.ResponseWriter, r *http.Request) error {
	switch how := r.PathValue("how"); how {
	case "raw":
		return errors.New("pq: password authentication failed for user \"secret-user\"")
	case "panic":
		panic("deliberate panic")
	case "login":
		return &crm.Error{Code: crm.CodeUnauthenticated, Message: "you are not logged in"}
	case "throttled":
		return &crm.Error{Code: crm.CodeThrottled, RetryAfter: 90, Message: "too many failed logins; try again in 2 minutes"}
	case "cancelled":
		return context.Canceled
	default:
		return &crm.Error{Code: crm.Code(how), Message: "the " + how + " message of the service",
			Err: errors.New("cause " + how)}
	}
}

// do sends a request with the headers h (name, value pairs), and follows no
// redirect.
func (u *uiTest) do(method, path string, body string, h ...string) *http.Response {
	u.t.Helper()
	req, err := http.NewRequest(method, u.ts.URL+path, strings.NewReader(body))
	if err != nil {
		u.t.Fatal(err)
	}
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	return resp
}

// body reads and closes resp's body.
func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// wantIn fails the test unless body holds every one of want.
func wantIn(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
}

// wantNotIn fails the test if body holds any of unwanted.
func wantNotIn(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(body, s) {
			t.Errorf("the page holds %q", s)
		}
	}
}
