package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Option sets up a page before it opens.
type Option func(*options)

type options struct {
	width, height int64
	noJS          bool
	dark          bool
}

// Width sets the viewport's width in CSS pixels (1440 by default); 375 is a
// phone's.
func Width(px int) Option { return func(o *options) { o.width = int64(px) } }

// NoJavaScript opens the page with scripts turned off, as a browser with
// JavaScript disabled: every page and form must work so.
func NoJavaScript() Option { return func(o *options) { o.noJS = true } }

// Dark asks the page for the dark colour scheme (prefers-color-scheme).
func Dark() Option { return func(o *options) { o.dark = true } }

// bindingName is the function the probe script calls to report to the test.
const bindingName = "__browsertestReport"

// probe runs in every document before the page's own scripts (it comes
// through the DevTools protocol, so the page's Content-Security-Policy does
// not apply to it). It reports policy violations as the page's scripts
// would see them, and the end of each htmx request, so that a test can wait
// for a page that htmx swaps in without a load. With JavaScript off it does
// not run; the Audits and Log domains still report violations then.
const probe = `(() => {
  const report = (kind, text) => { try { ` + bindingName + `(JSON.stringify({kind, text})); } catch (e) {} };
  document.addEventListener("securitypolicyviolation", (e) =>
    report("csp", e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
      (e.sourceFile ? " at " + e.sourceFile + ":" + e.lineNumber : "")), true);
  for (const name of ["htmx:afterSettle", "htmx:sendError", "htmx:responseError"]) {
    document.addEventListener(name, () => report("htmx", name), true);
  }
})();`

// failedLoad is a resource the browser reports it failed to load (or
// loaded with an error status).
type failedLoad struct {
	request network.RequestID
	text    string
}

// Page is one browser tab showing a page of the server under test. Its
// methods end the test on an error of the browser itself; the Assert…
// methods report what they find with t.Errorf and let the test go on.
type Page struct {
	t    testing.TB
	ctx  context.Context
	opts options

	mu       sync.Mutex
	csp      []string // policy violations, not yet checked
	problems []string // script errors, failed sub-resources
	failed   []failedLoad
	answers  map[network.RequestID]bool // requests whose answer is a page: documents, and htmx's
	loads    int                        // load events of the main frame
	swaps    int                        // htmx requests finished
	status   int                        // HTTP status of the last document or htmx answer
	docURL   string                     // URL of the last document
	bytes    int64                      // bytes received over the network, as sent (compressed)
	dialogs  []string                   // messages of the dialogs the page opened
	accept   bool                       // how dialogs are answered
	changed  chan struct{}
}

// Open opens url in a new tab, in a browser context of its own (no cookie
// of another test), and waits for it to load. When the test ends, any
// violation or error not yet checked fails it, and the tab is closed.
func Open(t testing.TB, url string, opts ...Option) *Page {
	t.Helper()
	parent := need(t)
	p := &Page{t: t, opts: options{width: 1440, height: 900}, changed: make(chan struct{}, 1),
		answers: map[network.RequestID]bool{}}
	for _, o := range opts {
		o(&p.opts)
	}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	// The first Do creates the tab; it binds the tab to ctx, so it has no
	// timeout of its own.
	if err := chromedp.Do(ctx, chromedp.Func(p.setUp)); err != nil {
		cancel()
		t.Fatalf("browser: cannot open a tab: %v", err)
	}
	t.Cleanup(func() {
		p.checkReports()
		cancel()
	})
	p.Go(url)
	return p
}

// setUp turns on the reports and the page's settings before the first
// navigation.
func (p *Page) setUp(ctx context.Context, t *chromedp.Target) error {
	if _, err := cdp.Call(ctx, t, audits.Enable, cdp.Empty{}); err != nil {
		return err
	}
	if _, err := cdp.Call(ctx, t, runtime.AddBinding, runtime.AddBindingParams{Name: bindingName}); err != nil {
		return err
	}
	if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: probe}); err != nil {
		return err
	}
	if _, err := chromedp.EmulateViewport(p.opts.width, p.opts.height)(ctx, t); err != nil {
		return err
	}
	scheme := "light"
	if p.opts.dark {
		scheme = "dark"
	}
	if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		return err
	}
	if p.opts.noJS {
		return p.setScripts(ctx, t, false)
	}
	return nil
}

