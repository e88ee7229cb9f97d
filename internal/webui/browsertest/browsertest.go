// Package browsertest drives a real headless Chromium from Go tests, for the
// web UI: open a page at a phone's or a desktop's width, with or without
// JavaScript, fill and submit its forms, read its cookies, and check what a
// person cannot see in a handler test:
//
//   - every Content-Security-Policy violation the browser reports (and every
//     script error or failed sub-resource) fails the test, checked again when
//     the page is closed;
//   - axe-core (vendored in testdata) finds no serious or critical
//     accessibility violation;
//   - the page never scrolls sideways.
//
// One browser serves every test of a test binary (started on first use,
// stopped by Main); each page is a tab in a browser context of its own, so
// cookies never leak from one test to another. Use it as:
//
//	func TestMain(m *testing.M) { os.Exit(browsertest.Main(m)) }
//
//	func TestLoginPage(t *testing.T) {
//		p := browsertest.Open(t, srv.URL+"/login", browsertest.Width(375))
//		p.AssertNoHorizontalScroll()
//		p.AssertAccessible()
//	}
//
// Chromium is found as EPICEVENTS_CHROMIUM, else `chromium` (Debian's
// package) or a Chrome on the PATH. Without one the tests are skipped with a
// message, except when CI is set, where they fail: CI installs it.
//
// With EPICEVENTS_SCREENSHOTS=1, Page.Screenshot writes PNG files into the
// repository's docs/screenshots (another value names the folder).
package browsertest

import (
	"context"
	_ "embed" // axe-core
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeSource is axe-core, injected into pages through the DevTools protocol.
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// ChromiumEnv names a Chromium executable to use instead of the one found on
// the PATH.
const ChromiumEnv = "EPICEVENTS_CHROMIUM"

// ScreenshotsEnv asks for screenshots: "1" writes them into docs/screenshots
// of the repository, any other value is the folder to write them into.
const ScreenshotsEnv = "EPICEVENTS_SCREENSHOTS"

// actionTimeout bounds one step of a test (a navigation, a click, axe).
const actionTimeout = 30 * time.Second

// browser is the one Chromium of the test binary.
var browser struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab: the parent of every page
	stop   func()
	skip   string // why the tests are skipped, when no Chromium is found
	err    error  // why the browser did not start
	binary string
}

// Main runs the tests of m and then stops the browser, if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	return code
}

// findChromium returns the path of the browser to drive, or "".
func findChromium() string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// start launches the browser once. The flags keep a headless Chromium quiet
// and self-contained on a machine without network: no sandbox as root (it
// cannot start otherwise), no GPU, no QUIC, no first-run or sync or
// component updates or background requests, and a fresh profile folder.
func start() {
	bin := findChromium()
	if bin == "" {
		browser.skip = "no Chromium found: install Debian's chromium (apt-get install chromium) " +
			"or set " + ChromiumEnv + " to a Chromium or Chrome executable"
		return
	}
	browser.binary = bin
	dir, err := os.MkdirTemp("", "epicevents-chromium-")
	if err != nil {
		browser.err = err
		return
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,AutofillServerCommunication"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("lang", "en-US"),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		_ = os.RemoveAll(dir)
		browser.err = fmt.Errorf("%s did not start: %w", bin, err)
		return
	}
	browser.ctx = bctx
	browser.stop = func() {
		bcancel()
		acancel()
		_ = os.RemoveAll(dir)
	}
}

// Available reports whether a browser can be driven (and starts it): false
// with the reason when there is none.
func Available() (bool, string) {
	browser.once.Do(start)
	switch {
	case browser.skip != "":
		return false, browser.skip
	case browser.err != nil:
		return false, browser.err.Error()
	}
	return true, ""
}

// need returns the browser's context, or ends the test: skipped without a
// Chromium (failed under CI), failed when it does not start.
func need(t testing.TB) context.Context {
	t.Helper()
	browser.once.Do(start)
	if browser.skip != "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatalf("CI is set and %s", browser.skip)
		}
		t.Skip(browser.skip)
	}
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	return browser.ctx
}

// screenshotDir is where Screenshot writes, or "" when none is asked for.
func screenshotDir() (string, error) {
	v := os.Getenv(ScreenshotsEnv)
	switch v {
	case "", "0", "false":
		return "", nil
	case "1", "true":
	default:
		return v, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "docs", "screenshots"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory: set " + ScreenshotsEnv + " to a folder")
		}
		dir = parent
	}
}

// trimLines keeps a long report readable.
func trimLines(lines []string, n int) string {
	if len(lines) > n {
		lines = append(lines[:n:n], fmt.Sprintf("… and %d more", len(lines)-n))
	}
	return "\n  " + strings.Join(lines, "\n  ")
}
