package webui

import "testing"

// TestSafeNext: only a path of this site is ever followed after the login.
func TestSafeNext(t *testing.T) {
	for raw, want := range map[string]string{
		"":                                  "",
		"/":                                 "/",
		"/clients":                          "/clients",
		"/clients?mine=1&search=Kevin":      "/clients?mine=1&search=Kevin",
		"/clients?search=Caf%C3%A9":         "/clients?search=Caf%C3%A9",
		`/clients?search="><script>`:        "/clients?search=%22%3E%3Cscript%3E",
		"/clients?search=a b":               "/clients?search=a%20b",
		"/clients/7#notes":                  "/clients/7",
		"/events/new?contract_id=3":         "/events/new?contract_id=3",
		"//evil.example":                    "",
		"//evil.example/clients":            "",
		"///evil.example":                   "",
		`/\evil.example`:                    "",
		`\/evil.example`:                    "",
		"/\t/evil.example":                  "",
		"/\n/evil.example":                  "",
		"/\r\nLocation: https://evil":       "",
		"https://evil.example/":             "",
		"http:/evil.example":                "",
		"javascript:alert(1)":               "",
		"evil.example":                      "",
		"clients":                           "",
		"/login":                            "",
		"/login?next=/clients":              "",
		"/static/app.css":                   "",
		"/%2F%2Fevil.example":               "/%2F%2Fevil.example",
		"/%zz":                              "",
		"/clients\x7f":                      "",
		"/" + string(make([]byte, maxNext)): "",
	} {
		if got := safeNext(raw); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", raw, got, want)
		}
	}
}
