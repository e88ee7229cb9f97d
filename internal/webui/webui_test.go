package webui

import (
	"compress/gzip"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestHeadersOnEveryResponse: every kind of answer of the UI carries exactly
// one Content-Security-Policy, the UI's, with nosniff and no-referrer, and
// the Cache-Control of its kind.
func TestHeadersOnEveryResponse(t *testing.T) {
	u := newUITest(t)
	css, _ := u.srv.assets.url("app.css")
	for _, c := range []struct {
		name, method, path string
		headers            []string
		status             int
		cache              string
	}{
		{"login page", "GET", "/login", nil, 200, "no-cache"},
		{"login page, HEAD", "HEAD", "/login", nil, 200, "no-cache"},
		{"another page", "GET", "/_test/components", nil, 200, "no-store"},
		{"form answered with errors", "GET", "/_test/components?invalid=1", nil, 422, "no-store"},
		{"page not found", "GET", "/no/such/page", nil, 404, "no-store"},
		{"method not allowed", "PUT", "/login", []string{"Sec-Fetch-Site", "same-origin"}, 405, "no-store"},
		{"static file", "GET", css, []string{"Accept-Encoding", "gzip"}, 200, immutable},
		{"static file not modified", "GET", css, []string{"Accept-Encoding", "gzip", "If-None-Match", u.srv.assets.byName["app.css"].gzETag}, 304, immutable},
		{"unknown static file", "GET", "/static/app.css", nil, 404, "no-store"},
		{"cross-origin POST", "POST", "/_test/flash", []string{"Sec-Fetch-Site", "cross-site"}, 403, "no-store"},
		{"redirect after an action", "POST", "/_test/flash",
			[]string{"Sec-Fetch-Site", "same-origin", "Content-Type", "application/x-www-form-urlencoded"}, 303, "no-store"},
		{"redirect to log in", "GET", "/_test/fail/login", nil, 303, "no-store"},
		{"forbidden", "GET", "/_test/fail/forbidden", nil, 403, "no-store"},
		{"conflict", "GET", "/_test/fail/conflict", nil, 409, "no-store"},
		{"internal error", "GET", "/_test/fail/raw", nil, 500, "no-store"},
		{"panic", "GET", "/_test/fail/panic", nil, 500, "no-store"},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp := u.do(c.method, c.path, "", c.headers...)
			b := body(t, resp)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, b)
			}
			h := resp.Header
			if got := h.Values("Content-Security-Policy"); len(got) != 1 || got[0] != ContentSecurityPolicy {
				t.Errorf("Content-Security-Policy %q, want exactly %q", got, ContentSecurityPolicy)
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"Cache-Control":          c.cache,
			} {
				if got := h.Values(name); len(got) != 1 || got[0] != want {
					t.Errorf("%s %q, want %q", name, got, want)
				}
			}
			if h.Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
			if h.Get("Strict-Transport-Security") != "" {
				t.Error("HSTS over plain HTTP")
			}
		})
	}
}

func TestHSTSOverTLS(t *testing.T) {
	u := newUITest(t)
	ts := httptest.NewTLSServer(u.srv)
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("HSTS %q", resp.Header.Get("Strict-Transport-Security"))
	}
}

