package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// policy is the web UI's policy, so that the pages below are judged as the
// UI's pages are.
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// site serves small pages under the policy, each written to make one check
// fire (or none).
func site(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", policy)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html lang="en"><head><title>Test</title><link rel="icon" href="data:,"></head><body><main><h1>Test</h1>`+
				body+`</main></body></html>`)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /clean", page(`<form method="get" action="/echo"><label for="q">Query</label>`+
		`<input id="q" name="q"><button type="submit">Go</button></form>`))
	mux.Handle("GET /inline", page(`<p style="color: red">styled</p><script>document.title = "x"</script>`+
		`<img src="https://elsewhere.invalid/pixel.png" alt="pixel">`))
	mux.Handle("GET /unlabelled", page(`<input name="q"><img src="/x.png">`))
	mux.Handle("GET /wide", page(`<link rel="stylesheet" href="/wide.css"><div class="wide">too wide</div>`))
	mux.HandleFunc("GET /wide.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		fmt.Fprint(w, ".wide { width: 600px; background: #eee; }")
	})
	mux.Handle("GET /broken", page(`<script src="/throws.js"></script><link rel="stylesheet" href="/missing.css">`))
	mux.HandleFunc("GET /throws.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `throw new Error("deliberate")`)
	})
	mux.HandleFunc("GET /confirm", page(`<form method="get" action="/echo"><input type="hidden" name="q" value="yes">`+
		`<button type="submit" id="go">Go</button></form><script src="/confirm.js"></script>`))
	mux.HandleFunc("GET /confirm.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `document.querySelector("form").addEventListener("submit", e => { if (!confirm("Sure?")) e.preventDefault(); });`)
	})
	mux.HandleFunc("GET /echo", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "__Host-test", Value: "v", Path: "/", Secure: true,
			HttpOnly: true, SameSite: http.SameSiteLaxMode})
		page(`<p id="got">`+htmlEscape(r.URL.Query().Get("q"))+`</p>`)(w, r)
	})
	mux.Handle("GET /asks", page(`<p id="said">waiting</p><script src="/asks.js"></script>`))
	mux.HandleFunc("GET /asks.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `fetch("/refuses").then(r => r.text()).then(t => { document.getElementById("said").textContent = t; });`)
	})
	mux.HandleFunc("GET /refuses", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, "refused")
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

func TestCleanPageHasNothingToReport(t *testing.T) {
	ts := site(t)
	for _, opts := range [][]Option{{Width(375)}, {Width(1440), NoJavaScript()}} {
		p := Open(t, ts.URL+"/clean", opts...)
		if v := p.TakeCSPViolations(); len(v) != 0 {
			t.Errorf("violations on a clean page: %q", v)
		}
		if v := p.TakeProblems(); len(v) != 0 {
			t.Errorf("problems on a clean page: %q", v)
		}
		if over, c := p.HorizontalOverflow(); over != 0 {
			t.Errorf("overflow %d on a clean page: %q", over, c)
		}
		for _, v := range p.Accessibility() {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("axe on a clean page: %s", v)
			}
		}
		if p.Status() != http.StatusOK {
			t.Errorf("status %d", p.Status())
		}
	}
}

// TestReportsCSPViolations: inline style, inline script and a foreign image
// are each reported, with JavaScript on and off (where the page's own
// listener cannot run, the Audits domain and the console still report).
func TestReportsCSPViolations(t *testing.T) {
	ts := site(t)
	for _, c := range []struct {
		noJS bool
		want []string
	}{
		{false, []string{"style-src", "script-src", "img-src"}},
		// Without JavaScript, no script is run, so none is refused.
		{true, []string{"style-src", "img-src"}},
	} {
		var opts []Option
		if c.noJS {
			opts = append(opts, NoJavaScript())
		}
		p := Open(t, ts.URL+"/inline", opts...)
		got := strings.Join(p.TakeCSPViolations(), "\n")
		for _, want := range c.want {
			if !strings.Contains(got, want) {
				t.Errorf("JavaScript off %v: no %s violation reported in:\n%s", c.noJS, want, got)
			}
		}
	}
}

