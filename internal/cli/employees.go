package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

func (a *App) employeesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "employees",
		Aliases: []string{"employee"},
		Short:   "List and manage employees (changes: MANAGEMENT only)",
		Long: `Everyone lists and shows employees; only MANAGEMENT changes them. No command
ever shows a password or a hash. An employee is named by id or email. Alias:
` + "`employee`" + `.`,
		Example: "  epicevents employees list --role SALES\n  epicevents employees show 3",
	}
	group(cmd)
	cmd.AddCommand(a.employeesListCmd(), a.employeesShowCmd(), a.employeesCreateCmd(), a.employeesUpdateCmd(),
		a.employeesSetPasswordCmd(), a.employeesDeactivateCmd(), a.employeesReactivateCmd(), a.employeesDeleteCmd())
	return cmd
}

func (a *App) employeesListCmd() *cobra.Command {
	var role string
	var all bool
	var lf listFlags
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List active employees, by name",
		Example: "  epicevents employees list\n  epicevents employees list --role SUPPORT --all -o csv",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			page, err := lf.page()
			if err != nil {
				return err
			}
			f := crm.EmployeeFilter{All: all, Page: page}
			if role != "" {
				r := crm.Role(role)
				f.Role = &r
			}
			api, sctx, err := a.session(ctx)
			if err != nil {
				return err
			}
			return a.forget(renderList(a, a.views().employeeList(), func(emit crm.Emit[crm.Employee]) (string, error) {
				return api.ListEmployees(sctx, f, emit)
			}))
		}),
	}
	cmd.Flags().StringVar(&role, "role", "", "only this role: MANAGEMENT, SALES or SUPPORT")
	cmd.Flags().BoolVar(&all, "all", false, "include deactivated employees")
	lf.bind(cmd)
	return cmd
}

// showCmd builds `<noun>s show ID` for any entity; employees and clients may
// be named by email too (kind).
func showCmd[T any](a *App, noun string, kind refKind, get func(crm.API, context.Context, int64) (T, error), cols func(views) output.View[T]) *cobra.Command {
	h := about{use: "show ID", short: "Show one " + noun,
		example: "  epicevents " + noun + "s show 12\n  epicevents " + noun + "s show 12 -o json"}
	if kind != idRef {
		h.use = "show ID|EMAIL"
		h.example = "  epicevents " + noun + "s show 12\n  epicevents " + noun + "s show " + exampleEmail[kind] + " -o json"
	}
	return idCmd(a, h, kind, cols, get)
}

// exampleEmail is the email of the examples in --help.
var exampleEmail = map[refKind]string{employeeRef: "kate@epicevents.example", clientRef: "kevin@startup.io"}

// withAPI runs fn with the API and an authenticated context, forgetting the
// stored tokens if the session turns out to have ended.
func (a *App) withAPI(ctx context.Context, fn func(crm.API, context.Context) error) error {
	api, sctx, err := a.session(ctx)
	if err != nil {
		return err
	}
	return a.forget(fn(api, sctx))
}

func (a *App) employeesShowCmd() *cobra.Command {
	return showCmd(a, "employee", employeeRef, crm.API.GetEmployee, views.employee)
}

func (a *App) employeesCreateCmd() *cobra.Command {
	var in crm.NewEmployee
	var role string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "create --first-name F --last-name L --email E --role R",
		Short: "Add an employee (MANAGEMENT)",
		Long: `create adds an employee. Their password (15 to 128 characters) is asked
twice without echo, or read from standard input with --password-stdin; hand
it over safely: they keep it, or a manager resets it with set-password.`,
		Example: `  epicevents employees create --first-name Bill --last-name Boquet \
      --email bill@epicevents.example --role SALES
  printf '%s\n' "$PASSWORD" | epicevents employees create --first-name Kate \
      --last-name Hastroff --email kate@epicevents.example --role SUPPORT --password-stdin`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				in.Role = crm.Role(role)
				// Nobody types a password twice to be told that the
				// employee could not be created anyway.
				if err := api.CheckCreateEmployee(sctx, in); err != nil {
					return err
				}
				pw, err := a.newSecret(ctx, "Password for the new employee (15 characters or more): ", "password",
					strings.ToLower(strings.TrimSpace(in.Email)), fromStdin)
				if err != nil {
					return err
				}
				in.Password = pw
				emp, err := api.CreateEmployee(sctx, in)
				if err != nil {
					return err
				}
				return renderObject(a, a.views().employee(), emp)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.FirstName, "first-name", "", "first name (required)")
	f.StringVar(&in.LastName, "last-name", "", "last name (required)")
	f.StringVar(&in.Email, "email", "", "email, unique (required)")
	f.StringVar(&role, "role", "", "MANAGEMENT, SALES or SUPPORT (required)")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

