package crm

import (
	"context"
	"time"
)

// GetEvent returns one event; everyone may read every event.
func (s *Service) GetEvent(ctx context.Context, id int64) (Event, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return Event{}, err
	}
	return s.store.GetEvent(ctx, id)
}

// ListEvents streams events to emit, by start. Mine selects the events assigned
// to the caller (SUPPORT) or on contracts whose sales contact they are (SALES).
func (s *Service) ListEvents(ctx context.Context, f EventFilter, emit Emit[Event]) (string, error) {
	actor, err := s.authorize(ctx, ActRead)
	if err != nil {
		return "", err
	}
	if f.From != nil && f.To != nil && f.From.After(*f.To) {
		return "", Invalid("from", "must not be after to")
	}
	if f.Mine {
		switch actor.Role {
		case RoleSales:
			if !mineAsSales(actor, &f.SalesContactID) {
				return "", nil
			}
		case RoleSupport:
			if f.WithoutSupport || (f.SupportContactID != nil && *f.SupportContactID != actor.ID) {
				return "", nil
			}
			id := actor.ID
			f.SupportContactID = &id
		default:
			return "", nil
		}
	}
	return s.store.ListEvents(ctx, f, emit)
}

func checkSchedule(v *Validator, start, end time.Time) {
	switch {
	case start.IsZero():
		v.Add("start", "is required")
	case end.IsZero():
		v.Add("end", "is required")
	case !start.Before(end):
		v.Add("end", "must be after the start")
	}
}

// CreateEvent adds an event on a signed contract; only the contract's sales
// contact may. The event's client is the contract's.
func (s *Service) CreateEvent(ctx context.Context, in NewEvent) (Event, error) {
	actor, err := s.authorize(ctx, ActCreateEvent)
	if err != nil {
		return Event{}, err
	}
	var v Validator
	positiveID(&v, "contract_id", in.ContractID)
	e := Event{
		ContractID: in.ContractID,
		Name:       text(&v, "name", in.Name, 1, MaxEventName, false),
		Start:      in.Start.UTC(),
		End:        in.End.UTC(),
		Location:   text(&v, "location", in.Location, 1, MaxLocationLen, false),
		Attendees:  in.Attendees,
		Notes:      nilIfEmpty(optText(&v, "notes", in.Notes, MaxNotesLen, true)),
	}
	checkSchedule(&v, e.Start, e.End)
	checkAttendees(&v, e.Attendees)
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	err = s.store.InTx(ctx, func(q Queries) error {
		c, err := q.GetContract(ctx, in.ContractID)
		if err != nil {
			return err
		}
		if err := check(actor, ActCreateEvent, c.SalesContactID == actor.ID); err != nil {
			return err
		}
		if !c.Signed {
			return Errorf(CodeConflict, "contract %d is not signed yet; an event needs a signed contract (`epicevents contracts sign %d`)", c.ID, c.ID)
		}
		now := s.now()
		e.CreatedAt, e.UpdatedAt = now, now
		if e, err = q.CreateEvent(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "event.create", "event", e.ID, diff(nil, &e))
	})
	return e, err
}

func checkAttendees(v *Validator, n int) {
	if n < 0 || n > MaxAttendees {
		v.Add("attendees", "must be between 0 and 100000")
	}
}

// UpdateEvent changes an event's details: MANAGEMENT any event and any detail;
// SUPPORT the events assigned to them, all but the name.
func (s *Service) UpdateEvent(ctx context.Context, id int64, p EventPatch) (Event, error) {
	actor, err := s.authorize(ctx, ActUpdateEvent)
	if err != nil {
		return Event{}, err
	}
	if p == (EventPatch{}) {
		return Event{}, errNothingToChange
	}
	var v Validator
	if p.Name != nil {
		*p.Name = text(&v, "name", *p.Name, 1, MaxEventName, false)
	}
	if p.Location != nil {
		*p.Location = text(&v, "location", *p.Location, 1, MaxLocationLen, false)
	}
	if p.Attendees != nil {
		checkAttendees(&v, *p.Attendees)
	}
	p.Notes = optText(&v, "notes", p.Notes, MaxNotesLen, true)
	if err := v.Err(); err != nil {
		return Event{}, err
	}
	var after Event
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, "event", id, q.GetEvent)
		if err != nil {
			return err
		}
		owner := before.SupportContactID != nil && *before.SupportContactID == actor.ID
		if err := check(actor, ActUpdateEvent, owner); err != nil {
			return err
		}
		if p.Name != nil && actor.Role != RoleManagement {
			return Errorf(CodeForbidden, "permission denied: only MANAGEMENT may rename an event")
		}
		start, end := before.Start, before.End
		if p.Start != nil {
			start = p.Start.UTC()
			p.Start = &start
		}
		if p.End != nil {
			end = p.End.UTC()
			p.End = &end
		}
		var v Validator
		checkSchedule(&v, start, end)
		if err := v.Err(); err != nil {
			return err
		}
		if after, err = q.UpdateEvent(ctx, id, EventUpdate{EventPatch: p}, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "event.update", "event", id, diff(&before, &after))
	})
	return after, err
}

// AssignSupport makes an active SUPPORT employee the event's support contact
// (MANAGEMENT only).
func (s *Service) AssignSupport(ctx context.Context, id, supportID int64) (Event, error) {
	return s.setSupport(ctx, id, &supportID, "event.assign")
}

// UnassignSupport leaves the event without a support contact (MANAGEMENT only).
func (s *Service) UnassignSupport(ctx context.Context, id int64) (Event, error) {
	return s.setSupport(ctx, id, nil, "event.unassign")
}

func (s *Service) setSupport(ctx context.Context, id int64, supportID *int64, action string) (Event, error) {
	actor, err := s.authorize(ctx, ActAssignSupport)
	if err != nil {
		return Event{}, err
	}
	var after Event
	err = s.store.InTx(ctx, func(q Queries) error {
		before, err := fresh(ctx, "event", id, q.GetEvent)
		if err != nil {
			return err
		}
		if supportID != nil {
			if _, err := assignee(ctx, q, "support_contact_id", *supportID, RoleSupport); err != nil {
				return err
			}
		} else if before.SupportContactID == nil {
			return Errorf(CodeConflict, "event %d has no support contact to unassign", id)
		}
		if after, err = q.UpdateEvent(ctx, id, EventUpdate{SetSupport: true, SupportContactID: supportID}, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, action, "event", id, diff(&before, &after))
	})
	return after, err
}
