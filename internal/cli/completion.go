package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// completionTimeout bounds what completing an employee may take: a shell
// waits for it, and a server that does not answer must not hang the prompt.
const completionTimeout = 3 * time.Second

// completing reports whether args run cobra's hidden completion command,
// which the completion scripts call with the words typed so far.
func completing(args []string) bool {
	return len(args) > 0 && strings.HasPrefix(args[0], cobra.ShellCompRequestCmd)
}

// registerCompletions gives flags their values for shell completion: -o,
// --view, --role and --entity their fixed values, and the flags that name an
// employee the active employees of the right role, by id with the name as
// description, when logged in. It is called only when the shell asks for
// completions: cobra keeps completion functions in a process-wide table.
//
// Flags are found by name wherever they are, so that a list or command that
// gains one of these flags completes it without more code.
func (a *App) registerCompletions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("output", fixedValues("table", "json", "csv"))
	byFlag := map[string]cobra.CompletionFunc{
		"view":   fixedValues("compact\tmoney and state, or when and who supports", "contact\twhom to call", "full\tevery column"),
		"role":   fixedValues(string(crm.RoleManagement), string(crm.RoleSales), string(crm.RoleSupport)),
		"entity": fixedValues(crm.AuditEntities...),
		"method": fixedValues(crm.PaymentMethods...),
		"sales-contact": a.employeeValues(func(context.Context, crm.API, []string) (crm.EmployeeFilter, int64, bool) {
			return crm.EmployeeFilter{Role: ptrTo(crm.RoleSales)}, 0, true
		}),
		"support": a.employeeValues(func(context.Context, crm.API, []string) (crm.EmployeeFilter, int64, bool) {
			return crm.EmployeeFilter{Role: ptrTo(crm.RoleSupport)}, 0, true
		}),
		// Whoever takes over from a deactivated employee has their role.
		"reassign-to": a.employeeValues(func(ctx context.Context, api crm.API, args []string) (crm.EmployeeFilter, int64, bool) {
			if len(args) != 1 {
				return crm.EmployeeFilter{}, 0, false
			}
			id, err := parseID("id", args[0])
			if err != nil {
				return crm.EmployeeFilter{}, 0, false
			}
			e, err := api.GetEmployee(ctx, id)
			if err != nil {
				return crm.EmployeeFilter{}, 0, false
			}
			return crm.EmployeeFilter{Role: &e.Role}, id, true
		}),
		// The audit trail names employees who have left too.
		"actor": a.employeeValues(func(context.Context, crm.API, []string) (crm.EmployeeFilter, int64, bool) {
			return crm.EmployeeFilter{All: true}, 0, true
		}),
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range byFlag {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func ptrTo[T any](v T) *T { return &v }

// fixedValues completes a flag with values, each possibly followed by a tab
// and its description.
func fixedValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(v, toComplete) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// employeeValues completes a flag that names an employee: the employees that
// filter selects (active ones unless it says All), by id with their name as
// description, but exclude. Not logged in, or on any error, it completes
// nothing and says nothing: completion never prompts and never fails aloud.
func (a *App) employeeValues(filter func(ctx context.Context, api crm.API, args []string) (f crm.EmployeeFilter, exclude int64, ok bool)) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		const none = cobra.ShellCompDirectiveNoFileComp
		// The completion command parsed the line's flags (--server too)
		// onto cmd, but ran none of its hooks.
		a.cmd, a.serverGiven = cmd, a.serverFlagGiven(cmd)
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		api, sctx, err := a.session(ctx)
		if err != nil {
			return nil, none
		}
		f, exclude, ok := filter(sctx, api, args)
		if !ok {
			return nil, none
		}
		var out []cobra.Completion
		_, err = api.ListEmployees(sctx, f, func(e crm.Employee) error {
			if v := id(e.ID); e.ID != exclude && strings.HasPrefix(v, toComplete) {
				// The name comes from the server, and the shell shows it
				// on the terminal: made inert, and kept to one line and
				// one description (a line or a tab would add completions).
				out = append(out, cobra.CompletionWithDesc(v, termsafe.Line(e.Name())))
			}
			return nil
		})
		if err != nil {
			return nil, none
		}
		return out, none
	}
}
