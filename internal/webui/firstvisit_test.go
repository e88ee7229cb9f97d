package webui

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// firstVisitBudget is the most a first visit may download, as sent: the
// login page, the login, my work, and every file they load.
const firstVisitBudget = 150_000

// visitStep is one answer of a first visit: what was asked for and how many
// bytes the server sent for it (status line, headers and body as they
// crossed the connection, compressed when the server compressed).
type visitStep struct {
	request string
	status  int
	bytes   int64
}

// visit is what a browser downloaded on a first visit, step by step.
type visit []visitStep

func (v visit) total() int64 {
	var n int64
	for _, s := range v {
		n += s.bytes
	}
	return n
}

func (v visit) String() string {
	var b strings.Builder
	for _, s := range v {
		fmt.Fprintf(&b, "%7d  %d  %s\n", s.bytes, s.status, s.request)
	}
	fmt.Fprintf(&b, "%7d  total", v.total())
	return b.String()
}

// assetLinks are the static files a page or a stylesheet loads.
var assetLinks = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"|url\("?(/static/[^")]+)"?\)`)

// firstVisit does over the network, against the server at base, what a
// browser with an empty cache does on a first visit: GET /login and the
// files it loads, POST /login with email and password, follow the redirect
// to my work and load the files it needs that the browser does not hold
// yet. Every request says Accept-Encoding: gzip, as browsers do; the bytes
// are counted on the connection, as the server sent them.
func firstVisit(base, email, password string) (visit, error) {
	var received atomic.Int64
	tr := &http.Transport{
		DisableCompression: true, // the Accept-Encoding is ours, and the bytes stay as sent
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, n: &received}, nil
		},
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var v visit
	var session *http.Cookie
	cached := map[string]bool{}
	fetch := func(method, path string, form url.Values) (*http.Response, []byte, error) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		if session != nil {
			req.AddCookie(session)
		}
		before := received.Load()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, nil, err
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, nil, err
		}
		v = append(v, visitStep{request: method + " " + path, status: resp.StatusCode, bytes: received.Load() - before})
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			if raw, err = io.ReadAll(zr); err != nil {
				return nil, nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return resp, raw, nil
	}
	// page loads path and, recursively, every static file it names that the
	// browser does not hold yet.
	var page func(path string) (*http.Response, error)
	page = func(path string) (*http.Response, error) {
		resp, body, err := fetch(http.MethodGet, path, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return resp, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		for _, m := range assetLinks.FindAllSubmatch(body, -1) {
			asset := string(m[1]) + string(m[2])
			if !cached[asset] {
				cached[asset] = true
				if _, err := page(asset); err != nil {
					return nil, err
				}
			}
		}
		return resp, nil
	}

	if _, err := page("/login"); err != nil {
		return v, err
	}
	resp, _, err := fetch(http.MethodPost, "/login", url.Values{"email": {email}, "password": {password}})
	if err != nil {
		return v, err
	}
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		return v, fmt.Errorf("POST /login as %s: status %d, session cookie %t", email, resp.StatusCode, session != nil)
	}
	if _, err := page(resp.Header.Get("Location")); err != nil {
		return v, err
	}
	return v, nil
}

// countingConn adds what is read from the connection to n.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	k, err := c.Conn.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// TestFirstVisitWeight: a first visit of each role — the login page and its
// files, the login, my work and its files — downloads under 150,000 bytes as
// sent, headers included. The test world's my work is small; BenchmarkPages
// reports the same figure over the demo data.
func TestFirstVisitWeight(t *testing.T) {
	forEachEngine(t, func(t *testing.T, w *world) {
		for _, role := range []crm.Role{crm.RoleManagement, crm.RoleSales, crm.RoleSupport} {
			v, err := firstVisit(w.ts.URL, w.ofRole(role).Email, testPassword)
			if err != nil {
				t.Fatalf("%s: %v\n%s", role, err, v)
			}
			t.Logf("first visit as %s, bytes as sent:\n%s", role, v)
			if got := v.total(); got >= firstVisitBudget {
				t.Errorf("a first visit as %s downloads %d bytes; the budget is under %d", role, got, firstVisitBudget)
			}
			// The steps a browser takes, each answered as a browser expects.
			var requests []string
			for _, s := range v {
				requests = append(requests, s.request)
				if s.status != http.StatusOK && s.status != http.StatusSeeOther {
					t.Errorf("%s: %s answered %d", role, s.request, s.status)
				}
			}
			joined := strings.Join(requests, "\n")
			for _, want := range []string{"GET /login", "POST /login", "GET /\n", ".css", ".js", ".svg"} {
				if !strings.Contains(joined+"\n", want) {
					t.Errorf("%s: the first visit has no %q step:\n%s", role, strings.TrimSpace(want), joined)
				}
			}
		}
	})
}

// TestFirstVisitCountsCompressedBytes: the helper counts what crossed the
// connection — compressed bodies — and so a compressed answer counts less
// than its text.
func TestFirstVisitCountsCompressedBytes(t *testing.T) {
	w := newWorld(t, "sqlite")
	v, err := firstVisit(w.ts.URL, w.ofRole(crm.RoleSales).Email, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	css := w.srv.assets.byName["vendor/pico.classless.min.css"]
	for _, s := range v {
		if s.request == "GET "+css.url {
			if s.bytes >= int64(len(css.body)) || s.bytes < int64(len(css.gz)) {
				t.Errorf("the stylesheet counted %d bytes; sent compressed it is %d (%d plain), plus headers",
					s.bytes, len(css.gz), len(css.body))
			}
			return
		}
	}
	t.Errorf("the first visit did not load %s:\n%s", css.url, v)
}
