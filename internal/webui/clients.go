package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/epicevents/epicevents/internal/crm"
)

// listRows is how many rows a list shows before its "Next" link.
const listRows = 50

// staleMessage answers an edit saved over someone else's change.
const staleMessage = "This record was changed since you opened it: these are its current values, and nothing of yours was saved. Make your changes again, then save."

// recordID reads the {id} of the path: a positive whole number, or the page
// does not exist.
func recordID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &statusError{http.StatusNotFound, ""}
	}
	return id, nil
}

// flagValue reads an on/off value, of a filter in a query or a checkbox in a
// form: empty, "0", "false" and "off" are off; "1", "true" and "on" (what a
// browser sends for a ticked box without a value) are on. ok is false for
// anything else. A checkbox shows ticked exactly when the list is filtered.
func flagValue(v string) (on, ok bool) {
	switch v {
	case "", "0", "false", "off":
		return false, true
	case "1", "true", "on":
		return true, true
	}
	return false, false
}

// queryFlag reads an on/off filter of a list's query (see flagValue); a
// value it cannot read answers 400.
func queryFlag(q url.Values, name string) (bool, error) {
	on, ok := flagValue(q.Get(name))
	if !ok {
		return false, &statusError{http.StatusBadRequest, "the filter " + name + " must be 1 or 0"}
	}
	return on, nil
}

// queryID reads an id of a list's query; nil when absent or empty.
func queryID(q url.Values, name string) (*int64, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, &statusError{http.StatusBadRequest, "the filter " + name + " must be an id (a positive whole number)"}
	}
	return &id, nil
}

// formText is a form's value, nil when empty: an optional field left blank.
func formText(v url.Values, name string) *string {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return nil
	}
	return &s
}

// formVersion reads the version an edit form was loaded at; a form without
// one cannot say what it overwrites, and is refused.
func formVersion(v url.Values) (int64, error) {
	n, err := strconv.ParseInt(v.Get("version"), 10, 64)
	if err != nil || n <= 0 {
		return 0, &statusError{http.StatusBadRequest, "the form does not say which version it was loaded at: reload the page and try again"}
	}
	return n, nil
}

// isCode reports whether err is an error of the service with code.
func isCode(err error, code crm.Code) bool {
	e, ok := crm.AsError(err)
	return ok && e.Code == code
}

// clientFields are the fields of the client form, as the service names them.
var clientFields = []string{"first_name", "last_name", "email", "phone", "company_name"}

// clientRow is a client as the pages show it.
type clientRow struct {
	crm.Client
	// Phone and Company are the optional fields, "" when absent; the phone
	// grouped for reading.
	Phone, Company string
}

func newClientRow(c crm.Client) clientRow {
	row := clientRow{Client: c}
	if c.Phone != nil {
		row.Phone = crm.FormatPhone(*c.Phone)
	}
	if c.CompanyName != nil {
		row.Company = *c.CompanyName
	}
	return row
}

// Name is "first last".
func (c clientRow) Name() string { return c.FirstName + " " + c.LastName }

// PhoneLink is the phone for a tel: link, "+" and digits.
func (c clientRow) PhoneLink() string {
	if c.Client.Phone == nil {
		return ""
	}
	return *c.Client.Phone
}

// clientsView is the list of clients.
type clientsView struct {
	Search    SearchBox
	Rows      []clientRow
	Next      string
	Filters   []NavItem // all clients, mine
	Sales     []Option  // the sales contacts to filter by
	SalesID   string    // the sales contact filtered by, "" for anyone
	Mine      bool
	MayCreate bool
}

// clientsPage is GET /clients (search, mine=1, sales_contact_id, cursor):
// the clients in the CLI's order, 50 a page.
func (s *Server) clientsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := crm.ClientFilter{Search: strings.TrimSpace(q.Get("search")), Page: crm.Page{Limit: listRows, Cursor: q.Get("cursor")}}
	var err error
	if f.Mine, err = queryFlag(q, "mine"); err != nil {
		return err
	}
	if f.SalesContactID, err = queryID(q, "sales_contact_id"); err != nil {
		return err
	}
	p := s.newPage(w, r, "Clients")
	v := clientsView{Mine: f.Mine, MayCreate: crm.RoleMayEver(p.Viewer.Role, crm.ActCreateClient)}
	if v.Next, err = s.svc.ListClients(r.Context(), f, func(c crm.Client) error {
		v.Rows = append(v.Rows, newClientRow(c))
		return nil
	}); err != nil {
		return err
	}
	v.Next = nextPage(r.URL, v.Next)
	if v.Sales, err = s.peopleOptions(r.Context(), crm.RoleSales); err != nil {
		return err
	}
	keep := []Param{}
	if f.Mine {
		keep = append(keep, Param{"mine", "1"})
	}
	if f.SalesContactID != nil {
		v.SalesID = strconv.FormatInt(*f.SalesContactID, 10)
		keep = append(keep, Param{"sales_contact_id", v.SalesID})
		if !slices.ContainsFunc(v.Sales, func(o Option) bool { return o.Value == v.SalesID }) {
			// A deactivated sales contact may still own clients.
			e, err := s.svc.GetEmployee(r.Context(), *f.SalesContactID)
			if err != nil {
				return err
			}
			v.Sales = append(v.Sales, Option{Value: v.SalesID, Label: e.Name() + " (deactivated)"})
		}
	}
	v.Search = SearchBox{ID: "client-search", Action: "/clients", Label: "Search by name, email, company or phone",
		Value: f.Search, Results: "client-results", Keep: keep}
	v.Filters = []NavItem{{Href: "/clients", Label: "All clients", Current: !f.Mine && f.SalesContactID == nil}}
	if p.Viewer.Role == crm.RoleSales { // only a sales contact has clients of their own
		v.Filters = append(v.Filters, NavItem{Href: "/clients?mine=1", Label: "My clients", Current: f.Mine})
	}
	p.Data = v
	return s.render(w, r, http.StatusOK, "clients", p)
}

