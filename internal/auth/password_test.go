package auth

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// fastParams keep the tests quick; argon2id's correctness does not depend on
// the cost.
var fastParams = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := NewHasher(fastParams)
	for _, pw := range []string{"correct horse battery staple", "", "ünïcødé pässwörd ✓", strings.Repeat("x", 128)} {
		enc, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("Hash = %q, want the PHC argon2id prefix", enc)
		}
		ok, rehash, err := h.Verify(enc, pw)
		if err != nil || !ok || rehash {
			t.Errorf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
		ok, rehash, err = h.Verify(enc, pw+"!")
		if err != nil || ok || rehash {
			t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := NewHasher(fastParams)
	a, _ := h.Hash("same password here")
	b, _ := h.Hash("same password here")
	if a == b {
		t.Fatal("two hashes of one password are equal; the salt is not random")
	}
}

// TestDefaultParams checks the production parameters end to end and the exact
// PHC layout: argon2id, 19 MiB, 2 iterations, 1 lane, 16-byte salt, 32-byte key.
func TestDefaultParams(t *testing.T) {
	h := NewHasher(DefaultParams)
	enc, err := h.Hash("a long enough passphrase")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	if len(parts) != 6 || parts[3] != "m=19456,t=2,p=1" || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("Hash = %q, want m=19456,t=2,p=1 with a 16-byte salt and 32-byte key", enc)
	}
	if ok, rehash, err := h.Verify(enc, "a long enough passphrase"); !ok || rehash || err != nil {
		t.Fatalf("Verify = %v, %v, %v", ok, rehash, err)
	}
}

// TestReferenceVector verifies a hash made by the reference C implementation
// (phc-winner-argon2: echo -n password | argon2 somesalt -id -t 2 -m 16 -p 4
// -l 32 -e), so hashes are interchangeable with other tools.
func TestReferenceVector(t *testing.T) {
	const ref = "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo"
	h := NewHasher(fastParams)
	ok, _, err := h.Verify(ref, "password")
	if err != nil || !ok {
		t.Fatalf("Verify(reference) = %v, %v", ok, err)
	}
	if ok, _, _ := h.Verify(ref, "Password"); ok {
		t.Fatal("reference hash matched the wrong password")
	}
}

