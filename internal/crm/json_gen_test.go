package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// gen draws record field values of every sort that reaches the encoders:
// ASCII, accents, wide characters and emoji, every escape JSON has (control
// characters, quotes, backslashes, U+2028/9), invalid UTF-8, HTML's <>&,
// nulls, extreme numbers and amounts, times with and without nanoseconds in
// odd zones, and now and then a time encoding/json refuses.
type gen struct{ r *rand.Rand }

// pieces are what texts are made of.
var pieces = []string{"a", "Z", "0", " ", "é", "ß", "中文", "🎉", "\u00a0", "\ufeff", "\ufffd", "\"", "\\", "/",
	"<", ">", "&", "\b", "\f", "\n", "\r", "\t", "\x00", "\x01", "\x1b", "\x1f", "\x7f", "\u0085", "\u009b",
	"\u2028", "\u2029", "\u202e", "\xff", "\xfe", "\xc3", "\xe2\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	"=", "+", "-", "@", "Kevin", "Casey", "kevin@startup.io", "+33612345678", "1500.50"}

func (g gen) text() string {
	var b strings.Builder
	for range g.r.IntN(12) {
		b.WriteString(pieces[g.r.IntN(len(pieces))])
	}
	return b.String()
}

func (g gen) optText() *string {
	if g.r.IntN(4) == 0 {
		return nil
	}
	s := g.text()
	return &s
}

func (g gen) int() int64 {
	switch g.r.IntN(6) {
	case 0:
		return []int64{0, 1, -1, 1<<53 + 1, -1 << 63, 1<<63 - 1}[g.r.IntN(6)]
	case 1:
		return g.r.Int64() - 1<<62
	}
	return g.r.Int64N(100000)
}

func (g gen) optInt() *int64 {
	if g.r.IntN(4) == 0 {
		return nil
	}
	n := g.int()
	return &n
}

func (g gen) cents() Cents {
	if g.r.IntN(5) == 0 {
		return Cents([]int64{0, -1, 99, -100, int64(MaxAmount), -1 << 63, 1<<63 - 1}[g.r.IntN(7)])
	}
	return Cents(g.r.Int64N(2*int64(MaxAmount)) - int64(MaxAmount))
}

// zones are UTC, named zones with daylight saving and history, and fixed
// offsets: whole hours, half hours, seconds (which RFC 3339 cannot show) and
// the day or more that it refuses.
var zones = func() []*time.Location {
	z := []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("NST", -(3*3600 + 30*60)),
		time.FixedZone("LMT", 561), time.FixedZone("far", 14*3600), time.FixedZone("too far", 24*3600),
		time.FixedZone("too far west", -24*3600-60)}
	for _, name := range []string{"Europe/Paris", "America/St_Johns", "Asia/Kathmandu"} {
		if l, err := time.LoadLocation(name); err == nil {
			z = append(z, l)
		}
	}
	return z
}()

