package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"
)

// PasswordHasher hashes and verifies passwords (argon2id in production).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(encoded, password string) (ok, needsRehash bool, err error)
	// VerifyDummy costs what Verify costs, for unknown emails.
	VerifyDummy(password string)
}

// TokenCodec issues and verifies access tokens.
type TokenCodec interface {
	Issue(c AccessClaims) (token string, expiresAt time.Time, err error)
	Verify(token string) (AccessClaims, error)
}

// RefreshTokens makes opaque random tokens and the hashes they are stored as:
// the refresh tokens of the API, and the session ids of the web UI's cookies.
type RefreshTokens interface {
	New() (token, hash string, err error)
	Hash(token string) string
}

// Notifier hears about notable events, for Sentry. It must not block.
type Notifier interface {
	Notify(ctx context.Context, action string, actorID, entityID int64)
}

// DetailNotifier is a Notifier that also hears a few details of an event:
// ids and amounts, never a name, an email or free text (a payment's
// reference, a refund's reason). The service gives them to a Notifier that
// implements it, such as the payments and refunds.
type DetailNotifier interface {
	Notifier
	NotifyDetails(ctx context.Context, action string, actorID, entityID int64, details map[string]string)
}

// Config holds the service's tunables; zero values take the product's
// defaults.
type Config struct {
	AccessTTL   time.Duration // default 15m
	SessionTTL  time.Duration // absolute, default 12h
	SessionIdle time.Duration // default 30m
	// Failed password checks allowed in a window: per account and client
	// address (per account alone in local mode), default 5/15m; per account
	// across all addresses, default 50/15m; per address across all
	// accounts, default 50/15m.
	ThrottleMax           int
	ThrottleWindow        time.Duration
	AccountThrottleMax    int
	AccountThrottleWindow time.Duration
	IPThrottleMax         int
	IPThrottleWindow      time.Duration
	// PurgeAtLogin makes every login delete what is kept no longer than
	// needed (see Purge): local mode, where no server runs it on a timer.
	PurgeAtLogin bool
	// Location is the company's time zone (EPICEVENTS_TZ where the service
	// runs): the notes an employee adds are dated in it. Default: UTC.
	Location *time.Location
}

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	setN := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	set(&c.AccessTTL, 15*time.Minute)
	set(&c.SessionTTL, 12*time.Hour)
	set(&c.SessionIdle, 30*time.Minute)
	set(&c.ThrottleWindow, 15*time.Minute)
	set(&c.AccountThrottleWindow, 15*time.Minute)
	set(&c.IPThrottleWindow, 15*time.Minute)
	setN(&c.ThrottleMax, 5)
	setN(&c.AccountThrottleMax, 50)
	setN(&c.IPThrottleMax, 50)
	if c.Location == nil {
		c.Location = time.UTC
	}
}

// Deps are what the service is built from.
type Deps struct {
	Store            Store
	Hasher           PasswordHasher
	Tokens           TokenCodec
	Refresh          RefreshTokens
	IsCommonPassword func(string) bool
	Notifier         Notifier         // optional
	Now              func() time.Time // optional; time.Now by default
	Config           Config
}

// Service applies every business rule and permission check of the product. The
// CLI in local mode and the HTTP server both call it; nothing above it checks
// a role.
type Service struct {
	store    Store
	hasher   PasswordHasher
	tokens   TokenCodec
	refresh  RefreshTokens
	common   func(string) bool
	notifier Notifier
	clock    func() time.Time
	cfg      Config

	keyMu       sync.Mutex
	throttleKey []byte // see throttleMAC; loaded on first use
}

// NewService builds a Service.
func NewService(d Deps) *Service {
	d.Config.defaults()
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{
		store: d.Store, hasher: d.Hasher, tokens: d.Tokens, refresh: d.Refresh,
		common: d.IsCommonPassword, notifier: d.Notifier, clock: d.Now, cfg: d.Config,
	}
}

// now is the current time in UTC at the second, the precision of every stored
// timestamp.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

type ctxKey int

const (
	keyToken ctxKey = iota
	keyActor
	keyAddr
	keyIfMatch
)

// Actor is the authenticated employee behind a request, as read from the
// database on this request.
type Actor struct {
	Employee
	SessionID int64
}

// WithAccessToken returns a context carrying the caller's access token; the
// service authenticates it on the first call that needs an actor.
func WithAccessToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, keyToken, token)
}

// AccessToken returns the access token carried by ctx, for a transport that
// forwards it (the HTTP client of remote mode).
func AccessToken(ctx context.Context) string {
	t, _ := ctx.Value(keyToken).(string)
	return t
}

