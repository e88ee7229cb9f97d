package crm

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Password guessing is throttled by counting failed password checks (logins,
// and the current password of a password change) in a sliding window, under
// three allowances:
//
//   - per account and client address (ThrottleMax): the usual lock-out of
//     an address that guesses one account's password. An employee who logs
//     in from elsewhere is not affected, so a stranger cannot lock them out;
//   - per account across all addresses (AccountThrottleMax): guessing one
//     account's password from many addresses stops too;
//   - per address across all accounts (IPThrottleMax): one address trying
//     a password on many accounts stops too.
//
// IPv6 addresses count by /64, the block a single host or site usually
// holds. Local mode has no client address: it counts per account. Unknown
// emails count like any other, so a refusal tells nothing of who is an
// employee.
//
// What is counted is stored as a keyed hash (HMAC-SHA256), never as typed:
// someone who types a password into the email field must not find it stored.

// throttleKeySetting names the random key of those hashes, generated once
// and kept in the settings table. A key kept in the database protects the
// typed text from every reader of the rows, their backups and the query
// logs, though not from whoever holds the whole database; the rows last
// one throttle window (they are purged after it), and a key independent of
// EPICEVENTS_JWT_SECRET keeps the counters shared by every server of a
// database, whatever each one's signing keys or their rotation.
const throttleKeySetting = "login_throttle_key"

// throttleLimit is one allowance: max failures per window.
type throttleLimit struct {
	max    int
	window time.Duration
}

// throttleKey is one counter that an attempt counts against.
type throttleKey struct {
	key   string // keyed hash of what is counted
	limit throttleLimit
}

// attempt is one password check counted against the allowances: recorded as
// a failure before the password is checked, forgotten if it succeeds.
type attempt struct {
	keys []throttleKey // pair first, then account, then address
	at   time.Time
	what string // what was refused too often, for the message: "failed logins"
}

// newAttempt builds the counters of a password check for account (the
// email as typed, trimmed and lower-cased) from the request's client address.
func (s *Service) newAttempt(ctx context.Context, account, what string) (attempt, error) {
	mac, err := s.throttleMAC(ctx)
	if err != nil {
		return attempt{}, err
	}
	addr := ""
	if a := clientAddr(ctx); a != nil {
		addr = addressGroup(*a)
	}
	a := attempt{at: s.now(), what: what, keys: []throttleKey{
		{mac("pair", account, addr), throttleLimit{s.cfg.ThrottleMax, s.cfg.ThrottleWindow}},
		{mac("account", account), throttleLimit{s.cfg.AccountThrottleMax, s.cfg.AccountThrottleWindow}},
	}}
	if addr != "" {
		a.keys = append(a.keys, throttleKey{mac("address", addr), throttleLimit{s.cfg.IPThrottleMax, s.cfg.IPThrottleWindow}})
	}
	return a, nil
}

// begin refuses the attempt when any of its counters has reached its
// allowance, and otherwise records it as a failure. The counts and the
// records are one transaction: parallel guesses cannot all pass a count made
// before any of them was recorded. With purge, it first deletes what is kept
// no longer than needed (local mode, at login).
func (s *Service) begin(ctx context.Context, a attempt, purge bool) error {
	return s.store.InTx(ctx, func(q Queries) error {
		if purge {
			if _, err := q.DeleteExpired(ctx, s.expiry(a.at)); err != nil {
				return err
			}
		}
		retry := 0
		for _, k := range a.keys {
			n, freeAt, err := q.LoginFailures(ctx, k.key, a.at.Add(-k.limit.window), k.limit.max)
			if err != nil {
				return err
			}
			if n >= k.limit.max {
				retry = max(retry, 1, int(math.Ceil(freeAt.Add(k.limit.window).Sub(a.at).Seconds())))
			}
		}
		if retry > 0 {
			return &Error{Code: CodeThrottled, RetryAfter: retry,
				Message: fmt.Sprintf("too many %s; try again in %s", a.what, time.Duration(retry)*time.Second)}
		}
		for _, k := range a.keys {
			if err := q.RecordLoginFailure(ctx, k.key, a.at); err != nil {
				return err
			}
		}
		return nil
	})
}

// forget takes back the failure that begin recorded, in the transaction of a
// successful check: the account's slate from this address is wiped; the
// account across addresses and the address across accounts forget this
// attempt only, so that a right password now and then does not reset the
// count of someone guessing from elsewhere.
func (a attempt) forget(ctx context.Context, q Queries) error {
	if err := q.ClearLoginFailures(ctx, a.keys[0].key); err != nil {
		return err
	}
	for _, k := range a.keys[1:] {
		if err := q.RemoveLoginFailure(ctx, k.key, a.at); err != nil {
			return err
		}
	}
	return nil
}

// throttleMAC returns the function that makes the counters' keys: the
// hex HMAC-SHA256, under the key of throttleKeySetting, of a kind and its
// parts, each length-prefixed so that no two lists of parts collide.
func (s *Service) throttleMAC(ctx context.Context) (func(kind string, parts ...string) string, error) {
	key, err := s.loadThrottleKey(ctx)
	if err != nil {
		return nil, err
	}
	return func(kind string, parts ...string) string {
		h := hmac.New(sha256.New, key)
		var n [8]byte
		for _, p := range append([]string{kind}, parts...) {
			binary.BigEndian.PutUint64(n[:], uint64(len(p)))
			h.Write(n[:])
			h.Write([]byte(p))
		}
		return hex.EncodeToString(h.Sum(nil))
	}, nil
}

// loadThrottleKey reads the key of throttleKeySetting, generating it on first
// use; every server of the database gets the first one stored.
func (s *Service) loadThrottleKey(ctx context.Context) ([]byte, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.throttleKey != nil {
		return s.throttleKey, nil
	}
	v, err := s.store.GetSetting(ctx, throttleKeySetting)
	if ErrorCode(err) == CodeNotFound {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("generate the login throttle key: %w", err)
		}
		v, err = s.store.PutSettingIfAbsent(ctx, throttleKeySetting, hex.EncodeToString(b))
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("the setting %s is not a key of 32 bytes or more in hex", throttleKeySetting)
	}
	s.throttleKey = key
	return key, nil
}

// addressGroup is what the throttle counts of a client address: an IPv4
// address as is, an IPv6 address by its /64. Anything else (no transport
// gives one today) counts as written.
func addressGroup(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.WithZone("").Prefix(64); err == nil {
			return p.String()
		}
	}
	return ip.String()
}

// expiry says what Purge deletes at now.
func (s *Service) expiry(now time.Time) Expiry {
	longest := max(s.cfg.ThrottleWindow, s.cfg.AccountThrottleWindow, s.cfg.IPThrottleWindow)
	return Expiry{FailuresBefore: now.Add(-longest), Now: now, IdleBefore: now.Add(-s.cfg.SessionIdle),
		IdempotencyBefore: now.Add(-IdempotencyKeep)}
}

// Purge deletes what the CRM keeps no longer than needed: failed password
// checks older than the longest throttle window, the sessions that can no
// longer be used (revoked, past their absolute expiry, or unused for longer
// than the idle timeout), with their refresh tokens, and the keys of keyed
// requests older than IdempotencyKeep. serve runs it on
// a timer; in local mode every login runs it (Config.PurgeAtLogin). It needs
// no session: it is maintenance, not an employee's action.
func (s *Service) Purge(ctx context.Context) (Purged, error) {
	return s.store.DeleteExpired(ctx, s.expiry(s.now()))
}
