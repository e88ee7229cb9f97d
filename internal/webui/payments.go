package webui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// The fields of the payment and refund forms, as the service names them.
var (
	paymentFields = []string{"amount", "method", "reference", "received_on"}
	refundFields  = []string{"amount", "reason"}
)

// methodLabels name the methods of payment in words.
var methodLabels = map[string]string{
	crm.MethodTransfer: "Transfer",
	crm.MethodCard:     "Card",
	crm.MethodCash:     "Cash",
	crm.MethodCheque:   "Cheque",
	crm.MethodOther:    "Other",
}

// methodOptions are the methods of payment as choices, the default first.
func methodOptions() []Option {
	o := make([]Option, len(crm.PaymentMethods))
	for i, m := range crm.PaymentMethods {
		o[i] = Option{Value: m, Label: methodLabel(m)}
	}
	return o
}

// methodLabel is a method of payment in words.
func methodLabel(m string) string {
	if l, ok := methodLabels[m]; ok {
		return l
	}
	return m
}

// ledgerView is a contract's ledger on its page.
type ledgerView struct {
	Entries []ledgerEntry
	// Next is the link to the next entries, when there are more.
	Next string
	// Pay is the "Record a payment" form, nil when the viewer may not
	// record one; Methods are its choices.
	Pay     *Form
	Methods []Option
	// MayRefund says whether the viewer may refund payments.
	MayRefund bool
	// Refused is a refund form answered with a message about a payment
	// this page of the ledger does not show.
	Refused *Form
}

// ledgerEntry is one entry of the ledger as the page shows it.
type ledgerEntry struct {
	crm.Payment
	// Received is the day the money was received, in words.
	Received string
	// Left is what is left of a payment that refunds have not given back
	// (known when the viewer may refund); Refund its refund form, nil when
	// nothing is left or the viewer may not refund.
	Left   crm.Cents
	Refund *Form
	// Open keeps the refund form unfolded (it was just answered with an
	// error).
	Open bool
}

// IsRefund reports whether the entry gives money back.
func (e ledgerEntry) IsRefund() bool { return e.Kind == crm.KindRefund }

// MethodLabel is the entry's method in words.
func (e ledgerEntry) MethodLabel() string { return methodLabel(e.Method) }

// RefundOfID is the id of the payment a refund gives back (0 for a payment).
func (e ledgerEntry) RefundOfID() int64 {
	if e.RefundOf == nil {
		return 0
	}
	return *e.RefundOf
}

// AmountHint says which amounts the ledger's forms take.
func (ledgerView) AmountHint() string { return amountHint }

// ledgerForms are the forms of the ledger as a request submitted them,
// with their errors; nil ones start afresh.
type ledgerForms struct {
	pay      *Form
	refund   *Form
	refundOf int64 // the payment refund was submitted for
}

// ledger reads the ledger of k for its page: the page of entries at cursor
// (oldest first, listRows a page) and the forms viewer may use.
func (s *Server) ledger(ctx context.Context, viewer crm.Employee, k crm.Contract, cursor string, forms ledgerForms) (ledgerView, error) {
	var v ledgerView
	next, err := s.svc.ListPayments(ctx, k.ID, crm.PaymentFilter{Page: crm.Page{Limit: listRows, Cursor: cursor}},
		func(p crm.Payment) error {
			v.Entries = append(v.Entries, ledgerEntry{Payment: p, Received: receivedDay(p.ReceivedOn)})
			return nil
		})
	if err != nil {
		return v, err
	}
	if next != "" {
		v.Next = fmt.Sprintf("/contracts/%d?%s", k.ID, url.Values{"payments_cursor": {next}}.Encode())
	}
	if crm.MayOnContract(viewer, crm.ActRecordPayment, k) {
		v.Methods = methodOptions()
		v.Pay = forms.pay
		if v.Pay == nil {
			v.Pay = NewForm("pay", url.Values{"method": {crm.MethodTransfer},
				"received_on": {s.now().In(s.clock.loc).Format(crm.DateLayout)}})
		}
	}
	v.MayRefund = crm.MayOnContract(viewer, crm.ActRefundPayment, k)
	if !v.MayRefund {
		return v, nil
	}
	// The refund form offers what is left of each payment; the refunds of a
	// payment shown here may be on another page of the ledger, so the
	// whole ledger is read for them. The service checks the amount again.
	refunded := map[int64]crm.Cents{}
	var c string
	for {
		c, err = s.svc.ListPayments(ctx, k.ID, crm.PaymentFilter{Page: crm.Page{Limit: 500, Cursor: c}},
			func(p crm.Payment) error {
				if p.RefundOf != nil {
					refunded[*p.RefundOf] += p.Amount
				}
				return nil
			})
		if err != nil {
			return v, err
		}
		if c == "" {
			break
		}
	}
	placed := false
	for i := range v.Entries {
		e := &v.Entries[i]
		if e.IsRefund() {
			continue
		}
		e.Left = e.Amount - refunded[e.ID]
		switch {
		case forms.refund != nil && forms.refundOf == e.ID:
			e.Refund, e.Open, placed = forms.refund, true, true
		case e.Left > 0:
			e.Refund = NewForm(fmt.Sprintf("refund-%d", e.ID), url.Values{"amount": {e.Left.String()}})
		}
	}
	if forms.refund != nil && !placed {
		v.Refused = forms.refund
	}
	return v, nil
}

