package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// ledgerWorld is a rig with one client of "sales" and contracts of it.
type ledgerWorld struct {
	servers []*apiTest
	a       *apiTest
	client  int64
}

func newLedgerWorld(t *testing.T, engine string, servers int) *ledgerWorld {
	t.Helper()
	rig := newRig(t, engine, rigOptions{servers: servers})
	w := &ledgerWorld{servers: rig, a: rig[0]}
	var c crm.Client
	w.a.do("POST", "/api/v1/clients", "sales", crm.NewClient{FirstName: "Kevin", LastName: "Casey",
		Email: "kevin@startup.example"}).decode(t, http.StatusCreated, &c)
	w.client = c.ID
	return w
}

// contract creates a contract of total euros (its amount due) as MANAGEMENT.
func (w *ledgerWorld) contract(t *testing.T, total string) crm.Contract {
	t.Helper()
	amount, err := crm.ParseCents(total)
	if err != nil {
		t.Fatal(err)
	}
	var c crm.Contract
	w.a.do("POST", "/api/v1/contracts", "mgr", crm.NewContract{ClientID: w.client, TotalAmount: amount}).
		decode(t, http.StatusCreated, &c)
	return c
}

// ledger reads a contract's entries as MANAGEMENT.
func (w *ledgerWorld) ledger(t *testing.T, contractID int64) []crm.Payment {
	t.Helper()
	var p Page[crm.Payment]
	w.a.do("GET", fmt.Sprintf("/api/v1/contracts/%d/payments?limit=500", contractID), "mgr", nil).
		decode(t, http.StatusOK, &p)
	return p.Items
}

func (w *ledgerWorld) due(t *testing.T, contractID int64) crm.Cents {
	t.Helper()
	var c crm.Contract
	w.a.do("GET", fmt.Sprintf("/api/v1/contracts/%d", contractID), "mgr", nil).decode(t, http.StatusOK, &c)
	return c.AmountDue
}

func payPath(contractID int64) string {
	return fmt.Sprintf("/api/v1/contracts/%d/payments", contractID)
}

func refundPath(contractID, paymentID int64) string {
	return fmt.Sprintf("/api/v1/contracts/%d/payments/%d/refund", contractID, paymentID)
}

