package cli

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/config"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/termsafe"
	"github.com/epicevents/epicevents/internal/tokenstore"
)

type initOptions struct {
	email, firstName, lastName string
	passwordStdin              bool
}

func (a *App) initCmd() *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create or upgrade the database and the first manager",
		Long: `init brings the database schema up to date, then creates the first employee,
who is always MANAGEMENT. It refuses (exit 6) once any employee exists.
Missing values are prompted for on a terminal; elsewhere they are required.
The database is EPICEVENTS_DATABASE_URL (sqlite:PATH or postgres://…), by
default an SQLite file in EPICEVENTS_HOME. init also reads a .env file in the
current folder.`,
		Example: `  epicevents init
  printf '%s\n' "$PASSWORD" | epicevents init --email ada@epicevents.example \
      --first-name Ada --last-name Lovelace --password-stdin`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error { return a.runInit(ctx, o) }),
	}
	f := cmd.Flags()
	f.StringVar(&o.email, "email", "", "email of the first manager")
	f.StringVar(&o.firstName, "first-name", "", "first name")
	f.StringVar(&o.lastName, "last-name", "", "last name")
	f.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *App) runInit(ctx context.Context, o *initOptions) error {
	// init asks everything before it changes anything: a cancelled prompt
	// or a refused value leaves no database file and no schema behind.
	cfg, err := a.config(true)
	if err != nil {
		return err
	}
	if err := a.refuseSetUp(ctx, cfg); err != nil {
		return err
	}
	for _, q := range []struct {
		v           *string
		label, flag string
	}{
		{&o.email, "Email", "email"}, {&o.firstName, "First name", "first-name"}, {&o.lastName, "Last name", "last-name"},
	} {
		if err := a.ask(ctx, q.v, q.label, q.flag); err != nil {
			return err
		}
	}
	in := crm.NewEmployee{Email: o.email, FirstName: o.firstName, LastName: o.lastName, Role: crm.RoleManagement}
	if err := crm.CheckNewEmployee(in); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if in.Password, err = a.newSecret(ctx, "Password (15 characters or more): ", "password", email, o.passwordStdin); err != nil {
		return err
	}
	// Read from standard input, the password has not met the policy yet;
	// Bootstrap applies it again.
	if err := crm.CheckPassword("password", in.Password, email, auth.IsCommonPassword); err != nil {
		return err
	}
	db, err := a.openDB(ctx, true, true)
	if err != nil {
		return err
	}
	applied, err := db.MigrateUp(ctx)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		a.done("Database schema brought up to date (%s).", strings.Join(applied, ", "))
	}
	svc, err := a.service(ctx)
	if err != nil {
		return err
	}
	emp, err := svc.Bootstrap(ctx, in)
	if err != nil {
		return err
	}
	if err := renderObject(a, a.views().employee(), emp); err != nil {
		return err
	}
	a.done("The CRM is ready. Log in with: epicevents login --email %s\nor run `epicevents serve` and log in from a browser at the address it prints.", emp.Email)
	if a.env("EPICEVENTS_DATABASE_URL") == "" && a.cfg.DatabaseURL != config.DefaultDatabase(a.cfg.Home) {
		a.done("The database URL came from .env, which employee commands never read: set EPICEVENTS_DATABASE_URL in their environment, or run `epicevents serve` for them.")
	}
	return nil
}

