// Package cli is the epicevents command line: one cobra command per action,
// each with an Options struct and a run function that writes only to the
// injected streams. Errors become exit codes in one place (exit.go).
package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/epicevents/epicevents/internal/config"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/telemetry"
	"github.com/epicevents/epicevents/internal/termsafe"
	"github.com/epicevents/epicevents/internal/tokenstore"
)

// App is one run of the program: its streams, its configuration and the
// resources it opened, closed when the command ends.
type App struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	in             *lines
	env            config.Env
	log            *slog.Logger

	// global flags
	outputFlag  string
	debug       bool
	serverFlag  string
	serverGiven bool // --server was on the command line

	cfg    config.Config
	loaded bool
	db     *sqlstore.DB
	svc    *crm.Service

	// serving is set by serve, whose timer purges expired sessions and
	// login failures; otherwise every login does.
	serving bool

	// api is what employee commands talk to, chosen once per run by
	// backend(): the service over the database (local mode) or the HTTP
	// client of the server (remote mode, when server is set).
	api    crm.API
	server string // normalised server URL in remote mode, else ""

	// sessionF, when set, stands in for session: flag tests hand every
	// command an API that records what the command sends, so that parsing
	// is tested without a backend or a login (the GitHub CLI's runF).
	sessionF func(context.Context) (crm.API, context.Context, error)

	// homeChecked: warnOpenHome has run (it speaks once per command).
	homeChecked bool

	// reporter sends events to Sentry when SENTRY_DSN is set (nil: off);
	// command names the command that ran, for its tags.
	reporter *telemetry.Reporter
	command  string

	// args are the command line (without the program name) and cmd the
	// command it runs, once known: the line that gives the next page of a
	// list repeats them.
	args []string
	cmd  *cobra.Command
}

// Main runs the program with args (without the program name) and returns the
// exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env config.Env) int {
	// Messages quote what others wrote (a server's answer, a name): none
	// may drive the terminal. Data on stdout is made inert by its renderer.
	stderr = termsafe.Writer(stderr)
	a := &App{stdin: stdin, stdout: stdout, stderr: stderr, in: &lines{bufio.NewReader(stdin)}, env: env, args: args}
	a.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	a.command = commandName(cmd)
	a.close()
	code := a.report(cmd, err)
	a.stopTelemetry()
	return code
}

func (a *App) close() {
	if a.db != nil {
		_ = a.db.Close()
	}
}

// runError marks an error returned by a command's run function, so that any
// other error from cobra is known to be a usage error.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

type flagsKey struct{}

// run adapts a run function to cobra. The command's flags travel in the
// context, for the few commands that must tell a flag given empty from one
// not given (cmdFlags).
func run(fn func(ctx context.Context, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := context.WithValue(cmd.Context(), flagsKey{}, cmd.Flags())
		if err := fn(ctx, args); err != nil {
			return runError{err}
		}
		return nil
	}
}

// cmdFlags returns the flags of the running command.
func cmdFlags(ctx context.Context) *pflag.FlagSet {
	return ctx.Value(flagsKey{}).(*pflag.FlagSet)
}

// flagError is a flag the command does not know or could not parse; its
// usage is that of the command.
type flagError struct {
	err     error
	command string // such as "epicevents events update"
}

func (e flagError) Error() string { return e.err.Error() }
func (e flagError) Unwrap() error { return e.err }

