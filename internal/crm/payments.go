package crm

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PaymentKind says whether a ledger entry is money received or money
// given back.
type PaymentKind string

// The kinds of ledger entry.
const (
	KindPayment PaymentKind = "payment"
	KindRefund  PaymentKind = "refund"
)

// The methods of payment. A refund takes the method of the payment it
// refunds.
const (
	MethodTransfer = "transfer"
	MethodCard     = "card"
	MethodCash     = "cash"
	MethodCheque   = "cheque"
	MethodOther    = "other"
)

// PaymentMethods lists the methods of payment, the default first.
var PaymentMethods = []string{MethodTransfer, MethodCard, MethodCash, MethodCheque, MethodOther}

// Limits of a ledger entry's texts, in characters.
const (
	MaxReferenceLen = 100
	MaxReasonLen    = 500
)

// OpeningReference is the reference of the payment that stands for what was
// paid before a contract was recorded: the one CreateContract records when
// the amount due is below the total, and the ones the migration that
// introduced the ledger recorded for the contracts of that time.
const OpeningReference = "paid before the contract was recorded"

// maxPaymentAge bounds how far back a payment's date may be: further back
// is a typo (1024 for 2024), not a payment.
const maxPaymentAge = 20 // years

// Payment is one entry of a contract's ledger: a payment received or a
// refund. Entries are never changed nor deleted; a mistake is corrected by a
// refund. AmountDueAfter is the contract's amount due right after the entry.
type Payment struct {
	ID             int64       `json:"id"`
	ContractID     int64       `json:"contract_id"`
	Kind           PaymentKind `json:"kind"`
	Amount         Cents       `json:"amount"`
	Method         string      `json:"method"`
	Reference      string      `json:"reference"`   // "" when none
	ReceivedOn     string      `json:"received_on"` // YYYY-MM-DD
	RefundOf       *int64      `json:"refund_of"`
	Reason         string      `json:"reason"` // a refund's; "" for a payment
	RecordedByID   int64       `json:"recorded_by_id"`
	RecordedByName string      `json:"recorded_by_name" audit:"-"`
	RecordedAt     time.Time   `json:"recorded_at"`
	AmountDueAfter Cents       `json:"amount_due_after"`
}

// NewPayment is the input to record a payment. Method "" is transfer;
// ReceivedOn "" is today in the company's zone (Config.Location).
type NewPayment struct {
	Amount     Cents
	Method     string
	Reference  string
	ReceivedOn string // YYYY-MM-DD
}

// NewRefund is the input to refund a payment. Amount nil refunds what is
// left of the payment.
type NewRefund struct {
	PaymentID int64
	Amount    *Cents
	Reason    string
}

// PaymentFilter selects the entries of one contract's ledger, oldest first
// (the order they were recorded).
type PaymentFilter struct {
	Page
}

// ListPayments streams the ledger of a contract, oldest first; everyone may
// read every contract's.
func (s *Service) ListPayments(ctx context.Context, contractID int64, f PaymentFilter, emit Emit[Payment]) (string, error) {
	if _, err := s.authorize(ctx, ActRead); err != nil {
		return "", err
	}
	if _, err := s.store.GetContract(ctx, contractID); err != nil {
		return "", err
	}
	return s.store.ListPayments(ctx, contractID, f, emit)
}

// RecordPayment records money received on a contract: MANAGEMENT, or the
// contract's sales contact, signed or not. It lowers the amount due, which
// it may not exceed.
func (s *Service) RecordPayment(ctx context.Context, contractID int64, in NewPayment) (Payment, error) {
	actor, err := s.authorize(ctx, ActRecordPayment)
	if err != nil {
		return Payment{}, err
	}
	now := s.now()
	var v Validator
	amount(&v, "amount", in.Amount)
	method := paymentMethod(&v, in.Method)
	ref := entryText(&v, "reference", in.Reference, 0, MaxReferenceLen)
	on := s.receivedOn(&v, in.ReceivedOn, now)
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	var p Payment
	err = s.store.InTx(ctx, func(q Queries) error {
		c, err := q.GetContract(ctx, contractID) // locks the row until commit
		if err != nil {
			return err
		}
		if err := check(actor, ActRecordPayment, c.SalesContactID == actor.ID); err != nil {
			return err
		}
		p, err = s.pay(ctx, q, actor, c, Payment{Amount: in.Amount, Method: method, Reference: ref, ReceivedOn: on}, now)
		return err
	})
	if err != nil {
		return Payment{}, err
	}
	s.notifyEntry(ctx, actor, p)
	return p, nil
}

