package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/demo"
	"github.com/epicevents/epicevents/internal/output"
	"github.com/epicevents/epicevents/internal/termsafe"
)

// csvFromJSON is what -o csv must print for v, made from its JSON: a header
// of the JSON's keys in order, then one row of its values, a cell by JSON
// type — a string as a text cell, an object or array as the text of its
// compact JSON, a number or a boolean as it is, null as an empty cell. Text
// cells are quoted, inert on a terminal and guarded against formulas.
func csvFromJSON(t *testing.T, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	text := func(s string) string { return `"` + strings.ReplaceAll(output.EscapeFormula(s), `"`, `""`) + `"` }
	dec := json.NewDecoder(&buf)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%T is not a JSON object: %v %v", v, tok, err)
	}
	var header, row []string
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		header = append(header, text(key.(string)))
		cell := string(raw)
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			cell = text(termsafe.Text(s))
		case '{', '[':
			var compact bytes.Buffer
			if err := json.Compact(&compact, raw); err != nil {
				t.Fatal(err)
			}
			cell = text(string(termsafe.JSON(compact.Bytes())))
		case 'n':
			cell = ""
		}
		row = append(row, cell)
	}
	return strings.Join(header, ",") + "\n" + strings.Join(row, ",") + "\n"
}

// checkCSV fails unless -o csv of each value, through the view's fields, is
// what its JSON says: every field, in order, under its name, of its kind.
func checkCSV[T any](t *testing.T, name string, view output.View[T], values []T) {
	t.Helper()
	for i, v := range values {
		var got bytes.Buffer
		if err := output.Object(&got, output.Options{Format: output.FormatCSV}, view, v); err != nil {
			t.Fatalf("%s, value %d: %v", name, i, err)
		}
		if want := csvFromJSON(t, v); got.String() != want {
			t.Fatalf("%s, value %d: -o csv does not follow the JSON:\n got %q\nwant %q", name, i, got.String(), want)
		}
	}
}

// sampleTexts are texts of every sort a record may hold.
var sampleTexts = []string{"Kevin", "Adèle André", "emoji 🎉 and 中文", `quote " backslash \ /`, "<b>&amp;</b>",
	"\b\f\n\r\t\x00\x1b[31m\x7f\u0085\u009b\u202e", "\u2028\u2029", "bad \xff\xfe utf-8", "=cmd|' /C calc'!A0",
	"Acme;=1+1", "-12.50", "+33612345678", "+33 6 12", "", "a,\"=b\""}

var sampleTimes = []time.Time{
	time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC),
	time.Date(2026, 3, 10, 9, 30, 0, 123456789, time.FixedZone("CET", 3600)),
	time.Date(1999, 12, 31, 23, 59, 59, 500000000, time.FixedZone("NST", -(3*3600+30*60))),
	{},
}

// samples calls mk with each sample text, a time, a number, and whether
// the optional fields are set (both ways for each text).
func samples[T any](mk func(s string, at time.Time, n int64, set bool) T) []T {
	var out []T
	for i, s := range sampleTexts {
		for _, set := range []bool{false, true} {
			out = append(out, mk(s, sampleTimes[i%len(sampleTimes)], int64(i*1000003-7), set))
		}
	}
	return out
}

// ptrIf returns &v when set, else nil.
func ptrIf[V any](set bool, v V) *V {
	if !set {
		return nil
	}
	return &v
}

func sampleEmployee(s string, at time.Time, n int64, set bool) crm.Employee {
	return crm.Employee{ID: n, FirstName: s, LastName: s + "x", Email: s, Role: crm.Role(s), Active: set, CreatedAt: at,
		UpdatedAt: at.Add(time.Hour), DeactivatedAt: ptrIf(set, at), Version: 3, MustChangePassword: set, CredentialVersion: 2}
}

