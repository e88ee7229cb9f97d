package sqlstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// SumAmountDue adds up the money due from contract_due_totals, which the
// triggers on contracts keep per sales contact (migration 00009): one row for
// a sales contact, one row per sales contact for the company.
func (q *queries) SumAmountDue(ctx context.Context, salesContactID *int64) (crm.DueTotal, error) {
	var w filter
	if salesContactID != nil {
		w.add("t.sales_contact_id = ?", *salesContactID)
	}
	var t crm.DueTotal
	var sum int64
	err := q.queryRow(ctx, "SELECT COALESCE(sum(t.contracts), 0), COALESCE(sum(t.amount_due), 0) FROM contract_due_totals t"+w.where(), w.args...).Scan(&t.Contracts, &sum)
	t.AmountDue = crm.Cents(sum)
	return t, translate(err, "sum", "contract")
}

// SumSigned adds up the signed contracts' totals per period from
// contract_signed_totals, which the triggers on contracts keep per hour of
// UTC (migration 00009): a period's whole hours are read there, and the part
// of an hour at either end of it, if a bound does not fall on an hour (a zone
// offset of :30 or :45), from the contracts themselves, a short range of
// contracts_signed_idx. One aggregate per range, put together with UNION ALL.
func (q *queries) SumSigned(ctx context.Context, bounds []time.Time) ([]crm.PeriodTotal, error) {
	n := len(bounds) - 1
	out := make([]crm.PeriodTotal, max(n, 0))
	if n < 1 {
		return out, nil
	}
	var b strings.Builder
	args := make([]any, 0, 6*n)
	part := func(i int, sql string, from, to time.Time) {
		if !from.Before(to) {
			return
		}
		if b.Len() > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT " + strconv.Itoa(i) + sql)
		args = append(args, from, to)
	}
	// A contract has a signed_at exactly when it is signed (a CHECK of the
	// table says so): a range of signed_at holds signed contracts only.
	const fromContracts = ", count(*), COALESCE(sum(k.total_amount), 0) FROM contracts k WHERE k.signed_at >= ? AND k.signed_at < ?"
	const fromTotals = ", COALESCE(sum(t.contracts), 0), COALESCE(sum(t.total), 0) FROM contract_signed_totals t WHERE t.hour >= ? AND t.hour < ?"
	for i := range n {
		from, to := bounds[i].UTC(), bounds[i+1].UTC()
		first := from.Truncate(time.Hour) // whole hours: [first, last)
		if first.Before(from) {
			first = first.Add(time.Hour)
		}
		last := to.Truncate(time.Hour)
		if !first.Before(last) {
			part(i, fromContracts, from, to)
			continue
		}
		part(i, fromContracts, from, first)
		part(i, fromTotals, first, last)
		part(i, fromContracts, last, to)
	}
	if b.Len() == 0 {
		return out, nil
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
			out[i].Contracts += count
			out[i].Total += crm.Cents(sum)
		}
	}
	return out, translate(rows.Err(), "sum", "contract")
}