// refuseSetUp asks the service, before init asks anything, whether
// Bootstrap would refuse whatever it is given. It reads an existing database
// and creates none: a database that does not exist yet, or has no schema,
// holds nobody.
func (a *App) refuseSetUp(ctx context.Context, cfg config.Config) error {
	if path, ok := strings.CutPrefix(cfg.DatabaseURL, "sqlite:"); ok {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	db, err := a.openDB(ctx, true, false)
	if err != nil {
		return err
	}
	if current, _, err := db.SchemaCurrent(ctx); err != nil || current == 0 {
		return err
	}
	return storeService(db).CheckBootstrap(ctx)
}

func (a *App) migrateCmd() *cobra.Command {
	var appRole string
	var yes bool
	cmd := &cobra.Command{
		Use:   "migrate up|down|status",
		Short: "Apply, roll back or show database schema migrations",
		Long: `migrate manages the database schema, embedded in the program.
  up      apply every pending migration
  down    roll back the latest migration (destroys the data it created);
          it asks for confirmation on a terminal, elsewhere --yes is required
  status  list the migrations and whether each is applied
It reads EPICEVENTS_DATABASE_URL (and a .env file in the current folder).

On PostgreSQL, run it as the role that owns the schema; with --app-role NAME,
up then grants the existing role NAME exactly what the application needs:
no DDL, no TRUNCATE, the audit trail append-only. Run it again after every
upgrade, so that new tables are covered; it is idempotent. serve, init and
the other commands then connect as NAME.`,
		Example: `  epicevents migrate status
  EPICEVENTS_DATABASE_URL=postgres://owner@db/epicevents epicevents migrate up
  EPICEVENTS_DATABASE_URL=postgres://epicevents_owner@db/epicevents \
      epicevents migrate up --app-role epicevents_app
  epicevents migrate down --yes`,
		Args:      cobra.MatchAll(exactArgs(1), validArgs),
		ValidArgs: []string{"up", "down", "status"},
		RunE: run(func(ctx context.Context, args []string) error {
			return a.runMigrate(ctx, args[0], appRole, cmdFlags(ctx).Changed("app-role"), yes)
		}),
	}
	cmd.Flags().StringVar(&appRole, "app-role", "", "PostgreSQL: after migrating, grant this existing role the application's privileges (with up)")
	cmd.Flags().BoolVar(&yes, "yes", false, "down: do not ask for confirmation")
	return cmd
}

func (a *App) runMigrate(ctx context.Context, dir, appRole string, grant, yes bool) error {
	if grant {
		if dir != "up" {
			return crm.Errorf(crm.CodeInvalid, "--app-role goes with `migrate up`")
		}
		if cfg, err := a.config(true); err != nil {
			return err
		} else if strings.HasPrefix(cfg.DatabaseURL, "sqlite:") {
			return crm.Errorf(crm.CodeInvalid, "--app-role is for PostgreSQL")
		}
	}
	db, err := a.openDB(ctx, true, dir == "up")
	if err != nil {
		return err
	}
	switch dir {
	case "up":
		if grant {
			if err := db.CheckAppRole(ctx, appRole); err != nil {
				return err
			}
		}
		applied, err := db.MigrateUp(ctx)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			a.done("The schema is up to date.")
		}
		for _, m := range applied {
			a.done("Applied %s.", m)
		}
		if grant {
			if err := db.GrantAppRole(ctx, appRole); err != nil {
				return err
			}
			a.done("Granted %s the privileges of the application role.", appRole)
		}
		return nil
	case "down":
		if !yes {
			latest, err := latestApplied(ctx, db)
			if err != nil {
				return err
			}
			if latest == "" {
				a.done("Nothing to roll back: no migration is applied.")
				return nil
			}
			if !terminal(a.stdin) {
				return crm.Errorf(crm.CodeInvalid, "migrate down needs --yes when not run on a terminal")
			}
			ok, err := a.confirm(ctx, "Roll back "+latest+"? This destroys the data it holds.")
			if err != nil {
				return err
			}
			if !ok {
				return crm.Errorf(crm.CodeInvalid, "nothing rolled back")
			}
		}
		m, err := db.MigrateDown(ctx)
		if err != nil {
			return err
		}
		if m == "" {
			a.done("Nothing to roll back: no migration is applied.")
			return nil
		}
		a.done("Rolled back %s.", m)
		return nil
	}
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	l := output.NewList(a.stdout, a.format(), a.views().migrationList())
	for _, s := range states {
		r := migrationRow{Version: s.Version, Name: s.Name, Applied: s.Applied}
		if s.AppliedAt != nil {
			t := s.AppliedAt.UTC().Truncate(time.Second)
			r.AppliedAt = &t
		}
		if err := l.Row(r); err != nil {
			return err
		}
	}
	return l.Close()
}

