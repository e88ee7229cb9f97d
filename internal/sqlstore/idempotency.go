package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// The keys of keyed requests (crm.Once). A claim is a row without a status;
// the answer replaces it (DELETE and INSERT in one transaction), so that the
// application role needs no UPDATE on the table.

// ClaimIdempotencyKey inserts k unless it exists: the primary key makes
// exactly one of concurrent claims insert, on both engines. A key released
// between the insert and the read is claimed again.
func (q *queries) ClaimIdempotencyKey(ctx context.Context, k crm.IdempotencyKey, hash string, at time.Time) (crm.IdempotencyRecord, bool, error) {
	for range 3 {
		res, err := q.exec(ctx, `INSERT INTO idempotency_keys (employee_id, route, key, request_hash, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (employee_id, route, key) DO NOTHING`,
			k.EmployeeID, k.Route, k.Key, hash, at)
		n, err := rowsAffected(res, err)
		if err != nil {
			return crm.IdempotencyRecord{}, false, translate(err, "create", "idempotency key")
		}
		if n == 1 {
			return crm.IdempotencyRecord{RequestHash: hash, CreatedAt: at.UTC().Truncate(time.Second)}, true, nil
		}
		var (
			rec    crm.IdempotencyRecord
			status sql.NullInt64
			body   []byte
		)
		err = q.queryRow(ctx, `SELECT request_hash, status, body, created_at FROM idempotency_keys
			WHERE employee_id = ? AND route = ? AND key = ?`, k.EmployeeID, k.Route, k.Key).
			Scan(&rec.RequestHash, &status, &body, timeDest{&rec.CreatedAt})
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return crm.IdempotencyRecord{}, false, translate(err, "get", "idempotency key")
		}
		if status.Valid {
			if body == nil {
				body = []byte{}
			}
			rec.Answer = &crm.IdempotentAnswer{Status: int(status.Int64), Body: body}
		}
		return rec, false, nil
	}
	return crm.IdempotencyRecord{}, false, &crm.Error{Code: crm.CodeConflict,
		Message: "the idempotency key is being claimed and released by other requests; send the request again"}
}

// SaveIdempotentAnswer replaces the claim of k by its answer.
func (q *queries) SaveIdempotentAnswer(ctx context.Context, k crm.IdempotencyKey, a crm.IdempotentAnswer) error {
	return q.atomic(ctx, func(q *queries) error {
		var (
			hash string
			at   time.Time
		)
		err := q.queryRow(ctx, `SELECT request_hash, created_at FROM idempotency_keys
			WHERE employee_id = ? AND route = ? AND key = ? AND status IS NULL`, k.EmployeeID, k.Route, k.Key).
			Scan(&hash, timeDest{&at})
		if err != nil {
			return getErr(err, "idempotency key", crm.Errorf(crm.CodeNotFound, "the idempotency key is not claimed"))
		}
		if _, err := q.exec(ctx, `DELETE FROM idempotency_keys WHERE employee_id = ? AND route = ? AND key = ?`,
			k.EmployeeID, k.Route, k.Key); err != nil {
			return translate(err, "delete", "idempotency key")
		}
		body := a.Body
		if body == nil {
			body = []byte{}
		}
		_, err = q.exec(ctx, `INSERT INTO idempotency_keys (employee_id, route, key, request_hash, status, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, k.EmployeeID, k.Route, k.Key, hash, a.Status, body, at)
		return translate(err, "create", "idempotency key")
	})
}

// ReleaseIdempotencyKey deletes k.
func (q *queries) ReleaseIdempotencyKey(ctx context.Context, k crm.IdempotencyKey) error {
	_, err := q.exec(ctx, `DELETE FROM idempotency_keys WHERE employee_id = ? AND route = ? AND key = ?`,
		k.EmployeeID, k.Route, k.Key)
	return translate(err, "delete", "idempotency key")
}