// TestCrossOriginProtection: a state change from another site is refused
// with 403 before its handler runs, whether the browser says so with
// Sec-Fetch-Site or only with Origin; a request from the page itself, or
// from a client that is not a browser (neither header), goes through.
func TestCrossOriginProtection(t *testing.T) {
	u := newUITest(t)
	host := strings.TrimPrefix(u.ts.URL, "http://")
	form := "application/x-www-form-urlencoded"
	for _, c := range []struct {
		name    string
		method  string
		headers []string
		want    int
	}{
		{"same origin", "POST", []string{"Sec-Fetch-Site", "same-origin"}, 303},
		{"typed by the user", "POST", []string{"Sec-Fetch-Site", "none"}, 303},
		{"cross site", "POST", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"same site, other origin", "POST", []string{"Sec-Fetch-Site", "same-site"}, 403},
		{"cross site, Origin of this host", "POST", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://" + host}, 403},
		{"no Sec-Fetch-Site, Origin of this host", "POST", []string{"Origin", "http://" + host}, 303},
		{"no Sec-Fetch-Site, Origin of another site", "POST", []string{"Origin", "https://evil.example"}, 403},
		{"no Sec-Fetch-Site, Origin of another port", "POST", []string{"Origin", "http://127.0.0.1:1"}, 403},
		{"neither header (not a browser)", "POST", nil, 303},
		{"a GET from another site is only a read", "GET", []string{"Sec-Fetch-Site", "cross-site"}, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := "/_test/flash"
			if c.method == "GET" {
				path = "/login"
			}
			resp := u.do(c.method, path, "note=sent", append([]string{"Content-Type", form}, c.headers...)...)
			b := body(t, resp)
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if c.want == 403 {
				if !strings.Contains(b, "This form came from another site") {
					t.Errorf("the refusal does not say why:\n%s", b)
				}
				if len(resp.Cookies()) != 0 {
					t.Errorf("the refused action ran: cookies %v", resp.Cookies())
				}
			}
		})
	}
}

func TestLoginPage(t *testing.T) {
	u := newUITest(t)
	resp := u.do("GET", "/login", "")
	b := body(t, resp)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		`<form method="post" action="/login">`,
		`<label for="login-email">Email</label>`,
		`<input type="email" id="login-email" name="email" autocomplete="username" required>`,
		`<label for="login-password">Password</label>`,
		`<input type="password" id="login-password" name="password" autocomplete="current-password" required>`,
		`<a class="skip" href="#main">Skip to content</a>`,
		`<main id="main" tabindex="-1">`,
		`<title>Log in · Epic Events CRM</title>`,
		`Times are shown in Europe/Paris.`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("the login page lacks %s", want)
		}
	}
	if strings.Contains(b, `name="next"`) {
		t.Error("a next field without ?next=")
	}
	// No inline script or style, no event handler attribute.
	for _, re := range []string{`<script>`, `<script[^>]*>[^<]`, `<style`, `\sstyle=`, `\son[a-z]+=`} {
		if regexp.MustCompile(re).MatchString(b) {
			t.Errorf("the page has inline code matching %s", re)
		}
	}
	// Every asset it references exists.
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(b, -1) {
		r := u.do("GET", m[1], "")
		body(t, r)
		if r.StatusCode != 200 {
			t.Errorf("%s: %d", m[1], r.StatusCode)
		}
	}
}

func TestLoginNext(t *testing.T) {
	u := newUITest(t)
	for _, c := range []struct{ next, field string }{
		{"/clients?mine=1", `<input type="hidden" name="next" value="/clients?mine=1">`},
		{`/clients?search="><script>alert(1)</script>`, `value="/clients?search=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"`},
		{"//evil.example/", ""},
		{"https://evil.example/", ""},
		{"/login", ""},
	} {
		b := body(t, u.do("GET", "/login?next="+url.QueryEscape(c.next), ""))
		if c.field == "" {
			if strings.Contains(b, `name="next"`) {
				t.Errorf("next=%q kept: %s", c.next, b)
			}
			continue
		}
		if !strings.Contains(b, c.field) {
			t.Errorf("next=%q: no %s in\n%s", c.next, c.field, b)
		}
		if strings.Contains(b, "<script>alert") {
			t.Errorf("next=%q is rendered unescaped", c.next)
		}
	}
}

