package webui

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/epicevents/epicevents/internal/crm"
)

// amountHint says which amounts the contract forms take (crm.ParseCents).
const amountHint = "In euros: digits, with at most two decimals after a point, such as 1500 or 1500.50."

// contractsView is the list of contracts.
type contractsView struct {
	Rows []crm.Contract
	Next string
	// Filters are the list's on/off filters as a GET form; Client, when
	// the list is one client's, names them.
	Unsigned, Unpaid, Mine bool
	ShowMine               bool // only a sales contact has contracts of their own
	ClientID               string
	Client                 string
	ClearClient            string // the same list for every client
}

// contractsPage is GET /contracts (unsigned=1, unpaid=1, mine=1, client_id,
// cursor): the contracts, newest first, 50 a page.
func (s *Server) contractsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := crm.ContractFilter{Page: crm.Page{Limit: listRows, Cursor: q.Get("cursor")}}
	var err error
	for name, dst := range map[string]*bool{"unsigned": &f.Unsigned, "unpaid": &f.Unpaid, "mine": &f.Mine} {
		if *dst, err = queryFlag(q, name); err != nil {
			return err
		}
	}
	if f.ClientID, err = queryID(q, "client_id"); err != nil {
		return err
	}
	p := s.newPage(w, r, "Contracts")
	v := contractsView{Unsigned: f.Unsigned, Unpaid: f.Unpaid, Mine: f.Mine, ShowMine: p.Viewer.Role == crm.RoleSales}
	if f.ClientID != nil {
		c, err := s.svc.GetClient(r.Context(), *f.ClientID)
		if err != nil {
			return err
		}
		v.ClientID, v.Client = strconv.FormatInt(c.ID, 10), c.FirstName+" "+c.LastName
		p.Title = "Contracts of " + v.Client
		clear := url.Values{}
		for name, on := range map[string]bool{"unsigned": f.Unsigned, "unpaid": f.Unpaid, "mine": f.Mine} {
			if on {
				clear.Set(name, "1")
			}
		}
		v.ClearClient = "/contracts"
		if len(clear) > 0 {
			v.ClearClient += "?" + clear.Encode()
		}
	}
	if v.Next, err = s.svc.ListContracts(r.Context(), f, func(k crm.Contract) error {
		v.Rows = append(v.Rows, k)
		return nil
	}); err != nil {
		return err
	}
	v.Next = nextPage(r.URL, v.Next)
	p.Data = v
	return s.render(w, r, http.StatusOK, "contracts", p)
}

// contractFields are the fields of the contract forms, as the service
// names them.
var contractFields = []string{"client_id", "total_amount", "amount_due", "signed"}

// contractFormView is the form that creates a contract or changes its
// amounts.
type contractFormView struct {
	Heading, Action, Cancel string
	ClientID                int64
	ClientName              string
	// Version is the version of the contract the form was loaded at (edit).
	Version int64
	// Total is the contract's total when the viewer may not change it (a
	// signed contract, for its sales contact); "" when they may.
	Total string
	New   bool
}

// AmountHint says which amounts the form takes.
func (contractFormView) AmountHint() string { return amountHint }

// newContractPage is GET /contracts/new?client_id=N: the form of a new
// contract for that client.
func (s *Server) newContractPage(w http.ResponseWriter, r *http.Request) error {
	p := s.newPage(w, r, "New contract")
	if err := crm.MayEver(p.Viewer.Role, crm.ActCreateContract); err != nil {
		return err
	}
	id, err := queryID(r.URL.Query(), "client_id")
	if err != nil {
		return err
	}
	if id == nil {
		return &statusError{http.StatusBadRequest, "a new contract is made from its client's page: open the client, then New contract"}
	}
	c, err := s.svc.GetClient(r.Context(), *id)
	if err != nil {
		return err
	}
	p.Form = NewForm("contract", url.Values{"client_id": {strconv.FormatInt(c.ID, 10)}})
	p.Data = newContractView(c)
	return s.render(w, r, http.StatusOK, "contracts_form", p)
}

