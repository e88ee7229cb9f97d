package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/epicevents/epicevents/internal/crm"
)

// A contract's ledger: its list, and the two POSTs that add to it, which
// honour Idempotency-Key (idempotent, in routes()).

func (s *Server) listPayments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return serveList(w, r, paymentFilters, func(ctx context.Context, f crm.PaymentFilter, emit crm.Emit[crm.Payment]) (string, error) {
		return s.svc.ListPayments(ctx, id, f, emit)
	})
}

func (s *Server) recordPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b PaymentRequest
	if err := decodeBody(w, r, &b, bodyRequired); err != nil {
		return err
	}
	p, err := s.svc.RecordPayment(r.Context(), id, crm.NewPayment{Amount: b.Amount, Method: b.Method,
		Reference: b.Reference, ReceivedOn: b.ReceivedOn})
	if err != nil {
		return err
	}
	return writeEntry(w, p)
}

func (s *Server) refundPayment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	pid, err := strconv.ParseInt(r.PathValue("pid"), 10, 64)
	if err != nil || pid <= 0 {
		return badRequest("pid", "must be an id (a positive whole number)")
	}
	var b RefundRequest
	if err := decodeBody(w, r, &b, bodyRequired); err != nil {
		return err
	}
	p, err := s.svc.RefundPayment(r.Context(), id, crm.NewRefund{PaymentID: pid, Amount: b.Amount, Reason: b.Reason})
	if err != nil {
		return err
	}
	return writeEntry(w, p)
}

// writeEntry answers a ledger entry just recorded: 201, and no Location,
// since an entry is read in its contract's ledger, not at a route of its own.
func writeEntry(w http.ResponseWriter, p crm.Payment) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = encodeJSON(w, p)
	return nil
}
