package cli

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
)

func (a *App) eventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events",
		Aliases: []string{"event"},
		Short:   "Plan and follow events",
		Long: `An event belongs to a contract, which fixes its client; a contract may cover
several events. Alias: ` + "`event`" + `.`,
		Example: "  epicevents events list --without-support\n  epicevents events assign 109 --support 7",
	}
	group(cmd)
	cmd.AddCommand(a.eventsListCmd(), showCmd(a, "event", idRef, crm.API.GetEvent, views.event),
		a.eventsCreateCmd(), a.eventsUpdateCmd(), a.eventsAssignCmd(), a.eventsUnassignCmd())
	return cmd
}

func (a *App) eventsListCmd() *cobra.Command {
	var f crm.EventFilter
	var contract, client, support, sales, from, to string
	var lf listFlags
	var vf viewFlag
	cmd := &cobra.Command{
		Use:   "list [--upcoming] [--without-support] [--mine] [--support ID|EMAIL] [--sales-contact ID|EMAIL] [--contract ID] [--client ID] [--from DATE] [--to DATE] [--view compact|contact|full]",
		Short: "List events, by start",
		Long: `events list shows events in chronological order. --upcoming: those that start
now or later. --from and --to take a day (the whole day, inclusive: YYYY-MM-DD,
today, tomorrow or yesterday) or a day and time (YYYY-MM-DD HH:MM, seconds
optional), in your time zone, and match the event's start. --mine: the events
you support (SUPPORT), or those on contracts whose sales contact you are
(SALES). --support and --sales-contact name an employee by id or email.
--client takes a client's id: the events of all its contracts. Filters combine.`,
		Example: "  epicevents events list --upcoming --without-support\n" +
			"  epicevents events list --support kate@epicevents.example --from today --to tomorrow\n" +
			"  epicevents events list --mine --from 2026-06-01 --to 2026-06-30 --view contact\n" +
			"  epicevents events list --client 12 --upcoming",
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			var err error
			if err = vf.check(); err != nil {
				return err
			}
			if f.Page, err = lf.page(); err != nil {
				return err
			}
			if f.ContractID, err = optIDFlag(ctx, "contract", "contract_id", contract); err != nil {
				return err
			}
			if f.ClientID, err = optIDFlag(ctx, "client", "client_id", client); err != nil {
				return err
			}
			supportRef, err := optRef(ctx, employeeRef, "support", "support_contact_id", support)
			if err != nil {
				return err
			}
			salesRef, err := optRef(ctx, employeeRef, "sales-contact", "sales_contact_id", sales)
			if err != nil {
				return err
			}
			cfg, err := a.config(false)
			if err != nil {
				return err
			}
			now := time.Now()
			if f.From, err = boundFlag(ctx, "from", from, cfg.Location, false, now); err != nil {
				return err
			}
			if f.To, err = boundFlag(ctx, "to", to, cfg.Location, true, now); err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				if f.SupportContactID, err = resolveOpt(sctx, api, supportRef); err != nil {
					return err
				}
				if f.SalesContactID, err = resolveOpt(sctx, api, salesRef); err != nil {
					return err
				}
				return renderList(a, a.views().eventColumns(vf.view), func(emit crm.Emit[crm.Event]) (string, error) {
					return api.ListEvents(sctx, f, emit)
				})
			})
		}),
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.Upcoming, "upcoming", false, "only events that start now or later")
	fl.BoolVar(&f.WithoutSupport, "without-support", false, "only events with no support contact")
	fl.BoolVar(&f.Mine, "mine", false, "only your events")
	fl.StringVar(&support, "support", "", "only the events this SUPPORT employee supports (id or email)")
	fl.StringVar(&sales, "sales-contact", "", "only the events on contracts of this SALES employee (id or email)")
	fl.StringVar(&contract, "contract", "", "only the events of this contract id")
	fl.StringVar(&client, "client", "", "only the events of this client id, across its contracts")
	fl.StringVar(&from, "from", "", "only events starting on or after this day (YYYY-MM-DD, today, tomorrow, yesterday) or time")
	fl.StringVar(&to, "to", "", "only events starting on or before this day (YYYY-MM-DD, today, tomorrow, yesterday) or time")
	vf.bind(cmd)
	lf.bind(cmd)
	return cmd
}

func boundFlag(ctx context.Context, flag, value string, loc *time.Location, end bool, now time.Time) (*time.Time, error) {
	if !cmdFlags(ctx).Changed(flag) {
		return nil, nil
	}
	t, err := crm.ParseBound(value, loc, end, now)
	if err != nil {
		return nil, crm.Invalid(flag, err.Error())
	}
	return &t, nil
}

// eventFlags are the editable fields of an event, shared by create and
// update; addNote is update's only.
type eventFlags struct{ name, start, end, location, attendees, notes, addNote string }

func (e *eventFlags) bind(cmd *cobra.Command, required string) {
	f := cmd.Flags()
	f.StringVar(&e.name, "name", "", "event name, such as \"John Ouick Wedding\""+required)
	f.StringVar(&e.start, "start", "", "start: YYYY-MM-DD HH:MM (seconds optional) in your time zone, or RFC 3339"+required)
	f.StringVar(&e.end, "end", "", "end, after the start: YYYY-MM-DD HH:MM (seconds optional) or RFC 3339"+required)
	f.StringVar(&e.location, "location", "", "where it takes place"+required)
	f.StringVar(&e.attendees, "attendees", "", "expected number of attendees, 0 to 100000"+required)
	f.StringVar(&e.notes, "notes", "", "free notes (an empty value clears them)")
}

