package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/epicevents/epicevents/internal/crm"
)

const selectAudit = `SELECT a.id, a.at, a.actor_id, a.actor_email, a.action, a.entity, a.entity_id,
	a.changes, a.client_addr FROM audit_entries a`

func scanAudit(r rowScanner) (crm.AuditEntry, error) {
	var a crm.AuditEntry
	err := r.Scan(&a.ID, timeDest{&a.At}, &a.ActorID, &a.ActorEmail, &a.Action, &a.Entity, &a.EntityID,
		changesDest{&a.Changes}, &a.ClientAddr)
	return a, err
}

func auditKey(a crm.AuditEntry) cursor { return cursor{Kind: auditList, ID: a.ID} }

// changesDest scans the JSON of the changes (TEXT on SQLite, JSONB on
// PostgreSQL). Numbers stay json.Number, so that ids and cents stay exact.
type changesDest struct{ m *map[string]crm.Change }

func (d changesDest) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlstore: cannot read %T as audit changes", src)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	*d.m = nil
	return dec.Decode(d.m)
}

// InsertAudit appends an audit entry. Its id and at are ignored: the
// database sets both, and on PostgreSQL the application role may not write
// them (`migrate up --app-role` grants INSERT on the other columns only).
func (q *queries) InsertAudit(ctx context.Context, a crm.AuditEntry) error {
	changes := a.Changes
	if changes == nil {
		changes = map[string]crm.Change{}
	}
	b, err := json.Marshal(changes)
	if err != nil {
		return fmt.Errorf("sqlstore: encode audit changes: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO audit_entries (actor_id, actor_email, action, entity, entity_id,
		changes, client_addr) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		a.ActorID, a.ActorEmail, a.Action, a.Entity, a.EntityID, string(b), a.ClientAddr)
	return translate(err, "create", "audit entry")
}

// ListAudit streams audit entries newest first.
func (q *queries) ListAudit(ctx context.Context, f crm.AuditFilter, emit crm.Emit[crm.AuditEntry]) (string, error) {
	var w filter
	if f.Entity != "" {
		w.add("a.entity = ?", f.Entity)
	}
	if f.EntityID != nil {
		w.add("a.entity_id = ?", *f.EntityID)
	}
	if f.ActorID != nil {
		w.add("a.actor_id = ?", *f.ActorID)
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, auditList, false)
		if err != nil {
			return "", err
		}
		w.add("a.id < ?", c.ID)
	}
	query := selectAudit + w.where() + " ORDER BY a.id DESC"
	return list(ctx, q, "audit entry", query, w.args, f.Page, scanAudit, auditKey, emit)
}
