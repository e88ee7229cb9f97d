package auth

import (
	"crypto/sha256"
	"encoding/hex"
)

// NewRefreshToken returns a new opaque refresh token (256 random bits as
// unpadded base64url) and its HashToken. The caller stores only the hash, so a
// leaked database row cannot be replayed as a token.
func NewRefreshToken() (token, hash string, err error) {
	token, err = randomString(32)
	if err != nil {
		return "", "", err
	}
	return token, HashToken(token), nil
}

// HashToken returns the hex SHA-256 of token: the form in which refresh tokens
// are stored and looked up. A fast unsalted hash suffices because the token
// carries 256 random bits, so there is nothing to brute-force, and lookups must
// be by equality.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RefreshTokens makes and hashes refresh tokens for the service
// (crm.RefreshTokens).
type RefreshTokens struct{}

// New returns a new refresh token and its hash.
func (RefreshTokens) New() (token, hash string, err error) { return NewRefreshToken() }

// Hash returns the stored form of token.
func (RefreshTokens) Hash(token string) string { return HashToken(token) }