// report prints err as one sentence on stderr and returns its exit code.
// cmd is the command that ran, whose flags the sentence names.
func (a *App) report(cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errCancelled) {
		fmt.Fprintln(a.stderr, errCancelled)
		return ExitCancelled
	}
	var re runError
	if !errors.As(err, &re) {
		fmt.Fprintf(a.stderr, "error: %s\n", usageMessage(cmd, err))
		return ExitUsage
	}
	e, ok := crm.AsError(err)
	// A crm.Error with CodeInternal carries a safe message (a database not set
	// up, a schema behind); anything else unexpected gets a reference only.
	if !ok || (e.Code == crm.CodeInternal && e.Message == "") {
		ref := reference()
		// In remote mode the server logged the failure under its own
		// reference: show that one, so the operator can find it.
		var sr interface{ Reference() string }
		if errors.As(err, &sr) && sr.Reference() != "" {
			ref = sr.Reference()
		}
		// The cause may hold raw driver text: the CLI shows it only with --debug.
		a.log.Debug("internal error", "ref", ref, "err", err)
		a.captureInternal(err, ref, sr != nil && sr.Reference() == ref)
		fmt.Fprintf(a.stderr, "error: internal error (reference %s); run the command again with --debug for details, or report the reference\n", ref)
		return ExitInternal
	}
	fmt.Fprintf(a.stderr, "error: %s\n", inCLIWords(cmd, e))
	return exitCodes[e.Code]
}

func reference() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (a *App) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "epicevents",
		Short: "Epic Events CRM: clients, contracts and events, with role-based permissions",
		Long: `epicevents is the CRM of Epic Events: employees manage clients, contracts and
events with the rights of their department (MANAGEMENT, SALES, SUPPORT).

Start with ` + "`epicevents init`" + ` to create the database and the first manager,
then ` + "`epicevents login`" + `.

Remote mode: with a server running ` + "`epicevents serve`" + `, log in with
` + "`epicevents login --server https://crm.example.com`" + `; later commands use that
server (remembered until ` + "`epicevents logout`" + `), or the one of --server or
EPICEVENTS_SERVER. This machine then needs no database and no signing key.

` + exitCodesHelp,
		Example: `  epicevents init
  epicevents login --email ada@epicevents.example
  epicevents clients list --search casey -o json`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.cmd = cmd
			if a.debug {
				a.log = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
			}
			if _, err := output.ParseFormat(a.outputFlag); err != nil {
				return runError{crm.Errorf(crm.CodeInvalid, "-o: %s", err)}
			}
			return a.refuseRemote(cmd)
		},
	}
	group(root)
	// Flag descriptions wrap to fit an 80-column terminal, as the rest of
	// the help does.
	root.SetUsageTemplate(strings.ReplaceAll(root.UsageTemplate(), ".FlagUsages |", ".FlagUsagesWrapped 80 |"))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagError{err, c.CommandPath()} })
	pf := root.PersistentFlags()
	pf.StringVarP(&a.outputFlag, "output", "o", "table", "output `format`: table, json or csv")
	pf.BoolVar(&a.debug, "debug", false, "log details (never secrets) to stderr")
	pf.StringVar(&a.serverFlag, "server", "", "`URL` of the server (remote mode; also EPICEVENTS_SERVER)")
	root.AddCommand(
		a.initCmd(), a.migrateCmd(), a.serveCmd(),
		a.loginCmd(), a.logoutCmd(), a.whoamiCmd(), a.passwdCmd(),
		a.employeesCmd(), a.clientsCmd(), a.contractsCmd(), a.eventsCmd(), a.auditCmd(), a.demoCmd(), a.versionCmd(),
	)
	a.completionExamples(root)
	if completing(a.args) {
		a.registerCompletions(root)
	}
	return root
}

// config loads the configuration once; operator commands also read .env.
func (a *App) config(operator bool) (config.Config, error) {
	if a.loaded {
		return a.cfg, nil
	}
	env := a.env
	if operator {
		wd, err := os.Getwd()
		if err != nil {
			return a.cfg, err
		}
		if env, err = config.WithDotEnv(env, wd); err != nil {
			return a.cfg, crm.Errorf(crm.CodeInvalid, "%s", err)
		}
	}
	cfg, err := config.Load(env)
	if err != nil {
		return cfg, crm.Errorf(crm.CodeInvalid, "%s", err)
	}
	if err := a.startTelemetry(cfg); err != nil {
		return cfg, err
	}
	a.cfg, a.loaded = cfg, true
	return cfg, nil
}

