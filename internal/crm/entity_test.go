package crm

import (
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestEntities walks the descriptors: each is complete and belongs to its
// record type, and every record that the API answers is one of them, so that
// an entity added halfway fails here rather than go without an ETag, a
// Location, an audit name or a read-only field.
func TestEntities(t *testing.T) {
	word := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	names, plurals := map[string]bool{}, map[string]bool{}
	for _, e := range Entities {
		if !word.MatchString(e.Name) || !word.MatchString(e.Plural) || e.Name == e.Plural {
			t.Errorf("%+v: the name and the plural must be distinct lower-case words", e)
		}
		if names[e.Name] || plurals[e.Plural] {
			t.Errorf("%s: two entities share a name or a plural", e.Name)
		}
		names[e.Name], plurals[e.Plural] = true, true
		if e.Type == nil || e.Type.Kind() != reflect.Struct {
			t.Errorf("%s: the type must be a struct, not %v", e.Name, e.Type)
			continue
		}
		rv := reflect.New(e.Type).Elem()
		rec, ok := rv.Interface().(Record)
		if !ok {
			t.Errorf("%s: %v is not a Record", e.Name, e.Type)
			continue
		}
		if rec.Entity() != e {
			t.Errorf("%v.Entity() is %s, not %s", e.Type, rec.Entity().Name, e.Name)
		}
		// RecordID and RecordVersion read the ID and Version fields; a
		// record without a Version field never changes (an append-only
		// ledger) and is at version 1.
		id, version := rv.FieldByName("ID"), rv.FieldByName("Version")
		if !id.IsValid() {
			t.Errorf("%s: %v needs the field ID", e.Name, e.Type)
			continue
		}
		id.SetInt(7)
		wantVersion := int64(1)
		if version.IsValid() {
			version.SetInt(3)
			wantVersion = 3
		}
		rec = rv.Interface().(Record)
		if rec.RecordID() != 7 || rec.RecordVersion() != wantVersion {
			t.Errorf("%s: RecordID, RecordVersion = %d, %d; want %d, %d (the ID and Version fields)",
				e.Name, rec.RecordID(), rec.RecordVersion(), 7, wantVersion)
		}
		json := fields(rv.Interface())
		for _, name := range []string{"id", "updated_at"} {
			if _, ok := json[name]; !ok {
				t.Errorf("%s: a record has the JSON field %s", e.Name, name)
			}
		}
		for _, name := range e.NotAudited {
			if _, ok := json[name]; !ok {
				t.Errorf("%s: NotAudited names %q, which is not a JSON field of %v", e.Name, name, e.Type)
			}
		}
		for i := range e.Type.NumField() {
			if f := e.Type.Field(i); f.Anonymous || (f.Tag.Get("audit") != "" && f.Tag.Get("audit") != "-") {
				t.Errorf("%s: the field %s: a record is a flat struct whose only audit tag is audit:\"-\"", e.Name, f.Name)
			}
		}
	}
	if want := append(entityNames(), "session", "demo"); !slices.Equal(AuditEntities, want) {
		t.Errorf("AuditEntities = %v, want %v", AuditEntities, want)
	}

	// Every struct that the API answers is a record of one of the Entities,
	// but for the few that are not records; and every entity is answered.
	// A Payment is an entry of its contract's ledger: it never changes (no
	// version), has no route of its own, and is audited as its contract's
	// (contract.payment, contract.refund).
	notRecords := map[reflect.Type]bool{reflect.TypeFor[Tokens](): true, reflect.TypeFor[AuditEntry](): true,
		reflect.TypeFor[Payment](): true}
	answered := map[*Entity]bool{}
	for _, typ := range apiResults(t) {
		if notRecords[typ] {
			continue
		}
		rec, ok := reflect.New(typ).Elem().Interface().(Record)
		switch {
		case !ok:
			t.Errorf("the API answers %v, which is not a Record: describe it in entity.go", typ)
		case !slices.Contains(Entities, rec.Entity()):
			t.Errorf("the API answers %v, whose entity %q is not in Entities", typ, rec.Entity().Name)
		default:
			answered[rec.Entity()] = true
		}
	}
	for _, e := range Entities {
		if !answered[e] {
			t.Errorf("no operation of the API answers a %s", e.Name)
		}
	}
}

// apiResults returns the struct types that the operations of API return or
// emit.
func apiResults(t *testing.T) []reflect.Type {
	t.Helper()
	seen := map[reflect.Type]bool{}
	var out []reflect.Type
	add := func(typ reflect.Type) {
		if typ.Kind() == reflect.Struct && !seen[typ] {
			seen[typ] = true
			out = append(out, typ)
		}
	}
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		m := api.Method(i).Type
		for j := range m.NumOut() {
			add(m.Out(j))
		}
		for j := range m.NumIn() {
			// An Emit[T] is a func(T) error.
			if in := m.In(j); in.Kind() == reflect.Func && in.NumIn() == 1 {
				add(in.In(0))
			}
		}
	}
	if len(out) < 3 {
		t.Fatalf("found only %v in the API", out)
	}
	return out
}

// TestDiffLeavesOutWhatIsNotAudited: the changes of a record leave out
// updated_at and the fields its entity copies from other records, and
// keep every other field that changed.
func TestDiffLeavesOutWhatIsNotAudited(t *testing.T) {
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	later := at.Add(time.Hour)
	tests := []struct {
		name string
		diff map[string]Change
		want map[string]Change
	}{
		{"client reassigned", diff(
			&Client{ID: 1, SalesContactID: 2, SalesContactName: "A B", UpdatedAt: at, Version: 1},
			&Client{ID: 1, SalesContactID: 3, SalesContactName: "C D", UpdatedAt: later, Version: 2}),
			map[string]Change{"sales_contact_id": {float64(2), float64(3)}}},
		{"contract signed", diff(
			&Contract{ID: 1, ClientName: "A", SalesContactName: "B", UpdatedAt: at},
			&Contract{ID: 1, ClientName: "X", SalesContactName: "Y", Signed: true, UpdatedAt: later}),
			map[string]Change{"signed": {false, true}}},
		{"event renamed", diff(
			&Event{ID: 1, Name: "a", ClientID: 4, ClientName: "A", ClientEmail: "a@x.io", SupportContactName: ptrTo("S")},
			&Event{ID: 1, Name: "b", ClientID: 5, ClientName: "B", ClientEmail: "b@x.io", ClientPhone: ptrTo("+33123456789")}),
			map[string]Change{"name": {"a", "b"}, "client_id": {float64(4), float64(5)}}},
		{"employee role", diff(
			&Employee{ID: 1, Role: RoleSales, UpdatedAt: at},
			&Employee{ID: 1, Role: RoleSupport, UpdatedAt: later}),
			map[string]Change{"role": {"SALES", "SUPPORT"}}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.diff, tt.want) {
			t.Errorf("%s: diff = %v, want %v", tt.name, tt.diff, tt.want)
		}
	}
	created := diff(nil, &Event{ID: 1, Name: "a", ClientName: "A"})
	if _, ok := created["client_name"]; ok || created["name"] != (Change{nil, "a"}) {
		t.Errorf("creation: %v", created)
	}
}
