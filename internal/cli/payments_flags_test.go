package cli

import (
	"context"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

func (r *recorder) RecordPayment(_ context.Context, contractID int64, in crm.NewPayment) (crm.Payment, error) {
	return crm.Payment{}, r.capture("RecordPayment", contractID, in)
}
func (r *recorder) RefundPayment(_ context.Context, contractID int64, in crm.NewRefund) (crm.Payment, error) {
	return crm.Payment{}, r.capture("RefundPayment", contractID, in)
}
func (r *recorder) ListPayments(_ context.Context, contractID int64, f crm.PaymentFilter, _ crm.Emit[crm.Payment]) (string, error) {
	return "", r.capture("ListPayments", contractID, f)
}

func TestPaymentsFlags(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	today := time.Now().In(paris).Format(time.DateOnly)
	checkFlags(t, []flagCase{
		// --method defaults to transfer, --on to today where the user is.
		{args: []string{"contracts", "pay", "12", "--amount", "1500"}, method: "RecordPayment",
			want: []any{int64(12), crm.NewPayment{Amount: 150000, Method: "transfer", ReceivedOn: today}}},
		{args: []string{"contracts", "pay", "12", "--amount", "250.5", "--method", "cheque", "--reference", "CHQ 42", "--on", "2026-11-30"},
			method: "RecordPayment", want: []any{int64(12), crm.NewPayment{Amount: 25050, Method: "cheque", Reference: "CHQ 42", ReceivedOn: "2026-11-30"}}},
		{args: []string{"contracts", "pay", "12"}, code: ExitUsage, err: "--amount is required; see epicevents contracts pay --help"},
		{args: []string{"contracts", "pay", "12", "--amount", "1.005"}, code: ExitUsage, err: "--amount"},
		{args: []string{"contracts", "pay", "12", "--amount", "abc"}, code: ExitUsage, err: "--amount"},
		{args: []string{"contracts", "pay", "x", "--amount", "1"}, code: ExitUsage, err: `"x" is not an id`},
		{args: []string{"contracts", "pay", "--amount", "1"}, code: ExitUsage, err: ""},
		// refund: --amount defaults to what is left of the payment.
		{args: []string{"contracts", "refund", "12", "--payment", "31", "--reason", "event cancelled"}, method: "RefundPayment",
			want: []any{int64(12), crm.NewRefund{PaymentID: 31, Reason: "event cancelled"}}},
		{args: []string{"contracts", "refund", "12", "--payment", "31", "--amount", "100", "--reason", "duplicate"}, method: "RefundPayment",
			want: []any{int64(12), crm.NewRefund{PaymentID: 31, Amount: cents(10000), Reason: "duplicate"}}},
		{args: []string{"contracts", "refund", "12", "--reason", "why"}, code: ExitUsage, err: "--payment is required"},
		{args: []string{"contracts", "refund", "12", "--payment", "31"}, code: ExitUsage, err: "--reason is required"},
		{args: []string{"contracts", "refund", "12", "--payment", "abc", "--reason", "r"}, code: ExitUsage, err: `"abc" is not an id`},
		{args: []string{"contracts", "refund", "12", "--payment", "31", "--amount", "-1", "--reason", "r"}, code: ExitUsage, err: "--amount"},
		{args: []string{"contracts", "payments", "12"}, method: "ListPayments", want: []any{int64(12), crm.PaymentFilter{Page: defaultPage}}},
		{args: []string{"contracts", "payments", "12", "--limit", "2", "--cursor", "c2"}, method: "ListPayments",
			want: []any{int64(12), crm.PaymentFilter{Page: crm.Page{Limit: 2, Cursor: "c2"}}}},
		{args: []string{"contracts", "payments"}, code: ExitUsage, err: ""},
	})
}
