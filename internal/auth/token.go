package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/epicevents/epicevents/internal/crm"
)

const (
	// Issuer and Audience name this product in every access token, so a token
	// minted by another service sharing a key is still refused.
	Issuer   = "epicevents"
	Audience = "epicevents"
	// tokenType is the payload claim "typ": only access tokens are JWTs today,
	// but pinning it stops any future JWT kind from being accepted as one.
	tokenType = "access"

	// MinKeyLen is the shortest HS256 key accepted: 256 bits (RFC 7518
	// §3.2 requires a key at least as long as the hash output).
	MinKeyLen = 32

	// leeway absorbs clock skew between server instances; it must stay
	// at most 60 s.
	leeway = 30 * time.Second
	// maxTokenLen refuses absurd inputs before any decoding work; our tokens
	// are about 300 bytes.
	maxTokenLen = 4096
)

// The messages users see. One message for every invalid token, so that a
// client learns nothing about why a forged token failed; only expiry, which
// a legitimate client must handle (refresh), has its own Reason.
const (
	msgInvalid = "your session is not valid; log in again with `epicevents login`"
	msgExpired = "your session has expired; log in again with `epicevents login`"
)

// JWT issues and verifies HS256 access tokens.
type JWT struct {
	keys   [][]byte // keys[0] signs; all verify
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewJWT returns a JWT that signs with keys[0] and verifies with any of keys,
// so that a new key can be rolled out before the old one is removed. Every key
// must be at least MinKeyLen bytes. now is the clock (time.Now when nil); tests
// inject one to expire tokens without sleeping.
func NewJWT(keys [][]byte, ttl time.Duration, now func() time.Time) (*JWT, error) {
	if len(keys) == 0 {
		return nil, crm.Errorf(crm.CodeInvalid, "no signing key; set EPICEVENTS_JWT_SECRET to a key of at least %d bytes", MinKeyLen)
	}
	if ttl <= 0 {
		return nil, crm.Errorf(crm.CodeInvalid, "access token lifetime must be positive, got %s", ttl)
	}
	cp := make([][]byte, len(keys))
	for i, k := range keys {
		if len(k) < MinKeyLen {
			return nil, shortKey(i, len(keys), len(k))
		}
		// Copy so that a caller zeroing or reusing its slice cannot change ours.
		cp[i] = append([]byte(nil), k...)
	}
	if now == nil {
		now = time.Now
	}
	j := &JWT{keys: cp, ttl: ttl, now: now}
	j.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return j.now() }),
		// Strict base64 refuses non-canonical encodings, so one token has one
		// spelling.
		jwt.WithStrictDecoding(),
	)
	return j, nil
}

// ParseKeys parses EPICEVENTS_JWT_SECRET: one or more comma-separated keys,
// each used as the raw bytes of its text and at least MinKeyLen bytes long.
// Spaces around a key are dropped. Errors name the key by position, never by
// content.
func ParseKeys(s string) ([][]byte, error) {
	parts := strings.Split(s, ",")
	keys := make([][]byte, 0, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) < MinKeyLen {
			return nil, shortKey(i, len(parts), len(p))
		}
		keys = append(keys, []byte(p))
	}
	return keys, nil
}

func shortKey(i, n, length int) error {
	return crm.Errorf(crm.CodeInvalid,
		"EPICEVENTS_JWT_SECRET: key %d of %d is %d bytes; each key needs at least %d (generate one with `openssl rand -base64 32`)",
		i+1, n, length, MinKeyLen)
}

// GenerateKey returns a new signing key for local mode, where it is kept in the
// database: 32 random bytes as unpadded base64url (43 characters). The text
// itself is the key ([]byte(key)), like a key in EPICEVENTS_JWT_SECRET, and
// still carries 256 random bits.
func GenerateKey() (string, error) {
	return randomString(32)
}

// accessClaims is the payload of an access token.
type accessClaims struct {
	Type      string `json:"typ"`
	SessionID *int64 `json:"sid"`
	jwt.RegisteredClaims
}