// TestEscaping: what users type renders as text in every context the
// templates use (element text, attribute values, a textarea, an option).
func TestEscaping(t *testing.T) {
	u := newUITest(t)
	for _, payload := range xss {
		b := body(t, u.do("GET", "/_test/components?search="+url.QueryEscape(payload)+"&name="+url.QueryEscape(payload), ""))
		if strings.Contains(b, payload) {
			t.Errorf("%q appears unescaped in the page", payload)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", `" onmouseover=`} {
			if strings.Contains(b, bad) {
				t.Errorf("payload %q: the page contains %q", payload, bad)
			}
		}
	}
	b := body(t, u.do("GET", "/_test/components?name="+url.QueryEscape(xss[0]), ""))
	for _, want := range []string{
		`value="&lt;script&gt;alert(1)&lt;/script&gt;"`,  // an input's value
		`&lt;script&gt;alert(1)&lt;/script&gt;</a></td>`, // a link in a table cell
		"Wheelchair access at the back door.\n&lt;script&gt;alert(1)&lt;/script&gt;</textarea>",
		`Ouick &amp; Sons &lt;Weddings&gt;`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// TestFormErrors: an invalid submission re-renders the form with what was
// typed and a message beside each bad field, which aria-describedby names;
// the first bad field gets the focus.
func TestFormErrors(t *testing.T) {
	u := newUITest(t)
	resp := u.do("GET", "/_test/components?invalid=1", "")
	b := body(t, resp)
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<p class="form-message" role="alert">Check the fields marked below.</p>`,
		`<input type="email" id="client-email" name="email" value="kevin@" required autofocus aria-invalid="true" aria-describedby="client-email-error">`,
		`<small id="client-email-error" class="error">Must be a valid email address.</small>`,
		`<input type="text" id="client-total-amount" name="total_amount" inputmode="decimal" aria-invalid="true" aria-describedby="client-total-amount-error client-total-amount-hint">`,
		`<small id="client-total-amount-hint">In euros, such as 1500.00</small>`,
		`<input type="text" id="client-first-name" name="first_name" value="Kevin" autocomplete="off" required>`,
		`<option value="` + strconv.FormatInt(u.sales[1].ID, 10) + `" selected>Chloé Durand</option>`,
		`<option value="">Nobody yet</option>`,
		`<input type="datetime-local" id="client-start" name="start" value="2026-06-01T14:30" required>`,
		`<input type="checkbox" id="client-signed" name="signed" value="1" checked>`,
	} {
		if !strings.Contains(b, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	if n := strings.Count(b, "autofocus"); n != 1 {
		t.Errorf("%d fields with autofocus, want 1", n)
	}
}

func TestErrorPages(t *testing.T) {
	u := newUITest(t)
	for _, c := range []struct {
		path    string
		status  int
		says    []string
		secrets []string
	}{
		{"/nowhere", 404, []string{"Page not found", "Go to the login page"}, nil},
		{"/_test/fail/forbidden", 403, []string{"You may not do this", "ask a manager", "The forbidden message of the service."}, []string{"cause forbidden"}},
		{"/_test/fail/not_found", 404, []string{"Page not found", "The not_found message of the service."}, nil},
		{"/_test/fail/conflict", 409, []string{"This cannot be done now", "Reload the page"}, nil},
		{"/_test/fail/stale", 409, []string{"This cannot be done now"}, nil},
		{"/_test/fail/invalid", 422, []string{"Some values are not valid"}, nil},
		{"/_test/fail/throttled", 429, []string{"Too many attempts", "Too many failed logins; try again in 2 minutes."}, nil},
		{"/_test/fail/unavailable", 503, []string{"The CRM is unavailable for a moment"}, []string{"cause unavailable"}},
		{"/_test/fail/raw", 500, []string{"Something went wrong on our side", "Reference: <code>"}, []string{"secret-user", "pq:"}},
		{"/_test/fail/panic", 500, []string{"Something went wrong on our side", "Reference: <code>"}, []string{"deliberate panic"}},
	} {
		resp := u.do("GET", c.path, "")
		b := body(t, resp)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.path, resp.StatusCode, c.status)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(b, s) {
				t.Errorf("%s: the page does not say %q:\n%s", c.path, s, b)
			}
		}
		for _, s := range c.secrets {
			if strings.Contains(b, s) {
				t.Errorf("%s: the page shows %q", c.path, s)
			}
		}
		if c.status == 500 {
			ref := resp.Header.Get("X-Request-ID")
			if !strings.Contains(b, "<code>"+ref+"</code>") {
				t.Errorf("%s: the reference is not the request id %s", c.path, ref)
			}
			if !strings.Contains(u.logs.String(), `"request_id":"`+ref+`"`) {
				t.Errorf("%s: no log line with the reference", c.path)
			}
		}
		if c.status == 429 && resp.Header.Get("Retry-After") != "90" {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	u.reports.mu.Lock()
	defer u.reports.mu.Unlock()
	if len(u.reports.errs) != 2 {
		t.Errorf("%d reports to the tracker, want 2 (the raw error and the panic): %v", len(u.reports.errs), u.reports.errs)
	}
	if !strings.Contains(u.logs.String(), "secret-user") {
		t.Error("the cause of the internal error is not in the log for the operator")
	}
}

// TestUnauthenticated: a page without a valid session goes to the login
// page, which will lead back to it; an action goes there without next.
func TestUnauthenticated(t *testing.T) {
	u := newUITest(t)
	resp := u.do("GET", "/_test/fail/login?mine=1&search=Ada", "")
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2F_test%2Ffail%2Flogin%3Fmine%3D1%26search%3DAda" {
		t.Errorf("GET: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = u.do("POST", "/_test/fail/login", "", "Sec-Fetch-Site", "same-origin")
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("POST: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The login page keeps the path in its form.
	b := body(t, u.do("GET", "/login?next=%2F_test%2Ffail%2Flogin%3Fmine%3D1%26search%3DAda", ""))
	if !strings.Contains(b, `<input type="hidden" name="next" value="/_test/fail/login?mine=1&amp;search=Ada">`) {
		t.Errorf("the login page does not keep next:\n%s", b)
	}
}

// TestFlash: an action's message reaches the next page once, through a
// __Host- cookie (Secure, HttpOnly, SameSite=Lax, Path=/), which that page
// deletes.
func TestFlash(t *testing.T) {
	u := newUITest(t)
	resp := u.do("POST", "/_test/flash", "note="+url.QueryEscape("Client <b>Kevin</b> saved."),
		"Sec-Fetch-Site", "same-origin", "Content-Type", "application/x-www-form-urlencoded")
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/_test/components" {
		t.Fatalf("%d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var flash *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == flashCookie {
			flash = c
		}
	}
	if flash == nil || !flash.Secure || !flash.HttpOnly || flash.SameSite != http.SameSiteLaxMode || flash.Path != "/" ||
		flash.Domain != "" || flash.MaxAge != 60 {
		t.Fatalf("flash cookie %+v", flash)
	}
	resp = u.do("GET", "/_test/components", "", "Cookie", flash.Name+"="+flash.Value)
	b := body(t, resp)
	if !strings.Contains(b, `<p class="flash" role="status">Client &lt;b&gt;Kevin&lt;/b&gt; saved.</p>`) {
		t.Errorf("no flash on the next page:\n%s", b)
	}
	deleted := false
	for _, c := range resp.Cookies() {
		deleted = deleted || (c.Name == flashCookie && c.MaxAge < 0)
	}
	if !deleted {
		t.Error("the page that showed the flash did not delete its cookie")
	}
	// A forged or damaged cookie shows nothing.
	for _, v := range []string{"%%%", base64.RawURLEncoding.EncodeToString([]byte{0xff, 0xfe}),
		base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("x", maxFlash+1)))} {
		b := body(t, u.do("GET", "/_test/components", "", "Cookie", flashCookie+"="+v))
		if strings.Contains(b, `class="flash"`) {
			t.Errorf("cookie %q shown as a flash", v)
		}
	}
}

func TestForms(t *testing.T) {
	u := newUITest(t)
	for _, c := range []struct {
		name, ctype, body string
		want              int
	}{
		{"a form", "application/x-www-form-urlencoded", "note=ok", 303},
		{"a form with a charset", "application/x-www-form-urlencoded; charset=UTF-8", "note=ok", 303},
		{"JSON", "application/json", `{"note":"ok"}`, 415},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 415},
		{"no type", "", "note=ok", 415},
		{"too large", "application/x-www-form-urlencoded", "note=" + strings.Repeat("x", maxFormBytes), 413},
		{"malformed", "application/x-www-form-urlencoded", "note=%zz", 400},
	} {
		resp := u.do("POST", "/_test/flash", c.body, "Sec-Fetch-Site", "same-origin", "Content-Type", c.ctype)
		b := body(t, resp)
		if resp.StatusCode != c.want {
			t.Errorf("%s: status %d, want %d: %s", c.name, resp.StatusCode, c.want, b)
		}
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	u := newUITest(t)
	resp := u.do("DELETE", "/login", "", "Sec-Fetch-Site", "same-origin")
	b := body(t, resp)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD, POST" || !strings.Contains(b, "does not take that request") {
		t.Errorf("DELETE /login: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp = u.do("GET", "/static/", "")
	body(t, resp)
	if resp.StatusCode != 404 {
		t.Errorf("GET /static/: %d", resp.StatusCode)
	}
}

// TestLogsAndMetrics: one log line per request with the route pattern and
// never the URL (a search may name a client), and a metric per route.
func TestLogsAndMetrics(t *testing.T) {
	u := newUITest(t)
	body(t, u.do("GET", "/login?next=%2Fclients%3Fsearch%3DKevinCasey", ""))
	body(t, u.do("GET", "/no/such/page", ""))
	logs := u.logs.String()
	for _, want := range []string{`"route":"GET /login"`, `"route":"unmatched"`, `"status":404`, `"msg":"request"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "KevinCasey") || strings.Contains(logs, "/no/such/page") {
		t.Errorf("a URL reached the logs:\n%s", logs)
	}
	if n := testutil.ToFloat64(u.srv.metrics.requests.WithLabelValues("GET /login", "200")); n != 1 {
		t.Errorf("requests{GET /login, 200} = %v", n)
	}
	if n := testutil.ToFloat64(u.srv.metrics.requests.WithLabelValues("unmatched", "404")); n != 1 {
		t.Errorf("requests{unmatched, 404} = %v", n)
	}
}

// TestPagesAreCompressed: a page large enough is sent compressed to a
// browser that accepts it, and whole to one that does not.
func TestPagesAreCompressed(t *testing.T) {
	u := newUITest(t)
	plain := u.do("GET", "/_test/components", "")
	want := body(t, plain)
	req, _ := http.NewRequest("GET", u.ts.URL+"/_test/components", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Error("the compressed page differs from the plain one")
	}
	if plain.Header.Get("Content-Encoding") != "" {
		t.Error("compressed for a client that did not ask")
	}
}

// TestFirstVisitBudget: the login page and everything it loads, as sent
// compressed, stay far under the 150,000 bytes of a first visit (which also
// counts "my work" after the login).
func TestFirstVisitBudget(t *testing.T) {
	u := newUITest(t)
	total := 0
	get := func(path string) string {
		req, _ := http.NewRequest("GET", u.ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		total += len(raw)
		if resp.Header.Get("Content-Encoding") != "gzip" {
			return string(raw)
		}
		zr, err := gzip.NewReader(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		return string(plain)
	}
	page := get("/login")
	for _, m := range regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		get(m[1])
	}
	t.Logf("first visit of /login: %d bytes as sent", total)
	if total > 60_000 {
		t.Errorf("the login page and its files weigh %d bytes compressed; keep them far under 150,000 (60,000 for this page)", total)
	}
}
