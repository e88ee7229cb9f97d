// Package telemetry reports unexpected errors and notable business events to
// Sentry, without personal data beyond an employee's id.
//
// It wraps one sentry.Client and sentry.Hub of its own rather than the SDK's
// global hub (no global mutable state). A nil *Reporter is a
// valid, silent reporter, so callers never test for one: Sentry is off when
// SENTRY_DSN is not set.
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// Options configure a Reporter.
type Options struct {
	// DSN is Sentry's client key URL (SENTRY_DSN); empty turns reporting off.
	DSN string
	// Environment names the deployment (SENTRY_ENVIRONMENT), such as "production".
	Environment string
	// Release names the build (SENTRY_RELEASE); the caller passes the
	// binary's version when the variable is not set.
	Release string
	// Logger hears about the reporter's own trouble (events not delivered)
	// and, at Debug, about each event sent; nothing when nil.
	Logger *slog.Logger
}

// Reporter sends events to Sentry. All its methods are safe for concurrent
// use, never block on the network, and do nothing on a nil *Reporter.
type Reporter struct {
	client *sentry.Client
	hub    *sentry.Hub
	log    *slog.Logger
}

// ErrInvalidDSN is returned by New for a DSN Sentry cannot parse. The DSN
// itself is never echoed: its key is not for every eye.
var ErrInvalidDSN = errors.New("SENTRY_DSN is not a valid Sentry DSN; copy it from the project's Client Keys (DSN) settings, such as https://KEY@o0.ingest.sentry.io/0")

// New returns a Reporter for o, or nil (reporting off) when o.DSN is empty.
func New(o Options) (*Reporter, error) {
	if o.DSN == "" {
		return nil, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn:         o.DSN,
		Environment: o.Environment,
		Release:     o.Release,
		// Personal data is never collected automatically: the scrubber below
		// is the second line, not the first. (DataCollection replaces the
		// deprecated SendDefaultPII, which the SDK ignores once it is set.)
		DataCollection: &sentry.DataCollection{
			UserInfo:    sentry.Set(false),
			Cookies:     &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			QueryParams: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionOff},
			HTTPHeaders: &sentry.HeaderCollectionConfig{
				Request:  &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: allowedHeaderList},
				Response: &sentry.KeyValueCollectionBehavior{Mode: sentry.CollectionAllowList, Terms: allowedHeaderList},
			},
			HTTPBodies: []sentry.BodyType{},
		},
		BeforeSend:            func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return Scrub(e) },
		BeforeSendTransaction: func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return Scrub(e) },
		BeforeBreadcrumb: func(b *sentry.Breadcrumb, _ *sentry.BreadcrumbHint) *sentry.Breadcrumb {
			scrubBreadcrumb(b)
			return b
		},
		// Source lines around stack frames are code, not data, but they are
		// not needed either: the file and line number say where.
		Integrations: func(in []sentry.Integration) []sentry.Integration {
			out := in[:0]
			for _, i := range in {
				if i.Name() != "ContextifyFrames" {
					out = append(out, i)
				}
			}
			return out
		},
		// Client reports are the SDK's own bookkeeping envelopes: noise here.
		DisableClientReports: true,
	})
	if err != nil {
		return nil, ErrInvalidDSN
	}
	return &Reporter{client: client, hub: sentry.NewHub(client, sentry.NewScope()), log: o.Logger}, nil
}

// Notify records a notable business event (crm.Notifier): action is such as
// "employee.create" or "contract.sign", actorID the employee who did it and
// entityID the employee or contract it was done to. The actor's id is the
// only personal data sent: no name, no email.
func (r *Reporter) Notify(ctx context.Context, action string, actorID, entityID int64) {
	r.NotifyDetails(ctx, action, actorID, entityID, nil)
}

// NotifyDetails is Notify with details as more tags (crm.DetailNotifier):
// the service gives only ids and amounts there (a payment's id, its
// amount), never a name, an email or free text. A detail named like one of
// Notify's tags does not replace it.
func (r *Reporter) NotifyDetails(_ context.Context, action string, actorID, entityID int64, details map[string]string) {
	if r == nil {
		return
	}
	entity, _, _ := strings.Cut(action, ".")
	tags := make(map[string]string, len(details)+3)
	maps.Copy(tags, details)
	tags["action"], tags["entity"], tags["entity_id"] = action, entity, strconv.FormatInt(entityID, 10)
	h := r.hub.Clone() // a scope of its own: calls may run concurrently
	h.ConfigureScope(func(s *sentry.Scope) {
		s.SetLevel(sentry.LevelInfo)
		s.SetTags(tags)
		if actorID != 0 {
			s.SetUser(sentry.User{ID: strconv.FormatInt(actorID, 10)})
		}
	})
	id := h.CaptureMessage(action)
	r.debug("sentry event queued", "action", action, "event_id", id)
}

// CaptureError reports an unexpected error with its details (the whole
// chain of wrapped errors) under reference, the id shown to the user and
// written in the logs. tags add context such as the command or the route; a
// tag "employee_id" also names the event's user.
func (r *Reporter) CaptureError(err error, reference string, tags map[string]string) {
	if r == nil || err == nil {
		return
	}
	h := r.hub.Clone()
	h.ConfigureScope(func(s *sentry.Scope) {
		s.SetLevel(sentry.LevelError)
		s.SetTags(tags)
		s.SetTag("reference", reference)
		if id := tags["employee_id"]; id != "" {
			s.SetUser(sentry.User{ID: id})
		}
	})
	id := h.CaptureException(err)
	r.debug("sentry event queued", "reference", reference, "event_id", id)
}

// Flush waits at most timeout for the queued events to be sent, and says
// whether they all were. Call it before the program exits.
func (r *Reporter) Flush(timeout time.Duration) bool {
	if r == nil {
		return true
	}
	if r.client.Flush(timeout) {
		return true
	}
	if r.log != nil {
		r.log.Info("some Sentry events could not be sent in time", "timeout", timeout.String())
	}
	return false
}

// Close stops the reporter's background work; events not flushed yet may be
// lost. Call Flush first.
func (r *Reporter) Close() {
	if r == nil {
		return
	}
	r.client.Close()
}

func (r *Reporter) debug(msg string, args ...any) {
	if r.log != nil {
		r.log.Debug(msg, args...)
	}
}
