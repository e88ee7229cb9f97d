package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
)

// A contract's ledger: contracts pay, refund and payments. The rules (who,
// how much) are the service's; these commands read flags and show entries.

func (a *App) contractsPayCmd() *cobra.Command {
	var amount, method, reference, on string
	cmd := &cobra.Command{
		Use:   "pay ID --amount AMOUNT [--method transfer|card|cash|cheque|other] [--reference TEXT] [--on YYYY-MM-DD]",
		Short: "Record a payment received for a contract (MANAGEMENT, or its sales contact)",
		Long: `pay records money received for a contract, signed or not, and lowers its
amount due by as much. The amount is in euros with at most two decimals and at
most the amount due. --method defaults to transfer; --reference is the cheque
number or the transfer's reference (at most 100 characters); --on is the day
the money was received (default: today).

A payment is never changed or deleted: a mistake is corrected with
` + "`contracts refund`" + `.`,
		Example: "  epicevents contracts pay 12 --amount 1500\n" +
			"  epicevents contracts pay 12 --amount 250.50 --method cheque --reference 'CHQ 0042' --on 2026-11-30",
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			id, err := parseID("id", args[0])
			if err != nil {
				return err
			}
			amt, err := amountFlag(ctx, "amount", "amount", amount)
			if err != nil {
				return err
			}
			if amt == nil {
				return crm.Invalid("amount", "is required (--amount AMOUNT)")
			}
			in := crm.NewPayment{Amount: *amt, Method: method, Reference: reference, ReceivedOn: on}
			if in.ReceivedOn == "" {
				// Today where the user is, in local and remote mode alike
				// (a server elsewhere would date it in its own zone).
				cfg, err := a.config(false)
				if err != nil {
					return err
				}
				in.ReceivedOn = time.Now().In(cfg.Location).Format(time.DateOnly)
			}
			return showResult(a, ctx, views.payment, func(api crm.API, sctx context.Context) (crm.Payment, error) {
				return api.RecordPayment(sctx, id, in)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&amount, "amount", "", "amount received, in euros (required)")
	f.StringVar(&method, "method", "transfer", "how it was paid: transfer, card, cash, cheque or other")
	f.StringVar(&reference, "reference", "", "a cheque number or a transfer's reference")
	f.StringVar(&on, "on", "", "the day it was received, YYYY-MM-DD (default: today)")
	return cmd
}

func (a *App) contractsRefundCmd() *cobra.Command {
	var payment, amount, reason string
	cmd := &cobra.Command{
		Use:   "refund ID --payment PAYMENT-ID [--amount AMOUNT] --reason TEXT",
		Short: "Refund a payment of a contract (MANAGEMENT)",
		Long: `refund records money returned to the client, against one payment of the
contract (see ` + "`contracts payments ID`" + ` for the ids), by that payment's method,
and raises the amount due by as much. --amount defaults to what is left of the
payment (its amount less the refunds already made of it), and may not be more.
--reason says why, for the record.`,
		Example: "  epicevents contracts refund 12 --payment 31 --reason 'event cancelled'\n" +
			"  epicevents contracts refund 12 --payment 31 --amount 100 --reason 'duplicate charge'",
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			id, err := parseID("id", args[0])
			if err != nil {
				return err
			}
			if !cmdFlags(ctx).Changed("payment") {
				return crm.Invalid("payment", "is required (--payment PAYMENT-ID)")
			}
			pid, err := parseID("payment", payment)
			if err != nil {
				return err
			}
			in := crm.NewRefund{PaymentID: pid, Reason: reason}
			if in.Amount, err = amountFlag(ctx, "amount", "amount", amount); err != nil {
				return err
			}
			if !cmdFlags(ctx).Changed("reason") {
				return crm.Invalid("reason", "is required (--reason TEXT)")
			}
			return showResult(a, ctx, views.payment, func(api crm.API, sctx context.Context) (crm.Payment, error) {
				return api.RefundPayment(sctx, id, in)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&payment, "payment", "", "the id of the payment to refund (required)")
	f.StringVar(&amount, "amount", "", "amount returned, in euros (default: what is left of the payment)")
	f.StringVar(&reason, "reason", "", "why the money is returned (required)")
	return cmd
}

func (a *App) contractsPaymentsCmd() *cobra.Command {
	var lf listFlags
	cmd := &cobra.Command{
		Use:   "payments ID",
		Short: "List a contract's payments and refunds, oldest first",
		Long: `payments shows the ledger of a contract: every payment and refund in the
order they were recorded, each with the amount due after it. Everyone may read
it.`,
		Example: "  epicevents contracts payments 12\n  epicevents contracts payments 12 -o csv > ledger-12.csv",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			id, err := parseID("id", args[0])
			if err != nil {
				return err
			}
			var f crm.PaymentFilter
			if f.Page, err = lf.page(); err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				return renderList(a, a.views().paymentList(), func(emit crm.Emit[crm.Payment]) (string, error) {
					return api.ListPayments(sctx, id, f, emit)
				})
			})
		}),
	}
	lf.bind(cmd)
	return cmd
}
