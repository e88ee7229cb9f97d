// Package auth holds the authentication primitives of Epic Events CRM: argon2id
// password hashing, HS256 access tokens, opaque refresh tokens and the common
// password list. It knows nothing of storage or transport; crm and the wiring in
// cli/httpapi decide when to call it. It imports crm only for its types (crm
// must never import auth).
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters. They are written into every hash so
// that raising them later still verifies old hashes (and asks for a rehash).
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams are the OWASP Password Storage Cheat Sheet minimum for argon2id
// (19 MiB, 2 iterations, 1 lane), which this product adopts as its floor.
var DefaultParams = Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Limits on parameters read from a stored hash: a corrupted or hostile row must
// not make one login allocate gigabytes or spin for minutes.
const (
	maxMemoryKiB  = 1 << 21 // 2 GiB
	maxIterations = 64
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 128
)

// ErrMalformedHash says a stored hash is not a PHC argon2id string this package
// can verify. It is an internal error (a bad row), not a wrong password.
var ErrMalformedHash = errors.New("auth: malformed argon2id hash")

// Hasher hashes and verifies passwords with a bound on how many argon2id
// computations run at once, because each one holds Params.Memory KiB: without
// the bound, a burst of logins could exhaust the server's memory.
type Hasher struct {
	p     Params
	sem   chan struct{}
	dummy string // encoded hash that no known password matches; see VerifyDummy

	// testHook, when set by a test, runs while a slot of sem is held, so the test
	// can count how many computations are inside at once.
	testHook func()
}

// NewHasher returns a Hasher for p that runs at most runtime.NumCPU() hashes at
// once; more would only queue on the CPUs while holding their memory. It
// panics if p is unusable, as that is a programming error caught at start-up.
func NewHasher(p Params) *Hasher {
	return newHasher(p, runtime.NumCPU())
}

func newHasher(p Params, slots int) *Hasher {
	if err := p.validate(); err != nil {
		panic(err)
	}
	if slots < 1 {
		slots = 1
	}
	h := &Hasher{p: p, sem: make(chan struct{}, slots)}
	// The dummy is random salt and random "key" bytes, which is
	// indistinguishable from the hash of an unknown random password and costs
	// no argon2 run at construction (CLI start-up stays fast).
	salt, key := make([]byte, p.SaltLen), make([]byte, p.KeyLen)
	mustRead(salt)
	mustRead(key)
	h.dummy = encode(p, salt, key)
	return h
}

func (p Params) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("auth: argon2id iterations %d out of range 1..%d", p.Iterations, maxIterations)
	case p.Parallelism < 1:
		return errors.New("auth: argon2id parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		// RFC 9106: memory must be at least 8 KiB per lane.
		return fmt.Errorf("auth: argon2id memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Parallelism), maxMemoryKiB)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("auth: argon2id salt length %d out of range %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("auth: argon2id key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.p }

// Hash returns the PHC string of password with a fresh random salt, e.g.
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (unpadded standard base64, the
// format of the reference implementation, so other tools can read it).
func (h *Hasher) Hash(password string) (string, error) {
	salt := make([]byte, h.p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: read salt: %w", err)
	}
	key := h.derive(password, salt, h.p)
	return encode(h.p, salt, key), nil
}

// Verify reports whether password matches encoded. needsRehash is true only on
// a match whose stored parameters differ from or are weaker than h's, so that
// the caller re-hashes at login while it holds the plain password. A malformed
// encoded returns an error wrapping ErrMalformedHash, never ok.
func (h *Hasher) Verify(encoded, password string) (ok bool, needsRehash bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got := h.derive(password, salt, p)
	// Constant time, so the comparison leaks nothing about how many leading
	// bytes matched.
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, h.weaker(p), nil
}

// VerifyDummy does the work of a failed Verify with h's parameters, so that a
// login for an unknown email costs the same time as a wrong password and
// response time does not tell which emails exist.
func (h *Hasher) VerifyDummy(password string) {
	_, _, _ = h.Verify(h.dummy, password)
}

// weaker reports whether stored parameters p fall short of h's. A different
// lane count also asks for a rehash: it is a deployment choice, not an order of
// strength, and a rehash converges every hash on the configured value.
func (h *Hasher) weaker(p Params) bool {
	return p.Memory < h.p.Memory || p.Iterations < h.p.Iterations ||
		p.Parallelism != h.p.Parallelism || p.SaltLen < h.p.SaltLen || p.KeyLen < h.p.KeyLen
}

// derive runs argon2id while holding a slot of the semaphore.
func (h *Hasher) derive(password string, salt []byte, p Params) []byte {
	h.sem <- struct{}{}
	defer func() { <-h.sem }()
	if h.testHook != nil {
		h.testHook()
	}
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}

var b64 = base64.RawStdEncoding.Strict()

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a PHC argon2id string strictly: one layout, version 19, the
// parameters in m,t,p order, unpadded base64. Anything else is malformed rather
// than guessed at. The error never quotes the hash.
func decode(s string) (Params, []byte, []byte, error) {
	bad := func(why string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, why)
	}
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("wrong number of fields")
	}
	if parts[1] != "argon2id" {
		return bad("not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported version")
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return bad("parameters are not m,t,p")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(kv[i], name+"=")
		if !ok {
			return bad("parameters are not m,t,p")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || v != strconv.FormatUint(n, 10) {
			return bad("parameter " + name + " is not a number")
		}
		vals[i] = n
	}
	if vals[2] > 255 {
		return bad("parallelism out of range")
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return bad("salt is not base64")
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return bad("key is not base64")
	}
	p := Params{
		Memory:      uint32(vals[0]),
		Iterations:  uint32(vals[1]),
		Parallelism: uint8(vals[2]),
		SaltLen:     uint32(len(salt)),
		KeyLen:      uint32(len(key)),
	}
	if err := p.validate(); err != nil {
		return bad("parameters out of range")
	}
	return p, salt, key, nil
}

// mustRead fills b from crypto/rand, which since Go 1.24 never fails (it
// crashes the program instead), so there is no error to return.
func mustRead(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
}
