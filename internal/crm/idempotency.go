package crm

import (
	"context"
	"time"
)

// A request that records something (a payment, a refund) may carry a key
// that its sender picks: sent again with the same key, after a dropped
// connection, it is answered what the first was answered, and nothing is
// recorded twice. Keys belong to the employee who sent them and to the route
// they were sent to, and are kept IdempotencyKeep, then purged with the
// sessions (Purge).

// IdempotencyKeep is how long the answer to a keyed request is kept: long
// enough to cover any retry of the request.
const IdempotencyKeep = 24 * time.Hour

// MaxIdempotencyKeyLen is the longest key accepted, in bytes (keys are ASCII).
const MaxIdempotencyKeyLen = 255

// IdempotencyWait is how long a request waits for the first request of its
// key to finish, when the two run at the same time, before it is refused.
const IdempotencyWait = 10 * time.Second

// idempotencyPoll is how often a waiting request looks again.
const idempotencyPoll = 50 * time.Millisecond

// IdempotencyKey names one request its sender may send again.
type IdempotencyKey struct {
	EmployeeID int64
	Route      string // what the request was sent to, such as "POST /api/v1/contracts/7/payments"
	Key        string // as the sender wrote it
}

// IdempotentAnswer is the answer given to a keyed request, kept to be given
// again: a status (an HTTP status for the API) and the body.
type IdempotentAnswer struct {
	Status int
	Body   []byte
}

// IdempotencyRecord is what the store keeps of a key.
type IdempotencyRecord struct {
	RequestHash string            // a digest of the request that claimed the key
	Answer      *IdempotentAnswer // nil while that request runs
	CreatedAt   time.Time
}

// IdempotencyQueries keep the keys of keyed requests (part of Queries).
type IdempotencyQueries interface {
	// ClaimIdempotencyKey records k as taken by a request whose digest is
	// hash, at at, with no answer yet, and reports claimed true; when k is
	// already recorded it changes nothing and returns what is recorded.
	// Of concurrent claims of one key, exactly one succeeds.
	ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, hash string, at time.Time) (rec IdempotencyRecord, claimed bool, err error)
	// SaveIdempotentAnswer records the answer of the request that claimed k.
	SaveIdempotentAnswer(ctx context.Context, k IdempotencyKey, a IdempotentAnswer) error
	// ReleaseIdempotencyKey forgets k, answered or not.
	ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey) error
}

// CheckIdempotencyKey refuses a key that is empty, longer than
// MaxIdempotencyKeyLen or not printable ASCII; field names the key where the
// sender wrote it (the Idempotency-Key header).
func CheckIdempotencyKey(field, key string) error {
	if key == "" || len(key) > MaxIdempotencyKeyLen {
		return Invalid(field, "must be 1 to 255 printable ASCII characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return Invalid(field, "must be 1 to 255 printable ASCII characters")
		}
	}
	return nil
}

// KeepAnswer reports whether an answer of this status is kept for the
// retries of its request: successes and refusals that the same request would
// get again, but not a failure that a retry may not meet (unauthenticated,
// throttled, the server or the database failing).
func KeepAnswer(status int) bool {
	return status >= 200 && status < 500 && status != 401 && status != 408 && status != 429
}

// Once answers a keyed request: the first time the caller sends key to
// route, it runs do and keeps its answer (when KeepAnswer says so); sent
// again with the same hash (a digest of the request), it returns that answer
// with replayed true, without running do; sent with another hash, it is
// refused (CodeInvalid on field). A second request that arrives while the
// first still runs waits for its answer, up to IdempotencyWait. Once needs a
// session: keys are the caller's.
func (s *Service) Once(ctx context.Context, field, route, key, hash string,
	do func(ctx context.Context) IdempotentAnswer) (a IdempotentAnswer, replayed bool, err error) {
	if err := CheckIdempotencyKey(field, key); err != nil {
		return IdempotentAnswer{}, false, err
	}
	actor, err := s.session(ctx, false)
	if err != nil {
		return IdempotentAnswer{}, false, err
	}
	k := IdempotencyKey{EmployeeID: actor.ID, Route: route, Key: key}
	deadline := s.clock().Add(IdempotencyWait)
	for {
		now := s.now()
		rec, claimed, err := s.store.ClaimIdempotencyKey(ctx, k, hash, now)
		if err != nil {
			return IdempotentAnswer{}, false, err
		}
		if claimed {
			return s.runClaimed(ctx, k, do)
		}
		switch {
		case now.Sub(rec.CreatedAt) >= IdempotencyKeep:
			// Past its keeping time, not purged yet: as if it were.
			if err := s.store.ReleaseIdempotencyKey(ctx, k); err != nil {
				return IdempotentAnswer{}, false, err
			}
			continue
		case rec.RequestHash != hash:
			return IdempotentAnswer{}, false, Invalid(field,
				"was already used for a request with another body; send a new key with each new request")
		case rec.Answer != nil:
			return *rec.Answer, true, nil
		case !s.clock().Before(deadline):
			return IdempotentAnswer{}, false, &Error{Code: CodeConflict,
				Message: "a request with this " + field + " is still being answered; send it again in a moment"}
		}
		t := time.NewTimer(idempotencyPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return IdempotentAnswer{}, false, ctx.Err()
		case <-t.C:
		}
	}
}

// runClaimed runs do for the request that claimed k and keeps its answer,
// or forgets the key when the answer is not to be kept, so that a retry runs
// again. Both happen even when the request's context has ended: the work
// done must not be left unanswerable. When keeping or forgetting fails, the
// answer is returned with the error: the work is done and its answer is
// due; the key stays claimed, so that a retry is refused rather than run
// twice.
func (s *Service) runClaimed(ctx context.Context, k IdempotencyKey,
	do func(ctx context.Context) IdempotentAnswer) (a IdempotentAnswer, replayed bool, err error) {
	done := false
	defer func() {
		if !done { // do panicked: nothing to keep
			_ = s.store.ReleaseIdempotencyKey(context.WithoutCancel(ctx), k)
		}
	}()
	a = do(ctx)
	done = true
	bg := context.WithoutCancel(ctx)
	if !KeepAnswer(a.Status) {
		return a, false, s.store.ReleaseIdempotencyKey(bg, k)
	}
	return a, false, s.store.SaveIdempotentAnswer(bg, k, a)
}