func (p *Page) setScripts(ctx context.Context, t *chromedp.Target, on bool) error {
	_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
	return err
}

// listen runs in the tab's event loop: it only records.
func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *audits.EventIssueAdded:
		if d := ev.Issue.Details.ContentSecurityPolicyIssueDetails; d != nil {
			where := d.BlockedURL
			if where == "" {
				where = "inline " + string(d.ContentSecurityPolicyViolationType)
			}
			if l := d.SourceCodeLocation; l != nil {
				where += fmt.Sprintf(" at %s:%d", l.URL, l.LineNumber+1)
			}
			p.csp = append(p.csp, "audit: "+d.ViolatedDirective+" blocked "+where)
		}
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		switch {
		case strings.Contains(e.Text, "Content Security Policy"):
			p.csp = append(p.csp, "console: "+e.Text)
		case e.Source == cdplog.EntrySourceSecurity && e.Level == cdplog.EntryLevelError:
			// Such as a stylesheet refused for its MIME type.
			p.problems = append(p.problems, e.Text)
		case e.Level == cdplog.EntryLevelError && e.Source == cdplog.EntrySourceNetwork && e.URL != p.docURL:
			// A page answered with an error status is the test's to judge
			// (Status), whether the browser loaded it or htmx swapped it
			// in (a form answered 422); a stylesheet or script that fails
			// is a bug. Which it was is known once the answer's type is:
			// TakeProblems sorts them.
			p.failed = append(p.failed, failedLoad{e.NetworkRequestID, "failed to load " + e.URL + ": " + e.Text})
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		p.problems = append(p.problems, fmt.Sprintf("script error at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventBindingCalled:
		if ev.Name != bindingName {
			return
		}
		var r struct{ Kind, Text string }
		if json.Unmarshal([]byte(ev.Payload), &r) != nil {
			return
		}
		switch r.Kind {
		case "csp":
			p.csp = append(p.csp, "event: "+r.Text)
		case "htmx":
			p.swaps++
			p.signal()
		}
	case *network.EventResponseReceived:
		switch ev.Type {
		case network.ResourceTypeDocument:
			p.status, p.docURL = int(ev.Response.Status), ev.Response.URL
			p.answers[ev.RequestID] = true
		case network.ResourceTypeXHR, network.ResourceTypeFetch:
			p.status = int(ev.Response.Status)
			p.answers[ev.RequestID] = true
		}
	case *network.EventLoadingFinished:
		p.bytes += int64(ev.EncodedDataLength)
	case *page.EventLoadEventFired:
		p.loads++
		p.signal()
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, ev.Message)
		// The listener may not send commands; the dialog blocks the page
		// until it is answered, so answer it from another goroutine.
		accept := p.accept
		go func() {
			ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
			defer cancel()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}()
	}
}

// AnswerDialogs sets how the page's dialogs (confirm, alert) are answered
// from now on: accepted (OK) or dismissed (Cancel, the default).
func (p *Page) AnswerDialogs(accept bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accept = accept
}

// Dialogs returns the messages of the dialogs the page opened so far.
func (p *Page) Dialogs() []string {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// TransferredBytes is what the page received over the network since it was
// opened, as sent (compressed), documents and sub-resources included.
func (p *Page) TransferredBytes() int64 {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// signal wakes a waiter; p.mu is held.
func (p *Page) signal() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// do runs actions on the tab with a timeout, ending the test on an error.
func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %s: %v", what, err)
	}
}

