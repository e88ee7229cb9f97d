package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

type captured struct {
	err  error
	ref  string
	tags map[string]string
}

// fakeReporter records what the server reports.
type fakeReporter struct {
	mu  sync.Mutex
	got []captured
}

func (f *fakeReporter) CaptureError(err error, ref string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, captured{err, ref, tags})
}

func (f *fakeReporter) all() []captured {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]captured(nil), f.got...)
}

func TestReporterGetsEvery500(t *testing.T) {
	rep := &fakeReporter{}
	a := newAPITest(t, "sqlite", func(o *ServerOptions) { o.Reporter = rep })
	boom := errors.New("boom value")
	a.srv.route("GET /test/panic", func(http.ResponseWriter, *http.Request) error { panic("something impossible happened") })
	a.srv.route("GET /test/panic-error", func(http.ResponseWriter, *http.Request) error { panic(boom) }, routePublic)
	a.srv.route("GET /test/error", func(http.ResponseWriter, *http.Request) error {
		return fmt.Errorf("sqlstore: list client: %w", errors.New("no such table: clients"))
	}, routePublic)
	a.srv.route("GET /test/internal-safe", func(http.ResponseWriter, *http.Request) error {
		return &crm.Error{Code: crm.CodeInternal, Message: "the server is misconfigured", Err: errors.New("raw cause")}
	}, routePublic)
	// Not unexpected: no report.
	a.srv.route("GET /test/unavailable", func(http.ResponseWriter, *http.Request) error {
		return &crm.Error{Code: crm.CodeUnavailable, Message: "the database cannot be reached; try again later"}
	}, routePublic)

	want := map[string]string{}
	for _, c := range []struct{ path, token string }{
		{"/test/panic", "sales"}, {"/test/panic-error", ""}, {"/test/error", ""}, {"/test/internal-safe", ""},
	} {
		p := a.doUnchecked("GET", c.path, c.token, nil).problem(t, http.StatusInternalServerError, crm.CodeInternal)
		want[p.RequestID] = c.path
	}
	a.doUnchecked("GET", "/test/unavailable", "", nil).problem(t, http.StatusServiceUnavailable, crm.CodeUnavailable)
	a.do("GET", "/healthz", "", nil).expect(t, http.StatusOK) // still serving

	got := rep.all()
	if len(got) != len(want) {
		t.Fatalf("%d reports for %d 500s: %+v", len(got), len(want), got)
	}
	for _, c := range got {
		path, ok := want[c.ref]
		if !ok {
			t.Errorf("report under %q, not a request id", c.ref)
			continue
		}
		if c.tags["route"] != "GET "+path || c.tags["method"] != "GET" {
			t.Errorf("%s: tags %v", path, c.tags)
		}
		switch path {
		case "/test/panic":
			if c.err.Error() != "panic: something impossible happened" || c.tags["employee_id"] != strconv.FormatInt(a.ids["sales"], 10) {
				t.Errorf("panic report: %v %v", c.err, c.tags)
			}
		case "/test/panic-error":
			if !errors.Is(c.err, boom) {
				t.Errorf("panic(error) report: %v", c.err)
			}
		case "/test/error":
			if c.err.Error() != "sqlstore: list client: no such table: clients" {
				t.Errorf("error report: %v", c.err)
			}
		case "/test/internal-safe":
			if errors.Unwrap(c.err) == nil || errors.Unwrap(c.err).Error() != "raw cause" {
				t.Errorf("internal report: %v", c.err)
			}
		}
	}
}