// openDB opens the database of the configuration.
//
// Only init and migrate up may create an SQLite file; every other command
// says that there is no database rather than leave an empty one behind.
func (a *App) openDB(ctx context.Context, operator, create bool) (*sqlstore.DB, error) {
	if a.db != nil {
		return a.db, nil
	}
	cfg, err := a.config(operator)
	if err != nil {
		return nil, err
	}
	path, isSQLite := strings.CutPrefix(cfg.DatabaseURL, "sqlite:")
	if isSQLite && inFolder(cfg.Home, path) {
		a.warnOpenHome()
	}
	if isSQLite {
		if !create {
			if !operator {
				if err := a.firstContact(); err != nil {
					return nil, err
				}
			} else if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return nil, crm.Errorf(crm.CodeInternal, "no database at %s; set it up with `epicevents init`", path)
			}
		} else if path == strings.TrimPrefix(config.DefaultDatabase(cfg.Home), "sqlite:") {
			if err := cfg.EnsureHome(); err != nil {
				return nil, err
			}
		}
	}
	// An employee command is a short process: its few statements go
	// unprepared, one round trip each. serve and the other operator
	// commands keep the pool's statement cache.
	db, err := sqlstore.OpenWith(ctx, cfg.DatabaseURL, sqlstore.Options{ShortLived: !operator})
	if err != nil {
		return nil, err
	}
	a.db = db
	return db, nil
}

// service opens the database for an employee command: the schema must be
// current, and the service is built over it.
func (a *App) service(ctx context.Context) (*crm.Service, error) {
	if a.svc != nil {
		return a.svc, nil
	}
	db, err := a.openDB(ctx, false, false)
	if err != nil {
		return nil, err
	}
	current, latest, err := db.SchemaCurrent(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case current == 0:
		return nil, &crm.Error{Code: crm.CodeInternal, Message: "the CRM is not set up in this database yet; run `epicevents init`"}
	case current < latest:
		return nil, &crm.Error{Code: crm.CodeInternal, Message: fmt.Sprintf(
			"the database schema is behind (version %d, this program needs %d); run `epicevents migrate up`", current, latest)}
	case current > latest:
		return nil, &crm.Error{Code: crm.CodeInternal, Message: fmt.Sprintf(
			"the database schema (version %d) is newer than this program knows (%d); upgrade epicevents", current, latest)}
	}
	a.svc, err = newService(ctx, db, a.cfg, a.reporter, a.serving)
	return a.svc, err
}

// firstContactMessage is what an employee command says on a machine that
// knows no CRM: no server, no local database. Most people who see it work for
// a company whose CRM runs on a server, so that comes first; init would make
// them the manager of a new, empty CRM of their own.
const firstContactMessage = `this machine is not connected to a CRM yet.
To use your company's CRM, log in to its server (ask a manager for its URL):
  epicevents login --server URL
To set up a new, empty CRM on this machine instead, where you are the manager:
  epicevents init`