// WithActor returns a context carrying an already authenticated actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, keyActor, a)
}

// WithClientAddr records the caller's network address for the audit trail.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, keyAddr, addr)
}

// WithIfMatch makes the next change fail with CodeStale unless the row is
// still at one of versions: the If-Match of the HTTP API, which may list
// several. With no version at all (If-Match named none this server made),
// every change fails.
func WithIfMatch(ctx context.Context, versions ...int64) context.Context {
	return context.WithValue(ctx, keyIfMatch, append([]int64{}, versions...))
}

// checkVersion refuses a change to a row that changed since the caller read it.
// It runs inside the change's transaction, after the row is locked, so that
// of several writers holding the same version exactly one wins.
func checkVersion(ctx context.Context, entity string, id, current int64) error {
	if want, ok := ctx.Value(keyIfMatch).([]int64); ok && !slices.Contains(want, current) {
		return Errorf(CodeStale, "%s %d changed since you read it; read it again and retry", entity, id)
	}
	return nil
}

// fresh reads, inside a change's transaction, the row about to change, and
// refuses it when the caller's If-Match names another version.
func fresh[T Record](ctx context.Context, id int64, get func(context.Context, int64) (T, error)) (T, error) {
	row, err := get(ctx, id)
	if err != nil {
		return row, err
	}
	return row, checkVersion(ctx, row.Entity().Name, id, row.RecordVersion())
}

func clientAddr(ctx context.Context) *string {
	if a, ok := ctx.Value(keyAddr).(string); ok && a != "" {
		return &a
	}
	return nil
}

var errNoSession = &Error{Code: CodeUnauthenticated, Message: "you are not logged in; log in with `epicevents login`"}

// session returns the actor of ctx. Unless forPasswordChange, an employee
// with a temporary password is refused until they choose their own.
func (s *Service) session(ctx context.Context, forPasswordChange bool) (Actor, error) {
	a, ok := ctx.Value(keyActor).(Actor)
	if !ok {
		tok := AccessToken(ctx)
		if tok == "" {
			return Actor{}, errNoSession
		}
		var err error
		if a, err = s.Authenticate(ctx, tok); err != nil {
			return Actor{}, err
		}
	}
	if a.MustChangePassword && !forPasswordChange {
		return Actor{}, &Error{Code: CodeUnauthenticated, Reason: "password_change",
			Message: "your password is temporary; change your password with `epicevents passwd`"}
	}
	return a, nil
}

// authorize returns the actor if their role may perform a at all.
func (s *Service) authorize(ctx context.Context, a Action) (Actor, error) {
	actor, err := s.session(ctx, false)
	if err != nil {
		return Actor{}, err
	}
	if err := MayEver(actor.Role, a); err != nil {
		return Actor{}, err
	}
	return actor, nil
}

// check refuses unless actor may perform a, owning the object or not.
func check(actor Actor, a Action, owner bool) error {
	if Allowed(actor.Role, a, owner) {
		return nil
	}
	return forbidden(actor.Role, a)
}

// audit writes one audit entry with q, in the caller's transaction.
func (s *Service) audit(ctx context.Context, q Queries, actor *Actor, action, entity string, id int64, changes map[string]Change) error {
	// The database sets the entry's id and time.
	e := AuditEntry{Action: action, Entity: entity, Changes: changes, ClientAddr: clientAddr(ctx)}
	if id != 0 {
		e.EntityID = &id
	}
	if actor != nil {
		e.ActorID, e.ActorEmail = &actor.ID, &actor.Email
	}
	if err := q.InsertAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func (s *Service) notify(ctx context.Context, action string, actor Actor, id int64) {
	if s.notifier != nil {
		s.notifier.Notify(ctx, action, actor.ID, id)
	}
}

// diff returns the fields of two records that differ, as before → after. A
// nil before (creation) or after (deletion) reports every field. The fields
// the record's Entity does not audit are left out.
func diff[T Record](before, after *T) map[string]Change {
	var zero T
	e := zero.Entity()
	b, a := fields(before), fields(after)
	out := map[string]Change{}
	for k := range maps.Keys(a) {
		if e.audited(k) && !reflect.DeepEqual(a[k], b[k]) {
			out[k] = Change{b[k], a[k]}
		}
	}
	for k := range maps.Keys(b) {
		if _, ok := a[k]; !ok && e.audited(k) && b[k] != nil {
			out[k] = Change{b[k], nil}
		}
	}
	return out
}

func fields(v any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return map[string]any{}
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("crm: audit values must marshal: %v", err)) // our own types always do
	}
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}
