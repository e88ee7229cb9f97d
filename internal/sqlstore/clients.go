package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// selectClient reads clients, named c, with their sales contact's name.
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

// CreateClient inserts c (its id and sales contact name are ignored), with
// its search text.
func (q *queries) CreateClient(ctx context.Context, c crm.Client) (crm.Client, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO clients (first_name, last_name, email, phone, company_name,
		sales_contact_id, created_at, updated_at, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.FirstName, c.LastName, c.Email, nullIfEmpty(c.Phone), nullIfEmpty(c.CompanyName),
		c.SalesContactID, c.CreatedAt, updatedAt(c.CreatedAt, c.UpdatedAt), clientSearchText(c),
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
// the service resolves it into the contact ids before calling. Search keeps
// the clients that hold every word of it (see search.go).
func (q *queries) ListClients(ctx context.Context, f crm.ClientFilter, emit crm.Emit[crm.Client]) (string, error) {
	var w filter
	d := q.dialect()
	words := searchWords(f.Search)
	trigrams := ftsTrigrams(slices.DeleteFunc(slices.Clone(words), func(w string) bool { return !indexed(w) }))
	if f.Email != "" {
		// The expression of the unique index clients_email_key.
		w.add("lower(c.email) = ?", strings.ToLower(f.Email))
	}
	if f.SalesContactID != nil {
		if trigrams != "" && d == sqliteDialect {
			// A unary + keeps SQLite from walking the sales contact's index
			// (a fifth of all clients) when the search index is more
			// selective.
			w.add("+c.sales_contact_id = ?", *f.SalesContactID)
		} else {
			w.add("c.sales_contact_id = ?", *f.SalesContactID)
		}
	}
	if err := byName(&w, f.Page, clientList, "c"); err != nil {
		return "", err
	}
	// The search index gives the clients that hold the trigrams of every
	// word of three characters or more; the words themselves are then
	// checked on those rows only, so results are exact whatever the text.
	// The matches are then sorted: a search costs what its matches cost,
	// never a walk of the whole name order (the matches of a last name all
	// sit at one place in that order, which the planners cannot know). A
	// search of words of one or two characters only has no trigram: the name
	// order is walked, checking each client.
	switch {
	case trigrams != "" && d == sqliteDialect:
		w.add("c.id IN (SELECT rowid FROM clients_fts WHERE clients_fts MATCH ?)", trigrams)
		for _, word := range words {
			w.add(d.contains("c.search_text"), word)
		}
	case trigrams != "" && d == postgresDialect:
		return listClientsPostgres(ctx, q, f.Page, words, w, emit)
	default:
		for _, word := range words {
			w.add(d.contains("c.search_text"), word)
		}
	}
	query := selectClient + w.where() + " ORDER BY c.last_name, c.first_name, c.id"
	return list(ctx, q, "client", query, w.args, f.Page, scanClient, clientKey, emit)
}

// listClientsPostgres runs a search with a word of three characters or more
// on PostgreSQL. pg_trgm's index serves the LIKE of each such word (all of
// them in one index scan); shorter words, the sales contact and the cursor
// are checked on the rows it gives. Each step is MATERIALIZED, so that
// PostgreSQL finds the matches first (m: only their sort key), takes the
// page from them (p), and only then reads the page's rows and their sales
// contacts: left to itself, it would rather walk the name index and check
// every client on the way, which took 860 ms for a common last name at a
// million clients. Carrying whole rows through the sort, and joining each
// to its sales contact first, cost a quarter more for a common name.
func listClientsPostgres(ctx context.Context, q *queries, page crm.Page, words []string, w filter,
	emit crm.Emit[crm.Client]) (string, error) {
	var m filter
	for _, word := range words {
		if indexed(word) {
			m.add(`c.search_text LIKE ? ESCAPE '\'`, "%"+escapeLike(word)+"%")
		} else {
			m.add(q.dialect().contains("c.search_text"), word)
		}
	}
	m.conds, m.args = append(m.conds, w.conds...), append(m.args, w.args...)
	limit := ""
	if page.Limit > 0 {
		limit = " LIMIT ?"
		m.args = append(m.args, page.Limit+1)
	}
	query := "WITH m AS MATERIALIZED (SELECT c.id, c.last_name, c.first_name FROM clients c" + m.where() + "), " +
		"p AS MATERIALIZED (SELECT id FROM m ORDER BY last_name, first_name, id" + limit + ") " +
		selectClient + " WHERE c.id IN (SELECT id FROM p) ORDER BY c.last_name, c.first_name, c.id"
	return list(ctx, q, "client", query, m.args, page, scanClient, clientKey, emit)
}

// UpdateClient applies the fields of p that are set; an empty phone or
// company is stored as NULL. When a searched field changes, the search text
// is written again from the row as it will be, read under the transaction's
// lock so that two updates of different fields cannot each leave a text
// that misses the other's change.
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
	searched := p.FirstName != nil || p.LastName != nil || p.Email != nil || p.Phone != nil || p.CompanyName != nil
	var c crm.Client
	err := q.atomic(ctx, func(q *queries) error {
		if searched {
			cur, err := q.GetClient(ctx, id)
			if err != nil {
				return err
			}
			cur.FirstName = deref(p.FirstName, cur.FirstName)
			cur.LastName = deref(p.LastName, cur.LastName)
			cur.Email = deref(p.Email, cur.Email)
			if p.Phone != nil {
				cur.Phone = p.Phone
			}
			if p.CompanyName != nil {
				cur.CompanyName = p.CompanyName
			}
			a.set("search_text", clientSearchText(cur))
		}
		if err := q.update(ctx, "clients", "client", id, a); err != nil {
			return err
		}
		var err error
		c, err = q.GetClient(ctx, id)
		return err
	})
	return c, err
}

// deref is *p, or def when p is nil.
func deref(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
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
