package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestMount: the API's paths go to the API, every other path to the web UI.
func TestMount(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Side", "api") })
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Side", "ui") })
	h := mount(api, ui)
	for path, want := range map[string]string{
		"/api/v1":              "api",
		"/api/v1/":             "api",
		"/api/v1/clients":      "api",
		"/api/v1/openapi.json": "api",
		"/healthz":             "api",
		"/readyz":              "api",
		"/metrics":             "api",
		"/":                    "ui",
		"/login":               "ui",
		"/static/app.css":      "ui",
		"/api/v10":             "ui",
		"/api/v1x/clients":     "ui",
		"/api":                 "ui",
		"/healthz/":            "ui",
		"/metrics/extra":       "ui",
		"/clients":             "ui",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if got := rec.Header().Get("X-Side"); got != want {
			t.Errorf("%s went to the %s, want the %s", path, got, want)
		}
	}
}

func TestPlainHTTPWarning(t *testing.T) {
	for addr, warns := range map[string]bool{
		"127.0.0.1:8080": false,
		"127.0.0.2:8080": false,
		"[::1]:8080":     false,
		"0.0.0.0:8080":   true,
		"[::]:8080":      true,
		"10.0.0.5:8080":  true,
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		w := plainHTTPWarning(a)
		if (w != "") != warns {
			t.Errorf("%s: warning %q", addr, w)
		}
		if warns && (!strings.Contains(w, "HTTPS") || !strings.Contains(w, "--tls-cert")) {
			t.Errorf("%s: the warning does not say what to do: %q", addr, w)
		}
	}
}
