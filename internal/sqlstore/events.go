package sqlstore

import (
	"context"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// An event's client comes through its contract.
const selectEvent = `SELECT v.id, v.name, v.contract_id, cl.id, cl.first_name || ' ' || cl.last_name,
	cl.email, cl.phone, v.start_at, v.end_at, v.support_contact_id,
	sp.first_name || ' ' || sp.last_name, v.location, v.attendees, v.notes,
	v.created_at, v.updated_at, k.sales_contact_id, v.version
	FROM events v
	JOIN contracts k ON k.id = v.contract_id
	JOIN clients cl ON cl.id = k.client_id
	LEFT JOIN employees sp ON sp.id = v.support_contact_id`

func scanEvent(r rowScanner) (crm.Event, error) {
	var e crm.Event
	err := r.Scan(&e.ID, &e.Name, &e.ContractID, &e.ClientID, &e.ClientName,
		&e.ClientEmail, &e.ClientPhone, timeDest{&e.Start}, timeDest{&e.End}, &e.SupportContactID,
		&e.SupportContactName, &e.Location, &e.Attendees, &e.Notes,
		timeDest{&e.CreatedAt}, timeDest{&e.UpdatedAt}, &e.SalesContactID, &e.Version)
	return e, err
}

func eventKey(e crm.Event) cursor {
	return cursor{Kind: eventList, At: &e.Start, ID: e.ID}
}

// CreateEvent inserts e (its id and what comes from the contract are ignored).
func (q *queries) CreateEvent(ctx context.Context, e crm.Event) (crm.Event, error) {
	var id int64
	err := q.queryRow(ctx, `INSERT INTO events (contract_id, name, start_at, end_at, support_contact_id,
		location, attendees, notes, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.ContractID, e.Name, e.Start, e.End, e.SupportContactID,
		e.Location, e.Attendees, nullIfEmpty(e.Notes), e.CreatedAt, updatedAt(e.CreatedAt, e.UpdatedAt),
	).Scan(&id)
	if err != nil {
		return crm.Event{}, translate(err, "create", "event")
	}
	return q.GetEvent(ctx, id)
}

// GetEvent reads one event; see the package doc for locking.
func (q *queries) GetEvent(ctx context.Context, id int64) (crm.Event, error) {
	e, err := scanEvent(q.queryRow(ctx, selectEvent+" WHERE v.id = ?"+q.lockRow("v"), id))
	return e, getErr(err, "event", crm.NotFound("event", id))
}

// ListEvents streams events by start, then id. Mine is ignored:
// the service resolves it into the contact ids before calling. From and To bound the start,
// both inclusive.
func (q *queries) ListEvents(ctx context.Context, f crm.EventFilter, emit crm.Emit[crm.Event]) (string, error) {
	var w filter
	// The events of one client are few: on SQLite, which has no statistics,
	// the unary + keeps the planner from walking every unassigned event (or
	// every event of a support contact) instead of the client's contracts.
	support := "v.support_contact_id"
	if f.ClientID != nil && q.dialect() != postgresDialect {
		support = "+" + support
	}
	if f.WithoutSupport {
		w.add(support + " IS NULL")
	}
	if f.SupportContactID != nil {
		w.add(support+" = ?", *f.SupportContactID)
	}
	if f.SalesContactID != nil {
		// On SQLite the unary + keeps the planner from driving the query by the
		// contracts' sales-contact index and sorting every event of that
		// employee: it walks events in start order and stops after a page.
		// PostgreSQL plans that walk from its statistics, and the + would hide
		// them: it then guessed 5,000 matches and started parallel workers
		// (26 ms instead of 5 ms for a page at a million events).
		if q.dialect() == postgresDialect {
			w.add("k.sales_contact_id = ?", *f.SalesContactID)
		} else {
			w.add("+k.sales_contact_id = ?", *f.SalesContactID)
		}
	}
	if f.ContractID != nil {
		w.add("v.contract_id = ?", *f.ContractID)
	}
	if f.ClientID != nil {
		w.add("k.client_id = ?", *f.ClientID)
	}
	if f.From != nil {
		w.add("v.start_at >= ?", *f.From)
	}
	if f.To != nil {
		w.add("v.start_at <= ?", *f.To)
	}
	if err := byTime(&w, f.Page, eventList, "v.start_at", "v.id", true); err != nil {
		return "", err
	}
	query := selectEvent + w.where() + " ORDER BY v.start_at, v.id"
	return list(ctx, q, "event", query, w.args, f.Page, scanEvent, eventKey, emit)
}

// UpdateEvent applies the changes of p that are set; empty notes are stored
// as NULL; SetSupport sets or clears the support contact.
func (q *queries) UpdateEvent(ctx context.Context, id int64, p crm.EventUpdate, at time.Time) (crm.Event, error) {
	var a assignments
	if p.Name != nil {
		a.set("name", *p.Name)
	}
	if p.Start != nil {
		a.set("start_at", *p.Start)
	}
	if p.End != nil {
		a.set("end_at", *p.End)
	}
	if p.Location != nil {
		a.set("location", *p.Location)
	}
	if p.Attendees != nil {
		a.set("attendees", *p.Attendees)
	}
	if p.Notes != nil {
		a.set("notes", nullIfEmpty(p.Notes))
	}
	if p.SetSupport {
		a.set("support_contact_id", p.SupportContactID)
	}
	a.set("updated_at", at)
	if err := q.update(ctx, "events", "event", id, a); err != nil {
		return crm.Event{}, err
	}
	return q.GetEvent(ctx, id)
}
