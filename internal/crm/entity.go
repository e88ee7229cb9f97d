package crm

import (
	"reflect"
	"slices"
	"strings"
)

// Entity describes one kind of record that employees read and change through
// the API, the CLI and the web UI: employees, clients, contracts, events. It
// and the record's struct are the one place that says what differs between
// the entities beyond their queries; nothing else lists them. Each record
// type returns its descriptor (Record), Entities holds them all, and
// TestEntities checks that every descriptor is complete and that every
// record the API answers has one.
type Entity struct {
	// Name is the singular noun: the entity of the audit trail ("client"),
	// the first word of its actions ("client.update") and the word of
	// messages ("client 7 changed since you read it").
	Name string
	// Plural is the collection: the API's route (/api/v1/clients) and the
	// CLI's command group (epicevents clients).
	Plural string
	// NotAudited holds the JSON names of the fields tagged audit:"-" in the
	// record's struct: those copied from another record when this one is
	// read, for reading only (its sales contact's name, its client's email).
	// They change with that record, not with this one, so the audit trail
	// leaves them out of this one's changes, as it leaves out updated_at,
	// which changes with every write.
	NotAudited []string
	// Type is the Go type of the records.
	Type reflect.Type
}

// Record is a value of one of the Entities: a row that the API serves under
// its own route, with an ETag, and lets a client change under If-Match. The
// API's handlers of one record and the service's If-Match check accept
// nothing else, so the compiler refuses a record type without a descriptor.
type Record interface {
	// Entity returns the descriptor of the record's kind.
	Entity() *Entity
	// RecordID is the record's id.
	RecordID() int64
	// RecordVersion counts the changes to the row; the API shows it as the
	// ETag. A record that never changes (a ledger's entry) is at version 1.
	RecordVersion() int64
}

// describe makes the descriptor of the record type T, a flat struct.
func describe[T Record](name, plural string) *Entity {
	e := &Entity{Name: name, Plural: plural, Type: reflect.TypeFor[T]()}
	for i := range e.Type.NumField() {
		f := e.Type.Field(i)
		if f.Tag.Get("audit") == "-" {
			json, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			e.NotAudited = append(e.NotAudited, json)
		}
	}
	return e
}

var (
	employeeEntity = describe[Employee]("employee", "employees")
	clientEntity   = describe[Client]("client", "clients")
	contractEntity = describe[Contract]("contract", "contracts")
	eventEntity    = describe[Event]("event", "events")
)

// Entities lists every entity, in the order the audit trail lists them. A
// record type left out of it fails TestEntities.
var Entities = []*Entity{employeeEntity, clientEntity, contractEntity, eventEntity}

// AuditEntities are the kinds of entity the audit trail speaks of: the
// Entities, then two subjects that are not records. Logins, failed logins
// and logouts are about an employee; the reuse of a refresh token is about a
// session; `epicevents demo` records its load under demo.
var AuditEntities = append(entityNames(), "session", "demo")

func entityNames() []string {
	names := make([]string, 0, len(Entities)+2)
	for _, e := range Entities {
		names = append(names, e.Name)
	}
	return names
}

// audited reports whether the audit trail records changes of the field name
// (a JSON name) of a record of e.
func (e *Entity) audited(name string) bool {
	return name != "updated_at" && !slices.Contains(e.NotAudited, name)
}

// Entity returns the descriptor of employees.
func (Employee) Entity() *Entity { return employeeEntity }

// RecordID returns the employee's id.
func (e Employee) RecordID() int64 { return e.ID }

// RecordVersion returns the version of the employee's row.
func (e Employee) RecordVersion() int64 { return e.Version }

// Entity returns the descriptor of clients.
func (Client) Entity() *Entity { return clientEntity }

// RecordID returns the client's id.
func (c Client) RecordID() int64 { return c.ID }

// RecordVersion returns the version of the client's row.
func (c Client) RecordVersion() int64 { return c.Version }

// Entity returns the descriptor of contracts.
func (Contract) Entity() *Entity { return contractEntity }

// RecordID returns the contract's id.
func (c Contract) RecordID() int64 { return c.ID }

// RecordVersion returns the version of the contract's row.
func (c Contract) RecordVersion() int64 { return c.Version }

// Entity returns the descriptor of events.
func (Event) Entity() *Entity { return eventEntity }

// RecordID returns the event's id.
func (e Event) RecordID() int64 { return e.ID }

// RecordVersion returns the version of the event's row.
func (e Event) RecordVersion() int64 { return e.Version }