// clientFormView is the form that creates or edits a client.
type clientFormView struct {
	Heading, Action, Cancel string
	// Version is the version of the client the form was loaded at (edit).
	Version int64
}

// newClientPage is GET /clients/new: the empty form, for whom may create
// clients.
func (s *Server) newClientPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "New client")
	if err := crm.MayEver(p.Viewer.Role, crm.ActCreateClient); err != nil {
		return err
	}
	p.Form = NewForm("client", nil)
	p.Data = clientFormView{Heading: "New client", Action: "/clients", Cancel: "/clients"}
	return s.render(w, r, http.StatusOK, "clients_form", p)
}

// createClient is POST /clients (first_name, last_name, email, phone,
// company_name): the client is the viewer's own.
func (s *Server) createClient(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	in := crm.NewClient{FirstName: r.PostForm.Get("first_name"), LastName: r.PostForm.Get("last_name"),
		Email: r.PostForm.Get("email"), Phone: formText(r.PostForm, "phone"), CompanyName: formText(r.PostForm, "company_name")}
	c, err := s.svc.CreateClient(r.Context(), in)
	if err != nil {
		if !isCode(err, crm.CodeInvalid) && !isCode(err, crm.CodeConflict) {
			return err
		}
		p := s.newPage(w, r, "New client")
		p.Form = NewForm("client", r.PostForm)
		p.Form.SetError(err, clientFields...)
		p.Data = clientFormView{Heading: "New client", Action: "/clients", Cancel: "/clients"}
		return s.render(w, r, formStatus(err), "clients_form", p)
	}
	s.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID), fmt.Sprintf("Client %s %s created.", c.FirstName, c.LastName))
	return nil
}

// formStatus is the status of a form the service refused: 422 for values
// that are not valid, 409 for a conflict with the state of things (an email
// another client has).
func formStatus(err error) int {
	if isCode(err, crm.CodeConflict) || isCode(err, crm.CodeStale) {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// clientValues are the form values of c as stored, at its version.
func clientValues(c crm.Client) url.Values {
	row := newClientRow(c)
	return url.Values{"first_name": {c.FirstName}, "last_name": {c.LastName}, "email": {c.Email},
		"phone": {row.Phone}, "company_name": {row.Company}, "version": {strconv.FormatInt(c.Version, 10)}}
}

// editClientPage is GET /clients/{id}/edit: the form with the client's
// values and the version they were read at.
func (s *Server) editClientPage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	c, err := s.svc.GetClient(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "Edit "+c.FirstName+" "+c.LastName)
	if !crm.MayOnClient(*p.Viewer, crm.ActUpdateClient, c) {
		return crm.Refusal(p.Viewer.Role, crm.ActUpdateClient)
	}
	p.Form = NewForm("client", clientValues(c))
	p.Data = editClientView(c)
	return s.render(w, r, http.StatusOK, "clients_form", p)
}

func editClientView(c crm.Client) clientFormView {
	return clientFormView{Heading: "Edit " + c.FirstName + " " + c.LastName, Action: fmt.Sprintf("/clients/%d", c.ID),
		Cancel: fmt.Sprintf("/clients/%d", c.ID), Version: c.Version}
}

// updateClient is POST /clients/{id}: the edit form, saved only if the
// client is still at the version the form was loaded at. Otherwise 409 with
// the current values, and nothing is overwritten.
func (s *Server) updateClient(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	version, err := formVersion(r.PostForm)
	if err != nil {
		return err
	}
	get := func(name string) *string { v := r.PostForm.Get(name); return &v }
	patch := crm.ClientPatch{FirstName: get("first_name"), LastName: get("last_name"), Email: get("email"),
		Phone: get("phone"), CompanyName: get("company_name")}
	c, err := s.svc.UpdateClient(crm.WithIfMatch(r.Context(), version), id, patch)
	switch {
	case err == nil:
		s.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID), "Client saved.")
		return nil
	case isCode(err, crm.CodeStale):
		cur, gerr := s.svc.GetClient(r.Context(), id)
		if gerr != nil {
			return gerr
		}
		p := s.newPage(w, r, "Edit "+cur.FirstName+" "+cur.LastName)
		p.Form = NewForm("client", clientValues(cur))
		p.Form.Message = staleMessage
		p.Data = editClientView(cur)
		return s.render(w, r, http.StatusConflict, "clients_form", p)
	case isCode(err, crm.CodeInvalid) || isCode(err, crm.CodeConflict):
		p := s.newPage(w, r, "Edit client")
		p.Form = NewForm("client", r.PostForm)
		p.Form.SetError(err, clientFields...)
		p.Data = clientFormView{Heading: "Edit client", Action: fmt.Sprintf("/clients/%d", id),
			Cancel: fmt.Sprintf("/clients/%d", id), Version: version}
		return s.render(w, r, formStatus(err), "clients_form", p)
	}
	return err
}

