package crm_test

import (
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
)

func TestCheckIdempotencyKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"4f8c2a9e-6b1d-4c3e-9a7f-2d5e8b1c0a3f", true},
		{"a", true},
		{"with spaces and ~!@#$%^&*()", true},
		{strings.Repeat("k", crm.MaxIdempotencyKeyLen), true},
		{"", false},
		{strings.Repeat("k", crm.MaxIdempotencyKeyLen+1), false},
		{"clé", false},
		{"tab\there", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"line\nbreak", false},
	} {
		err := crm.CheckIdempotencyKey("Idempotency-Key", tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v, want ok %v", tc.key, err, tc.ok)
			continue
		}
		if err != nil {
			if e, _ := crm.AsError(err); e == nil || e.Code != crm.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "Idempotency-Key" {
				t.Errorf("%q: %#v, want an invalid Idempotency-Key", tc.key, err)
			}
		}
	}
}

func TestKeepAnswer(t *testing.T) {
	for status, keep := range map[int]bool{
		200: true, 201: true, 204: true, 400: true, 403: true, 404: true, 409: true, 413: true, 422: true,
		0: false, 401: false, 408: false, 429: false, 500: false, 502: false, 503: false,
	} {
		if got := crm.KeepAnswer(status); got != keep {
			t.Errorf("KeepAnswer(%d) = %v, want %v", status, got, keep)
		}
	}
}