// TestPaymentRoutes: the ledger through the API, with the service's
// refusals mapped by the one table (403, 404, 409, 422).
func TestPaymentRoutes(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newLedgerWorld(t, engine, 1)
		a := w.a
		c := w.contract(t, "1000")
		other := w.contract(t, "500")

		var p crm.Payment
		a.do("POST", payPath(c.ID), "sales", map[string]any{"amount": "300", "method": "card",
			"reference": "VISA 4242", "received_on": "2026-11-02"}).decode(t, http.StatusCreated, &p)
		if p.ContractID != c.ID || p.Kind != "payment" || p.Amount != 30000 || p.Method != "card" ||
			p.Reference != "VISA 4242" || p.AmountDueAfter != 70000 || p.RefundOf != nil || p.RecordedByID != a.ids["sales"] {
			t.Fatalf("payment %+v", p)
		}
		// The method defaults to transfer.
		var q crm.Payment
		a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "100"}).decode(t, http.StatusCreated, &q)
		if q.Method != "transfer" || q.AmountDueAfter != 60000 {
			t.Fatalf("payment %+v", q)
		}

		// Refusals, each changing nothing.
		a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "600.01"}).problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", payPath(c.ID), "support", map[string]any{"amount": "1"}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", payPath(c.ID), "sales2", map[string]any{"amount": "1"}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", payPath(c.ID), "mgr", map[string]any{}).problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "amount")
		a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "1", "method": "bitcoin"}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "method")
		a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "1", "reference": strings.Repeat("r", 101)}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "reference")
		a.do("POST", payPath(999), "mgr", map[string]any{"amount": "1"}).problem(t, http.StatusNotFound, crm.CodeNotFound)
		a.do("GET", payPath(999), "mgr", nil).problem(t, http.StatusNotFound, crm.CodeNotFound)
		a.do("POST", refundPath(c.ID, p.ID), "sales", map[string]any{"reason": "no"}).problem(t, http.StatusForbidden, crm.CodeForbidden)
		a.do("POST", refundPath(c.ID, p.ID), "mgr", map[string]any{"amount": "300.01", "reason": "too much"}).
			problem(t, http.StatusConflict, crm.CodeConflict)
		a.do("POST", refundPath(c.ID, p.ID), "mgr", map[string]any{"amount": "1"}).
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, "reason")
		// Another contract's payment is not found there.
		a.do("POST", refundPath(other.ID, p.ID), "mgr", map[string]any{"reason": "wrong contract"}).
			problem(t, http.StatusNotFound, crm.CodeNotFound)
		if got := len(w.ledger(t, c.ID)); got != 2 {
			t.Fatalf("%d entries after the refusals, want 2", got)
		}

		// A refund: by the payment's method; null amount is what is left.
		var r crm.Payment
		a.do("POST", refundPath(c.ID, p.ID), "mgr", map[string]any{"amount": "100", "reason": "duplicate"}).
			decode(t, http.StatusCreated, &r)
		if r.Kind != "refund" || r.Amount != 10000 || r.Method != "card" || r.RefundOf == nil || *r.RefundOf != p.ID ||
			r.Reason != "duplicate" || r.AmountDueAfter != 70000 {
			t.Fatalf("refund %+v", r)
		}
		a.do("POST", refundPath(c.ID, p.ID), "mgr", map[string]any{"amount": nil, "reason": "cancelled"}).
			decode(t, http.StatusCreated, &r)
		if r.Amount != 20000 || r.AmountDueAfter != 90000 {
			t.Fatalf("refund of the rest %+v", r)
		}

		// Everyone reads the ledger, oldest first, in pages.
		var page Page[crm.Payment]
		a.do("GET", payPath(c.ID)+"?limit=3", "support", nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != 3 || page.Next == nil || page.Items[0].ID != p.ID || page.Items[1].ID != q.ID {
			t.Fatalf("first page %+v", page)
		}
		a.do("GET", payPath(c.ID)+"?cursor="+qesc(*page.Next), "support", nil).decode(t, http.StatusOK, &page)
		if len(page.Items) != 1 || page.Next != nil || page.Items[0].ID != r.ID {
			t.Fatalf("second page %+v", page)
		}
		a.do("GET", payPath(c.ID)+"?kind=refund", "mgr", nil).problem(t, http.StatusBadRequest, crm.CodeInvalid, "kind")
		if due := w.due(t, c.ID); due != 90000 {
			t.Fatalf("amount due %s, want 900.00", due)
		}
	})
}

