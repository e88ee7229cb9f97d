package cli

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/output"
)

// benchRecords returns n clients, contracts and events as lists hold them:
// accents, emails, phones, companies, amounts, times, some nulls.
func benchRecords(n int) (clients []crm.Client, contracts []crm.Contract, events []crm.Event) {
	first := []string{"Adèle", "Kevin", "Jean-Pierre", "Aliénor", "Zoë", "Hugo", "Inès", "Tom"}
	last := []string{"André", "Casey", "O'Neil", "Vichum", "Lindqvist", "Marchetti", "Carvalho", "Whitaker"}
	companies := []string{"Cool Startup LLC", "Salle des fêtes de Mufflins", "Orchid Health SA", "Northwind Events Ltd"}
	at := time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)
	for i := range n {
		id := int64(1000 + i)
		f, l := first[i%len(first)], last[i*3%len(last)]
		email := fmt.Sprintf("%s.%s%d@orange.fr", f, l, id)
		phone, company := fmt.Sprintf("+3361234%04d", i%10000), companies[i%len(companies)]
		notes, support, supportName := "Sound check one hour before.\nKate brings the DJ.", int64(7), "Kate Hastroff"
		var (
			pPhone, pCompany, pNotes, pSupportName *string
			pSupport                               *int64
			signedAt                               *time.Time
		)
		if i%5 != 0 {
			pPhone, pCompany = &phone, &company
		}
		if i%2 == 0 {
			s := at.Add(-time.Duration(i) * time.Minute)
			signedAt, pNotes, pSupport, pSupportName = &s, &notes, &support, &supportName
		}
		created := at.Add(-time.Duration(i) * time.Hour)
		clients = append(clients, crm.Client{ID: id, FirstName: f, LastName: l, Email: email, Phone: pPhone,
			CompanyName: pCompany, SalesContactID: 2, SalesContactName: "Bill Boquet", CreatedAt: created, UpdatedAt: at})
		contracts = append(contracts, crm.Contract{ID: id, ClientID: id, ClientName: f + " " + l, SalesContactID: 2,
			SalesContactName: "Bill Boquet", TotalAmount: crm.Cents(150000 + 1234*int64(i)), AmountDue: crm.Cents(34500 * int64(i%3)),
			Signed: signedAt != nil, SignedAt: signedAt, CreatedAt: created, UpdatedAt: at})
		start := at.Add(time.Duration(i) * time.Hour)
		events = append(events, crm.Event{ID: id, Name: company + " party", ContractID: id, ClientID: id,
			ClientName: f + " " + l, ClientEmail: email, ClientPhone: pPhone, Start: start, End: start.Add(5 * time.Hour),
			SupportContactID: pSupport, SupportContactName: pSupportName, Location: "53 Rue du Château, Candé-sur-Beuvron",
			Attendees: 75 + i%300, Notes: pNotes, CreatedAt: created, UpdatedAt: at})
	}
	return clients, contracts, events
}

func benchmarkList[T any](b *testing.B, format output.Format, view output.View[T], rows []T) {
	b.ReportAllocs()
	for b.Loop() {
		l := output.NewList(io.Discard, output.Options{Format: format}, view)
		for _, r := range rows {
			if err := l.Row(r); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListRecords renders 1,000 clients, contracts or events through
// the views that the list commands use, as -o csv and -o json.
func BenchmarkListRecords(b *testing.B) {
	clients, contracts, events := benchRecords(1000)
	v := views{loc: time.UTC}
	for _, f := range []output.Format{output.FormatCSV, output.FormatJSON} {
		b.Run("clients/"+string(f), func(b *testing.B) { benchmarkList(b, f, v.clientList(), clients) })
		b.Run("contracts/"+string(f), func(b *testing.B) { benchmarkList(b, f, v.contractColumns("compact"), contracts) })
		b.Run("events/"+string(f), func(b *testing.B) { benchmarkList(b, f, v.eventColumns("compact"), events) })
	}
}
