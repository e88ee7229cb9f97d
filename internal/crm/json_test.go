package crm

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// stdJSON is encoding/json's output for v without HTML escaping, without the
// newline.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// records builds one record of each kind with s in every text, ts in every
// time, n in every number, and the optional fields set when set is true.
func records(s string, ts time.Time, n int64, set bool) []JSONAppender {
	var (
		ps  *string
		pt  *time.Time
		pid *int64
	)
	if set {
		ps, pt, pid = &s, &ts, &n
	}
	return []JSONAppender{
		Employee{ID: n, FirstName: s, LastName: s, Email: s, Role: Role(s), Active: set, CreatedAt: ts,
			UpdatedAt: ts, DeactivatedAt: pt, Version: n, MustChangePassword: set},
		Client{ID: n, FirstName: s, LastName: s, Email: s, Phone: ps, CompanyName: ps, SalesContactID: n,
			SalesContactName: s, CreatedAt: ts, UpdatedAt: ts, Version: n},
		Contract{ID: n, ClientID: n, ClientName: s, SalesContactID: n, SalesContactName: s, TotalAmount: Cents(n),
			AmountDue: Cents(-n), Signed: set, SignedAt: pt, CreatedAt: ts, UpdatedAt: ts, Version: n},
		Event{ID: n, Name: s, ContractID: n, ClientID: n, ClientName: s, ClientEmail: s, ClientPhone: ps,
			Start: ts, End: ts, SupportContactID: pid, SupportContactName: ps, Location: s, Attendees: int(n),
			Notes: ps, CreatedAt: ts, UpdatedAt: ts, SalesContactID: n, Version: n},
	}
}

// checkSame fails when AppendJSON and encoding/json disagree on r, on the
// bytes or on whether it can be encoded at all.
func checkSame(t *testing.T, r JSONAppender) {
	t.Helper()
	want, wantErr := stdJSON(r)
	got, gotErr := r.AppendJSON([]byte("prefix"))
	if (wantErr != nil) != (gotErr != nil) {
		t.Fatalf("%T: encoding/json error %v, AppendJSON error %v", r, wantErr, gotErr)
	}
	if wantErr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("%T differs from encoding/json:\n got %s\nwant prefix%s", r, got, want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	texts := []string{"", "plain", "Adèle André", "emoji 🎉 and 中文", `quote " backslash \ slash /`,
		"<script>&amp;</script>", "\b\f\n\r\t", "\x00\x01\x1f\x7f", "\u2028 and \u2029", "bad utf-8 \xff\xfe end",
		"\xed\xa0\x80 surrogate half", "\u0085\u00a0\ufeff", "=cmd|' /C calc'!A0", "truncated \xe2\x80"}
	at := time.Date(2026, 3, 10, 9, 30, 0, 123456789, time.UTC)
	times := []time.Time{at, at.Truncate(time.Second), at.In(time.FixedZone("CET", 3600)),
		at.In(time.FixedZone("odd", -(9*3600 + 30*60))), {}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		at.In(time.FixedZone("too far", 24*3600))}
	numbers := []int64{0, 1, -1, 150050, int64(MaxAmount), 1 << 53, -1 << 63, 1<<63 - 1}
	for i, s := range texts {
		for j, ts := range times {
			for _, set := range []bool{false, true} {
				for _, r := range records(s, ts, numbers[(i+j)%len(numbers)], set) {
					checkSame(t, r)
				}
			}
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("Adèle <André> & co", int64(1773135000123456789), int64(150050), true)
	f.Add("\x00\u2028\xff\\\"", int64(0), int64(-5), false)
	f.Fuzz(func(t *testing.T, s string, nanos, n int64, set bool) {
		for _, ts := range []time.Time{time.Unix(0, nanos).UTC(), time.Unix(nanos, 0)} {
			for _, r := range records(s, ts, n, set) {
				checkSame(t, r)
			}
		}
	})
}
