package cli

import (
	"context"
	"time"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/config"
	"github.com/epicevents/epicevents/internal/crm"
)

// signingKeySetting names the generated signing key kept in the database when
// EPICEVENTS_JWT_SECRET is not set (local mode).
const signingKeySetting = "jwt_signing_key"

// refreshMargin refreshes an access token a little before it expires, so that
// it does not expire between the check and its use.
const refreshMargin = 30 * time.Second

func nowUTC() time.Time { return time.Now().UTC() }

func secondsDur(s int) time.Duration { return time.Duration(s) * time.Second }

// signingKeys returns the configured keys, or the key kept in the database,
// generated on first use.
func signingKeys(ctx context.Context, store crm.Store, cfg config.Config) (keys [][]byte, generated bool, err error) {
	if cfg.JWTSecret != "" {
		// ParseKeys names the variable and never echoes a key.
		keys, err = auth.ParseKeys(cfg.JWTSecret)
		if err != nil {
			return nil, false, err
		}
		return keys, false, nil
	}
	key, err := store.GetSetting(ctx, signingKeySetting)
	if crm.ErrorCode(err) == crm.CodeNotFound {
		fresh, gerr := auth.GenerateKey()
		if gerr != nil {
			return nil, false, gerr
		}
		key, err = store.PutSettingIfAbsent(ctx, signingKeySetting, fresh)
	}
	if err != nil {
		return nil, false, err
	}
	return [][]byte{[]byte(key)}, true, nil
}

// newService builds the service over store with the configuration's keys and
// tunables. It is the one place that knows the concrete implementations.
// notifier hears of employee changes and signatures (Sentry); it may be a nil
// *telemetry.Reporter, which does nothing. Unless serving (where a timer
// does it), every login purges what is kept no longer than needed.
func newService(ctx context.Context, store crm.Store, cfg config.Config, notifier crm.Notifier, serving bool) (*crm.Service, error) {
	keys, _, err := signingKeys(ctx, store, cfg)
	if err != nil {
		return nil, err
	}
	jwt, err := auth.NewJWT(keys, cfg.AccessTTL, time.Now)
	if err != nil {
		return nil, err
	}
	return crm.NewService(crm.Deps{
		Store:            store,
		Hasher:           auth.NewHasher(auth.DefaultParams),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Notifier:         notifier,
		Config: crm.Config{
			AccessTTL: cfg.AccessTTL, SessionTTL: cfg.SessionTTL, SessionIdle: cfg.SessionIdle,
			ThrottleMax: cfg.Throttle.Max, ThrottleWindow: cfg.Throttle.Window,
			AccountThrottleMax: cfg.AccountThrottle.Max, AccountThrottleWindow: cfg.AccountThrottle.Window,
			IPThrottleMax: cfg.IPThrottle.Max, IPThrottleWindow: cfg.IPThrottle.Window,
			PurgeAtLogin: !serving,
			Location:     cfg.Location,
		},
	}), nil
}

// storeService builds a service over store alone, for the checks that only
// read it (CheckBootstrap) before init has asked anything: unlike
// newService, it neither generates nor stores a signing key.
func storeService(store crm.Store) *crm.Service {
	return crm.NewService(crm.Deps{Store: store})
}
