package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/phonefmt"
)

// eventFields are the fields of the event form, as the service names them.
var eventFields = []string{"name", "start", "end", "location", "attendees", "notes"}

// eventsView is the content of the events list.
type eventsView struct {
	Rows []eventRow
	Next string
	// Filter is the filters' form; Contract and Client the contract and
	// the client the list is limited to, if any.
	Filter   *Form
	Contract *crm.Contract
	Client   *crm.Client
	// NewEvent links to the form of a new event on Contract, when the
	// viewer may add one.
	NewEvent string
}

// eventRow is an event as the pages show it.
type eventRow struct {
	crm.Event
	// Phone is the client's phone as shown, and Tel as dialled.
	Phone, Tel string
	// EndTime is the time of the end alone ("23:00") when the event ends
	// on the day it starts, in the company's zone; "" otherwise.
	EndTime string
}

func (s *Server) eventRow(e crm.Event) eventRow {
	r := eventRow{Event: e}
	if e.ClientPhone != nil && *e.ClientPhone != "" {
		r.Phone, r.Tel = phonefmt.Format(*e.ClientPhone), *e.ClientPhone
	}
	start, end := e.Start.In(s.clock.loc), e.End.In(s.clock.loc)
	if start.Format(time.DateOnly) == end.Format(time.DateOnly) {
		r.EndTime = end.Format("15:04")
	}
	return r
}

// eventFilter reads the list's query: the CLI's filters of `events list`
// (from and to take a day, the whole day, in the company's zone). A value
// it cannot read is marked on the filters' form.
func (s *Server) eventFilter(q url.Values, form *Form) crm.EventFilter {
	f := crm.EventFilter{Page: crm.Page{Limit: listRows, Cursor: q.Get("cursor")}}
	for name, dst := range map[string]*bool{"without_support": &f.WithoutSupport, "mine": &f.Mine, "upcoming": &f.Upcoming} {
		on, ok := flagValue(q.Get(name))
		if !ok {
			form.Errors[name] = "Tick the box, or leave it empty."
		}
		*dst = on
	}
	for _, p := range []struct {
		name, what string
		dst        **int64
	}{{"contract_id", "contract", &f.ContractID}, {"client_id", "client", &f.ClientID}} {
		v := strings.TrimSpace(q.Get(p.name))
		if v == "" {
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			form.Errors[p.name] = "Must be the number of a " + p.what + "."
			continue
		}
		*p.dst = &id
	}
	for _, b := range []struct {
		name string
		end  bool
		dst  **time.Time
	}{{"from", false, &f.From}, {"to", true, &f.To}} {
		v := strings.TrimSpace(q.Get(b.name))
		if v == "" {
			continue
		}
		t, err := crm.ParseBound(v, s.clock.loc, b.end, s.now())
		if err != nil {
			form.Errors[b.name] = "Enter a day, such as 2026-06-01."
			continue
		}
		*b.dst = &t
	}
	return f
}

// eventsPage is GET /events: events by start, with the CLI's filters
// (without_support=1, mine=1, upcoming=1, contract_id, client_id, from, to),
// 50 a page.
func (s *Server) eventsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := s.newPage(w, r, "Events")
	v := eventsView{Filter: NewForm("events-filter", q)}
	f := s.eventFilter(q, v.Filter)
	status := http.StatusOK
	if len(v.Filter.Errors) > 0 {
		v.Filter.Message = "Check the filters marked below."
		// Not fields of the page: their address came from a link.
		if _, bad := v.Filter.Errors["contract_id"]; bad {
			v.Filter.Message = "This address names no contract: open the events of a contract from its page."
		} else if _, bad := v.Filter.Errors["client_id"]; bad {
			v.Filter.Message = "This address names no client: open the events of a client from its page."
		}
		p.Data = v
		return s.render(w, r, http.StatusUnprocessableEntity, "events", p)
	}
	if f.ContractID != nil {
		c, err := s.svc.GetContract(r.Context(), *f.ContractID)
		if err != nil {
			return err
		}
		v.Contract = &c
		if crm.MayCreateEventOn(*p.Viewer, c) {
			v.NewEvent = fmt.Sprintf("/events/new?contract_id=%d", c.ID)
		}
	}
	if f.ClientID != nil {
		c, err := s.svc.GetClient(r.Context(), *f.ClientID)
		if err != nil {
			return err
		}
		v.Client = &c
	}
	next, err := s.svc.ListEvents(r.Context(), f, func(e crm.Event) error {
		v.Rows = append(v.Rows, s.eventRow(e))
		return nil
	})
	if err != nil {
		if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInvalid {
			return err
		}
		v.Filter.SetError(err, "from", "to", "contract_id", "client_id")
		status = http.StatusUnprocessableEntity
	}
	v.Next = nextPage(r.URL, next)
	p.Data = v
	return s.render(w, r, status, "events", p)
}

