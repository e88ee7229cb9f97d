package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
)

func (a *App) clientsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "clients",
		Aliases: []string{"client"},
		Short:   "Find and manage clients",
		Long: `A client is a person at a client company; its sales contact is the SALES
employee who owns it. The client of show, update and reassign is named by id
or email. Alias: ` + "`client`" + `.`,
		Example: "  epicevents clients list --search casey\n  epicevents clients create --first-name Kevin --last-name Casey --email kevin@startup.io",
	}
	group(cmd)
	cmd.AddCommand(a.clientsListCmd(), showCmd(a, "client", clientRef, crm.API.GetClient, views.client),
		a.clientsCreateCmd(), a.clientsUpdateCmd(), a.clientsReassignCmd())
	return cmd
}

func (a *App) clientsListCmd() *cobra.Command {
	var f crm.ClientFilter
	var sales string
	var lf listFlags
	cmd := &cobra.Command{
		Use:   "list [--mine] [--sales-contact ID|EMAIL] [--search TEXT]",
		Short: "List clients, by name",
		Long: `clients list shows clients ordered by last name, first name. --search keeps
the clients in which every word of TEXT is found, ignoring case and accents, in
the first or last name, the email, the company or the phone (+ and digits).
--mine shows the clients whose sales contact you are.`,
		Example: "  epicevents clients list --mine\n  epicevents clients list --search startup -o csv\n  epicevents clients list --search 'john ouick'",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			var err error
			if f.Page, err = lf.page(); err != nil {
				return err
			}
			salesRef, err := optRef(ctx, employeeRef, "sales-contact", "sales_contact_id", sales)
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				if f.SalesContactID, err = resolveOpt(sctx, api, salesRef); err != nil {
					return err
				}
				return renderList(a, a.views().clientList(), func(emit crm.Emit[crm.Client]) (string, error) {
					return api.ListClients(sctx, f, emit)
				})
			})
		}),
	}
	cmd.Flags().BoolVar(&f.Mine, "mine", false, "only the clients whose sales contact you are")
	cmd.Flags().StringVar(&sales, "sales-contact", "", "only the clients of this sales employee (id or email)")
	cmd.Flags().StringVar(&f.Search, "search", "", "words to find in names, email, company or phone")
	lf.bind(cmd)
	return cmd
}

// optIDFlag parses an id flag when it was given.
func optIDFlag(ctx context.Context, flag, field, value string) (*int64, error) {
	r, err := optRef(ctx, idRef, flag, field, value)
	if r == nil || err != nil {
		return nil, err
	}
	return &r.id, nil
}

// clientFlags are the editable fields of a client, shared by create and update.
type clientFlags struct{ first, last, email, phone, company string }

func (c *clientFlags) bind(cmd *cobra.Command, required string) {
	f := cmd.Flags()
	f.StringVar(&c.first, "first-name", "", "first name"+required)
	f.StringVar(&c.last, "last-name", "", "last name"+required)
	f.StringVar(&c.email, "email", "", "email, unique"+required)
	f.StringVar(&c.phone, "phone", "", `phone: "+" and 6 to 15 digits, spaces, dots, dashes allowed`)
	f.StringVar(&c.company, "company", "", "company name")
}

func (a *App) clientsCreateCmd() *cobra.Command {
	var c clientFlags
	cmd := &cobra.Command{
		Use:   "create --first-name F --last-name L --email E [--phone P] [--company C]",
		Short: "Add a client that you own (SALES)",
		Example: `  epicevents clients create --first-name Kevin --last-name Casey --email kevin@startup.io \
      --phone "+678 123 456 78" --company "Cool Startup LLC"`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			f := cmdFlags(ctx)
			in := crm.NewClient{FirstName: c.first, LastName: c.last, Email: c.email,
				Phone: changed(f, "phone", &c.phone), CompanyName: changed(f, "company", &c.company)}
			return showResult(a, ctx, views.client, func(api crm.API, sctx context.Context) (crm.Client, error) { return api.CreateClient(sctx, in) })
		}),
	}
	c.bind(cmd, " (required)")
	return cmd
}

func (a *App) clientsUpdateCmd() *cobra.Command {
	var c clientFlags
	cmd := &cobra.Command{
		Use:   "update ID|EMAIL [--first-name F] [--last-name L] [--email E] [--phone P] [--company C]",
		Short: "Change a client (MANAGEMENT, or SALES for their own clients)",
		Long: `update changes only the fields given. An empty --phone or --company clears it.
The client is named by id or by their current email.`,
		Example: `  epicevents clients update 12 --phone "+33 6 12 34 56 78"
  epicevents clients update kevin@startup.io --company ""`,
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(clientRef, "id", args[0])
			if err != nil {
				return err
			}
			f := cmdFlags(ctx)
			p := crm.ClientPatch{FirstName: changed(f, "first-name", &c.first), LastName: changed(f, "last-name", &c.last),
				Email: changed(f, "email", &c.email), Phone: changed(f, "phone", &c.phone), CompanyName: changed(f, "company", &c.company)}
			return showResult(a, ctx, views.client, func(api crm.API, sctx context.Context) (crm.Client, error) {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return crm.Client{}, err
				}
				return api.UpdateClient(sctx, id, p)
			})
		}),
	}
	c.bind(cmd, "")
	return cmd
}

func (a *App) clientsReassignCmd() *cobra.Command {
	return targetCmd(a, about{use: "reassign ID|EMAIL --sales-contact ID|EMAIL",
		short:   "Give a client, with its contracts, to another SALES employee (MANAGEMENT)",
		example: "  epicevents clients reassign 12 --sales-contact 5\n  epicevents clients reassign kevin@startup.io --sales-contact bill@epicevents.example"},
		clientRef, "sales-contact", "sales_contact_id", "the active SALES employee who takes the client, by id or email (required)",
		views.client, crm.API.ReassignClient)
}
