package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// fakePurger counts its calls; the second fails.
type fakePurger struct {
	mu    sync.Mutex
	calls int
	ticks chan struct{}
}

func (p *fakePurger) Purge(context.Context) (crm.Purged, error) {
	p.mu.Lock()
	p.calls++
	n := p.calls
	p.mu.Unlock()
	defer func() { p.ticks <- struct{}{} }()
	switch n {
	case 2:
		return crm.Purged{}, errors.New("the database is down")
	case 3:
		return crm.Purged{}, nil
	}
	return crm.Purged{Sessions: 2, LoginFailures: 3}, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPurgeEvery: serve purges at start and on every tick, logs what it
// deleted, logs a failure and goes on, and stops with its context.
func TestPurgeEvery(t *testing.T) {
	if purgeInterval > 10*time.Minute {
		t.Fatalf("serve purges every %v; expired sessions and login failures must go within 10 minutes", purgeInterval)
	}
	p := &fakePurger{ticks: make(chan struct{})}
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		purgeEvery(ctx, p, log, 10*time.Millisecond)
	}()
	for range 4 {
		select {
		case <-p.ticks:
		case <-time.After(10 * time.Second):
			t.Fatal("no purge within 10 s")
		}
	}
	cancel()
	go func() {
		for range p.ticks { // a purge already under way when cancelled
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("purgeEvery did not stop with its context")
	}
	close(p.ticks) // no purge runs any more: the drain ends
	out := logs.String()
	for _, want := range []string{
		`"msg":"purged expired data","sessions":2,"login_failures":3`,
		`"level":"WARN","msg":"purge of expired sessions and login failures failed; retrying at the next interval","err":"the database is down"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %s:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "purged expired data"); n < 2 {
		t.Errorf("%d purges logged, want one per purge that deleted something (2 or more):\n%s", n, out)
	}
}