func newContractView(c crm.Client) contractFormView {
	return contractFormView{Heading: "New contract for " + c.FirstName + " " + c.LastName, Action: "/contracts",
		Cancel: fmt.Sprintf("/clients/%d", c.ID), ClientID: c.ID, ClientName: c.FirstName + " " + c.LastName, New: true}
}

// formCents reads the amount field name; absent is nil. A value that is not
// an amount is recorded on the form.
func formCents(form *Form, v url.Values, name string, required bool) *crm.Cents {
	s := v.Get(name)
	if s == "" && !required {
		return nil
	}
	c, err := crm.ParseCents(s)
	if err != nil {
		form.Errors[name] = sentence(err.Error())
		return nil
	}
	return &c
}

// createContract is POST /contracts (client_id, total_amount, amount_due,
// signed): the contract's sales contact is its client's.
func (s *Server) createContract(w http.ResponseWriter, r *http.Request) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	clientID, err := strconv.ParseInt(r.PostForm.Get("client_id"), 10, 64)
	if err != nil || clientID <= 0 {
		return &statusError{http.StatusBadRequest, "the form does not say which client the contract is for: open the client, then New contract"}
	}
	form := NewForm("contract", r.PostForm)
	total := formCents(form, r.PostForm, "total_amount", true)
	due := formCents(form, r.PostForm, "amount_due", false)
	signed, err := queryFlag(r.PostForm, "signed")
	if err != nil {
		return err
	}
	var k crm.Contract
	if len(form.Errors) == 0 {
		k, err = s.svc.CreateContract(r.Context(), crm.NewContract{ClientID: clientID, TotalAmount: *total, AmountDue: due, Signed: signed})
		if err == nil {
			s.redirect(w, r, fmt.Sprintf("/contracts/%d", k.ID), fmt.Sprintf("Contract %d created.", k.ID))
			return nil
		}
		if !isCode(err, crm.CodeInvalid) {
			return err
		}
		form.SetError(err, contractFields...)
	} else {
		// The service is still asked who may create contracts, so that
		// a refusal is not hidden behind a typing mistake.
		if err := crm.MayEver(stateOf(r.Context()).viewer.Role, crm.ActCreateContract); err != nil {
			return err
		}
		form.Message = "Check the fields marked below."
	}
	c, err := s.svc.GetClient(r.Context(), clientID)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, "New contract")
	p.Form = form
	p.Data = newContractView(c)
	return s.render(w, r, http.StatusUnprocessableEntity, "contracts_form", p)
}

// contractValues are the form values of k as stored, at its version.
func contractValues(k crm.Contract) url.Values {
	return url.Values{"total_amount": {k.TotalAmount.String()}, "amount_due": {k.AmountDue.String()},
		"version": {strconv.FormatInt(k.Version, 10)}}
}

func (s *Server) editContractView(viewer crm.Employee, k crm.Contract) contractFormView {
	v := contractFormView{Heading: fmt.Sprintf("Amounts of contract %d", k.ID), Action: fmt.Sprintf("/contracts/%d", k.ID),
		Cancel: fmt.Sprintf("/contracts/%d", k.ID), Version: k.Version,
		ClientID: k.ClientID, ClientName: k.ClientName}
	if !crm.MayChangeTotal(viewer, k) {
		v.Total = k.TotalAmount.String()
	}
	return v
}

// editContractPage is GET /contracts/{id}/edit: the amounts, and the
// version they were read at.
func (s *Server) editContractPage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	k, err := s.svc.GetContract(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, fmt.Sprintf("Contract %d", k.ID))
	if !crm.MayOnContract(*p.Viewer, crm.ActUpdateContract, k) {
		return crm.Refusal(p.Viewer.Role, crm.ActUpdateContract)
	}
	p.Form = NewForm("contract", contractValues(k))
	p.Data = s.editContractView(*p.Viewer, k)
	return s.render(w, r, http.StatusOK, "contracts_form", p)
}

