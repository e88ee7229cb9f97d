package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/telemetry"
	"github.com/epicevents/epicevents/internal/telemetry/telemetrytest"
)

// The Reporter is the service's Notifier, details included.
var _ crm.DetailNotifier = (*telemetry.Reporter)(nil)

func TestNilReporter(t *testing.T) {
	r, err := telemetry.New(telemetry.Options{})
	if r != nil || err != nil {
		t.Fatalf("New without a DSN: %v, %v", r, err)
	}
	// Every method is a no-op on nil.
	r.Notify(context.Background(), "employee.create", 1, 2)
	r.NotifyDetails(context.Background(), "contract.payment", 1, 2, map[string]string{"amount": "1.00"})
	r.CaptureError(errors.New("x"), "ref", nil)
	if !r.Flush(time.Second) {
		t.Error("Flush on nil reported a failure")
	}
	r.Close()
}

func TestInvalidDSN(t *testing.T) {
	const dsn = "not a dsn with secretkey"
	_, err := telemetry.New(telemetry.Options{DSN: dsn})
	if !errors.Is(err, telemetry.ErrInvalidDSN) || strings.Contains(err.Error(), "secretkey") {
		t.Fatalf("New(%q): %v", dsn, err)
	}
}

func TestReporterSendsScrubbedEvents(t *testing.T) {
	in := telemetrytest.New(t)
	var logs bytes.Buffer
	r, err := telemetry.New(telemetry.Options{DSN: in.DSN(), Environment: "staging", Release: "epicevents@1.2.3",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Concurrent calls keep their scopes apart.
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() { r.Notify(context.Background(), "employee.update", 7, int64(100+i)) })
	}
	wg.Wait()
	r.NotifyDetails(context.Background(), "contract.refund", 7, 42,
		map[string]string{"payment_id": "9", "amount": "150.00", "entity_id": "not this"})
	cause := fmt.Errorf("list clients: %w", errors.New("no such table: clients (ada@epic.example, token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl)"))
	r.CaptureError(cause, "3fa9c2d18b04", map[string]string{"command": "clients list", "employee_id": "7"})
	if !r.Flush(5 * time.Second) {
		t.Fatal("Flush timed out")
	}

	for i := range 5 {
		id := fmt.Sprint(100 + i)
		e := in.Wait(t, "employee.update "+id, func(e telemetrytest.Event) bool { return e.Tags["entity_id"] == id })
		if e.Message != "employee.update" || e.Tags["action"] != "employee.update" || e.Tags["entity"] != "employee" ||
			e.Level != "info" || e.User["id"] != "7" || len(e.User) != 1 || e.Env != "staging" || e.Release != "epicevents@1.2.3" {
			t.Errorf("notify event: %s", e.Raw)
		}
	}
	e := in.Wait(t, "contract.refund", func(e telemetrytest.Event) bool { return e.Message == "contract.refund" })
	if e.Tags["payment_id"] != "9" || e.Tags["amount"] != "150.00" || e.Tags["entity_id"] != "42" ||
		e.Tags["entity"] != "contract" || e.User["id"] != "7" {
		t.Errorf("notify event with details: %s", e.Raw)
	}
	e = in.Wait(t, "with the reference", func(e telemetrytest.Event) bool { return e.Tags["reference"] == "3fa9c2d18b04" })
	if e.Level != "error" || e.Tags["command"] != "clients list" || e.User["id"] != "7" ||
		!strings.Contains(string(e.Raw), "no such table: clients") {
		t.Errorf("error event: %s", e.Raw)
	}
	if strings.Contains(string(e.Raw), "server_name") {
		t.Errorf("the host name was sent: %s", e.Raw)
	}
	in.AssertClean(t, "ada@epic.example", "eyJhbGciOiJIUzI1NiJ9")
	if !strings.Contains(logs.String(), "3fa9c2d18b04") {
		t.Errorf("the reference is not in the debug log: %s", logs.String())
	}
}

func TestFlushTimesOut(t *testing.T) {
	// A DSN on a port nobody listens on: Flush gives up and says so.
	var logs bytes.Buffer
	r, err := telemetry.New(telemetry.Options{DSN: "http://public@127.0.0.1:1/1",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r.CaptureError(errors.New("boom"), "ref", nil)
	start := time.Now()
	r.Flush(200 * time.Millisecond)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Flush took %v", d)
	}
}
