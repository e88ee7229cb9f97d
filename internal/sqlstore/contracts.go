package sqlstore

import (
	"context"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

const selectContract = `SELECT k.id, k.client_id, cl.first_name || ' ' || cl.last_name,
	k.sales_contact_id, s.first_name || ' ' || s.last_name, k.total_amount, k.amount_due,
	k.signed, k.signed_at, k.created_at, k.updated_at, k.version
	FROM contracts k
	JOIN clients cl ON cl.id = k.client_id
	JOIN employees s ON s.id = k.sales_contact_id`

func scanContract(r rowScanner) (crm.Contract, error) {
	var c crm.Contract
	err := r.Scan(&c.ID, &c.ClientID, &c.ClientName, &c.SalesContactID, &c.SalesContactName,
		&c.TotalAmount, &c.AmountDue, &c.Signed, nullTimeDest{&c.SignedAt},
		timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt}, &c.Version)
	return c, err
}

func contractKey(c crm.Contract) cursor {
	return cursor{Kind: contractList, At: &c.CreatedAt, ID: c.ID}
}

// CreateContract inserts c (its id and names are ignored).
func (q *queries) CreateContract(ctx context.Context, c crm.Contract) (crm.Contract, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO contracts (client_id, sales_contact_id, total_amount, amount_due,
		signed, signed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ClientID, c.SalesContactID, int64(c.TotalAmount), int64(c.AmountDue),
		c.Signed, c.SignedAt, c.CreatedAt, updatedAt(c.CreatedAt, c.UpdatedAt),
	).Scan(&id)
	if err != nil {
		return crm.Contract{}, translate(err, "create", "contract")
	}
	return q.GetContract(ctx, id)
}

// GetContract reads one contract; see the package doc for locking.
func (q *queries) GetContract(ctx context.Context, id int64) (crm.Contract, error) {
	c, err := scanContract(q.queryRow(ctx, selectContract+" WHERE k.id = ?"+q.lockRow("k"), id))
	return c, getErr(err, "contract", crm.NotFound("contract", id))
}

// ListContracts streams contracts newest first. Mine is ignored:
// the service resolves it into the contact ids before calling.
func (q *queries) ListContracts(ctx context.Context, f crm.ContractFilter, emit crm.Emit[crm.Contract]) (string, error) {
	var w filter
	// NOT k.signed and k.amount_due > 0 are written as in the partial indexes'
	// WHERE clauses, so that the planners can use them.
	if f.Unsigned {
		w.add("NOT k.signed")
	}
	if f.Unpaid {
		if f.SalesContactID != nil && q.dialect() != postgresDialect {
			// One employee's contracts with money due: SQLite would take the
			// report index contracts_due_idx (sales contact, amount due) and
			// sort every one of them (1.7 s for a page at a million
			// contracts); the unary + keeps it on the sales contact's index,
			// which walks their contracts newest first and stops after a
			// page.
			w.add("+k.amount_due > 0")
		} else {
			w.add("k.amount_due > 0")
		}
	}
	if f.SalesContactID != nil {
		w.add("k.sales_contact_id = ?", *f.SalesContactID)
	}
	if f.ClientID != nil {
		w.add("k.client_id = ?", *f.ClientID)
	}
	if err := byTime(&w, f.Page, contractList, "k.created_at", "k.id", false); err != nil {
		return "", err
	}
	query := selectContract + w.where() + " ORDER BY k.created_at DESC, k.id DESC"
	return list(ctx, q, "contract", query, w.args, f.Page, scanContract, contractKey, emit)
}

// UpdateContract applies the changes of p that are set; SignedAt signs the
// contract.
func (q *queries) UpdateContract(ctx context.Context, id int64, p crm.ContractUpdate, at time.Time) (crm.Contract, error) {
	var a assignments
	if p.TotalAmount != nil {
		a.set("total_amount", int64(*p.TotalAmount))
	}
	if p.AmountDue != nil {
		a.set("amount_due", int64(*p.AmountDue))
	}
	if p.SignedAt != nil {
		a.set("signed", true)
		a.set("signed_at", *p.SignedAt)
	}
	if p.SalesContactID != nil {
		a.set("sales_contact_id", *p.SalesContactID)
	}
	a.set("updated_at", at)
	if err := q.update(ctx, "contracts", "contract", id, a); err != nil {
		return crm.Contract{}, err
	}
	return q.GetContract(ctx, id)
}