var errBadClaims = errors.New("auth: bad access token claims")

// Validate is called by the parser after the registered claims; it holds the
// checks specific to this product.
func (c accessClaims) Validate() error {
	if c.Type != tokenType {
		return fmt.Errorf("%w: typ", errBadClaims)
	}
	if c.SessionID == nil || *c.SessionID <= 0 {
		return fmt.Errorf("%w: sid", errBadClaims)
	}
	if _, ok := parseID(c.Subject); !ok {
		return fmt.Errorf("%w: sub", errBadClaims)
	}
	if c.IssuedAt == nil {
		return fmt.Errorf("%w: iat", errBadClaims)
	}
	return nil
}

// parseID accepts only the canonical decimal spelling of a positive id, so that
// "007" or "+7" cannot stand for employee 7.
func parseID(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return n, true
}

// Issue signs an access token for c.EmployeeID and c.SessionID; c's times are
// ignored: iat is now and exp is now + ttl. expiresAt is the exp written in the
// token (whole seconds).
func (j *JWT) Issue(c crm.AccessClaims) (token string, expiresAt time.Time, err error) {
	if c.EmployeeID <= 0 || c.SessionID <= 0 {
		return "", time.Time{}, fmt.Errorf("auth: issue token: employee id %d and session id %d must be positive", c.EmployeeID, c.SessionID)
	}
	jti, err := randomString(16)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issue token: %w", err)
	}
	// JWT times are whole seconds; truncating here makes the returned expiry
	// equal the one a verifier will read.
	iat := j.now().Truncate(time.Second)
	exp := iat.Add(j.ttl).Truncate(time.Second)
	sid := c.SessionID
	claims := accessClaims{
		Type:      tokenType,
		SessionID: &sid,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Audience:  jwt.ClaimStrings{Audience},
			Subject:   strconv.FormatInt(c.EmployeeID, 10),
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        jti,
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(j.keys[0])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp, nil
}

// Verify checks token's signature against every key, its algorithm (HS256
// only), iss, aud, typ, exp (required, with leeway), iat, sub and sid, and
// returns its claims. Every failure is a CodeUnauthenticated *crm.Error with one
// message; an authentic token that has only expired has Reason "expired". The
// underlying cause is kept in Err for logs; it never contains the token or key.
func (j *JWT) Verify(token string) (crm.AccessClaims, error) {
	if token == "" || len(token) > maxTokenLen {
		return crm.AccessClaims{}, invalidToken(errors.New("auth: token empty or too long"))
	}
	var c accessClaims
	_, err := j.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) {
		set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, len(j.keys))}
		for i, k := range j.keys {
			set.Keys[i] = k
		}
		return set, nil
	})
	if err != nil {
		if onlyExpired(err) {
			return crm.AccessClaims{}, &crm.Error{Code: crm.CodeUnauthenticated, Reason: "expired", Message: msgExpired, Err: err}
		}
		return crm.AccessClaims{}, invalidToken(err)
	}
	emp, _ := parseID(c.Subject) // checked by Validate
	return crm.AccessClaims{
		EmployeeID: emp,
		SessionID:  *c.SessionID,
		IssuedAt:   c.IssuedAt.Time,
		ExpiresAt:  c.ExpiresAt.Time,
	}, nil
}

// onlyExpired reports whether expiry is the token's one problem. The parser
// checks the signature before the claims, so ErrTokenExpired means the token is
// authentic; but the claim errors are joined, and a token that is also wrong
// in another way must get the generic message, not an invitation to refresh.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{
		jwt.ErrTokenNotValidYet, jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenInvalidAudience,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenInvalidSubject, jwt.ErrTokenRequiredClaimMissing,
		jwt.ErrTokenSignatureInvalid, jwt.ErrTokenMalformed, errBadClaims,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

func invalidToken(cause error) error {
	return &crm.Error{Code: crm.CodeUnauthenticated, Message: msgInvalid, Err: cause}
}

// randomString returns n random bytes as unpadded base64url, safe in URLs,
// headers and file names.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: read random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