// changed returns a pointer to the flag's value when the flag was given, so
// that an update changes only what was asked.
func changed[T any](f *pflag.FlagSet, name string, v *T) *T {
	if f.Changed(name) {
		return v
	}
	return nil
}

func (a *App) employeesUpdateCmd() *cobra.Command {
	var first, last, mail, role string
	cmd := &cobra.Command{
		Use:     "update ID|EMAIL [--first-name F] [--last-name L] [--email E] [--role R]",
		Short:   "Change an employee's names, email or role (MANAGEMENT)",
		Long:    "update changes only the fields given. A role change ends the employee's sessions and is refused while they still own clients or contracts (SALES) or support upcoming events (SUPPORT).",
		Example: "  epicevents employees update 4 --email kate.h@epicevents.example\n  epicevents employees update kate@epicevents.example --role MANAGEMENT",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(employeeRef, "id", args[0])
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return err
				}
				f := cmdFlags(ctx)
				p := crm.EmployeePatch{FirstName: changed(f, "first-name", &first), LastName: changed(f, "last-name", &last),
					Email: changed(f, "email", &mail)}
				if f.Changed("role") {
					r := crm.Role(role)
					p.Role = &r
				}
				emp, err := api.UpdateEmployee(sctx, id, p)
				if err != nil {
					return err
				}
				return renderObject(a, a.views().employee(), emp)
			})
		}),
	}
	f := cmd.Flags()
	f.StringVar(&first, "first-name", "", "new first name")
	f.StringVar(&last, "last-name", "", "new last name")
	f.StringVar(&mail, "email", "", "new email")
	f.StringVar(&role, "role", "", "new role: MANAGEMENT, SALES or SUPPORT")
	return cmd
}

func (a *App) employeesSetPasswordCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "set-password ID|EMAIL",
		Short: "Give another employee a temporary password (MANAGEMENT)",
		Long: `set-password resets another employee's password. Their sessions end; after
logging in with it they must choose their own with ` + "`epicevents passwd`" + ` before
anything else. To change your own password, use ` + "`epicevents passwd`" + `.`,
		Example: "  epicevents employees set-password 4\n  printf '%s\\n' \"$TEMP\" | epicevents employees set-password kate@epicevents.example --password-stdin",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(employeeRef, "id", args[0])
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return err
				}
				// Refused before the password is asked for: the
				// permission, yourself, an id that names nobody.
				if err := api.CheckSetPassword(sctx, id); err != nil {
					return err
				}
				pw, err := a.newSecret(ctx, "Temporary password (15 characters or more): ", "password", "", fromStdin)
				if err != nil {
					return err
				}
				if err := api.SetPassword(sctx, id, pw); err != nil {
					return err
				}
				a.done("Temporary password set for employee %d; their sessions have ended. They must change it with `epicevents passwd` after logging in.", id)
				return nil
			})
		}),
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *App) employeesDeactivateCmd() *cobra.Command {
	var reassign string
	cmd := &cobra.Command{
		Use:   "deactivate ID|EMAIL [--reassign-to ID|EMAIL]",
		Short: "Stop an employee from logging in (MANAGEMENT)",
		Long: `deactivate disables an employee: they cannot log in and their sessions end at
once. With --reassign-to, their clients and contracts (SALES) or their upcoming
events (SUPPORT) go to that active employee of the same role, in the same
transaction.`,
		Example: "  epicevents employees deactivate 4\n  epicevents employees deactivate 4 --reassign-to 7\n  epicevents employees deactivate bill@epicevents.example --reassign-to sam@epicevents.example",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(employeeRef, "id", args[0])
			if err != nil {
				return err
			}
			toRef, err := optRef(ctx, employeeRef, "reassign-to", "reassign_to", reassign)
			if err != nil {
				return err
			}
			return showResult(a, ctx, views.employee, func(api crm.API, sctx context.Context) (crm.Employee, error) {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return crm.Employee{}, err
				}
				to, err := resolveOpt(sctx, api, toRef)
				if err != nil {
					return crm.Employee{}, err
				}
				return api.Deactivate(sctx, id, to)
			})
		}),
	}
	cmd.Flags().StringVar(&reassign, "reassign-to", "", "give their clients and contracts, or upcoming events, to this employee (id or email)")
	return cmd
}

