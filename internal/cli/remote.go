package cli

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/config"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/httpapi"
)

// serverEnv turns remote mode on, after --server and before the
// server remembered by `login --server`.
const serverEnv = "EPICEVENTS_SERVER"

// operatorCommands work on the database directly, so never in remote mode.
var operatorCommands = map[string]bool{"init": true, "migrate": true, "serve": true, "demo": true}

// refuseRemote notes whether --server was given, and stops an operator
// command given a server: it would otherwise act on whatever database this
// machine has, not the server's.
func (a *App) refuseRemote(cmd *cobra.Command) error {
	a.serverGiven = a.serverFlagGiven(cmd)
	top := cmd
	for top.HasParent() && top.Parent().HasParent() {
		top = top.Parent()
	}
	if !top.HasParent() || !operatorCommands[top.Name()] {
		return nil
	}
	via := ""
	switch {
	case a.serverGiven:
		via = "--server"
	case a.env(serverEnv) != "":
		via = serverEnv
	default:
		return nil
	}
	return runError{crm.Errorf(crm.CodeInvalid,
		"%s works on the database directly; run it on the server machine without %s", top.Name(), via)}
}

func (a *App) serverFlagGiven(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("server")
	return f != nil && f.Changed
}

// serverURL returns the server of this run, normalised, or "" in local mode:
// --server, else EPICEVENTS_SERVER, else the server remembered in config.json.
func (a *App) serverURL() (string, error) {
	cfg, err := a.config(false)
	if err != nil {
		return "", err
	}
	a.warnOpenHome() // config.json and the tokens live there
	if a.serverGiven {
		return httpapi.NormalizeServerURL(a.serverFlag)
	}
	if raw := a.env(serverEnv); raw != "" {
		return normalizeFrom(serverEnv, raw)
	}
	r, err := cfg.LoadRemembered()
	if err != nil {
		return "", crm.Errorf(crm.CodeInvalid, "%s", err)
	}
	if r.Server == "" {
		return "", nil
	}
	return normalizeFrom("the server remembered in "+filepath.Join(cfg.Home, "config.json"), r.Server)
}

// normalizeFrom normalises a server URL whose refusal names where it came
// from, so that a bad value in the environment or config.json is found.
func normalizeFrom(source, raw string) (string, error) {
	u, err := httpapi.NormalizeServerURL(raw)
	if e, ok := crm.AsError(err); ok {
		return "", crm.Errorf(e.Code, "%s%s", source, strings.TrimPrefix(e.Message, "server"))
	}
	return u, err
}

// backend returns what employee commands talk to: the HTTP client of the
// server in remote mode, the service over the database in local mode. Above
// it, both modes share everything (sessions, tokens, rendering, exit codes).
func (a *App) backend(ctx context.Context) (crm.API, error) {
	if a.api != nil {
		return a.api, nil
	}
	server, err := a.serverURL()
	if err != nil {
		return nil, err
	}
	if server == "" {
		svc, err := a.service(ctx)
		if err != nil {
			return nil, err
		}
		a.api = svc
		return svc, nil
	}
	v, _, _ := BuildInfo()
	c, err := httpapi.NewClient(server, httpapi.ClientOptions{UserAgent: "epicevents/" + v})
	if err != nil {
		return nil, err
	}
	a.api, a.server = c, c.BaseURL()
	return c, nil
}

// rememberServer keeps the server of `login --server URL` in config.json, so
// that later commands need no flag.
func (a *App) rememberServer() error {
	if a.server == "" || !a.serverGiven {
		return nil
	}
	return a.cfg.SaveRemembered(config.Remembered{Server: a.server})
}

// forgetServer drops the remembered server at logout, when it is the one this
// run used: the next command is back in local mode (or uses the flag or
// environment).
func (a *App) forgetServer() error {
	if a.server == "" {
		return nil
	}
	r, err := a.cfg.LoadRemembered()
	if err != nil || r.Server == "" {
		return nil //nolint:nilerr // nothing usable is remembered: nothing to forget
	}
	if s, err := httpapi.NormalizeServerURL(r.Server); err == nil && s != a.server {
		return nil
	}
	r.Server = ""
	return a.cfg.SaveRemembered(r)
}