func TestReportsScriptErrorsAndMissingFiles(t *testing.T) {
	p := Open(t, site(t).URL+"/broken")
	got := strings.Join(p.TakeProblems(), "\n")
	for _, want := range []string{"deliberate", "missing.css"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
}

// TestErrorAnswersAreNotProblems: a page that a script asks for (as htmx
// does) and that answers an error status is the test's to judge with
// Status, not a failed resource.
func TestErrorAnswersAreNotProblems(t *testing.T) {
	p := Open(t, site(t).URL+"/asks")
	p.WaitFor(`document.getElementById("said").textContent === "refused"`)
	if v := p.TakeProblems(); len(v) != 0 {
		t.Errorf("an answer with an error status is reported as a problem: %q", v)
	}
	if p.Status() != http.StatusUnprocessableEntity {
		t.Errorf("status %d, want 422", p.Status())
	}
}

func TestReportsAccessibilityViolations(t *testing.T) {
	for _, opts := range [][]Option{{}, {NoJavaScript()}} {
		p := Open(t, site(t).URL+"/unlabelled", opts...)
		found := map[string]string{}
		for _, v := range p.Accessibility() {
			found[v.ID] = v.Impact
		}
		if found["label"] != "critical" || found["image-alt"] != "critical" {
			t.Errorf("%v: axe found %v, want label and image-alt as critical", opts, found)
		}
		p.TakeProblems() // the missing /x.png
	}
}

func TestReportsHorizontalScroll(t *testing.T) {
	ts := site(t)
	p := Open(t, ts.URL+"/wide", Width(375))
	over, culprits := p.HorizontalOverflow()
	if over <= 0 || len(culprits) == 0 || !strings.Contains(strings.Join(culprits, " "), "div.wide") {
		t.Errorf("a 600px div at 375px: overflow %d, culprits %q", over, culprits)
	}
	if over, _ := Open(t, ts.URL+"/wide", Width(1440)).HorizontalOverflow(); over != 0 {
		t.Errorf("the same page at 1440px overflows by %d", over)
	}
}

// TestFormsAndCookies fills and submits a form, with and without
// JavaScript, and reads the cookie the answer sets, with its flags.
func TestFormsAndCookies(t *testing.T) {
	ts := site(t)
	for _, opts := range [][]Option{{}, {NoJavaScript()}} {
		p := Open(t, ts.URL+"/clean", opts...)
		if _, ok := p.Cookie("__Host-test"); ok {
			t.Fatal("a cookie before any answer set one: the browser context is not fresh")
		}
		p.Fill("#q", `<b>"quoted"</b>`)
		p.Click("button[type=submit]")
		if got := p.Text("#got"); got != `<b>"quoted"</b>` {
			t.Errorf("%v: echoed %q", opts, got)
		}
		if !strings.HasSuffix(p.URL(), "/echo?q=%3Cb%3E%22quoted%22%3C%2Fb%3E") {
			t.Errorf("%v: url %s", opts, p.URL())
		}
		c, ok := p.Cookie("__Host-test")
		if !ok || !c.Secure || !c.HTTPOnly || c.SameSite != "Lax" || c.Path != "/" || !c.Session {
			t.Errorf("%v: cookie %+v (found %v)", opts, c, ok)
		}
		if n := p.TransferredBytes(); n <= 0 {
			t.Errorf("%v: %d bytes transferred", opts, n)
		}
	}
}

func TestDialogs(t *testing.T) {
	p := Open(t, site(t).URL+"/confirm")
	p.ClickExpectingNothing("#go")
	p.AnswerDialogs(true)
	p.Click("#go")
	if got := p.Text("#got"); got != "yes" {
		t.Errorf("after accepting: %q", got)
	}
	if d := p.Dialogs(); len(d) != 2 || d[0] != "Sure?" {
		t.Errorf("dialogs %q", d)
	}
}

func TestScreenshotsOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ScreenshotsEnv, "")
	p := Open(t, site(t).URL+"/clean", Width(375))
	p.Screenshot("none")
	t.Setenv(ScreenshotsEnv, dir)
	p.Screenshot("clean")
	b, err := os.ReadFile(dir + "/clean.png")
	if err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Fatalf("screenshot: %v, %d bytes", err, len(b))
	}
	if _, err := os.Stat(dir + "/none.png"); err == nil {
		t.Error("a screenshot was written although none was asked for")
	}
}