func TestNeedsRehash(t *testing.T) {
	old := NewHasher(fastParams)
	enc, err := old.Hash("the password of long ago")
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(*Params)) Params { p := fastParams; f(&p); return p }
	tests := []struct {
		name   string
		p      Params
		rehash bool
	}{
		{"same params", fastParams, false},
		{"more memory", with(func(p *Params) { p.Memory = 128 }), true},
		{"more iterations", with(func(p *Params) { p.Iterations = 2 }), true},
		{"longer key", with(func(p *Params) { p.KeyLen = 64 }), true},
		{"longer salt", with(func(p *Params) { p.SaltLen = 32 }), true},
		{"other lane count", with(func(p *Params) { p.Parallelism = 2 }), true},
		{"less memory", with(func(p *Params) { p.Memory = 32 }), false},
		{"shorter key", with(func(p *Params) { p.KeyLen = 16 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHasher(tt.p)
			ok, rehash, err := h.Verify(enc, "the password of long ago")
			if err != nil || !ok || rehash != tt.rehash {
				t.Fatalf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
			// A wrong password never asks for a rehash: the caller has no
			// password worth hashing.
			if ok, rehash, _ := h.Verify(enc, "not the password at all"); ok || rehash {
				t.Fatalf("Verify(wrong) = %v, %v; want false, false", ok, rehash)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	h := NewHasher(fastParams)
	good, _ := h.Hash("pw")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	mk := func(head, params, s, k string) string { return "$" + head + "$" + params + "$" + s + "$" + k }
	tests := []struct{ name, enc string }{
		{"empty", ""},
		{"plain text", "hunter2"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"argon2i", mk("argon2i$v=19", "m=64,t=1,p=1", salt, key)},
		{"argon2d", mk("argon2d$v=19", "m=64,t=1,p=1", salt, key)},
		{"old version", mk("argon2id$v=16", "m=64,t=1,p=1", salt, key)},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing field", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", good + "$x"},
		{"no leading dollar", strings.TrimPrefix(good, "$")},
		{"params out of order", mk("argon2id$v=19", "t=1,m=64,p=1", salt, key)},
		{"missing param", mk("argon2id$v=19", "m=64,t=1", salt, key)},
		{"extra param", mk("argon2id$v=19", "m=64,t=1,p=1,k=2", salt, key)},
		{"non-numeric param", mk("argon2id$v=19", "m=lots,t=1,p=1", salt, key)},
		{"signed param", mk("argon2id$v=19", "m=+64,t=1,p=1", salt, key)},
		{"leading zero", mk("argon2id$v=19", "m=064,t=1,p=1", salt, key)},
		{"negative param", mk("argon2id$v=19", "m=-64,t=1,p=1", salt, key)},
		{"zero memory", mk("argon2id$v=19", "m=0,t=1,p=1", salt, key)},
		{"zero iterations", mk("argon2id$v=19", "m=64,t=0,p=1", salt, key)},
		{"zero lanes", mk("argon2id$v=19", "m=64,t=1,p=0", salt, key)},
		{"too many lanes", mk("argon2id$v=19", "m=4096,t=1,p=256", salt, key)},
		{"memory below 8 KiB per lane", mk("argon2id$v=19", "m=15,t=1,p=2", salt, key)},
		{"huge memory", mk("argon2id$v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"memory overflows uint32", mk("argon2id$v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"huge iterations", mk("argon2id$v=19", "m=64,t=100000,p=1", salt, key)},
		{"salt not base64", mk("argon2id$v=19", "m=64,t=1,p=1", "!!!!", key)},
		{"key not base64", mk("argon2id$v=19", "m=64,t=1,p=1", salt, "@@@@")},
		{"padded salt", mk("argon2id$v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"url base64 key", mk("argon2id$v=19", "m=64,t=1,p=1", salt, strings.NewReplacer("+", "-", "/", "_").Replace(key)+"-_")},
		{"short salt", mk("argon2id$v=19", "m=64,t=1,p=1", "c2FsdA", key)},
		{"empty key", mk("argon2id$v=19", "m=64,t=1,p=1", salt, "")},
		{"short key", mk("argon2id$v=19", "m=64,t=1,p=1", salt, "AAAAAAAAAAA")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(tt.enc, "pw")
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tt.enc, ok, rehash, err)
			}
			if salt != "" && strings.Contains(err.Error(), salt) {
				t.Fatalf("error %q quotes the hash", err)
			}
		})
	}
}

func TestVerifyDummy(t *testing.T) {
	h := NewHasher(fastParams)
	var calls atomic.Int32
	h.testHook = func() { calls.Add(1) }
	h.VerifyDummy("whatever@example.com's guess")
	h.VerifyDummy("")
	if calls.Load() != 2 {
		t.Fatalf("VerifyDummy ran argon2 %d times, want 2 (one per call)", calls.Load())
	}
	// The dummy is a well-formed hash with the current parameters, so its cost
	// is that of a real failed login.
	p, _, _, err := decode(h.dummy)
	if err != nil || p != fastParams {
		t.Fatalf("dummy hash params = %+v, %v; want %+v", p, err, fastParams)
	}
	if ok, _, _ := h.Verify(h.dummy, ""); ok {
		t.Fatal("the dummy hash matched a password")
	}
}

// TestHasherBoundsConcurrency holds every computation inside the semaphore
// until the slots are full, then lets them all go; the peak must equal the
// slot count, never more. No timing is involved.
func TestHasherBoundsConcurrency(t *testing.T) {
	if got := cap(NewHasher(fastParams).sem); got != runtime.NumCPU() {
		t.Fatalf("NewHasher allows %d hashes at once, want runtime.NumCPU() = %d", got, runtime.NumCPU())
	}
	for _, slots := range []int{1, 2, 3} {
		h := newHasher(fastParams, slots)
		var inside, peak atomic.Int32
		release := make(chan struct{})
		h.testHook = func() {
			n := inside.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			inside.Add(-1)
		}
		enc, _ := newHasher(fastParams, 1).Hash("pw")
		var wg sync.WaitGroup
		for i := range 4 * slots {
			wg.Go(func() {
				if i%2 == 0 {
					_, _ = h.Hash("pw")
				} else {
					_, _, _ = h.Verify(enc, "pw")
				}
			})
		}
		for inside.Load() < int32(slots) {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		if got := peak.Load(); got != int32(slots) {
			t.Errorf("slots %d: peak concurrent hashes = %d", slots, got)
		}
	}
}

func TestNewHasherRefusesBadParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 4, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 8},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			NewHasher(p)
		}()
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
