package auth

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func TestRefreshToken(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		tok, hash, err := NewRefreshToken()
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok] {
			t.Fatalf("refresh token %q issued twice", tok)
		}
		seen[tok] = true
		if raw, err := base64.RawURLEncoding.DecodeString(tok); err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not 32 bytes of base64url: %v", tok, err)
		}
		if hash == tok {
			t.Fatalf("NewRefreshToken returned the token itself as its hash")
		}
		if hash != HashToken(tok) {
			t.Fatalf("hash %q != HashToken(token) %q", hash, HashToken(tok))
		}
		if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
			t.Fatalf("hash %q is not hex SHA-256", hash)
		}
	}
}

func TestHashToken(t *testing.T) {
	tests := []struct{ in, want string }{
		// SHA-256 test vectors (FIPS 180-2).
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := HashToken(tt.in); got != tt.want {
			t.Errorf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// The service hashes through RefreshTokens; it must store the same form.
		if got := (RefreshTokens{}).Hash(tt.in); got != tt.want {
			t.Errorf("RefreshTokens.Hash(%q) = %s, want %s", tt.in, got, tt.want)
		}
		// One more byte must give another hash: the input is not ignored or cut.
		if HashToken(tt.in+"x") == tt.want {
			t.Errorf("HashToken(%q) equals HashToken(%q)", tt.in+"x", tt.in)
		}
	}
}