// latestApplied names the migration that `migrate down` would roll back,
// or "" when none is applied.
func latestApplied(ctx context.Context, db *sqlstore.DB) (string, error) {
	states, err := db.MigrationStatus(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range slices.Backward(states) {
		if s.Applied {
			return s.Name, nil
		}
	}
	return "", nil
}

type loginOptions struct {
	email         string
	passwordStdin bool
}

func (a *App) loginCmd() *cobra.Command {
	o := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in and keep the session on this machine",
		Long: `login asks for your password without echo (or reads it from standard input
with --password-stdin) and keeps the session tokens in the system keychain, or
in a 0600 file in EPICEVENTS_HOME when there is none (or EPICEVENTS_KEYRING=off).
The password is never a command-line argument.

With --server URL, login talks to that epicevents server and remembers it in
config.json, so that later commands use it without the flag (remote mode) until
` + "`epicevents logout`" + `. EPICEVENTS_SERVER does the same for one shell, unremembered.
The URL starts with https://; plain http:// is refused unless the server is on
this machine (localhost, 127.0.0.0/8 or [::1]): it would send your password
unencrypted.

A wrong email, a wrong password and a deactivated account get the same
answer (exit 3). After too many failures for one account from one place
(EPICEVENTS_LOGIN_THROTTLE, default 5 per 15 minutes; the place is your
address through a server, the account alone in local mode), attempts from
there are refused until the window has passed; per account from everywhere
and per address for every account, EPICEVENTS_LOGIN_ACCOUNT_THROTTLE and
EPICEVENTS_LOGIN_IP_THROTTLE (50 per 15 minutes each) apply. A session lasts
at most EPICEVENTS_SESSION_TTL (12 hours) and ends after
EPICEVENTS_SESSION_IDLE (30 minutes) unused.`,
		Example: `  epicevents login --email ada@epicevents.example
  epicevents login --server https://crm.epicevents.example --email ada@epicevents.example
  printf '%s\n' "$PASSWORD" | epicevents login --email ada@epicevents.example --password-stdin`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error { return a.runLogin(ctx, o) }),
	}
	cmd.Flags().StringVar(&o.email, "email", "", "your email")
	cmd.Flags().BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *App) runLogin(ctx context.Context, o *loginOptions) error {
	api, err := a.backend(ctx)
	if err != nil {
		return err
	}
	if err := a.ask(ctx, &o.email, "Email", "email"); err != nil {
		return err
	}
	// An address that cannot be anyone's is refused before the password
	// is asked for; whether it names someone, only a login tells.
	if err := crm.CheckEmail("email", o.email); err != nil {
		return err
	}
	pw, err := a.secret(ctx, "Password: ", o.passwordStdin)
	if err != nil {
		return err
	}
	tokens, err := api.Login(ctx, o.email, pw)
	if err != nil {
		return err
	}
	if _, err := a.saveTokens(tokens); err != nil {
		return err
	}
	if err := a.rememberServer(); err != nil {
		return err
	}
	me, err := api.Me(crm.WithAccessToken(ctx, tokens.AccessToken))
	if e, ok := crm.AsError(err); ok && e.Reason == "password_change" {
		a.done("Logged in. Your password is temporary: change it now with `epicevents passwd`.")
		return nil
	}
	if err != nil {
		return err
	}
	a.done("Logged in as %s (%s).", termsafe.Line(me.Name()), termsafe.Line(string(me.Role)))
	return nil
}

func (a *App) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "End your session and forget its tokens",
		Long: `logout ends your session on the server side, so its tokens stop working
everywhere, and forgets them here. In remote mode it also forgets the server
remembered by ` + "`login --server`" + `.

When the server (or, in local mode, the database) cannot be reached, logout
still forgets the session here and says so; the session on the server then
ends by itself once unused for its idle timeout (EPICEVENTS_SESSION_IDLE,
30 minutes by default).`,
		Example: "  epicevents logout",
		Args:    noArgs,
		RunE:    run(a.runLogout),
	}
}