// receivedDay is a ledger date (YYYY-MM-DD) in words, as the pages show
// days; as stored if it is not a date.
func receivedDay(day string) string {
	d, err := time.Parse(crm.DateLayout, day)
	if err != nil {
		return day
	}
	return d.Format(displayDate)
}

// recordPayment is POST /contracts/{id}/payments (amount, method,
// reference, received_on): back to the contract's page; 422 with the form
// as typed, 409 when the payment is more than the amount due.
func (s *Server) recordPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	form := NewForm("pay", r.PostForm)
	amount := formCents(form, r.PostForm, "amount", true)
	status := http.StatusUnprocessableEntity
	if len(form.Errors) == 0 {
		p, err := s.svc.RecordPayment(r.Context(), id, crm.NewPayment{Amount: *amount, Method: r.PostForm.Get("method"),
			Reference: r.PostForm.Get("reference"), ReceivedOn: r.PostForm.Get("received_on")})
		switch {
		case err == nil:
			s.redirect(w, r, fmt.Sprintf("/contracts/%d", id),
				fmt.Sprintf("Payment of %s € recorded; %s € is now due.", p.Amount, p.AmountDueAfter))
			return nil
		case isCode(err, crm.CodeInvalid):
			form.SetError(err, paymentFields...)
		case isCode(err, crm.CodeConflict):
			form.Message = sentence(err.Error())
			status = http.StatusConflict
		default:
			return err
		}
	} else {
		form.Message = "Check the fields marked below."
	}
	return s.showContractWith(w, r, id, status, contractForms{ledger: ledgerForms{pay: form}, need: crm.ActRecordPayment})
}

// refundPayment is POST /contracts/{id}/payments/{pid}/refund (amount,
// reason): MANAGEMENT gives back money of one payment; back to the
// contract's page; 422 with the form as typed, 409 when it is more than
// what is left of the payment.
func (s *Server) refundPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := recordID(r)
	if err != nil {
		return err
	}
	pid, err := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	if err != nil || pid <= 0 {
		return &statusError{http.StatusNotFound, ""}
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	form := NewForm(fmt.Sprintf("refund-%d", pid), r.PostForm)
	amount := formCents(form, r.PostForm, "amount", false)
	status := http.StatusUnprocessableEntity
	if len(form.Errors) == 0 {
		p, err := s.svc.RefundPayment(r.Context(), id, crm.NewRefund{PaymentID: pid, Amount: amount, Reason: r.PostForm.Get("reason")})
		switch {
		case err == nil:
			s.redirect(w, r, fmt.Sprintf("/contracts/%d", id),
				fmt.Sprintf("Refund of %s € of payment %d recorded; %s € is now due.", p.Amount, pid, p.AmountDueAfter))
			return nil
		case isCode(err, crm.CodeInvalid):
			form.SetError(err, refundFields...)
		case isCode(err, crm.CodeConflict):
			form.Message = sentence(err.Error())
			status = http.StatusConflict
		default:
			return err
		}
	} else {
		form.Message = "Check the fields marked below."
	}
	return s.showContractWith(w, r, id, status,
		contractForms{ledger: ledgerForms{refund: form, refundOf: pid}, need: crm.ActRefundPayment})
}
