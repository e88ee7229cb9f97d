package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

const selectClient = `SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.company_name,
	c.sales_contact_id, s.first_name || ' ' || s.last_name, c.created_at, c.updated_at, c.version
	FROM clients c JOIN employees s ON s.id = c.sales_contact_id`

func scanClient(r rowScanner) (crm.Client, error) {
	var c crm.Client
	err := r.Scan(&c.ID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.CompanyName,
		&c.SalesContactID, &c.SalesContactName, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt}, &c.Version)
	return c, err
}

func clientKey(c crm.Client) cursor {
	return cursor{Kind: clientList, Last: c.LastName, First: c.FirstName, ID: c.ID}
}

// CreateClient inserts c (its id and sales contact name are ignored).
func (q *queries) CreateClient(ctx context.Context, c crm.Client) (crm.Client, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO clients (first_name, last_name, email, phone, company_name,
		sales_contact_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.FirstName, c.LastName, c.Email, nullIfEmpty(c.Phone), nullIfEmpty(c.CompanyName),
		c.SalesContactID, c.CreatedAt, updatedAt(c.CreatedAt, c.UpdatedAt),
	).Scan(&id)
	if err != nil {
		return crm.Client{}, translate(err, "create", "client")
	}
	return q.GetClient(ctx, id)
}

// GetClient reads one client; see the package doc for locking.
func (q *queries) GetClient(ctx context.Context, id int64) (crm.Client, error) {
	c, err := scanClient(q.queryRow(ctx, selectClient+" WHERE c.id = ?"+q.lockRow("c"), id))
	return c, getErr(err, "client", crm.NotFound("client", id))
}

// ListClients streams clients by last name, first name, id. Mine is ignored:
// the service resolves it into the contact ids before calling. Search matches a
// substring of the names, email or company, ignoring case (on SQLite, the
// case of ASCII letters only).
func (q *queries) ListClients(ctx context.Context, f crm.ClientFilter, emit crm.Emit[crm.Client]) (string, error) {
	var w filter
	if f.SalesContactID != nil {
		w.add("c.sales_contact_id = ?", *f.SalesContactID)
	}
	if f.Search != "" {
		pattern := "%" + escapeLike(f.Search) + "%"
		like := " " + q.dialect().ilike() + ` ? ESCAPE '\'`
		w.add("(c.first_name"+like+" OR c.last_name"+like+" OR c.email"+like+" OR c.company_name"+like+")",
			pattern, pattern, pattern, pattern)
	}
	if err := byName(&w, f.Page, clientList, "c"); err != nil {
		return "", err
	}
	query := selectClient + w.where() + " ORDER BY c.last_name, c.first_name, c.id"
	return list(ctx, q, "client", query, w.args, f.Page, scanClient, clientKey, emit)
}

// escapeLike makes the user's text match literally inside a LIKE pattern
// whose ESCAPE character is a backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UpdateClient applies the fields of p that are set; an empty phone or
// company is stored as NULL.
func (q *queries) UpdateClient(ctx context.Context, id int64, p crm.ClientPatch, at time.Time) (crm.Client, error) {
	var a assignments
	if p.FirstName != nil {
		a.set("first_name", *p.FirstName)
	}
	if p.LastName != nil {
		a.set("last_name", *p.LastName)
	}
	if p.Email != nil {
		a.set("email", *p.Email)
	}
	if p.Phone != nil {
		a.set("phone", nullIfEmpty(p.Phone))
	}
	if p.CompanyName != nil {
		a.set("company_name", nullIfEmpty(p.CompanyName))
	}
	a.set("updated_at", at)
	if err := q.update(ctx, "clients", "client", id, a); err != nil {
		return crm.Client{}, err
	}
	return q.GetClient(ctx, id)
}

// ReassignClient gives the client, and every contract of theirs, to another
// sales contact, atomically.
func (q *queries) ReassignClient(ctx context.Context, id, salesContactID int64, at time.Time) (crm.Client, error) {
	var c crm.Client
	err := q.atomic(ctx, func(q *queries) error {
		var a assignments
		a.set("sales_contact_id", salesContactID)
		a.set("updated_at", at)
		if err := q.update(ctx, "clients", "client", id, a); err != nil {
			return err
		}
		_, err := q.exec(ctx, "UPDATE contracts SET sales_contact_id = ?, updated_at = ?, version = version + 1 WHERE client_id = ?",
			salesContactID, at, id)
		if err != nil {
			return translate(err, "update", "contract")
		}
		c, err = q.GetClient(ctx, id)
		return err
	})
	return c, err
}
