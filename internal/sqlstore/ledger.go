package sqlstore

import (
	"context"
	"fmt"
	"strings"
)

// CheckLedgers recomputes every contract's amount due from its ledger and
// checks the ledgers themselves; it returns an error naming the first
// contracts that break a rule, nil when all hold:
//
//   - amount_due = total_amount − Σ payments + Σ refunds;
//   - a refund refunds a payment (not a refund) of the same contract, and
//     the refunds of a payment add up to at most its amount.
//
// The tests call it after the demo data and the end-to-end scripts; an
// operator may run it on a copy of production.
func (db *DB) CheckLedgers(ctx context.Context) error {
	var problems []string
	add := func(query, what string) error {
		rows, err := db.query(ctx, query+" LIMIT 10")
		if err != nil {
			return translate(err, "check", "ledger")
		}
		defer rows.Close()
		for rows.Next() {
			var id, a, b int64
			if err := rows.Scan(&id, &a, &b); err != nil {
				return translate(err, "check", "ledger")
			}
			problems = append(problems, fmt.Sprintf(what, id, a, b))
		}
		return translate(rows.Err(), "check", "ledger")
	}
	checks := []struct{ query, what string }{
		{`SELECT k.id, k.amount_due, k.total_amount - COALESCE(SUM(CASE p.kind WHEN 'payment' THEN p.amount ELSE -p.amount END), 0)
			FROM contracts k LEFT JOIN payments p ON p.contract_id = k.id
			GROUP BY k.id, k.amount_due, k.total_amount
			HAVING k.amount_due <> k.total_amount - COALESCE(SUM(CASE p.kind WHEN 'payment' THEN p.amount ELSE -p.amount END), 0)
			ORDER BY k.id`,
			"contract %d: amount due %d cents, its ledger says %d"},
		{`SELECT r.id, r.refund_of, r.contract_id FROM payments r JOIN payments p ON p.id = r.refund_of
			WHERE p.kind <> 'payment' OR p.contract_id <> r.contract_id ORDER BY r.id`,
			"refund %d: entry %d is not a payment of its contract %d"},
		{`SELECT p.id, p.amount, SUM(r.amount) FROM payments p JOIN payments r ON r.refund_of = p.id
			GROUP BY p.id, p.amount HAVING SUM(r.amount) > p.amount ORDER BY p.id`,
			"payment %d: %d cents, refunded %d"},
	}
	for _, c := range checks {
		if err := add(c.query, c.what); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("ledgers inconsistent: %s", strings.Join(problems, "; "))
	}
	return nil
}
