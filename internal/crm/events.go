package crm

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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
	if f.Upcoming {
		// Upcoming is a lower bound at the service's clock, so that the
		// store serves it from the start index like any other.
		if now := s.now(); f.From == nil || f.From.Before(now) {
			f.From = &now
		}
		f.Upcoming = false
		if f.To != nil && f.To.Before(*f.From) {
			return "", nil
		}
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
		if err := eventContract(ctx, q, actor, in.ContractID); err != nil {
			return err
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

// CheckCreateEvent changes nothing: it refuses what CreateEvent would refuse
// about the contract (one that does not exist, whose sales contact the
// caller is not, or not signed yet), so that nobody fills in an event's
// form to be told no.
func (s *Service) CheckCreateEvent(ctx context.Context, contractID int64) error {
	actor, err := s.authorize(ctx, ActCreateEvent)
	if err != nil {
		return err
	}
	return eventContract(ctx, s.store, actor, contractID)
}

// eventContract refuses an event on the contract id unless actor may add
// one to it: its sales contact, once it is signed.
func eventContract(ctx context.Context, q Queries, actor Actor, id int64) error {
	c, err := q.GetContract(ctx, id)
	if err != nil {
		return err
	}
	return createEventRefusal(actor.Employee, c)
}

// createEventRefusal is why e may not add an event to contract c (not its
// sales contact, or not signed yet), or nil when e may.
func createEventRefusal(e Employee, c Contract) error {
	if err := check(Actor{Employee: e}, ActCreateEvent, c.SalesContactID == e.ID); err != nil {
		return err
	}
	if !c.Signed {
		return Errorf(CodeConflict, "contract %d is not signed yet; an event needs a signed contract (`epicevents contracts sign %d`)", c.ID, c.ID)
	}
	return nil
}

func checkAttendees(v *Validator, n int) {
	if n < 0 || n > MaxAttendees {
		v.Add("attendees", "must be between 0 and 100000")
	}
}

// NoteTimeLayout dates a line that AddNote appends to an event's notes.
const NoteTimeLayout = "2006-01-02 15:04"

// UpdateEvent changes an event's details: MANAGEMENT any event and any detail;
// SUPPORT the events assigned to them, all but the name.
//
// AddNote appends the line "YYYY-MM-DD HH:MM First Last: TEXT" to the notes,
// dated now in the company's zone (Config.Location) and signed with the
// actor's name, so that the notes keep their history: whoever may change the
// notes may add one. The notes must stay within their limit with it.
func (s *Service) UpdateEvent(ctx context.Context, id int64, p EventPatch) (Event, error) {
	actor, err := s.authorize(ctx, ActUpdateEvent)
	if err != nil {
		return Event{}, err
	}
	if p == (EventPatch{}) {
		return Event{}, errNothingToChange
	}
	var v Validator
	if p.AddNote != nil {
		switch note := strings.TrimSpace(*p.AddNote); {
		case p.Notes != nil:
			v.Add("add_note", "cannot go with notes: either replace the notes or add a note")
		case strings.ContainsAny(note, "\n\r"):
			v.Add("add_note", "must be one line; add one note per line")
		default:
			*p.AddNote = text(&v, "add_note", note, 1, MaxNotesLen, false)
		}
	}
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
		before, err := fresh(ctx, id, q.GetEvent)
		if err != nil {
			return err
		}
		if err := CheckUpdateEvent(actor.Employee, before); err != nil {
			return err
		}
		if p.Name != nil && !MayRenameEvent(actor.Role) {
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
		if p.AddNote != nil {
			notes, err := s.appendNote(actor, before.Notes, *p.AddNote)
			if err != nil {
				return err
			}
			p.Notes, p.AddNote = &notes, nil
		}
		if after, err = q.UpdateEvent(ctx, id, EventUpdate{EventPatch: p}, s.now()); err != nil {
			return err
		}
		return s.audit(ctx, q, &actor, "event.update", "event", id, diff(&before, &after))
	})
	return after, err
}

// appendNote returns the notes with a line for note, dated now in the
// company's zone and signed by actor, or refuses when they would outgrow
// their limit.
func (s *Service) appendNote(actor Actor, notes *string, note string) (string, error) {
	line := s.now().In(s.cfg.Location).Format(NoteTimeLayout) + " " + actor.Name() + ": " + note
	if notes != nil && *notes != "" {
		line = *notes + "\n" + line
	}
	if n := utf8.RuneCountInString(line); n > MaxNotesLen {
		return "", Invalid("add_note", fmt.Sprintf(
			"would make the notes %d characters long, over their limit of %d; shorten the note, or rewrite the notes to make room",
			n, MaxNotesLen))
	}
	return line, nil
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
		before, err := fresh(ctx, id, q.GetEvent)
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