// eventView is the content of an event's page.
type eventView struct {
	Event eventRow
	// Notes are the event's notes, line by line.
	Notes []string
	// What the viewer may do, as the service's rules say.
	MayEdit, MayAssign bool
	// Note is the form that adds a note; Assign the one that picks its
	// support contact among Support.
	Note, Assign *Form
	Support      []Option
}

// eventID is the event of the path.
func eventID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Errorf(crm.CodeNotFound, "there is no event at this address")
	}
	return id, nil
}

// eventPageData loads the event of the request and what its page shows.
func (s *Server) eventPageData(w http.ResponseWriter, r *http.Request) (*Page, *eventView, error) {
	id, err := eventID(r)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.svc.GetEvent(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	p := s.newPage(w, r, e.Name)
	v := &eventView{Event: s.eventRow(e), Note: NewForm("note", nil), Assign: NewForm("assign", nil)}
	if e.Notes != nil && *e.Notes != "" {
		v.Notes = strings.Split(*e.Notes, "\n")
	}
	v.MayEdit = crm.MayUpdateEvent(*p.Viewer, e)
	v.MayAssign = crm.RoleMayEver(p.Viewer.Role, crm.ActAssignSupport)
	if v.MayAssign {
		if v.Support, err = s.peopleOptions(r.Context(), crm.RoleSupport); err != nil {
			return nil, nil, err
		}
		if e.SupportContactID != nil {
			v.Assign.Values.Set("support_contact_id", strconv.FormatInt(*e.SupportContactID, 10))
		}
	}
	p.Data = v
	return p, v, nil
}

// eventPage is GET /events/{id}.
func (s *Server) eventPage(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.eventPageData(w, r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "events-show", p)
}

// eventFormView is the content of the form that creates or edits an event.
type eventFormView struct {
	// Event is the event edited; nil for a new one, then Contract is the
	// contract it will be on.
	Event    *crm.Event
	Contract *crm.Contract
	// MayRename shows the name among the fields of an edit.
	MayRename bool
	Action    string
}

// eventValues are the form values of e, as the form shows them.
func (s *Server) eventValues(e crm.Event) url.Values {
	v := url.Values{}
	v.Set("name", e.Name)
	v.Set("start", s.clock.inputValue(e.Start))
	v.Set("end", s.clock.inputValue(e.End))
	v.Set("location", e.Location)
	v.Set("attendees", strconv.Itoa(e.Attendees))
	if e.Notes != nil {
		v.Set("notes", *e.Notes)
	}
	v.Set("version", strconv.FormatInt(e.Version, 10))
	return v
}

// eventInput reads the event form: the times in the company's zone, the
// attendees as a whole number. What it cannot read is marked on form.
func (s *Server) eventInput(r *http.Request, form *Form) (start, end time.Time, attendees int) {
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"start", &start}, {"end", &end}} {
		v := strings.TrimSpace(r.PostForm.Get(t.name))
		if v == "" {
			form.Errors[t.name] = "Is required."
			continue
		}
		if *t.dst, err = s.clock.parseInput(v); err != nil {
			form.Errors[t.name] = sentence(err.Error())
		}
	}
	a := strings.TrimSpace(r.PostForm.Get("attendees"))
	if attendees, err = strconv.Atoi(a); err != nil {
		form.Errors["attendees"] = "Must be a whole number from 0 to 100000."
	}
	if len(form.Errors) > 0 {
		form.Message = "Check the fields marked below."
	}
	return start, end, attendees
}

// contractParam is the contract_id of the new event's form.
func contractParam(v string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		return 0, crm.Invalid("contract_id", "open this form from a signed contract's page")
	}
	return id, nil
}