// clientView is a client's page.
type clientView struct {
	Client    clientRow
	Contracts []crm.Contract
	// AllContracts links to the list of the client's contracts when there
	// are more than the page shows.
	AllContracts string
	// Events are the first page of the events of all the client's
	// contracts, by start; AllEvents links to the list of them all when
	// there are more.
	Events      []eventRow
	AllEvents   string
	Sales       []Option // for the reassign form
	MayEdit     bool
	MayReassign bool
	MayContract bool
}

// clientPage is GET /clients/{id}: the client, with their contracts and
// the events of those contracts.
func (s *Server) clientPage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	return s.showClient(w, r, id, http.StatusOK, nil)
}

// showClient renders the page of client id with status; form, when set, is
// the reassign form as submitted, with its errors.
func (s *Server) showClient(w http.ResponseWriter, r *http.Request, id int64, status int, form *Form) error {
	ctx := r.Context()
	c, err := s.svc.GetClient(ctx, id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, c.FirstName+" "+c.LastName)
	viewer := *p.Viewer
	v := clientView{Client: newClientRow(c),
		MayEdit:     crm.MayOnClient(viewer, crm.ActUpdateClient, c),
		MayReassign: crm.MayOnClient(viewer, crm.ActReassignClient, c),
		MayContract: crm.MayOnClient(viewer, crm.ActCreateContract, c)}
	next, err := s.svc.ListContracts(ctx, crm.ContractFilter{ClientID: &c.ID, Page: crm.Page{Limit: listRows}},
		func(k crm.Contract) error {
			v.Contracts = append(v.Contracts, k)
			return nil
		})
	if err != nil {
		return err
	}
	if next != "" {
		v.AllContracts = fmt.Sprintf("/contracts?client_id=%d", c.ID)
	}
	next, err = s.svc.ListEvents(ctx, crm.EventFilter{ClientID: &c.ID, Page: crm.Page{Limit: listRows}},
		func(e crm.Event) error {
			v.Events = append(v.Events, s.eventRow(e))
			return nil
		})
	if err != nil {
		return err
	}
	if next != "" {
		v.AllEvents = fmt.Sprintf("/events?client_id=%d", c.ID)
	}
	if v.MayReassign {
		if v.Sales, err = s.peopleOptions(ctx, crm.RoleSales); err != nil {
			return err
		}
		if form == nil {
			form = NewForm("reassign", url.Values{"sales_contact_id": {strconv.FormatInt(c.SalesContactID, 10)}})
		}
	}
	p.Form = form
	p.Data = v
	return s.render(w, r, status, "clients_show", p)
}

// postedID is the id in the posted field name, or 0 when it holds none: the
// service then refuses it with the field's own message.
func postedID(r *http.Request, name string) int64 {
	id, err := strconv.ParseInt(r.PostForm.Get(name), 10, 64)
	if err != nil {
		return 0
	}
	return id
}

// reassignClient is POST /clients/{id}/reassign (sales_contact_id): the
// client, with their contracts, goes to another sales contact.
func (s *Server) reassignClient(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	c, err := s.svc.ReassignClient(r.Context(), id, postedID(r, "sales_contact_id"))
	if err != nil {
		if !isCode(err, crm.CodeInvalid) {
			return err
		}
		form := NewForm("reassign", r.PostForm)
		form.SetError(err, "sales_contact_id")
		return s.showClient(w, r, id, http.StatusUnprocessableEntity, form)
	}
	s.redirect(w, r, fmt.Sprintf("/clients/%d", c.ID),
		fmt.Sprintf("%s %s is now %s's client.", c.FirstName, c.LastName, c.SalesContactName))
	return nil
}