// pay records the payment p on the contract c, read under its row lock in
// q's transaction: it refuses more than the amount due, lowers it and
// audits the entry. Every payment goes through here: those of
// RecordPayment, and those that CreateContract and UpdateContract record.
func (s *Service) pay(ctx context.Context, q Queries, actor Actor, c Contract, p Payment, now time.Time) (Payment, error) {
	if p.Amount > c.AmountDue {
		if c.AmountDue == 0 {
			return Payment{}, Errorf(CodeConflict, "contract %d is paid in full: nothing is due", c.ID)
		}
		return Payment{}, Errorf(CodeConflict, "a payment of %s is more than the %s due on contract %d; record at most %s",
			p.Amount, c.AmountDue, c.ID, c.AmountDue)
	}
	p.ContractID, p.Kind = c.ID, KindPayment
	p.AmountDueAfter = c.AmountDue - p.Amount
	return s.addEntry(ctx, q, actor, c, p, now)
}

// addEntry writes the entry p of contract c (as read before it) with its
// new amount due, and its audit entry.
func (s *Service) addEntry(ctx context.Context, q Queries, actor Actor, c Contract, p Payment, now time.Time) (Payment, error) {
	p.RecordedByID, p.RecordedAt = actor.ID, now
	p, err := q.CreatePayment(ctx, p)
	if err != nil {
		return Payment{}, err
	}
	if c.AmountDue != p.AmountDueAfter {
		due := p.AmountDueAfter
		if _, err := q.UpdateContract(ctx, c.ID, ContractUpdate{AmountDue: &due}, now); err != nil {
			return Payment{}, err
		}
	}
	return p, s.audit(ctx, q, &actor, "contract."+string(p.Kind), "contract", c.ID, entryChanges(c.AmountDue, p))
}

// entryChanges is what the audit trail records of a ledger entry: the entry
// as created, and the amount due it changed.
func entryChanges(dueBefore Cents, p Payment) map[string]Change {
	ch := map[string]Change{
		"payment_id":  {nil, p.ID},
		"kind":        {nil, string(p.Kind)},
		"amount":      {nil, p.Amount.String()},
		"method":      {nil, p.Method},
		"received_on": {nil, p.ReceivedOn},
		"amount_due":  {dueBefore.String(), p.AmountDueAfter.String()},
	}
	if p.Reference != "" {
		ch["reference"] = Change{nil, p.Reference}
	}
	if p.RefundOf != nil {
		ch["refund_of"] = Change{nil, *p.RefundOf}
		ch["reason"] = Change{nil, p.Reason}
	}
	return ch
}