func (g gen) time() time.Time {
	var t time.Time
	switch g.r.IntN(20) {
	case 0: // beyond what RFC 3339 shows: encoding/json fails, and so must AppendJSON
		t = time.Date([]int{-1, 10000, -300000}[g.r.IntN(3)], 1, 1, 0, 0, 0, 0, time.UTC)
	case 1:
		t = []time.Time{{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Unix(0, 0)}[g.r.IntN(3)]
	default: // from year 0 to 9999
		t = time.Unix(g.r.Int64N(315537897600)-62167219200, 0)
	}
	switch g.r.IntN(3) {
	case 0:
		t = t.Add(time.Duration(g.r.IntN(1e9)))
	case 1:
		t = t.Add(time.Duration(g.r.IntN(1000)) * time.Millisecond)
	}
	return t.In(zones[g.r.IntN(len(zones))])
}

func (g gen) optTime() *time.Time {
	if g.r.IntN(4) == 0 {
		return nil
	}
	t := g.time()
	return &t
}

func (g gen) bool() bool { return g.r.IntN(2) == 0 }

func (g gen) employee() Employee {
	return Employee{ID: g.int(), FirstName: g.text(), LastName: g.text(), Email: g.text(), Role: Role(g.text()),
		Active: g.bool(), CreatedAt: g.time(), UpdatedAt: g.time(), DeactivatedAt: g.optTime(), Version: g.int(),
		MustChangePassword: g.bool(), CredentialVersion: g.int()}
}

func (g gen) client() Client {
	return Client{ID: g.int(), FirstName: g.text(), LastName: g.text(), Email: g.text(), Phone: g.optText(),
		CompanyName: g.optText(), SalesContactID: g.int(), SalesContactName: g.text(), CreatedAt: g.time(),
		UpdatedAt: g.time(), Version: g.int()}
}

func (g gen) contract() Contract {
	return Contract{ID: g.int(), ClientID: g.int(), ClientName: g.text(), SalesContactID: g.int(),
		SalesContactName: g.text(), TotalAmount: g.cents(), AmountDue: g.cents(), Signed: g.bool(),
		SignedAt: g.optTime(), CreatedAt: g.time(), UpdatedAt: g.time(), Version: g.int()}
}

func (g gen) event() Event {
	return Event{ID: g.int(), Name: g.text(), ContractID: g.int(), ClientID: g.int(), ClientName: g.text(),
		ClientEmail: g.text(), ClientPhone: g.optText(), Start: g.time(), End: g.time(),
		SupportContactID: g.optInt(), SupportContactName: g.optText(), Location: g.text(),
		Attendees: int(g.int()), Notes: g.optText(), CreatedAt: g.time(), UpdatedAt: g.time(),
		SalesContactID: g.int(), Version: g.int()}
}

// TestAppendJSONGenerated holds each encoder to encoding/json over random
// records, every field drawn on its own; and it checks that the draws did
// reach every field of the JSON, with a null for each field that may be
// null, so that a field added to a record but not to its encoder (or to the
// generator) fails here.
func TestAppendJSONGenerated(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	kinds := []struct {
		name string
		draw func() JSONAppender
	}{
		{"Employee", func() JSONAppender { return g.employee() }},
		{"Client", func() JSONAppender { return g.client() }},
		{"Contract", func() JSONAppender { return g.contract() }},
		{"Event", func() JSONAppender { return g.event() }},
	}
	for _, k := range kinds {
		values := map[string]map[string]bool{} // key → the JSON values it took
		refused := 0
		for range 3000 {
			r := k.draw()
			checkSame(t, r)
			want, err := stdJSON(r)
			if err != nil {
				refused++
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(want, &m); err != nil {
				t.Fatal(err)
			}
			for key, v := range m {
				if values[key] == nil {
					values[key] = map[string]bool{}
				}
				if len(values[key]) < 3 || string(v) == "null" {
					values[key][string(v)] = true
				}
			}
		}
		if len(values) == 0 {
			t.Fatalf("%s: no record could be encoded", k.name)
		}
		for key, seen := range values {
			if len(seen) < 2 {
				t.Errorf("%s.%s always took the same value %v: the generator does not draw it", k.name, key, seen)
			}
		}
		if refused == 0 {
			t.Errorf("%s: no record with a time that JSON cannot show was drawn", k.name)
		}
		nullable := map[string][]string{
			"Employee": {"deactivated_at"},
			"Client":   {"phone", "company_name"},
			"Contract": {"signed_at"},
			"Event":    {"client_phone", "support_contact_id", "support_contact_name", "notes"},
		}[k.name]
		for _, key := range nullable {
			if !values[key]["null"] {
				t.Errorf("%s.%s was never null", k.name, key)
			}
		}
	}
}

// page returns 100 records of each kind as a list page holds them: names
// with accents, emails, phones, companies, amounts, times, some nulls.
func page() (clients []Client, contracts []Contract, events []Event) {
	first := []string{"Adèle", "Kevin", "Jean-Pierre", "Aliénor", "Zoë", "Hugo", "Inès", "Tom"}
	last := []string{"André", "Casey", "O'Neil", "Vichum", "Lindqvist", "Marchetti", "Carvalho", "Whitaker"}
	companies := []string{"Cool Startup LLC", "Salle des fêtes de Mufflins", "Orchid Health SA", "Northwind Events Ltd"}
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	for i := range 100 {
		id := int64(1000 + i)
		name := first[i%len(first)] + " " + last[i*3%len(last)]
		email := fmt.Sprintf("%s.%s%d@orange.fr", strings.ToLower(first[i%len(first)]), strings.ToLower(last[i*3%len(last)]), id)
		phone := fmt.Sprintf("+3361234%04d", i)
		company := companies[i%len(companies)]
		notes := "Sound check one hour before the start.\nKate brings the DJ."
		var (
			pPhone, pCompany, pNotes *string
			signedAt                 *time.Time
			support                  *int64
			supportName              *string
		)
		if i%5 != 0 {
			pPhone, pCompany = &phone, &company
		}
		if i%2 == 0 {
			s := at.Add(-time.Duration(i) * time.Hour)
			signedAt = &s
			sup, supName := int64(7), "Kate Hastroff"
			support, supportName, pNotes = &sup, &supName, &notes
		}
		created := at.Add(-time.Duration(i*37) * time.Hour)
		clients = append(clients, Client{ID: id, FirstName: first[i%len(first)], LastName: last[i*3%len(last)],
			Email: email, Phone: pPhone, CompanyName: pCompany, SalesContactID: 2, SalesContactName: "Bill Boquet",
			CreatedAt: created, UpdatedAt: at})
		contracts = append(contracts, Contract{ID: id, ClientID: id, ClientName: name, SalesContactID: 2,
			SalesContactName: "Bill Boquet", TotalAmount: Cents(150000 + 1234*int64(i)), AmountDue: Cents(34500 * int64(i%3)),
			Signed: signedAt != nil, SignedAt: signedAt, CreatedAt: created, UpdatedAt: at})
		start := at.Add(time.Duration(i*24) * time.Hour)
		events = append(events, Event{ID: id, Name: company + " annual party", ContractID: id, ClientID: id,
			ClientName: name, ClientEmail: email, ClientPhone: pPhone, Start: start, End: start.Add(5 * time.Hour),
			SupportContactID: support, SupportContactName: supportName, Location: "53 Rue du Château, 41120 Candé-sur-Beuvron",
			Attendees: 75 + i, Notes: pNotes, CreatedAt: created, UpdatedAt: at})
	}
	return clients, contracts, events
}

// BenchmarkPageJSON encodes a page of 100 clients, contracts or events as
// a list answer holds it (a JSON array), with encoding/json (HTML escaping
// off, as the server and the CLI write) and with AppendJSON.
func BenchmarkPageJSON(b *testing.B) {
	clients, contracts, events := page()
	for _, c := range []struct {
		name  string
		items any
		app   []JSONAppender
	}{
		{"clients", clients, appenders(clients)},
		{"contracts", contracts, appenders(contracts)},
		{"events", events, appenders(events)},
	} {
		var want []byte
		b.Run(c.name+"/encoding_json", func(b *testing.B) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := enc.Encode(c.items); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(buf.Len()))
			want = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		})
		b.Run(c.name+"/AppendJSON", func(b *testing.B) {
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = append(buf[:0], '[')
				for i, r := range c.app {
					if i > 0 {
						buf = append(buf, ',')
					}
					var err error
					if buf, err = r.AppendJSON(buf); err != nil {
						b.Fatal(err)
					}
				}
				buf = append(buf, ']')
			}
			b.SetBytes(int64(len(buf) + 1))
			if want != nil && !bytes.Equal(buf, want) {
				b.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant %s", buf, want)
			}
		})
	}
}

func appenders[T JSONAppender](items []T) []JSONAppender {
	out := make([]JSONAppender, len(items))
	for i, v := range items {
		out[i] = v
	}
	return out
}
