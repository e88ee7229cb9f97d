package telemetry

import (
	"errors"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
)

const (
	testJWT     = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJlX2J5dGVzX2hlcmVfMTIz"
	testRefresh = "q8Zr0mJXlT2vN5cH-wYdPkA7sEoBuGi_3fLxRhn9bVU" // 32 random bytes, base64url
	testHex     = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	testArgon2  = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
)

func TestScrubString(t *testing.T) {
	for _, c := range []struct {
		name, in, want string
	}{
		{"plain text stays", "list clients: no such table: clients", "list clients: no such table: clients"},
		{"action name stays", "employee.create", "employee.create"},
		{"short reference stays", "internal error (reference 3fa9c2d18b04)", "internal error (reference 3fa9c2d18b04)"},
		{"long identifier stays", "violates constraint clients_sales_contact_id_fkey_and_more", "violates constraint clients_sales_contact_id_fkey_and_more"},
		{"jwt", "token " + testJWT + " refused", "token [Filtered] refused"},
		{"bearer", "Authorization: Bearer abc.def-ghi", "Authorization: [Filtered]"},
		{"bearer alone", "sent bearer xyz123", "sent [Filtered]"},
		{"refresh token", "refresh " + testRefresh + " reused", "refresh [Filtered] reused"},
		{"hex hash", "hash " + testHex, "hash [Filtered]"},
		{"argon2 hash", "stored " + testArgon2 + " ok", "stored [Filtered] ok"},
		{"email", "duplicate key (email)=(ada.lovelace+crm@epic.example) exists", "duplicate key (email)=([Filtered]) exists"},
		{"password pair", "login password=hunter2 failed", "login password=[Filtered] failed"},
		{"json password", `{"password": "correct horse", "email_ok": true}`, `{"password": "[Filtered]", "email_ok": true}`},
		{"secret pair", "EPICEVENTS_JWT_SECRET=abc", "EPICEVENTS_JWT_SECRET=[Filtered]"},
		{"token pair", "refresh_token: abc", "refresh_token: [Filtered]"},
		{"url password", "dial postgres://app:s3cr3t@db:5432/crm failed", "dial postgres://app:[Filtered]@db:5432/crm failed"},
		{"empty", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ScrubString(c.in); got != c.want {
				t.Errorf("ScrubString(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestScrubEvent(t *testing.T) {
	secrets := []string{testJWT, testRefresh, testHex, testArgon2, "ada@epic.example", "hunter2", "10.1.2.3", "ada_l", "Ada Lovelace", "session=abc"}
	for _, c := range []struct {
		name  string
		event func() *sentry.Event
		keep  []string // what must survive
	}{
		{"user keeps only its id", func() *sentry.Event {
			e := sentry.NewEvent()
			e.User = sentry.User{ID: "42", Email: "ada@epic.example", IPAddress: "10.1.2.3", Username: "ada_l", Name: "Ada Lovelace",
				Data: map[string]string{"k": "v"}}
			return e
		}, []string{`"id":"42"`}},
		{"message and exception values", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Message = "login for ada@epic.example with password=hunter2"
			e.Exception = []sentry.Exception{{Type: "*errors.errorString", Value: "verify " + testArgon2 + " / " + testJWT,
				Mechanism: &sentry.Mechanism{Type: "generic", Data: map[string]any{"token": "x", "note": testRefresh}}}}
			return e
		}, []string{"login for", "verify", "*errors.errorString"}},
		{"tags by key and by value", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Tags = map[string]string{"reference": "3fa9c2d18b04", "access_token": "short", "note": "hash " + testHex, "Password": "hunter2"}
			return e
		}, []string{`"reference":"3fa9c2d18b04"`, `"access_token":"[Filtered]"`, `"Password":"[Filtered]"`}},
		{"contexts, nested", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Contexts = map[string]sentry.Context{
				"state": {"refresh": testRefresh, "nested": map[string]any{"pwd": "hunter2", "who": []any{"ada@epic.example", 7}},
					"headers": map[string]string{"Authorization": "Bearer " + testJWT}, "count": 3, "err": errors.New("user ada@epic.example")},
				"trace":   {"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "span_id": "00f067aa0ba902b7", "op": "x " + testHex},
				"runtime": {"name": "go", "version": "go1.26.8"},
			}
			return e
		}, []string{`"count":3`, `"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`, `"span_id":"00f067aa0ba902b7"`, `"version":"go1.26.8"`, `7`}},
		{"breadcrumbs", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Breadcrumbs = []*sentry.Breadcrumb{{Message: "POST /auth/login ada@epic.example", Data: map[string]any{"session": "abc", "body": `{"password":"hunter2"}`}}}
			return e
		}, []string{"POST /auth/login"}},
		{"request", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Request = &sentry.Request{URL: "https://ada:hunter2@crm.example/api/v1/clients?search=Ada+Lovelace#frag", Method: "GET",
				Data: `{"password":"hunter2"}`, QueryString: "search=Ada Lovelace", Cookies: "session=abc",
				Headers: map[string]string{"Authorization": "Bearer " + testJWT, "Cookie": "session=abc", "Content-Type": "application/json",
					"User-Agent": "epicevents/1.0", "X-Forwarded-For": "10.1.2.3"},
				Env: map[string]string{"REMOTE_ADDR": "10.1.2.3"}}
			return e
		}, []string{`"url":"https://crm.example/api/v1/clients"`, `"method":"GET"`, "application/json", "epicevents/1.0"}},
		{"server name", func() *sentry.Event {
			e := sentry.NewEvent()
			e.ServerName = "Ada Lovelace" // a laptop named after its owner
			return e
		}, nil},
		{"transaction spans", func() *sentry.Event {
			e := sentry.NewEvent()
			e.Type = "transaction"
			e.Transaction = "GET /clients?email=ada@epic.example"
			e.Spans = []*sentry.Span{{Description: "SELECT … WHERE email = 'ada@epic.example'", Tags: map[string]string{"token": "x"},
				Data: map[string]any{"db.statement": "password=hunter2"}}}
			return e
		}, []string{"SELECT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := Scrub(c.event())
			raw, err := e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			out := string(raw)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%q survived:\n%s", s, out)
				}
			}
			for _, s := range c.keep {
				if !strings.Contains(out, s) {
					t.Errorf("%q was lost:\n%s", s, out)
				}
			}
		})
	}
}

func TestScrubNil(t *testing.T) {
	if Scrub(nil) != nil {
		t.Fatal("Scrub(nil) is not nil")
	}
	scrubBreadcrumb(nil)
}
