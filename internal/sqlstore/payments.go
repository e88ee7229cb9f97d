package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// paymentList is the cursor kind of a contract's ledger, ordered by id (the
// order the entries were recorded).
const paymentList = "payments"

const selectPayment = `SELECT p.id, p.contract_id, p.kind, p.amount, p.method, p.reference,
	p.received_on, p.refund_of, p.reason, p.recorded_by_id, e.first_name || ' ' || e.last_name,
	p.recorded_at, p.amount_due_after
	FROM payments p
	JOIN employees e ON e.id = p.recorded_by_id`

func scanPayment(r rowScanner) (crm.Payment, error) {
	var (
		p              crm.Payment
		kind           string
		ref, reason    *string
		amount, dueAft int64
	)
	err := r.Scan(&p.ID, &p.ContractID, &kind, &amount, &p.Method, &ref, dateDest{&p.ReceivedOn},
		&p.RefundOf, &reason, &p.RecordedByID, &p.RecordedByName, timeDest{&p.RecordedAt}, &dueAft)
	p.Kind, p.Amount, p.AmountDueAfter = crm.PaymentKind(kind), crm.Cents(amount), crm.Cents(dueAft)
	if ref != nil {
		p.Reference = *ref
	}
	if reason != nil {
		p.Reason = *reason
	}
	return p, err
}

func paymentKey(p crm.Payment) cursor { return cursor{Kind: paymentList, ID: p.ID} }

// CreatePayment inserts one ledger entry. The database refuses an entry
// that breaks its checks (amount, kind, method, a refund of another
// contract's payment) as a conflict; the service checks them first.
func (q *queries) CreatePayment(ctx context.Context, p crm.Payment) (crm.Payment, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO payments (contract_id, kind, amount, method, reference, received_on,
		refund_of, reason, recorded_by_id, recorded_at, amount_due_after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.ContractID, string(p.Kind), int64(p.Amount), p.Method, nullIfEmpty(&p.Reference), p.ReceivedOn,
		p.RefundOf, nullIfEmpty(&p.Reason), p.RecordedByID, p.RecordedAt, int64(p.AmountDueAfter),
	).Scan(&id)
	if err != nil {
		return crm.Payment{}, translate(err, "record", "payment")
	}
	return q.GetPayment(ctx, id)
}

// GetPayment reads one ledger entry. It takes no lock: entries never change,
// and the service serializes the writes of a ledger on its contract's row.
func (q *queries) GetPayment(ctx context.Context, id int64) (crm.Payment, error) {
	p, err := scanPayment(q.queryRow(ctx, selectPayment+" WHERE p.id = ?", id))
	return p, getErr(err, "payment", crm.NotFound("payment", id))
}

// RefundedAmount sums the refunds of a payment.
func (q *queries) RefundedAmount(ctx context.Context, paymentID int64) (crm.Cents, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COALESCE(SUM(amount), 0) FROM payments WHERE refund_of = ?", paymentID).Scan(&n)
	return crm.Cents(n), translate(err, "sum the refunds of", "payment")
}

// ListPayments streams the ledger of a contract in the order it was
// recorded.
func (q *queries) ListPayments(ctx context.Context, contractID int64, f crm.PaymentFilter, emit crm.Emit[crm.Payment]) (string, error) {
	var w filter
	w.add("p.contract_id = ?", contractID)
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, paymentList, false)
		if err != nil {
			return "", err
		}
		w.add("p.id > ?", c.ID)
	}
	query := selectPayment + w.where() + " ORDER BY p.id"
	return list(ctx, q, "payment", query, w.args, f.Page, scanPayment, paymentKey, emit)
}

// dateDest scans a date column into *s as YYYY-MM-DD: a DATE on PostgreSQL,
// which the driver reads as a time at midnight UTC, or text on SQLite.
type dateDest struct{ s *string }

func (d dateDest) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.s = v.Format(time.DateOnly)
	case string:
		*d.s = v
	case []byte:
		*d.s = string(v)
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a date", src)
	}
	return nil
}
