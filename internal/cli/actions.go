package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

// about is the help of a command: what it is called, what it does, an example.
type about struct{ use, short, long, example string }

// idCmd builds a command that takes one ID argument (of kind: an employee or
// a client may be named by email), runs act through the API of this run and
// shows the object act returns: show, sign, reactivate, unassign.
func idCmd[T any](a *App, h about, kind refKind, cols func(views) output.View[T], act func(crm.API, context.Context, int64) (T, error)) *cobra.Command {
	return &cobra.Command{
		Use: h.use, Short: h.short, Long: h.long, Example: h.example,
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(kind, "id", args[0])
			if err != nil {
				return err
			}
			return showResult(a, ctx, cols, func(api crm.API, sctx context.Context) (T, error) {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return *new(T), err
				}
				return act(api, sctx, id)
			})
		}),
	}
}

// targetCmd builds `… ID --FLAG ID|EMAIL`, a command that points an object
// (of kind) at an employee: reassign to a sales contact, assign a support
// contact.
func targetCmd[T any](a *App, h about, kind refKind, flag, field, help string, cols func(views) output.View[T],
	act func(api crm.API, ctx context.Context, id, target int64) (T, error)) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use: h.use, Short: h.short, Long: h.long, Example: h.example,
		Args: exactArgs(1),
		RunE: run(func(ctx context.Context, args []string) error {
			arg, err := parseRef(kind, "id", args[0])
			if err != nil {
				return err
			}
			if !cmdFlags(ctx).Changed(flag) {
				return crm.Invalid(field, "is required (--"+flag+" ID|EMAIL)")
			}
			to, err := parseRef(employeeRef, field, target)
			if err != nil {
				return err
			}
			return showResult(a, ctx, cols, func(api crm.API, sctx context.Context) (T, error) {
				id, err := arg.resolve(sctx, api)
				if err != nil {
					return *new(T), err
				}
				toID, err := to.resolve(sctx, api)
				if err != nil {
					return *new(T), err
				}
				return act(api, sctx, id, toID)
			})
		}),
	}
	cmd.Flags().StringVar(&target, flag, "", help)
	return cmd
}

// showResult runs act with an authenticated API and shows the object it
// returns; create and update commands end the same way.
func showResult[T any](a *App, ctx context.Context, cols func(views) output.View[T], act func(crm.API, context.Context) (T, error)) error {
	return a.withAPI(ctx, func(api crm.API, sctx context.Context) error {
		v, err := act(api, sctx)
		if err != nil {
			return err
		}
		return renderObject(a, cols(a.views()), v)
	})
}