// patch reads the given flags into an EventPatch.
func (e *eventFlags) patch(ctx context.Context, loc *time.Location) (crm.EventPatch, error) {
	f := cmdFlags(ctx)
	p := crm.EventPatch{Name: changed(f, "name", &e.name), Location: changed(f, "location", &e.location),
		Notes: changed(f, "notes", &e.notes), AddNote: changed(f, "add-note", &e.addNote)}
	if p.Notes != nil && p.AddNote != nil {
		return p, crm.Errorf(crm.CodeInvalid, "give --notes or --add-note, not both: --notes replaces the notes, --add-note adds a line to them")
	}
	var err error
	if p.Start, err = timeFlag(ctx, "start", e.start, loc); err != nil {
		return p, err
	}
	if p.End, err = timeFlag(ctx, "end", e.end, loc); err != nil {
		return p, err
	}
	if f.Changed("attendees") {
		n, err := strconv.Atoi(strings.TrimSpace(e.attendees))
		if err != nil {
			return p, crm.Invalid("attendees", "must be a whole number from 0 to 100000")
		}
		p.Attendees = &n
	}
	return p, nil
}

func timeFlag(ctx context.Context, flag, value string, loc *time.Location) (*time.Time, error) {
	if !cmdFlags(ctx).Changed(flag) {
		return nil, nil
	}
	t, err := crm.ParseDateTime(value, loc)
	if err != nil {
		return nil, crm.Invalid(flag, err.Error())
	}
	return &t, nil
}

func (a *App) eventsCreateCmd() *cobra.Command {
	var e eventFlags
	var contract string
	cmd := &cobra.Command{
		Use:   "create --contract ID --name N --start T --end T --location L --attendees N [--notes TEXT]",
		Short: "Add an event on a signed contract (SALES, its sales contact)",
		Long: `create adds an event on a signed contract whose sales contact you are. The
event's client is the contract's. Times are YYYY-MM-DD HH:MM in your time zone
(EPICEVENTS_TZ, else TZ, else the system's) or RFC 3339.`,
		Example: `  epicevents events create --contract 652 --name "John Ouick Wedding" \
      --start "2023-06-04 13:00" --end "2023-06-05 02:00" \
      --location "53 Rue du Château, 41120 Candé-sur-Beuvron, France" --attendees 75 \
      --notes "Wedding starts at 3PM, by the river."`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			cfg, err := a.config(false)
			if err != nil {
				return err
			}
			var v crm.Validator
			for _, req := range []struct{ flag, field string }{{"contract", "contract_id"}, {"name", "name"},
				{"start", "start"}, {"end", "end"}, {"location", "location"}, {"attendees", "attendees"}} {
				if !cmdFlags(ctx).Changed(req.flag) {
					v.Add(req.field, "is required (--"+req.flag+")")
				}
			}
			if err := v.Err(); err != nil {
				return err
			}
			cid, err := parseID("contract_id", contract)
			if err != nil {
				return err
			}
			p, err := e.patch(ctx, cfg.Location)
			if err != nil {
				return err
			}
			in := crm.NewEvent{ContractID: cid, Name: *p.Name, Start: *p.Start, End: *p.End,
				Location: *p.Location, Attendees: *p.Attendees, Notes: p.Notes}
			return showResult(a, ctx, views.event, func(api crm.API, sctx context.Context) (crm.Event, error) { return api.CreateEvent(sctx, in) })
		}),
	}
	cmd.Flags().StringVar(&contract, "contract", "", "id of the signed contract (required)")
	e.bind(cmd, " (required)")
	return cmd
}

func (a *App) eventsUpdateCmd() *cobra.Command {
	var e eventFlags
	cmd := &cobra.Command{
		Use:   "update ID [--name N] [--start T] [--end T] [--location L] [--attendees N] [--notes TEXT | --add-note TEXT]",
		Short: "Change an event (MANAGEMENT, or SUPPORT for their events)",
		Long: `update changes only the fields given. SUPPORT may change the start, end,
location, attendees and notes of the events assigned to them; MANAGEMENT may
also rename an event. The support contact is set by ` + "`events assign`" + ` and
cleared by ` + "`events unassign`" + `.

--notes replaces the notes. --add-note keeps them and adds one line at their
end, "YYYY-MM-DD HH:MM First Last: TEXT": dated now and signed with your name
by the CRM (in remote mode, in the server's time zone). The notes hold at
most 5000 characters, the added line included.`,
		Example: "  epicevents events update 109 --attendees 80\n" +
			"  epicevents events update 109 --add-note \"DJ booked for the after party\"",
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			id, err := parseID("id", args[0])
			if err != nil {
				return err
			}
			cfg, err := a.config(false)
			if err != nil {
				return err
			}
			p, err := e.patch(ctx, cfg.Location)
			if err != nil {
				return err
			}
			return showResult(a, ctx, views.event, func(api crm.API, sctx context.Context) (crm.Event, error) { return api.UpdateEvent(sctx, id, p) })
		}),
	}
	e.bind(cmd, "")
	cmd.Flags().StringVar(&e.addNote, "add-note", "", "add a dated line signed with your name to the notes (not with --notes)")
	return cmd
}

func (a *App) eventsAssignCmd() *cobra.Command {
	return targetCmd(a, about{use: "assign ID --support ID|EMAIL",
		short:   "Make an active SUPPORT employee the event's support contact (MANAGEMENT)",
		example: "  epicevents events assign 109 --support 7\n  epicevents events assign 109 --support kate@epicevents.example"},
		idRef, "support", "support_contact_id", "the active SUPPORT employee, by id or email (required)",
		views.event, crm.API.AssignSupport)
}

func (a *App) eventsUnassignCmd() *cobra.Command {
	return idCmd(a, about{use: "unassign ID",
		short:   "Leave an event without a support contact (MANAGEMENT)",
		example: "  epicevents events unassign 109"}, idRef, views.event, crm.API.UnassignSupport)
}