// newEventPage is GET /events/new?contract_id=N: the form of a new event on
// a signed contract, for its sales contact.
func (s *Server) newEventPage(w http.ResponseWriter, r *http.Request) error {
	id, err := contractParam(r.URL.Query().Get("contract_id"))
	if err != nil {
		return err
	}
	if err := s.svc.CheckCreateEvent(r.Context(), id); err != nil {
		return err
	}
	c, err := s.svc.GetContract(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "New event")
	p.Form = NewForm("event", url.Values{"contract_id": {strconv.FormatInt(id, 10)}, "attendees": {"0"}})
	p.Data = eventFormView{Contract: &c, Action: "/events"}
	return s.render(w, r, http.StatusOK, "events-form", p)
}

// createEvent is POST /events (contract_id, name, start, end, location,
// attendees, notes).
func (s *Server) createEvent(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := contractParam(r.PostForm.Get("contract_id"))
	if err != nil {
		return err
	}
	c, err := s.svc.GetContract(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "New event")
	p.Form = NewForm("event", r.PostForm)
	p.Data = eventFormView{Contract: &c, Action: "/events"}
	start, end, attendees := s.eventInput(r, p.Form)
	if len(p.Form.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "events-form", p)
	}
	in := crm.NewEvent{ContractID: id, Name: r.PostForm.Get("name"), Start: start, End: end,
		Location: r.PostForm.Get("location"), Attendees: attendees}
	if notes := r.PostForm.Get("notes"); notes != "" {
		in.Notes = &notes
	}
	e, err := s.svc.CreateEvent(r.Context(), in)
	if err != nil {
		return s.formRefused(w, r, p, "events-form", err, eventFields...)
	}
	s.redirect(w, r, fmt.Sprintf("/events/%d", e.ID), "Event created.")
	return nil
}

// formRefused answers a form the service refused: 422 with the message
// beside each field it names, 409 with its message for a change refused as
// things stand; any other error goes to its error page.
func (s *Server) formRefused(w http.ResponseWriter, r *http.Request, p *Page, page string, err error, fields ...string) error {
	e, ok := crm.AsError(err)
	if !ok {
		return err
	}
	switch e.Code {
	case crm.CodeInvalid:
		p.Form.SetError(err, fields...)
		return s.render(w, r, http.StatusUnprocessableEntity, page, p)
	case crm.CodeConflict:
		p.Form.SetError(err)
		return s.render(w, r, http.StatusConflict, page, p)
	}
	return err
}