func (a *App) employeesReactivateCmd() *cobra.Command {
	return idCmd(a, about{use: "reactivate ID|EMAIL", short: "Let a deactivated employee log in again (MANAGEMENT)",
		example: "  epicevents employees reactivate 4\n  epicevents employees reactivate kate@epicevents.example"}, employeeRef, views.employee, crm.API.Reactivate)
}

func (a *App) employeesDeleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete ID|EMAIL [--yes]",
		Short: "Delete an employee nothing references (MANAGEMENT)",
		Long: `delete removes an employee for good. It is refused while clients, contracts or
events reference them: deactivate them instead. It asks for confirmation on a
terminal; elsewhere --yes is required.`,
		Example: "  epicevents employees delete 9\n  epicevents employees delete 9 --yes",
		Args:    exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(employeeRef, "id", args[0])
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				if !yes && !terminal(a.stdin) {
					return crm.Errorf(crm.CodeInvalid, "delete needs --yes when not run on a terminal")
				}
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return err
				}
				if !yes {
					emp, err := api.GetEmployee(sctx, id)
					if err != nil {
						return err
					}
					ok, err := a.confirm(ctx, "Delete employee "+emp.Name()+" <"+emp.Email+"> for good?")
					if err != nil {
						return err
					}
					if !ok {
						return crm.Errorf(crm.CodeInvalid, "nothing deleted")
					}
				}
				if err := api.DeleteEmployee(sctx, id); err != nil {
					return err
				}
				a.done("Employee %d deleted.", id)
				return nil
			})
		}),
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do not ask for confirmation")
	return cmd
}

func (a *App) auditCmd() *cobra.Command {
	cmd := group(&cobra.Command{Use: "audit", Short: "Read the audit log (MANAGEMENT)", Example: "  epicevents audit list --entity contract --id 12"})
	var entity, entityID, actor string
	var lf listFlags
	list := &cobra.Command{
		Use:   "list [--entity E] [--id N] [--actor ID|EMAIL] [--limit N]",
		Short: "List audit entries, newest first",
		Long: `audit list shows who changed what and when: every change to employees,
clients, contracts and events with the values before and after, and every
login, failed login and logout. Entities: employee (changes to employees, and
their logins, failed logins and logouts), client, contract, event, and session
(a reused refresh token, which ends the session). Entries cannot be edited or
deleted. In the table, ∅ means no value. The address (client_addr) is the
client's as the server saw it, for what was done through serve (a reverse
proxy's, behind one); it is empty in local mode.`,
		Example: "  epicevents audit list\n  epicevents audit list --entity employee --id 4 -o json\n  epicevents audit list --actor bill@epicevents.example --limit 20",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			page, err := lf.page()
			if err != nil {
				return err
			}
			f := crm.AuditFilter{Entity: entity, Page: page}
			fs := cmdFlags(ctx)
			if fs.Changed("id") {
				v, err := parseID("id", entityID)
				if err != nil {
					return err
				}
				f.EntityID = &v
			}
			actorRef, err := optRef(ctx, employeeRef, "actor", "actor", actor)
			if err != nil {
				return err
			}
			return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
				if f.ActorID, err = resolveOpt(sctx, api, actorRef); err != nil {
					return err
				}
				return renderList(a, a.views().auditList(), func(emit crm.Emit[crm.AuditEntry]) (string, error) {
					return api.ListAudit(sctx, f, emit)
				})
			})
		}),
	}
	list.Flags().StringVar(&entity, "entity", "", "only entries about this kind of entity (employee, client, contract, event, session, demo)")
	list.Flags().StringVar(&entityID, "id", "", "only entries about the entity with this id")
	list.Flags().StringVar(&actor, "actor", "", "only entries made by this employee (id or email)")
	lf.bind(list)
	cmd.AddCommand(list)
	return cmd
}
