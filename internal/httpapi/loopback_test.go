package httpapi

import (
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

// Plain http:// carries the password and the tokens in clear: only to a
// server on this machine, named so that no resolver can send it elsewhere.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, in := range []string{
		"http://localhost", "http://LOCALHOST:8080/", "http://127.0.0.1:8080", "http://127.3.2.1",
		"http://127.255.255.254:9", "http://[::1]:8080", "http://[::ffff:127.0.0.1]:8080",
		"https://crm.example.com", "https://10.0.0.5:8443",
	} {
		if _, err := NormalizeServerURL(in); err != nil {
			t.Errorf("NormalizeServerURL(%q): %v", in, err)
		}
	}
	for _, in := range []string{
		"http://crm.example.com", "http://crm.example.com:80", "HTTP://CRM.EXAMPLE.COM",
		"http://10.0.0.5:8080", "http://192.168.1.10", "http://0.0.0.0:8080", "http://[::]:8080",
		"http://[fe80::1%25eth0]:8080", "http://[::ffff:10.0.0.1]", "http://128.0.0.1",
		// Names and shorthands that only a resolver turns into a loopback address.
		"http://localhost.", "http://localhost.evil.example", "http://sub.localhost", "http://127.1",
		"http://2130706433", "http://0x7f000001", "http://127.0.0.1.nip.io", "http://localhost:8080@evil.example",
	} {
		_, err := NormalizeServerURL(in)
		e, ok := crm.AsError(err)
		if !ok || e.Code != crm.CodeInvalid {
			t.Errorf("NormalizeServerURL(%q) = %v; want an invalid error", in, err)
			continue
		}
		if strings.Contains(in, "@") {
			continue // refused for its user name first
		}
		for _, want := range []string{"unencrypted", "use https://", "localhost, 127.0.0.0/8 and [::1]"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("NormalizeServerURL(%q): %q does not say %q", in, e.Message, want)
			}
		}
	}
	if _, err := NewClient("http://crm.example.com", ClientOptions{}); crm.ErrorCode(err) != crm.CodeInvalid {
		t.Errorf("NewClient over plain http to another machine: %v", err)
	}
}

// The refusal of an address repeats it, but never a password written in it.
func TestServerURLErrorHidesPassword(t *testing.T) {
	for _, in := range []string{"https://ada:s3cret-pass@crm.example.com", "http://ada:s3cret-pass@crm.example.com", "ftp://ada:s3cret-pass@x.example"} {
		_, err := NormalizeServerURL(in)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("NormalizeServerURL(%q) = %v", in, err)
		}
	}
}