// firstContact returns the first-contact refusal (exit 3) when this run is
// in local mode and its SQLite database does not exist; nil otherwise. The
// server of the run must be known (a.server).
func (a *App) firstContact() error {
	path, ok := strings.CutPrefix(a.cfg.DatabaseURL, "sqlite:")
	if a.server != "" || !ok {
		return nil
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	msg := firstContactMessage
	if a.cfg.DatabaseURL != config.DefaultDatabase(a.cfg.Home) {
		msg += "\n(EPICEVENTS_DATABASE_URL names " + path + ", which does not exist.)"
	}
	return &crm.Error{Code: crm.CodeUnauthenticated, Message: msg}
}

// notLoggedIn is the refusal of a command that needs a session when none is
// stored here; loadErr is the error of loading damaged tokens, if that is
// why.
func notLoggedIn(loadErr error) error {
	if where := tokenstore.Where(loadErr); where != "" {
		return &crm.Error{Code: crm.CodeUnauthenticated, Err: loadErr, Message: fmt.Sprintf(
			"you are not logged in: the session saved in %s is unreadable; log in again with `epicevents login`", where)}
	}
	return &crm.Error{Code: crm.CodeUnauthenticated, Message: "you are not logged in; log in with `epicevents login`"}
}

// target names where the tokens of this run belong: the server URL in
// remote mode, else the database, by a hash of its URL so that no credential
// is written next to the tokens.
func (a *App) target() string {
	if a.server != "" {
		return a.server
	}
	return "database:" + config.Fingerprint(a.cfg.DatabaseURL)
}

func (a *App) tokens() *tokenstore.Store {
	return tokenstore.New(a.cfg.Home, a.cfg.Keyring)
}

// session returns the API and a context that carries the stored access token,
// refreshed first when it has expired or is about to.
func (a *App) session(ctx context.Context) (crm.API, context.Context, error) {
	if a.sessionF != nil {
		return a.sessionF(ctx)
	}
	api, err := a.backend(ctx)
	if err != nil {
		return nil, ctx, err
	}
	store := a.tokens()
	t, err := store.Load(a.target())
	if err != nil && !tokenstore.IsDamaged(err) {
		return nil, ctx, err
	}
	if t == nil {
		return nil, ctx, notLoggedIn(err)
	}
	if !nowUTC().Add(refreshMargin).Before(t.AccessExpiresAt) {
		fresh, err := api.Refresh(ctx, t.RefreshToken)
		if err != nil {
			if crm.IsUnauthenticated(err) {
				_ = store.Delete(a.target())
			}
			return nil, ctx, err
		}
		if t, err = a.saveTokens(fresh); err != nil {
			return nil, ctx, err
		}
	}
	return api, crm.WithAccessToken(ctx, t.AccessToken), nil
}

func (a *App) saveTokens(t crm.Tokens) (*tokenstore.Tokens, error) {
	st := &tokenstore.Tokens{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		AccessExpiresAt: nowUTC().Add(secondsDur(t.ExpiresIn))}
	if err := a.cfg.EnsureHome(); err != nil {
		return nil, err
	}
	return st, a.tokens().Save(a.target(), *st)
}

// forget drops the stored tokens when the session behind them is gone.
func (a *App) forget(err error) error {
	if crm.IsUnauthenticated(err) {
		if e, _ := crm.AsError(err); e.Reason != "password_change" {
			_ = a.tokens().Delete(a.target())
		}
	}
	return err
}

// format returns the output options of this run. On a terminal, tables fit
// its width (COLUMNS, else the terminal's size), and are bold where the
// terminal takes escape sequences (TERM is not "dumb") and NO_COLOR is unset.
func (a *App) format() output.Options {
	f, _ := output.ParseFormat(a.outputFlag)
	tty := terminal(a.stdout)
	o := output.Options{Format: f, Color: tty && a.env("NO_COLOR") == "" && a.env("TERM") != "dumb"}
	if tty {
		o.Width = a.terminalWidth(a.stdout.(*os.File))
	}
	return o
}

// defaultWidth is the width of a terminal that does not say.
const defaultWidth = 80

// terminalWidth is COLUMNS when it holds a width, else the size of the
// terminal f.
func (a *App) terminalWidth(f *os.File) int {
	if n, err := strconv.Atoi(strings.TrimSpace(a.env("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	return defaultWidth
}

// parseID reads a positional or flag id.
func parseID(field, s string) (int64, error) {
	r, err := parseRef(idRef, field, s)
	return r.id, err
}

// completionExamples gives cobra's completion commands an example each, like
// every other command.
func (a *App) completionExamples(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		group(c)
		c.Example = "  epicevents completion bash > /etc/bash_completion.d/epicevents\n  epicevents completion zsh > \"${fpath[1]}/_epicevents\""
		for _, sub := range c.Commands() {
			sub.Example = "  epicevents completion " + sub.Name() + " --help"
		}
	}
}
