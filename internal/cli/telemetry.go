package cli

import (
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/config"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/telemetry"
)

// flushTimeout bounds how long the program waits for Sentry before it exits.
const flushTimeout = 2 * time.Second

// startTelemetry builds the run's Sentry reporter from cfg, once: nil (off)
// when SENTRY_DSN is not set. Employee commands read only the real
// environment, operator commands also .env, as for every other setting.
func (a *App) startTelemetry(cfg config.Config) error {
	if a.reporter != nil || cfg.SentryDSN == "" {
		return nil
	}
	release := cfg.SentryRelease
	if release == "" {
		v, _, _ := BuildInfo()
		release = "epicevents@" + v
	}
	r, err := telemetry.New(telemetry.Options{DSN: cfg.SentryDSN, Environment: cfg.SentryEnv, Release: release, Logger: a.log})
	if err != nil {
		return &crm.Error{Code: crm.CodeInvalid, Message: err.Error()}
	}
	a.reporter = r
	return nil
}

// stopTelemetry sends what is queued, waiting at most flushTimeout, so that
// events of a short command (a signature, an internal error) are not lost.
func (a *App) stopTelemetry() {
	if a.reporter.Flush(flushTimeout) {
		// Only once nothing is pending: Close would wait again otherwise.
		a.reporter.Close()
	}
}

// captureInternal sends an unexpected error to Sentry under ref, the
// reference the user sees. A reference from the server means the server has
// reported it already.
func (a *App) captureInternal(err error, ref string, fromServer bool) {
	if fromServer {
		return
	}
	// runError only marks where the error came from: report the error itself.
	var re runError
	if errors.As(err, &re) {
		err = re.err
	}
	tags := map[string]string{}
	if a.command != "" {
		tags["command"] = a.command
	}
	if a.server != "" {
		tags["mode"] = "remote"
	} else {
		tags["mode"] = "local"
	}
	a.reporter.CaptureError(err, ref, tags)
}

// commandName is the path of the command that ran, without the program
// name ("clients list"), for the tags of an event.
func commandName(cmd *cobra.Command) string {
	if cmd == nil {
		return ""
	}
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}