// Eval evaluates the JavaScript expression js in the page (whatever its
// Content-Security-Policy, and even with JavaScript off) and decodes its
// value into T.
func Eval[T any](p *Page, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("browser: evaluating %s: %v", js, err)
	}
	return v
}

// Go navigates to url and waits for the page to load.
func (p *Page) Go(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(url)); err != nil {
		p.t.Fatalf("browser: opening %s: %v", url, err)
	}
}

// Status is the HTTP status of the page shown: of its document, or of the
// last answer htmx swapped in.
func (p *Page) Status() int {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// URL is the address the page shows.
func (p *Page) URL() string {
	p.t.Helper()
	return Eval[string](p, "location.href")
}

// Title is the document's title.
func (p *Page) Title() string {
	p.t.Helper()
	return Eval[string](p, "document.title")
}

// Text is the visible text of the first element matching the CSS selector.
func (p *Page) Text(selector string) string {
	p.t.Helper()
	return Eval[string](p, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : ""; })()`, jsString(selector)))
}

// Attr is the attribute name of the first element matching the CSS
// selector ("" when absent).
func (p *Page) Attr(selector, name string) string {
	p.t.Helper()
	return Eval[string](p, fmt.Sprintf(`(() => { const e = document.querySelector(%s); return (e && e.getAttribute(%s)) || ""; })()`,
		jsString(selector), jsString(name)))
}

// Count is the number of elements matching the CSS selector.
func (p *Page) Count(selector string) int {
	p.t.Helper()
	return Eval[int](p, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(selector)))
}

// Fill types value into the field matching the CSS selector, after
// clearing it, as a person would (key events). It focuses the field and
// types rather than calling chromedp.SendKeys, which reads the node's
// attributes while chromedp's event loop may be changing them (a data race
// in chromedp v0.23.1 that the race detector reports).
func (p *Page) Fill(selector, value string) {
	p.t.Helper()
	p.do("filling "+selector, chromedp.Clear(chromedp.CSS(selector)),
		chromedp.Focus(chromedp.CSS(selector), chromedp.NodeVisible), chromedp.KeyEvent(value))
}

// Select chooses the option whose value is value in the select matching the
// CSS selector.
func (p *Page) Select(selector, value string) {
	p.t.Helper()
	p.do("choosing in "+selector, chromedp.SetValue(chromedp.CSS(selector), value))
}

// Press sends a key ("\t" for Tab, "\r" for Enter, or a kb constant) to the
// focused element.
func (p *Page) Press(keys string) {
	p.t.Helper()
	p.do("pressing keys", chromedp.KeyEvent(keys))
}

// Click clicks the element matching the CSS selector, and waits for what it
// leads to: a new page (a load), or the end of the htmx request it sends.
// Use it for a submit button or a link.
func (p *Page) Click(selector string) {
	p.t.Helper()
	p.mu.Lock()
	loads, swaps := p.loads, p.swaps
	p.mu.Unlock()
	p.do("clicking "+selector, chromedp.Click(chromedp.CSS(selector)))
	deadline := time.After(actionTimeout)
	for {
		p.mu.Lock()
		done := p.loads > loads || p.swaps > swaps
		p.mu.Unlock()
		if done {
			p.sync()
			return
		}
		select {
		case <-p.changed:
		case <-deadline:
			p.t.Fatalf("browser: clicking %s led to no page within %s", selector, actionTimeout)
		}
	}
}

// WaitFor waits until the JavaScript expression cond is true, for what
// happens without a load (a list htmx swaps in as the user types).
func (p *Page) WaitFor(cond string) {
	p.t.Helper()
	deadline := time.Now().Add(actionTimeout)
	for !Eval[bool](p, "Boolean("+cond+")") {
		if time.Now().After(deadline) {
			p.t.Fatalf("browser: %s: %s did not become true within %s", p.where(), cond, actionTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ClickExpectingNothing clicks the element matching the CSS selector and
// fails the test if that leads to a new page or an htmx request within a
// second (a cancelled confirmation, a disabled button).
func (p *Page) ClickExpectingNothing(selector string) {
	p.t.Helper()
	p.mu.Lock()
	loads, swaps := p.loads, p.swaps
	p.mu.Unlock()
	p.do("clicking "+selector, chromedp.Click(chromedp.CSS(selector)))
	time.Sleep(time.Second)
	p.sync()
	p.mu.Lock()
	moved := p.loads > loads || p.swaps > swaps
	p.mu.Unlock()
	if moved {
		p.t.Errorf("%s: clicking %s led to a request; it should not have", p.where(), selector)
	}
}

// sync makes sure that every event the browser sent before now has been
// recorded: a command's answer comes after the events that precede it.
func (p *Page) sync() {
	p.t.Helper()
	Eval[int](p, "0")
}

// TakeCSPViolations returns the Content-Security-Policy violations reported
// so far, and forgets them. Each may be reported up to three ways (the
// Audits domain, the console, the page's event).
func (p *Page) TakeCSPViolations() []string {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.csp
	p.csp = nil
	return v
}

// TakeProblems returns the script errors and failed sub-resources reported
// so far, and forgets them. A page answered with an error status (loaded by
// the browser, or swapped in by htmx) is not one: Status tells it.
func (p *Page) TakeProblems() []string {
	p.sync()
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.problems
	for _, f := range p.failed {
		if f.request == "" || !p.answers[f.request] {
			v = append(v, f.text)
		}
	}
	p.problems, p.failed = nil, nil
	return v
}

// AssertNoCSPViolations fails the test if the browser reported a
// Content-Security-Policy violation, or a script error or a failed
// sub-resource. Open checks it again at the end of the test.
func (p *Page) AssertNoCSPViolations() {
	p.t.Helper()
	if v := p.TakeCSPViolations(); len(v) > 0 {
		p.t.Errorf("%s: the browser reported %d Content-Security-Policy violation(s):%s", p.where(), len(v), trimLines(v, 10))
	}
	if v := p.TakeProblems(); len(v) > 0 {
		p.t.Errorf("%s: the browser reported %d error(s):%s", p.where(), len(v), trimLines(v, 10))
	}
}

func (p *Page) checkReports() {
	p.t.Helper()
	if p.t.Failed() && p.ctx.Err() != nil {
		return
	}
	p.AssertNoCSPViolations()
}

// where names the page in failures: its address and its settings.
func (p *Page) where() string {
	p.mu.Lock()
	u := p.docURL
	p.mu.Unlock()
	s := fmt.Sprintf("%s at %dpx", u, p.opts.width)
	if p.opts.noJS {
		s += " without JavaScript"
	}
	if p.opts.dark {
		s += " in dark mode"
	}
	return s
}

// HorizontalOverflow reports by how many pixels the page is wider than the
// viewport, and the elements that stick out (at most five).
func (p *Page) HorizontalOverflow() (int, []string) {
	p.t.Helper()
	type overflow struct {
		Over     float64  `json:"over"`
		Culprits []string `json:"culprits"`
	}
	r := Eval[overflow](p, `(() => {
  const root = document.documentElement, width = root.clientWidth;
  const culprits = [];
  for (const e of document.body.querySelectorAll("*")) {
    const b = e.getBoundingClientRect();
    if (b.right > width + 0.5 && culprits.length < 5) {
      culprits.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
        (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
        " ends at " + Math.round(b.right) + "px");
    }
  }
  return {over: root.scrollWidth - width, culprits};
})()`)
	return int(math.Round(r.Over)), r.Culprits
}

// AssertNoHorizontalScroll fails the test if the page scrolls sideways.
func (p *Page) AssertNoHorizontalScroll() {
	p.t.Helper()
	if over, culprits := p.HorizontalOverflow(); over > 0 {
		p.t.Errorf("%s scrolls sideways by %dpx; too wide:%s", p.where(), over, trimLines(culprits, 5))
	}
}

// Violation is one rule axe-core finds broken, with the elements at fault.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s%s", v.ID, v.Impact, v.Help, trimLines(v.Nodes, 3))
}

// axeTags are the rule sets axe-core runs: WCAG 2.0 to 2.2, A and AA, and
// axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Accessibility runs axe-core on the page as it is now and returns every
// violation it finds. axe is injected through the DevTools protocol, so the
// page's own Content-Security-Policy is not relaxed for it; on a page opened
// without JavaScript, scripts are allowed for the time of the check only
// (the page's own scripts, skipped at load, do not run).
func (p *Page) Accessibility() []Violation {
	p.t.Helper()
	tags, _ := json.Marshal(axeTags)
	run := `axe.run(document, {resultTypes: ["violations"], runOnly: {type: "tag", values: ` + string(tags) + `}})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))})))`
	var out []Violation
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if p.opts.noJS {
			if err := p.setScripts(ctx, t, true); err != nil {
				return err
			}
			defer func() { _ = p.setScripts(context.WithoutCancel(ctx), t, false) }()
		}
		loaded, err := chromedp.Evaluate[bool](`typeof window.axe === "object"`)(ctx, t)
		if err != nil {
			return err
		}
		if !loaded {
			if _, err := chromedp.Evaluate[chromedp.Void](axeSource)(ctx, t); err != nil {
				return fmt.Errorf("injecting axe-core: %w", err)
			}
		}
		out, err = chromedp.Evaluate[[]Violation](run, chromedp.EvalAwaitPromise)(ctx, t)
		return err
	}))
	if err != nil {
		p.t.Fatalf("browser: axe-core on %s: %v", p.where(), err)
	}
	return out
}

// AssertAccessible fails the test on every serious or critical violation
// axe-core finds; the others are logged.
func (p *Page) AssertAccessible() {
	p.t.Helper()
	for _, v := range p.Accessibility() {
		if v.Impact == "serious" || v.Impact == "critical" {
			p.t.Errorf("%s: accessibility: %s", p.where(), v)
		} else {
			p.t.Logf("%s: accessibility (not failing): %s", p.where(), v)
		}
	}
}

// Cookie is a cookie as the browser keeps it.
type Cookie struct {
	Name, Value, Domain, Path string
	HTTPOnly, Secure, Session bool
	SameSite                  string // "Strict", "Lax", "None" or "" (unset)
	Expires                   time.Time
}

// Cookies returns the cookies the browser would send to the page's address.
func (p *Page) Cookies() []Cookie {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		p.t.Fatalf("browser: reading cookies: %v", err)
	}
	out := make([]Cookie, 0, len(res.Cookies))
	for _, c := range res.Cookies {
		k := Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, HTTPOnly: c.HTTPOnly,
			Secure: c.Secure, Session: c.Session, SameSite: string(c.SameSite)}
		if !c.Session && c.Expires > 0 {
			k.Expires = time.Unix(int64(c.Expires), 0)
		}
		out = append(out, k)
	}
	return out
}

// Cookie returns the cookie named name, if the browser holds it.
func (p *Page) Cookie(name string) (Cookie, bool) {
	p.t.Helper()
	for _, c := range p.Cookies() {
		if c.Name == name {
			return c, true
		}
	}
	return Cookie{}, false
}

// Screenshot saves the whole page as name.png when EPICEVENTS_SCREENSHOTS
// asks for screenshots, and does nothing otherwise.
func (p *Page) Screenshot(name string) {
	p.t.Helper()
	dir, err := screenshotDir()
	if err != nil {
		p.t.Fatal(err)
	}
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	// From the top: a page scrolled (to an autofocus field) is drawn
	// wrongly beyond the viewport.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void]("window.scrollTo(0, 0)")); err != nil {
		p.t.Fatalf("browser: scrolling %s to the top: %v", p.where(), err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("browser: screenshot of %s: %v", p.where(), err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot of %s: %s", p.where(), file)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
