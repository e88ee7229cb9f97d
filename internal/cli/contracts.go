package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
)

func (a *App) contractsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "contracts",
		Aliases: []string{"contract"},
		Short:   "Follow and manage contracts",
		Example: "  epicevents contracts list --unsigned\n  epicevents contracts sign 12\n  epicevents contracts pay 12 --amount 1500",
	}
	group(cmd)
	cmd.AddCommand(a.contractsListCmd(), showCmd(a, "contract", idRef, crm.API.GetContract, views.contract),
		a.contractsCreateCmd(), a.contractsUpdateCmd(), idCmd(a, about{use: "sign ID",
			short:   "Mark a contract signed, for good (MANAGEMENT, or its sales contact)",
			example: "  epicevents contracts sign 12"}, idRef, views.contract, crm.API.SignContract),
		a.contractsReassignCmd(), a.contractsPayCmd(), a.contractsRefundCmd(), a.contractsPaymentsCmd())
	return cmd
}

// viewFlag is --view of contract and event lists.
type viewFlag struct{ view string }

func (v *viewFlag) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&v.view, "view", "compact", "table columns: compact, contact or full (JSON and CSV carry every field)")
}

func (v viewFlag) check() error {
	switch v.view {
	case "compact", "contact", "full":
		return nil
	}
	return crm.Invalid("view", "must be compact, contact or full")
}

func (a *App) contractsListCmd() *cobra.Command {
	var f crm.ContractFilter
	var client string
	var lf listFlags
	var vf viewFlag
	cmd := &cobra.Command{
		Use:   "list [--unsigned] [--unpaid] [--mine] [--client ID|EMAIL] [--view compact|contact|full]",
		Short: "List contracts, newest first",
		Long: `contracts list shows contracts newest first. --unsigned: not signed yet;
--unpaid: an amount is still due; --mine: those whose sales contact you are.
Filters combine.`,
		Example: "  epicevents contracts list --unsigned --mine\n  epicevents contracts list --unpaid --view full",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			var err error
			if err = vf.check(); err != nil {
				return err
			}
			if f.Page, err = lf.page(); err != nil {
				return err
			}
			clientArg, err := optRef(ctx, clientRef, "client", "client_id", client)
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				if f.ClientID, err = resolveOpt(sctx, api, clientArg); err != nil {
					return err
				}
				return renderList(a, a.views().contractColumns(vf.view), func(emit crm.Emit[crm.Contract]) (string, error) {
					return api.ListContracts(sctx, f, emit)
				})
			})
		}),
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.Unsigned, "unsigned", false, "only contracts not signed yet")
	fl.BoolVar(&f.Unpaid, "unpaid", false, "only contracts with an amount due")
	fl.BoolVar(&f.Mine, "mine", false, "only contracts whose sales contact you are")
	fl.StringVar(&client, "client", "", "only the contracts of this client (id or email)")
	vf.bind(cmd)
	lf.bind(cmd)
	return cmd
}

// amountFlag parses a money flag when it was given.
func amountFlag(ctx context.Context, flag, field, value string) (*crm.Cents, error) {
	if !cmdFlags(ctx).Changed(flag) {
		return nil, nil
	}
	c, err := crm.ParseCents(value)
	if err != nil {
		return nil, crm.Invalid(field, err.Error())
	}
	return &c, nil
}

func (a *App) contractsCreateCmd() *cobra.Command {
	var client, total, due string
	var signed bool
	cmd := &cobra.Command{
		Use:   "create --client ID|EMAIL --total AMOUNT [--due AMOUNT] [--signed]",
		Short: "Add a contract for a client (MANAGEMENT)",
		Long: `create adds a contract. Its sales contact is the client's. Amounts are euros
with at most two decimals (1500, 1500.5, 1500.50); --due defaults to the total.
A --due below the total records what was paid before as an opening payment of
the difference in the contract's ledger (see ` + "`contracts payments`" + `).`,
		Example: "  epicevents contracts create --client 12 --total 5000\n  epicevents contracts create --client 12 --total 5000 --due 2500.50 --signed",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			var in crm.NewContract
			clientArg, err := optRef(ctx, clientRef, "client", "client_id", client)
			if err != nil {
				return err
			}
			if clientArg == nil {
				return crm.Invalid("client_id", "is required (--client ID|EMAIL)")
			}
			t, err := amountFlag(ctx, "total", "total_amount", total)
			if err != nil {
				return err
			}
			if t == nil {
				return crm.Invalid("total_amount", "is required (--total AMOUNT)")
			}
			in.TotalAmount, in.Signed = *t, signed
			if in.AmountDue, err = amountFlag(ctx, "due", "amount_due", due); err != nil {
				return err
			}
			return showResult(a, ctx, views.contract, func(api crm.API, sctx context.Context) (crm.Contract, error) {
				if in.ClientID, err = clientArg.resolve(sctx, api); err != nil {
					return crm.Contract{}, err
				}
				return api.CreateContract(sctx, in)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&client, "client", "", "the client, by id or email (required)")
	f.StringVar(&total, "total", "", "total amount in euros (required)")
	f.StringVar(&due, "due", "", "amount still due (default: the total)")
	f.BoolVar(&signed, "signed", false, "the contract is already signed")
	return cmd
}

func (a *App) contractsUpdateCmd() *cobra.Command {
	var total, due string
	cmd := &cobra.Command{
		Use:   "update ID [--total AMOUNT] [--due AMOUNT]",
		Short: "Change a contract's amounts (MANAGEMENT, or its sales contact)",
		Long: `update changes the amounts given. The amount due follows the contract's ledger:
a lower --due records a payment of the difference (method other; ` + "`contracts pay`" + `
records one with its method and reference), and a higher one is refused: record
a refund with ` + "`contracts refund`" + `. A new --total sets the amount due to the total
less what has been paid net, and may not be less than that. Once a contract is
signed, only MANAGEMENT changes its total.`,
		Example: "  epicevents contracts update 12 --due 0\n  epicevents contracts update 12 --total 6000",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			id, err := parseID("id", args[0])
			if err != nil {
				return err
			}
			var p crm.ContractPatch
			if p.TotalAmount, err = amountFlag(ctx, "total", "total_amount", total); err != nil {
				return err
			}
			if p.AmountDue, err = amountFlag(ctx, "due", "amount_due", due); err != nil {
				return err
			}
			return showResult(a, ctx, views.contract, func(api crm.API, sctx context.Context) (crm.Contract, error) { return api.UpdateContract(sctx, id, p) })
		}),
	}
	cmd.Flags().StringVar(&total, "total", "", "new total amount")
	cmd.Flags().StringVar(&due, "due", "", "new amount due")
	return cmd
}

func (a *App) contractsReassignCmd() *cobra.Command {
	return targetCmd(a, about{use: "reassign ID --sales-contact ID|EMAIL",
		short:   "Give one contract another SALES contact (MANAGEMENT)",
		example: "  epicevents contracts reassign 12 --sales-contact 5\n  epicevents contracts reassign 12 --sales-contact bill@epicevents.example"},
		idRef, "sales-contact", "sales_contact_id", "the active SALES employee, by id or email (required)",
		views.contract, crm.API.ReassignContract)
}