// updateContract is POST /contracts/{id} (total_amount, amount_due,
// version): saved only if the contract is still at the version the form
// was loaded at; otherwise 409 with the current values.
func (s *Server) updateContract(w http.ResponseWriter, r *http.Request) error {
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
	form := NewForm("contract", r.PostForm)
	patch := crm.ContractPatch{AmountDue: formCents(form, r.PostForm, "amount_due", true)}
	if r.PostForm.Has("total_amount") {
		patch.TotalAmount = formCents(form, r.PostForm, "total_amount", true)
	}
	if len(form.Errors) == 0 {
		k, err := s.svc.UpdateContract(crm.WithIfMatch(r.Context(), version), id, patch)
		switch {
		case err == nil:
			s.redirect(w, r, fmt.Sprintf("/contracts/%d", k.ID), "Contract saved.")
			return nil
		case isCode(err, crm.CodeStale):
			cur, gerr := s.svc.GetContract(r.Context(), id)
			if gerr != nil {
				return gerr
			}
			p := s.newPage(w, r, fmt.Sprintf("Contract %d", cur.ID))
			p.Form = NewForm("contract", contractValues(cur))
			p.Form.Message = staleMessage
			p.Data = s.editContractView(*p.Viewer, cur)
			return s.render(w, r, http.StatusConflict, "contracts_form", p)
		case isCode(err, crm.CodeInvalid):
			form.SetError(err, contractFields...)
		default:
			return err
		}
	} else {
		form.Message = "Check the fields marked below."
	}
	// The form again, as typed: the contract is read for its client and
	// for what the viewer may change (and to answer 403 or 404 first).
	k, err := s.svc.GetContract(r.Context(), id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, fmt.Sprintf("Contract %d", k.ID))
	if !crm.MayOnContract(*p.Viewer, crm.ActUpdateContract, k) {
		return crm.Refusal(p.Viewer.Role, crm.ActUpdateContract)
	}
	p.Form = form
	v := s.editContractView(*p.Viewer, k)
	v.Version = version
	p.Data = v
	return s.render(w, r, http.StatusUnprocessableEntity, "contracts_form", p)
}

// contractView is a contract's page.
type contractView struct {
	Contract    crm.Contract
	Events      []eventRow
	MoreEvents  string // the list of the contract's events, when there are more than shown
	Sales       []Option
	MayEdit     bool
	MaySign     bool
	MayReassign bool
	MayEvent    bool
	// Refused says why the last action was refused as things stand
	// (signing a signed contract).
	Refused *Form
	// Ledger is the contract's payments and refunds, and their forms.
	Ledger ledgerView
}

// contractPage is GET /contracts/{id} (payments_cursor): the contract, its
// ledger (listRows entries a page) and its events.
func (s *Server) contractPage(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	return s.showContract(w, r, id, http.StatusOK, nil, nil)
}

// showContract renders the page of contract id with status; form, when
// set, is the reassign form as submitted, with its errors, and refused the
// message of a refused action.
func (s *Server) showContract(w http.ResponseWriter, r *http.Request, id int64, status int, form, refused *Form) error {
	return s.showContractWith(w, r, id, status, contractForms{reassign: form, refused: refused})
}

// contractForms are the forms of a contract's page as a request submitted
// them; nil ones start afresh.
type contractForms struct {
	reassign, refused *Form
	ledger            ledgerForms
	// need, when set, is the action a submitted form was for: the page
	// answered with that form is the service's refusal to whoever may not
	// perform it (a form with a typing mistake is not shown to them).
	need crm.Action
}

