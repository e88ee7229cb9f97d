package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// SumAmountDue adds up amount_due over the contracts with money due, in one
// aggregate that reads only contracts_due_idx (partial on amount_due > 0,
// written as in its WHERE clause, and holding amount_due).
func (q *queries) SumAmountDue(ctx context.Context, salesContactID *int64) (crm.DueTotal, error) {
	var w filter
	w.add("k.amount_due > 0")
	if salesContactID != nil {
		w.add("k.sales_contact_id = ?", *salesContactID)
	}
	var t crm.DueTotal
	var sum int64
	err := q.queryRow(ctx, "SELECT count(*), COALESCE(sum(k.amount_due), 0) FROM contracts k"+w.where(), w.args...).Scan(&t.Contracts, &sum)
	t.AmountDue = crm.Cents(sum)
	return t, translate(err, "sum", "contract")
}

// SumSigned adds up the signed contracts' totals per period: one aggregate
// per period over its range of contracts_signed_idx (ordered by signed_at,
// holding total_amount, partial on the signed contracts), put together with
// UNION ALL. Each range is read in index order and summed as it goes, where
// one aggregate grouped by period would sort every signed contract of the
// whole span first (360 instead of 90 ms on SQLite at a million contracts).
func (q *queries) SumSigned(ctx context.Context, bounds []time.Time) ([]crm.PeriodTotal, error) {
	n := len(bounds) - 1
	out := make([]crm.PeriodTotal, max(n, 0))
	if n < 1 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, 0, 2*n)
	for i := range n {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		// A contract has a signed_at exactly when it is signed (a CHECK of
		// the table says so): a range of signed_at holds signed contracts
		// only.
		b.WriteString("SELECT " + strconv.Itoa(i) + ", count(*), COALESCE(sum(k.total_amount), 0)" +
			" FROM contracts k WHERE k.signed_at >= ? AND k.signed_at < ?")
		args = append(args, bounds[i], bounds[i+1])
	}
	rows, err := q.query(ctx, b.String(), args...)
	if err != nil {
		return nil, translate(err, "sum", "contract")
	}
	defer rows.Close()
	for rows.Next() {
		var i, count int
		var sum int64
		if err := rows.Scan(&i, &count, &sum); err != nil {
			return nil, translate(err, "sum", "contract")
		}
		if i >= 0 && i < n {
			out[i] = crm.PeriodTotal{Contracts: count, Total: crm.Cents(sum)}
		}
	}
	return out, translate(rows.Err(), "sum", "contract")
}