// TestIdempotencyKey: the same key and body answer the first answer, byte
// for byte, and record nothing more; another body is 422; a key is the
// employee's and the route's; a refusal is kept like a success; a key that
// is not printable ASCII is a malformed request.
func TestIdempotencyKey(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newLedgerWorld(t, engine, 1)
		a := w.a
		c := w.contract(t, "1000")
		body := map[string]any{"amount": "100", "reference": "T-1"}

		first := a.do("POST", payPath(c.ID), "mgr", body, IdempotencyHeader, "key-1")
		first.expect(t, http.StatusCreated)
		again := a.do("POST", payPath(c.ID), "mgr", body, IdempotencyHeader, "key-1")
		if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) {
			t.Fatalf("the retry answered %d %s, want the first answer %s", again.status, again.body, first.body)
		}
		if n := len(w.ledger(t, c.ID)); n != 1 {
			t.Fatalf("%d entries after a retry, want 1", n)
		}
		if due := w.due(t, c.ID); due != 90000 {
			t.Fatalf("amount due %s, want 900.00", due)
		}

		// The same key with another body.
		p := a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "101"}, IdempotencyHeader, "key-1").
			problem(t, http.StatusUnprocessableEntity, crm.CodeInvalid, IdempotencyHeader)
		if !strings.Contains(p.Detail, IdempotencyHeader) {
			t.Fatalf("the refusal does not name the header: %q", p.Detail)
		}

		// Another employee's key, another route: their own.
		a.do("POST", payPath(c.ID), "sales", body, IdempotencyHeader, "key-1").expect(t, http.StatusCreated)
		other := w.contract(t, "50")
		a.do("POST", payPath(other.ID), "mgr", body, IdempotencyHeader, "key-1").
			problem(t, http.StatusConflict, crm.CodeConflict)
		if n := len(w.ledger(t, c.ID)); n != 2 {
			t.Fatalf("%d entries, want 2", n)
		}

		// A refusal is answered again, even once it would no longer be.
		over := map[string]any{"amount": "800"} // all that is due
		a.do("POST", payPath(c.ID), "mgr", over, IdempotencyHeader, "key-2").expect(t, http.StatusCreated)
		refused := a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "1"}, IdempotencyHeader, "key-3")
		refused.expect(t, http.StatusConflict)
		var first1 crm.Payment
		if err := json.Unmarshal(first.body, &first1); err != nil {
			t.Fatal(err)
		}
		a.do("POST", refundPath(c.ID, first1.ID), "mgr", map[string]any{"reason": "r"}, IdempotencyHeader, "key-4").
			expect(t, http.StatusCreated)
		if r := a.do("POST", payPath(c.ID), "mgr", map[string]any{"amount": "1"}, IdempotencyHeader, "key-3"); r.status != http.StatusConflict ||
			!bytes.Equal(r.body, refused.body) {
			t.Fatalf("the refused request sent again answered %d %s, want %s", r.status, r.body, refused.body)
		}
		// The refund's key is kept for the refund route only.
		again = a.do("POST", refundPath(c.ID, first1.ID), "mgr", map[string]any{"reason": "r"}, IdempotencyHeader, "key-4")
		again.expect(t, http.StatusCreated)
		if n := len(w.ledger(t, c.ID)); n != 4 {
			t.Fatalf("%d entries, want 4", n)
		}

		for _, bad := range []string{strings.Repeat("k", 256), "clé"} {
			a.do("POST", payPath(c.ID), "mgr", body, IdempotencyHeader, bad).
				problem(t, http.StatusBadRequest, crm.CodeInvalid, IdempotencyHeader)
		}

		// Kept 24 hours, then purged with the sessions.
		if n := a.count("idempotency_keys"); n != 6 {
			t.Fatalf("%d keys kept, want 6", n)
		}
		if _, err := a.db.DeleteExpired(context.Background(), crm.Expiry{IdempotencyBefore: first1.RecordedAt.Add(crm.IdempotencyKeep)}); err != nil {
			t.Fatal(err)
		}
		if n := a.count("idempotency_keys"); n != 0 {
			t.Fatalf("%d keys after the purge, want 0", n)
		}
	})
}

// TestIdempotencyKeyRace: the same keyed request sent 20 times at once, over
// two servers sharing the database as two serve processes do: one entry, and
// every answer is that entry.
func TestIdempotencyKeyRace(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newLedgerWorld(t, engine, 2)
		c := w.contract(t, "1000")
		const n = 20
		statuses, bodies := race(t, w.servers, n, func(int) (string, string, string, any, []string) {
			return "POST", payPath(c.ID), w.a.token["mgr"], map[string]any{"amount": "250"},
				[]string{IdempotencyHeader, "same-key"}
		})
		tally(t, statuses, bodies, http.StatusCreated)
		for i := range bodies {
			if !bytes.Equal(bodies[i], bodies[0]) {
				t.Fatalf("answer %d %s differs from %s", i, bodies[i], bodies[0])
			}
		}
		if got := len(w.ledger(t, c.ID)); got != 1 {
			t.Fatalf("%d entries, want 1", got)
		}
		if due := w.due(t, c.ID); due != 75000 {
			t.Fatalf("amount due %s, want 750.00", due)
		}
	})
}

