package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/epicevents/epicevents/internal/crm"
)

var (
	key1 = []byte("first-signing-key-of-at-least-32-bytes!")
	key2 = []byte("second-signing-key-of-at-least-32-bytes")
	key3 = []byte("a-key-nobody-configured-at-all-32bytes!!")
)

// clock is an injectable time source that tests move by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestJWT(t *testing.T, keys ...[]byte) (*JWT, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	j, err := NewJWT(keys, 15*time.Minute, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return j, c
}

// wantUnauthenticated checks the one error shape every refusal must have, and
// that it carries neither the token nor a key.
func wantUnauthenticated(t *testing.T, err error, reason, token string) {
	t.Helper()
	e, ok := crm.AsError(err)
	if !ok || e.Code != crm.CodeUnauthenticated || e.Reason != reason {
		t.Fatalf("err = %#v; want CodeUnauthenticated with Reason %q", err, reason)
	}
	want := msgInvalid
	if reason == "expired" {
		want = msgExpired
	}
	if e.Message != want {
		t.Fatalf("message = %q, want %q", e.Message, want)
	}
	texts := []string{e.Error()}
	if e.Err != nil {
		texts = append(texts, e.Err.Error())
	}
	for _, s := range texts {
		for _, secret := range []string{string(key1), string(key2), string(key3)} {
			if strings.Contains(s, secret) {
				t.Fatalf("error %q contains a key", s)
			}
		}
		if len(token) > 20 && strings.Contains(s, token) {
			t.Fatalf("error %q contains the token", s)
		}
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	j, c := newTestJWT(t, key1)
	c.t = c.t.Add(500 * time.Millisecond) // sub-second times must not break equality
	tok, exp, err := j.Issue(crm.AccessClaims{EmployeeID: 42, SessionID: 7})
	if err != nil {
		t.Fatal(err)
	}
	if want := c.t.Truncate(time.Second).Add(15 * time.Minute); !exp.Equal(want) {
		t.Fatalf("expiresAt = %v, want %v", exp, want)
	}
	got, err := j.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.EmployeeID != 42 || got.SessionID != 7 || !got.ExpiresAt.Equal(exp) || !got.IssuedAt.Equal(c.t.Truncate(time.Second)) {
		t.Fatalf("claims = %+v", got)
	}

	// The payload has exactly the documented claims.
	payload := decodeSegment(t, strings.Split(tok, ".")[1])
	for _, k := range []string{"iss", "aud", "typ", "sub", "sid", "iat", "exp", "jti"} {
		if _, ok := payload[k]; !ok {
			t.Errorf("payload lacks %q: %v", k, payload)
		}
	}
	if payload["iss"] != "epicevents" || payload["typ"] != "access" || payload["sub"] != "42" || payload["sid"] != 7.0 {
		t.Errorf("payload = %v", payload)
	}
	if aud, _ := payload["aud"].([]any); len(aud) != 1 || aud[0] != "epicevents" {
		t.Errorf("aud = %v, want [epicevents]", payload["aud"])
	}
	if header := decodeSegment(t, strings.Split(tok, ".")[0]); header["alg"] != "HS256" {
		t.Errorf("header = %v", header)
	}

	// jti is random: two tokens issued in the same second differ.
	tok2, _, _ := j.Issue(crm.AccessClaims{EmployeeID: 42, SessionID: 7})
	if tok2 == tok {
		t.Error("two tokens are identical; jti is not random")
	}
}

func TestIssueRefusesBadIDs(t *testing.T) {
	j, _ := newTestJWT(t, key1)
	for _, c := range []crm.AccessClaims{{}, {EmployeeID: 1}, {SessionID: 1}, {EmployeeID: -1, SessionID: 1}} {
		if _, _, err := j.Issue(c); err == nil {
			t.Errorf("Issue(%+v) succeeded", c)
		}
	}
}

func TestVerifyExpiry(t *testing.T) {
	j, c := newTestJWT(t, key1)
	start := c.t
	tok, _, err := j.Issue(crm.AccessClaims{EmployeeID: 1, SessionID: 1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		after  time.Duration
		reason string // "" = valid
		valid  bool
	}{
		{"fresh", 0, "", true},
		{"just before exp", 15*time.Minute - time.Second, "", true},
		{"within leeway", 15*time.Minute + 29*time.Second, "", true},
		{"past leeway", 15*time.Minute + 31*time.Second, "expired", false},
		{"a day later", 24 * time.Hour, "expired", false},
		{"iat within leeway in the future", -29 * time.Second, "", true},
		{"iat beyond leeway in the future", -time.Minute, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = start.Add(tt.after)
			_, err := j.Verify(tok)
			if tt.valid {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			wantUnauthenticated(t, err, tt.reason, tok)
		})
	}
}

// claims returns valid access claims as a map, for tests to spoil one at a time.
func claims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "epicevents",
		"aud": []string{"epicevents"},
		"typ": "access",
		"sub": "42",
		"sid": 7,
		"iat": now.Unix(),
		"exp": now.Add(15 * time.Minute).Unix(),
		"jti": "abc",
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encodeSegment(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRefuses(t *testing.T) {
	j, c := newTestJWT(t, key1)
	now := c.t
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _, err := j.Issue(crm.AccessClaims{EmployeeID: 42, SessionID: 7})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")

	spoil := func(f func(jwt.MapClaims)) string {
		m := claims(now)
		f(m)
		return sign(t, jwt.SigningMethodHS256, key1, m)
	}
	// tamper re-encodes the payload with one claim changed and keeps the
	// original signature.
	tamper := func(k string, v any) string {
		p := decodeSegment(t, parts[1])
		p[k] = v
		return parts[0] + "." + encodeSegment(t, p) + "." + parts[2]
	}
	header := func(h map[string]any) string {
		return encodeSegment(t, h) + "." + parts[1] + "." + parts[2]
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(now)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, token string
		reason      string
	}{
		// Sanity: the helper makes a token that passes.
		{"control: valid", spoil(func(jwt.MapClaims) {}), "ok"},

		{"HS384", sign(t, jwt.SigningMethodHS384, key1, claims(now)), ""},
		{"HS512", sign(t, jwt.SigningMethodHS512, key1, claims(now)), ""},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, claims(now)), ""},
		{"alg none", none, ""},
		{"alg none, signature kept", header(map[string]any{"alg": "none", "typ": "JWT"}), ""},
		{"alg NONE", header(map[string]any{"alg": "NONE", "typ": "JWT"}), ""},
		{"alg HS256 lower case", header(map[string]any{"alg": "hs256", "typ": "JWT"}), ""},
		{"no alg", header(map[string]any{"typ": "JWT"}), ""},
		{"wrong key", sign(t, jwt.SigningMethodHS256, key3, claims(now)), ""},

		{"wrong audience", spoil(func(m jwt.MapClaims) { m["aud"] = []string{"other"} }), ""},
		{"audience as string of another", spoil(func(m jwt.MapClaims) { m["aud"] = "other" }), ""},
		{"no audience", spoil(func(m jwt.MapClaims) { delete(m, "aud") }), ""},
		{"wrong issuer", spoil(func(m jwt.MapClaims) { m["iss"] = "someone-else" }), ""},
		{"no issuer", spoil(func(m jwt.MapClaims) { delete(m, "iss") }), ""},
		{"typ refresh", spoil(func(m jwt.MapClaims) { m["typ"] = "refresh" }), ""},
		{"typ upper case", spoil(func(m jwt.MapClaims) { m["typ"] = "ACCESS" }), ""},
		{"no typ", spoil(func(m jwt.MapClaims) { delete(m, "typ") }), ""},
		{"no exp", spoil(func(m jwt.MapClaims) { delete(m, "exp") }), ""},
		{"exp as string", spoil(func(m jwt.MapClaims) { m["exp"] = "tomorrow" }), ""},
		{"no iat", spoil(func(m jwt.MapClaims) { delete(m, "iat") }), ""},
		{"no sub", spoil(func(m jwt.MapClaims) { delete(m, "sub") }), ""},
		{"sub not numeric", spoil(func(m jwt.MapClaims) { m["sub"] = "admin" }), ""},
		{"sub a number", spoil(func(m jwt.MapClaims) { m["sub"] = 42 }), ""},
		{"sub zero-padded", spoil(func(m jwt.MapClaims) { m["sub"] = "042" }), ""},
		{"sub zero", spoil(func(m jwt.MapClaims) { m["sub"] = "0" }), ""},
		{"sub negative", spoil(func(m jwt.MapClaims) { m["sub"] = "-42" }), ""},
		{"no sid", spoil(func(m jwt.MapClaims) { delete(m, "sid") }), ""},
		{"sid as string", spoil(func(m jwt.MapClaims) { m["sid"] = "7" }), ""},
		{"sid fractional", spoil(func(m jwt.MapClaims) { m["sid"] = 7.5 }), ""},
		{"sid zero", spoil(func(m jwt.MapClaims) { m["sid"] = 0 }), ""},
		{"sid null", spoil(func(m jwt.MapClaims) { m["sid"] = nil }), ""},
		{"not yet valid", spoil(func(m jwt.MapClaims) { m["nbf"] = now.Add(time.Hour).Unix() }), ""},
		{"expired and wrong audience", spoil(func(m jwt.MapClaims) {
			m["exp"] = now.Add(-time.Hour).Unix()
			m["iat"] = now.Add(-2 * time.Hour).Unix()
			m["aud"] = "other"
		}), ""},
		{"expired and typ refresh", spoil(func(m jwt.MapClaims) {
			m["exp"] = now.Add(-time.Hour).Unix()
			m["iat"] = now.Add(-2 * time.Hour).Unix()
			m["typ"] = "refresh"
		}), ""},
		{"expired, well formed", spoil(func(m jwt.MapClaims) {
			m["exp"] = now.Add(-time.Hour).Unix()
			m["iat"] = now.Add(-2 * time.Hour).Unix()
		}), "expired"},
		{"expired with a forged signature", sign(t, jwt.SigningMethodHS256, key3, jwt.MapClaims{
			"iss": "epicevents", "aud": "epicevents", "typ": "access", "sub": "1", "sid": 1,
			"iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
		}), ""},

		{"tampered sub", tamper("sub", "1"), ""},
		{"tampered sid", tamper("sid", 8), ""},
		{"tampered exp", tamper("exp", now.Add(24*time.Hour).Unix()), ""},
		{"signature stripped", parts[0] + "." + parts[1] + ".", ""},
		{"signature truncated", good[:len(good)-2], ""},
		{"signature padded", good + "==", ""},

		{"empty", "", ""},
		{"garbage", "not a token", ""},
		{"two segments", parts[0] + "." + parts[1], ""},
		{"four segments", good + ".x", ""},
		{"dots", "..", ""},
		{"bad base64", "@@@.@@@.@@@", ""},
		{"JSON array payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("[1,2]")) + "." + parts[2], ""},
		{"bearer prefix", "Bearer " + good, ""},
		{"huge", strings.Repeat("a", 1<<20), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := j.Verify(tt.token)
			if tt.reason == "ok" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if got != (crm.AccessClaims{}) {
				t.Errorf("claims = %+v on failure, want zero", got)
			}
			wantUnauthenticated(t, err, tt.reason, tt.token)
		})
	}
}

func TestKeyRotation(t *testing.T) {
	old, _ := newTestJWT(t, key1)
	tok, _, err := old.Issue(crm.AccessClaims{EmployeeID: 3, SessionID: 4})
	if err != nil {
		t.Fatal(err)
	}

	// Step 1: the new key signs, the old one still verifies.
	rotating, _ := newTestJWT(t, key2, key1)
	if c, err := rotating.Verify(tok); err != nil || c.EmployeeID != 3 {
		t.Fatalf("token of the old key refused during rotation: %v", err)
	}
	newTok, _, _ := rotating.Issue(crm.AccessClaims{EmployeeID: 3, SessionID: 4})
	if _, err := old.Verify(newTok); err == nil {
		t.Fatal("a token signed by the second key verified with the first alone; the first key must sign")
	}

	// Step 2: the old key is removed; its tokens stop working.
	done, _ := newTestJWT(t, key2)
	if _, err := done.Verify(newTok); err != nil {
		t.Fatalf("token of the new key refused: %v", err)
	}
	_, err = done.Verify(tok)
	wantUnauthenticated(t, err, "", tok)
}

func TestNewJWTRefuses(t *testing.T) {
	tests := []struct {
		name string
		keys [][]byte
		ttl  time.Duration
	}{
		{"no keys", nil, time.Minute},
		{"short key", [][]byte{[]byte("too-short-key-31-bytes-long....")}, time.Minute},
		{"second key short", [][]byte{key1, []byte("short")}, time.Minute},
		{"zero ttl", [][]byte{key1}, 0},
		{"negative ttl", [][]byte{key1}, -time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewJWT(tt.keys, tt.ttl, nil); err == nil {
				t.Fatal("NewJWT succeeded")
			}
		})
	}
	// The caller's slice is copied: changing it later does not change the key.
	k := append([]byte(nil), key1...)
	j, err := NewJWT([][]byte{k}, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := j.Issue(crm.AccessClaims{EmployeeID: 1, SessionID: 1})
	k[0] ^= 0xff
	if _, err := j.Verify(tok); err != nil {
		t.Fatalf("Verify after the caller changed its slice: %v", err)
	}
}

func TestParseKeys(t *testing.T) {
	long1 := strings.Repeat("a", 32)
	long2 := strings.Repeat("b", 44)
	tests := []struct {
		name string
		in   string
		want []string // nil = error
	}{
		{"one key", long1, []string{long1}},
		{"two keys", long1 + "," + long2, []string{long1, long2}},
		{"spaces around", " " + long1 + " , " + long2 + " ", []string{long1, long2}},
		{"empty", "", nil},
		{"short", "secret", nil},
		{"31 bytes", strings.Repeat("c", 31), nil},
		{"second short", long1 + ",hunter2hunter2", nil},
		{"trailing comma", long1 + ",", nil},
		{"multi-byte counts bytes", strings.Repeat("é", 16), []string{strings.Repeat("é", 16)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKeys(tt.in)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ParseKeys(%q) succeeded", tt.in)
				}
				if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInvalid {
					t.Errorf("err = %#v, want CodeInvalid", err)
				}
				for _, part := range strings.Split(tt.in, ",") {
					if p := strings.TrimSpace(part); len(p) >= 4 && strings.Contains(err.Error(), p) {
						t.Errorf("error %q echoes a key", err)
					}
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParseKeys = %q, %v; want %q", got, err, tt.want)
			}
			for i := range got {
				if string(got[i]) != tt.want[i] {
					t.Errorf("key %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKey()
	if len(a) != 43 || a == b {
		t.Fatalf("GenerateKey = %q, %q; want two different 43-character keys", a, b)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(a); err != nil || len(raw) != 32 {
		t.Fatalf("key does not decode to 32 bytes: %v", err)
	}
	if _, err := NewJWT([][]byte{[]byte(a)}, time.Minute, nil); err != nil {
		t.Fatalf("a generated key is refused: %v", err)
	}
	if keys, err := ParseKeys(a); err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys(generated key) = %v", err)
	}
}

// TestVerifyErrorIsCrmError makes sure callers can rely on errors.As.
func TestVerifyErrorIsCrmError(t *testing.T) {
	j, _ := newTestJWT(t, key1)
	_, err := j.Verify("x.y.z")
	var e *crm.Error
	if !errors.As(err, &e) || crm.ErrorCode(err) != crm.CodeUnauthenticated {
		t.Fatalf("err = %v", err)
	}
}
