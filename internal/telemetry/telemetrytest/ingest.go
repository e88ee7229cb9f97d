// Package telemetrytest stands in for Sentry's ingest endpoint in tests: a
// loopback HTTP server that records the envelopes a Reporter sends.
package telemetrytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ingest is a fake Sentry ingest endpoint.
type Ingest struct {
	srv *httptest.Server

	mu        sync.Mutex
	envelopes [][]byte
	events    []Event
}

// Event is one event item of an envelope: its decoded JSON and its raw bytes.
type Event struct {
	Raw       []byte
	Message   string            `json:"message"`
	Level     string            `json:"level"`
	Tags      map[string]string `json:"tags"`
	User      map[string]any    `json:"user"`
	Release   string            `json:"release"`
	Env       string            `json:"environment"`
	Exception []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"exception"`
}

// New starts an ingest endpoint, stopped when the test ends.
func New(t testing.TB) *Ingest {
	t.Helper()
	in := &Ingest{}
	in.srv = httptest.NewServer(http.HandlerFunc(in.serve))
	t.Cleanup(in.srv.Close)
	return in
}

// DSN is the DSN that points a Reporter at this endpoint (project 1).
func (in *Ingest) DSN() string {
	return strings.Replace(in.srv.URL, "http://", "http://public@", 1) + "/1"
}

func (in *Ingest) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/1/envelope/" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.envelopes = append(in.envelopes, body)
	in.events = append(in.events, parse(body)...)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{}`))
}

// parse reads the event items of an envelope: a header line, then item
// header and payload lines.
func parse(body []byte) []Event {
	var out []Event
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	if !sc.Scan() { // envelope header
		return nil
	}
	for sc.Scan() {
		var item struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &item); err != nil || !sc.Scan() {
			break
		}
		if item.Type != "event" {
			continue
		}
		raw := bytes.Clone(sc.Bytes())
		ev := Event{Raw: raw}
		if json.Unmarshal(raw, &ev) == nil {
			ev.Raw = raw
			out = append(out, ev)
		}
	}
	return out
}

// Envelopes returns the raw bodies received so far.
func (in *Ingest) Envelopes() [][]byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([][]byte(nil), in.envelopes...)
}

// Events returns the events received so far.
func (in *Ingest) Events() []Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Event(nil), in.events...)
}

// Wait returns the first event that match accepts, waiting up to 10 s for it.
func (in *Ingest) Wait(t testing.TB, what string, match func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, e := range in.Events() {
			if match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			var got []string
			for _, e := range in.Events() {
				got = append(got, string(e.Raw))
			}
			t.Fatalf("no Sentry event %s arrived; got:\n%s", what, strings.Join(got, "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// AssertClean fails the test if any envelope received holds one of secrets.
func (in *Ingest) AssertClean(t testing.TB, secrets ...string) {
	t.Helper()
	for _, env := range in.Envelopes() {
		for _, s := range secrets {
			if s != "" && bytes.Contains(env, []byte(s)) {
				t.Errorf("a Sentry envelope holds %q:\n%s", s, env)
			}
		}
	}
}