// TestParallelPaymentsOverTwoServers: 30 payments at once over two servers
// that together exceed the total: those that fit succeed, the others are
// 409, and the amount due is exact.
func TestParallelPaymentsOverTwoServers(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		w := newLedgerWorld(t, engine, 2)
		c := w.contract(t, "1000")
		const n = 30 // 30 × 45.00 = 1350.00 > 1000.00: 22 fit
		statuses, bodies := race(t, w.servers, n, func(int) (string, string, string, any, []string) {
			return "POST", payPath(c.ID), w.a.token["mgr"], map[string]any{"amount": "45"}, nil
		})
		got := tally(t, statuses, bodies, http.StatusCreated, http.StatusConflict)
		if got[http.StatusCreated] != 22 || got[http.StatusConflict] != 8 {
			t.Fatalf("statuses %v, want 22 × 201 and 8 × 409", got)
		}
		if due := w.due(t, c.ID); due != 1000 {
			t.Fatalf("amount due %s, want 10.00", due)
		}
		entries := w.ledger(t, c.ID)
		if len(entries) != 22 || entries[21].AmountDueAfter != 1000 {
			t.Fatalf("%d entries, last %+v", len(entries), entries[len(entries)-1])
		}
	})
}

// TestClientRetriesDroppedConnection: the server records the payment but
// the connection drops before the answer; the client sends the request once
// more with the same key and gets the first answer: one entry.
func TestClientRetriesDroppedConnection(t *testing.T) {
	w := newLedgerWorld(t, "sqlite", 1)
	c := w.contract(t, "1000")
	var calls, keys atomic.Int32
	var firstKey atomic.Value
	h := w.a.srv.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			h.ServeHTTP(rw, r)
			return
		}
		key := r.Header.Get(IdempotencyHeader)
		if key != "" {
			keys.Add(1)
		}
		if n := calls.Add(1); n == 1 {
			firstKey.Store(key)
			// Answer into nowhere, then hang up: recorded, unanswered.
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			h.ServeHTTP(httptest.NewRecorder(), r)
			conn, _, err := http.NewResponseController(rw).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
			return
		}
		if n := calls.Load(); n == 2 && key != firstKey.Load() {
			t.Errorf("the retry sent key %q, the first %q", key, firstKey.Load())
		}
		h.ServeHTTP(rw, r)
	}))
	defer front.Close()
	client, err := NewClient(front.URL, ClientOptions{HTTPClient: front.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := crm.WithAccessToken(context.Background(), w.a.token["mgr"])
	p, err := client.RecordPayment(ctx, c.ID, crm.NewPayment{Amount: 12345, Method: "cash"})
	if err != nil {
		t.Fatalf("RecordPayment: %v", err)
	}
	if calls.Load() != 2 || keys.Load() != 2 {
		t.Fatalf("%d requests, %d with a key; want 2 and 2", calls.Load(), keys.Load())
	}
	entries := w.ledger(t, c.ID)
	if len(entries) != 1 || entries[0].ID != p.ID || p.Amount != 12345 || p.AmountDueAfter != 100000-12345 {
		t.Fatalf("entries %+v, answer %+v", entries, p)
	}

	// An HTTP error answer is not retried.
	calls.Store(10)
	if _, err := client.RecordPayment(ctx, c.ID, crm.NewPayment{Amount: 100000}); crm.ErrorCode(err) != crm.CodeConflict {
		t.Fatalf("overpayment: %v", err)
	}
	if calls.Load() != 11 {
		t.Fatalf("%d requests for one refusal, want 1", calls.Load()-10)
	}
}