// TestCSVFieldsAreTheJSONFields: for every record -o csv prints, and every
// view of it, the CSV fields are the fields of its JSON — the same names in
// the same order, each cell of its JSON value's kind — so that a field
// added to a record and not to its CSV fails here.
func TestCSVFieldsAreTheJSONFields(t *testing.T) {
	v := views{loc: time.UTC}
	employees := samples(sampleEmployee)
	for name, view := range map[string]output.View[crm.Employee]{"employeeList": v.employeeList(), "employee": v.employee()} {
		checkCSV(t, name, view, employees)
	}

	clients := samples(func(s string, at time.Time, n int64, set bool) crm.Client {
		return crm.Client{ID: n, FirstName: s, LastName: "x" + s, Email: s, Phone: ptrIf(set, s), CompanyName: ptrIf(set, s+"co"),
			SalesContactID: n / 3, SalesContactName: s, CreatedAt: at, UpdatedAt: at.Add(time.Minute), Version: 5}
	})
	for name, view := range map[string]output.View[crm.Client]{"clientList": v.clientList(), "client": v.client()} {
		checkCSV(t, name, view, clients)
	}

	contracts := samples(func(s string, at time.Time, n int64, set bool) crm.Contract {
		return crm.Contract{ID: n, ClientID: n + 1, ClientName: s, SalesContactID: n + 2, SalesContactName: s + "y",
			TotalAmount: crm.Cents(n * 7), AmountDue: crm.Cents(-n), Signed: set, SignedAt: ptrIf(set, at),
			CreatedAt: at, UpdatedAt: at, Version: 1}
	})
	for name, view := range map[string]output.View[crm.Contract]{"contract": v.contract(),
		"contracts compact": v.contractColumns("compact"), "contracts contact": v.contractColumns("contact"),
		"contracts full": v.contractColumns("full")} {
		checkCSV(t, name, view, contracts)
	}

	events := samples(func(s string, at time.Time, n int64, set bool) crm.Event {
		return crm.Event{ID: n, Name: s, ContractID: n + 1, ClientID: n + 2, ClientName: s + "c", ClientEmail: s,
			ClientPhone: ptrIf(set, s), Start: at, End: at.Add(5 * time.Hour), SupportContactID: ptrIf(set, n+3),
			SupportContactName: ptrIf(set, s+"s"), Location: s, Attendees: int(n % 5000), Notes: ptrIf(set, s+"\n"+s),
			CreatedAt: at, UpdatedAt: at, SalesContactID: 9, Version: 4}
	})
	for name, view := range map[string]output.View[crm.Event]{"event": v.event(),
		"events compact": v.eventColumns("compact"), "events contact": v.eventColumns("contact"),
		"events full": v.eventColumns("full")} {
		checkCSV(t, name, view, events)
	}

	checkCSV(t, "auditList", v.auditList(), samples(func(s string, at time.Time, n int64, set bool) crm.AuditEntry {
		e := crm.AuditEntry{ID: n, At: at, ActorID: ptrIf(set, n+1), ActorEmail: ptrIf(set, s), Action: s, Entity: s + "e",
			EntityID: ptrIf(set, n+2), ClientAddr: ptrIf(set, "192.0.2.1")}
		if set {
			e.Changes = map[string]crm.Change{s: {nil, s}, "amount_due": {"-12.50", 3.5}, "signed": {false, true}}
		}
		return e
	}))

	checkCSV(t, "credentialList", v.credentialList(), samples(func(s string, at time.Time, n int64, set bool) demo.Credential {
		return demo.Credential{Employee: sampleEmployee(s, at, n, set), Password: "23itc-9x2tp " + s}
	}))

	checkCSV(t, "build", v.build(), samples(func(s string, at time.Time, n int64, set bool) Build {
		return Build{Version: s, Commit: "3e285b9" + s, BuiltAt: ptrIf(set, at.Format(time.RFC3339)), CommitTime: ptrIf(!set, s)}
	}))

	checkCSV(t, "migrationList", v.migrationList(), samples(func(s string, at time.Time, n int64, set bool) migrationRow {
		return migrationRow{Version: n, Name: s, Applied: set, AppliedAt: ptrIf(set, at)}
	}))
}