// showContractWith renders the page of contract id with status and the
// forms as submitted.
func (s *Server) showContractWith(w http.ResponseWriter, r *http.Request, id int64, status int, forms contractForms) error {
	form, refused := forms.reassign, forms.refused
	ctx := r.Context()
	k, err := s.svc.GetContract(ctx, id)
	if err != nil {
		return err
	}
	p := s.newPage(w, r, fmt.Sprintf("Contract %d", k.ID))
	viewer := *p.Viewer
	if forms.need != "" && !crm.MayOnContract(viewer, forms.need, k) {
		return crm.Refusal(viewer.Role, forms.need)
	}
	v := contractView{Contract: k,
		MayEdit:     crm.MayOnContract(viewer, crm.ActUpdateContract, k),
		MaySign:     !k.Signed && crm.MayOnContract(viewer, crm.ActUpdateContract, k),
		MayReassign: crm.MayOnContract(viewer, crm.ActReassignContract, k),
		MayEvent:    k.Signed && crm.MayOnContract(viewer, crm.ActCreateEvent, k)}
	next, err := s.svc.ListEvents(ctx, crm.EventFilter{ContractID: &k.ID, Page: crm.Page{Limit: listRows}},
		func(e crm.Event) error {
			v.Events = append(v.Events, s.eventRow(e))
			return nil
		})
	if err != nil {
		return err
	}
	if next != "" {
		v.MoreEvents = fmt.Sprintf("/events?contract_id=%d", k.ID)
	}
	if v.Ledger, err = s.ledger(ctx, viewer, k, r.URL.Query().Get("payments_cursor"), forms.ledger); err != nil {
		return err
	}
	if v.MayReassign {
		if v.Sales, err = s.peopleOptions(ctx, crm.RoleSales); err != nil {
			return err
		}
	}
	if form == nil {
		form = NewForm("reassign", url.Values{"sales_contact_id": {strconv.FormatInt(k.SalesContactID, 10)}})
	}
	p.Form = form
	v.Refused = refused
	p.Data = v
	return s.render(w, r, status, "contracts_show", p)
}

// signContract is POST /contracts/{id}/sign: signed for good; 409 with the
// page when it already is.
func (s *Server) signContract(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	if !confirmed(r) {
		// Ask first, when the contract's page offers to sign it.
		k, err := s.svc.GetContract(r.Context(), id)
		if err != nil {
			return err
		}
		if viewer := stateOf(r.Context()).viewer; !k.Signed && crm.MayOnContract(viewer.Employee, crm.ActUpdateContract, k) {
			return s.askConfirmation(w, r, confirmation{Question: fmt.Sprintf("Sign contract %d?", k.ID),
				What: fmt.Sprintf("Contract %d of %s (%s €, %s € due) is signed for good: a signed contract cannot be unsigned. "+
					"Events can then be organised under it.", k.ID, k.ClientName, k.TotalAmount, k.AmountDue),
				Yes: fmt.Sprintf("Yes, sign contract %d", k.ID), Cancel: fmt.Sprintf("/contracts/%d", k.ID)})
		}
	}
	k, err := s.svc.SignContract(r.Context(), id)
	if err != nil {
		if !isCode(err, crm.CodeConflict) {
			return err
		}
		refused := NewForm("sign", nil)
		refused.Message = sentence(err.Error())
		return s.showContract(w, r, id, http.StatusConflict, nil, refused)
	}
	s.redirect(w, r, fmt.Sprintf("/contracts/%d", k.ID), fmt.Sprintf("Contract %d is signed.", k.ID))
	return nil
}

// reassignContract is POST /contracts/{id}/reassign (sales_contact_id): this
// contract alone goes to another sales contact.
func (s *Server) reassignContract(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	k, err := s.svc.ReassignContract(r.Context(), id, postedID(r, "sales_contact_id"))
	if err != nil {
		if !isCode(err, crm.CodeInvalid) {
			return err
		}
		form := NewForm("reassign", r.PostForm)
		form.SetError(err, "sales_contact_id")
		return s.showContract(w, r, id, http.StatusUnprocessableEntity, form, nil)
	}
	s.redirect(w, r, fmt.Sprintf("/contracts/%d", k.ID),
		fmt.Sprintf("Contract %d is now followed by %s.", k.ID, k.SalesContactName))
	return nil
}