// editEventPage is GET /events/{id}/edit: the form of the event's details,
// for those who may change them.
func (s *Server) editEventPage(w http.ResponseWriter, r *http.Request) error {
	id, err := eventID(r)
	if err != nil {
		return err
	}
	e, err := s.svc.GetEvent(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Edit "+e.Name)
	if err := crm.CheckUpdateEvent(*p.Viewer, e); err != nil {
		// The service would refuse the change: say so before anyone types it.
		return err
	}
	p.Form = NewForm("event", s.eventValues(e))
	p.Data = eventFormView{Event: &e, MayRename: crm.MayRenameEvent(p.Viewer.Role), Action: fmt.Sprintf("/events/%d", e.ID)}
	return s.render(w, r, http.StatusOK, "events-form", p)
}

// updateEvent is POST /events/{id}: the event's details from its edit form
// (name, start, end, location, attendees, notes, and the version the form
// was loaded at), or, alone, add_note from the event's page: a line added
// to the notes, dated and signed by the service. A change saved over
// someone else's answers 409 with the current values, and changes nothing.
func (s *Server) updateEvent(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	if _, ok := r.PostForm["add_note"]; ok {
		return s.addNote(w, r, id)
	}
	e, err := s.svc.GetEvent(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Edit "+e.Name)
	p.Form = NewForm("event", r.PostForm)
	view := eventFormView{Event: &e, MayRename: crm.MayRenameEvent(p.Viewer.Role), Action: fmt.Sprintf("/events/%d", e.ID)}
	p.Data = view
	version, verr := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	start, end, attendees := s.eventInput(r, p.Form)
	if verr != nil {
		return &statusError{http.StatusBadRequest, "the form did not say which version of the event it changes; reload the page"}
	}
	if len(p.Form.Errors) > 0 {
		return s.render(w, r, http.StatusUnprocessableEntity, "events-form", p)
	}
	location, notes := r.PostForm.Get("location"), r.PostForm.Get("notes")
	patch := crm.EventPatch{Start: &start, End: &end, Location: &location, Attendees: &attendees, Notes: &notes}
	if view.MayRename {
		name := r.PostForm.Get("name")
		patch.Name = &name
	}
	_, err = s.svc.UpdateEvent(crm.WithIfMatch(r.Context(), version), id, patch)
	if e, ok := crm.AsError(err); ok && e.Code == crm.CodeStale {
		return s.staleEvent(w, r, id, p)
	}
	if err != nil {
		return s.formRefused(w, r, p, "events-form", err, eventFields...)
	}
	s.redirect(w, r, fmt.Sprintf("/events/%d", id), "Event saved.")
	return nil
}

// staleEvent answers 409 with the edit form holding the event's current
// values.
func (s *Server) staleEvent(w http.ResponseWriter, r *http.Request, id int64, p *Page) error {
	e, err := s.svc.GetEvent(r.Context(), id)
	if err != nil {
		return err
	}
	p.Form = NewForm("event", s.eventValues(e))
	p.Form.Message = staleMessage
	p.Data = eventFormView{Event: &e, MayRename: crm.MayRenameEvent(p.Viewer.Role), Action: fmt.Sprintf("/events/%d", e.ID)}
	return s.render(w, r, http.StatusConflict, "events-form", p)
}

// addNote adds the form's add_note to the event's notes; a refusal answers
// the event's page with the message beside the note's field.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request, id int64) error {
	note := r.PostForm.Get("add_note")
	_, err := s.svc.UpdateEvent(r.Context(), id, crm.EventPatch{AddNote: &note})
	if err == nil {
		s.redirect(w, r, fmt.Sprintf("/events/%d", id), "Note added.")
		return nil
	}
	e, ok := crm.AsError(err)
	if !ok || e.Code != crm.CodeInvalid {
		return err
	}
	p, v, perr := s.eventPageData(w, r)
	if perr != nil {
		return perr
	}
	v.Note.Values.Set("add_note", note)
	v.Note.SetError(err, "add_note")
	return s.render(w, r, http.StatusUnprocessableEntity, "events-show", p)
}

// assignSupport is POST /events/{id}/assign (support_contact_id, and next,
// the page to go back to): the event's support contact, picked by name.
func (s *Server) assignSupport(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	sid, perr := strconv.ParseInt(strings.TrimSpace(r.PostForm.Get("support_contact_id")), 10, 64)
	if perr != nil || sid <= 0 {
		err = crm.Invalid("support_contact_id", "choose a support contact")
	} else {
		var e crm.Event
		if e, err = s.svc.AssignSupport(r.Context(), id, sid); err == nil {
			s.redirect(w, r, orEvent(r.PostForm.Get("next"), id),
				fmt.Sprintf("%s is now the support contact of %s.", deref(e.SupportContactName), e.Name))
			return nil
		}
	}
	if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInvalid {
		return err
	}
	p, v, perr2 := s.eventPageData(w, r)
	if perr2 != nil {
		return perr2
	}
	v.Assign.Values.Set("support_contact_id", r.PostForm.Get("support_contact_id"))
	v.Assign.SetError(err, "support_contact_id")
	return s.render(w, r, http.StatusUnprocessableEntity, "events-show", p)
}

// unassignSupport is POST /events/{id}/unassign: the event is left without a
// support contact.
func (s *Server) unassignSupport(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	id, err := eventID(r)
	if err != nil {
		return err
	}
	if !confirmed(r) && crm.RoleMayEver(stateOf(r.Context()).viewer.Role, crm.ActAssignSupport) {
		// Ask first, when the event's page offers to unassign.
		e, err := s.svc.GetEvent(r.Context(), id)
		if err != nil {
			return err
		}
		if e.SupportContactID != nil {
			who := deref(e.SupportContactName)
			return s.askConfirmation(w, r, confirmation{Question: "Leave " + e.Name + " without a support contact?",
				What: who + " will no longer be the support contact of " + e.Name + "; the event has none until someone is assigned.",
				Yes:  "Yes, unassign " + who, Class: "secondary", Cancel: fmt.Sprintf("/events/%d", id)})
		}
	}
	e, err := s.svc.UnassignSupport(r.Context(), id)
	if err != nil {
		return err
	}
	s.redirect(w, r, orEvent(r.PostForm.Get("next"), id), e.Name+" has no support contact now.")
	return nil
}

// orEvent is next when it is a path of this site, else the event's page.
func orEvent(next string, id int64) string {
	if n := safeNext(next); n != "" {
		return n
	}
	return fmt.Sprintf("/events/%d", id)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
