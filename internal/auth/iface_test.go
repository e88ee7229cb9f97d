package auth

import "github.com/epicevents/epicevents/internal/crm"

// The service depends on these interfaces; the package must keep satisfying
// them.
var (
	_ crm.PasswordHasher = (*Hasher)(nil)
	_ crm.TokenCodec     = (*JWT)(nil)
	_ crm.RefreshTokens  = RefreshTokens{}
)
