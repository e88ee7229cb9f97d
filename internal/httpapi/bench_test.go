package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/testdb"
)

// benchClients is the size of the benchmark's demo data.
const benchClients = 10_000

// discardWriter is a ResponseWriter that keeps the status and drops the body,
// so that the benchmark measures the server's work and not a recorder's.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// BenchmarkServer measures what `epicevents serve` does for one request of
// the load script (scripts/load): the whole handler chain — request id,
// metrics, access-token check against the database, the service, the store,
// JSON — called in process, without sockets, as the SALES employee Bill
// Boquet over demo data of benchClients clients. Its CPU profile is the
// server's share of the API's cost:
//
//	EPICEVENTS_TEST_POSTGRES_URL=… go test -run XXX -bench Server/postgres \
//	    -benchtime 3000x -cpuprofile /tmp/server.pprof ./internal/httpapi
//	go tool pprof -top /tmp/server.pprof
func BenchmarkServer(b *testing.B) {
	for _, engine := range testdb.Engines() {
		b.Run(engine, func(b *testing.B) {
			h, token := benchServer(b, engine)
			for _, c := range []struct{ name, path string }{
				{"clients", "/api/v1/clients?limit=100"},
				{"contracts-unsigned", "/api/v1/contracts?unsigned=true&limit=100"},
				{"events-without-support", "/api/v1/events?without_support=true&limit=100"},
				{"client-show", "/api/v1/clients/" + strconv.Itoa(benchClients/2)},
			} {
				b.Run(c.name, func(b *testing.B) {
					req, err := http.NewRequest(http.MethodGet, c.path, nil)
					if err != nil {
						b.Fatal(err)
					}
					req.Header.Set("Authorization", "Bearer "+token)
					req.RemoteAddr = "127.0.0.1:40000"
					b.ReportAllocs()
					var bytes int
					for b.Loop() {
						w := &discardWriter{h: http.Header{}}
						h.ServeHTTP(w, req)
						if w.status != http.StatusOK {
							b.Fatalf("%s: status %d", c.path, w.status)
						}
						bytes = w.n
					}
					b.ReportMetric(float64(bytes), "body-bytes")
				})
			}
		})
	}
}

// benchServer returns the handler of a server over demo data, and an access
// token of Bill Boquet (SALES).
func benchServer(b *testing.B, engine string) (http.Handler, string) {
	b.Helper()
	w := testdb.NewDemoWorld(b, engine, benchClients)
	// The request log line as serve writes it, to nowhere.
	srv := NewServer(w.Service, ServerOptions{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Ready: w.DB.Ping, DBStats: w.DB.SQL().Stats})
	return srv.Handler(), w.Token
}

// BenchmarkEncodePage measures writeResource alone for a page of 100 rows
// (CPU only: no database, no socket).
func BenchmarkEncodePage(b *testing.B) {
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	phone, company := "+33612345678", "Northwind Events Ltd"
	notes := "Sound check one hour before the start."
	clients := make([]crm.Client, 100)
	contracts := make([]crm.Contract, 100)
	events := make([]crm.Event, 100)
	for i := range 100 {
		id := int64(1000 + i)
		clients[i] = crm.Client{ID: id, FirstName: "Adèle", LastName: "André", Email: "adele.andre@orange.fr",
			Phone: &phone, CompanyName: &company, SalesContactID: 2, SalesContactName: "Bill Boquet",
			CreatedAt: at, UpdatedAt: at}
		contracts[i] = crm.Contract{ID: id, ClientID: id, ClientName: "Adèle André", SalesContactID: 2,
			SalesContactName: "Bill Boquet", TotalAmount: 1234567, AmountDue: 34500, CreatedAt: at, UpdatedAt: at}
		events[i] = crm.Event{ID: id, Name: "Annual Party", ContractID: id, ClientID: id, ClientName: "Adèle André",
			ClientEmail: "adele.andre@orange.fr", ClientPhone: &phone, Start: at, End: at.Add(4 * time.Hour),
			Location: "12 Rue de la Paix, Paris", Attendees: 120, Notes: &notes, CreatedAt: at, UpdatedAt: at}
	}
	next := "eyJrIjoiY2xpZW50cyJ9"
	for _, c := range []struct {
		name string
		v    any
	}{
		{"clients", Page[crm.Client]{Items: clients, Next: &next}},
		{"contracts", Page[crm.Contract]{Items: contracts, Next: &next}},
		{"events", Page[crm.Event]{Items: events, Next: &next}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				_ = writeResource(w, http.StatusOK, c.v)
			}
		})
	}
}