func (a *App) runLogout(ctx context.Context, _ []string) error {
	if _, err := a.config(false); err != nil {
		return err
	}
	server, err := a.serverURL()
	if err != nil {
		return err
	}
	a.server = server
	store := a.tokens()
	t, err := store.Load(a.target())
	if err != nil && !tokenstore.IsDamaged(err) {
		return err
	}
	if t == nil {
		// No session here (or none readable, which is forgotten too):
		// still leave remote mode.
		if err != nil {
			_ = store.Delete(a.target())
		}
		_ = a.forgetServer()
		if err := a.firstContact(); err != nil {
			return err
		}
		return notLoggedIn(err)
	}
	// Tell the server first; then forget the session here, whatever it
	// answered: a server that is down must not keep anyone logged in here.
	told := a.endSession(ctx, t)
	if err := store.Delete(a.target()); err != nil {
		return err
	}
	if err := a.forgetServer(); err != nil {
		return err
	}
	if told != nil && !crm.IsUnauthenticated(told) { // unauthenticated: the session had ended already
		a.log.Debug("logout: the session could not be ended on the server side", "err", told)
		what := "server"
		if a.server == "" {
			what = "database"
		}
		a.done("Logged out on this machine. The %s could not be told: your session there\n"+
			"ends by itself once unused for its idle timeout (30 minutes by default).", what)
		return nil
	}
	a.done("Logged out.")
	return nil
}

// endSession ends the session of the stored tokens t on the server (or in the
// database), refreshing the access token first if it has expired.
func (a *App) endSession(ctx context.Context, t *tokenstore.Tokens) error {
	api, err := a.backend(ctx)
	if err != nil {
		return err
	}
	access := t.AccessToken
	if !nowUTC().Add(refreshMargin).Before(t.AccessExpiresAt) {
		fresh, err := api.Refresh(ctx, t.RefreshToken)
		if err != nil {
			return err
		}
		access = fresh.AccessToken
	}
	return api.Logout(crm.WithAccessToken(ctx, access))
}

func (a *App) whoamiCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "whoami",
		Short:   "Show the employee you are logged in as",
		Example: "  epicevents whoami\n  epicevents whoami -o json",
		Args:    noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			api, sctx, err := a.session(ctx)
			if err != nil {
				return err
			}
			me, err := api.Me(sctx)
			if err != nil {
				return a.forget(err)
			}
			return renderObject(a, a.views().employee(), me)
		}),
	}
}

func (a *App) passwdCmd() *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd",
		Short: "Change your own password",
		Long: `passwd changes your password: 15 to 128 characters, not your email, not a
common password. It asks for the current and the new password without echo;
with --password-stdin it reads them from two lines of standard input. Your
other sessions end; this one goes on.`,
		Example: `  epicevents passwd
  printf '%s\n%s\n' "$OLD" "$NEW" | epicevents passwd --password-stdin`,
		Args: noArgs,
		RunE: run(func(ctx context.Context, _ []string) error {
			api, sctx, err := a.session(ctx)
			if err != nil {
				return err
			}
			// A session that has ended is refused before any password is
			// typed; a temporary password is what passwd is for.
			email := ""
			if me, err := api.Me(sctx); err == nil {
				email = me.Email
			} else if e, _ := crm.AsError(err); e == nil || e.Reason != "password_change" {
				return a.forget(err)
			}
			current, err := a.secret(ctx, "Current password: ", fromStdin)
			if err != nil {
				return err
			}
			next, err := a.newSecret(ctx, "New password (15 characters or more): ", "new_password", email, fromStdin)
			if err != nil {
				return err
			}
			tokens, err := api.ChangePassword(sctx, current, next)
			if err != nil {
				return a.forget(err)
			}
			if _, err := a.saveTokens(tokens); err != nil {
				return err
			}
			a.done("Password changed. Your other sessions have ended.")
			return nil
		}),
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the current and the new password from two lines of standard input")
	return cmd
}

// views returns the table columns in the user's time zone.
func (a *App) views() views { return views{loc: a.cfg.Location} }