// RefundPayment records money given back (MANAGEMENT only): at most what is
// left of one payment of the same contract, by that payment's method. It
// raises the amount due by as much.
func (s *Service) RefundPayment(ctx context.Context, contractID int64, in NewRefund) (Payment, error) {
	actor, err := s.authorize(ctx, ActRefundPayment)
	if err != nil {
		return Payment{}, err
	}
	now := s.now()
	var v Validator
	positiveID(&v, "payment_id", in.PaymentID)
	if in.Amount != nil {
		amount(&v, "amount", *in.Amount)
	}
	reason := entryText(&v, "reason", in.Reason, 1, MaxReasonLen)
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	var r Payment
	err = s.store.InTx(ctx, func(q Queries) error {
		c, err := q.GetContract(ctx, contractID) // locks the row until commit
		if err != nil {
			return err
		}
		if err := check(actor, ActRefundPayment, c.SalesContactID == actor.ID); err != nil {
			return err
		}
		paid, err := q.GetPayment(ctx, in.PaymentID)
		if err != nil || paid.ContractID != c.ID {
			if err == nil || ErrorCode(err) == CodeNotFound {
				return Errorf(CodeNotFound, "contract %d has no payment %d; list its payments with `epicevents contracts payments %d`",
					c.ID, in.PaymentID, c.ID)
			}
			return err
		}
		if paid.Kind != KindPayment {
			return &Error{Code: CodeInvalid, Fields: []FieldError{{Field: "payment_id", Message: "names a refund"}},
				Message: "entry " + strconv.FormatInt(paid.ID, 10) + " is a refund; name the payment it refunds (" +
					strconv.FormatInt(*paid.RefundOf, 10) + ")"}
		}
		refunded, err := q.RefundedAmount(ctx, paid.ID)
		if err != nil {
			return err
		}
		left := paid.Amount - refunded
		amount := left
		if in.Amount != nil {
			amount = *in.Amount
		}
		switch {
		case left <= 0:
			return Errorf(CodeConflict, "payment %d is already refunded in full", paid.ID)
		case amount > left:
			return Errorf(CodeConflict, "only %s is left of payment %d (%s paid, %s refunded); refund at most %s",
				left, paid.ID, paid.Amount, refunded, left)
		}
		id := paid.ID
		r, err = s.addEntry(ctx, q, actor, c, Payment{ContractID: c.ID, Kind: KindRefund, Amount: amount,
			Method: paid.Method, ReceivedOn: now.In(s.cfg.Location).Format(DateLayout), RefundOf: &id,
			Reason: reason, AmountDueAfter: c.AmountDue + amount}, now)
		return err
	})
	if err != nil {
		return Payment{}, err
	}
	s.notifyEntry(ctx, actor, r)
	return r, nil
}

// notifyEntry tells Sentry of a ledger entry: ids and amounts only.
func (s *Service) notifyEntry(ctx context.Context, actor Actor, p Payment) {
	action := "contract." + string(p.Kind)
	if dn, ok := s.notifier.(DetailNotifier); ok {
		details := map[string]string{"payment_id": strconv.FormatInt(p.ID, 10),
			"amount": p.Amount.String(), "amount_due_after": p.AmountDueAfter.String()}
		if p.RefundOf != nil {
			details["refund_of"] = strconv.FormatInt(*p.RefundOf, 10)
		}
		dn.NotifyDetails(ctx, action, actor.ID, p.ContractID, details)
		return
	}
	s.notify(ctx, action, actor, p.ContractID)
}

// amount checks an amount of money: more than 0, at most MaxAmount.
func amount(v *Validator, field string, a Cents) {
	switch {
	case a <= 0:
		v.Add(field, "must be more than 0")
	case a > MaxAmount:
		v.Add(field, "must be at most "+MaxAmount.String())
	}
}

// paymentMethod checks a method of payment; "" is transfer.
func paymentMethod(v *Validator, m string) string {
	m = strings.ToLower(strings.TrimSpace(m))
	if m == "" {
		return MethodTransfer
	}
	if !slices.Contains(PaymentMethods, m) {
		v.Add("method", "must be one of "+strings.Join(PaymentMethods, ", "))
	}
	return m
}

// entryText checks a reference or a reason: one line, no control and no
// invisible character (a reference is matched against bank statements; an
// invisible character would make two equal-looking ones differ).
func entryText(v *Validator, field, s string, min, max int) string {
	before := len(v.fields)
	s = text(v, field, s, min, max, false)
	if len(v.fields) == before && hasFormat(s) {
		v.Add(field, msgInvisible)
	}
	return s
}

// receivedOn checks the day a payment was received, YYYY-MM-DD; "" is today
// in the company's zone. Not after tomorrow (the payer's day may be ahead of
// the company's), nor more than maxPaymentAge years ago.
func (s *Service) receivedOn(v *Validator, day string, now time.Time) string {
	today := now.In(s.cfg.Location)
	day = strings.TrimSpace(day)
	if day == "" {
		return today.Format(DateLayout)
	}
	d, err := time.Parse(DateLayout, day)
	if err != nil || len(day) != len(DateLayout) {
		v.Add("received_on", "must be a date, YYYY-MM-DD")
		return day
	}
	y, m, dd := today.Date()
	midnight := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	switch {
	case d.After(midnight.AddDate(0, 0, 1)):
		v.Add("received_on", "must not be in the future")
	case d.Before(midnight.AddDate(-maxPaymentAge, 0, 0)):
		v.Add("received_on", "must be within the last "+strconv.Itoa(maxPaymentAge)+" years")
	}
	return day
}
