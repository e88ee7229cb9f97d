package httpapi

import (
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/epicevents/epicevents/internal/crm"
)

// The filters of the lists travel as query parameters: the CLI's filters in
// snake_case, booleans as "true" or "false", times in RFC 3339, limit and
// cursor for the page. Each filter type has one codec below, which binds
// each parameter to one field of the filter, both ways: the Client encodes
// with it, the server decodes with it (as the web UI can its own queries),
// and TestFilterRoundTrip holds decode(encode(f)) to f for every filter.

// The parameters that several lists share.
const (
	qLimit          = "limit"
	qCursor         = "cursor"
	qMine           = "mine"
	qEmail          = "email" // exact, in any case
	qSalesContactID = "sales_contact_id"
)

var employeeFilters = newFilterCodec("/employees", func(f *crm.EmployeeFilter) *crm.Page { return &f.Page },
	roleParam("role", func(f *crm.EmployeeFilter) **crm.Role { return &f.Role }),
	boolParam("all", func(f *crm.EmployeeFilter) *bool { return &f.All }),
	emailParam(qEmail, func(f *crm.EmployeeFilter) *string { return &f.Email }),
)

var clientFilters = newFilterCodec("/clients", func(f *crm.ClientFilter) *crm.Page { return &f.Page },
	boolParam(qMine, func(f *crm.ClientFilter) *bool { return &f.Mine }),
	idParam(qSalesContactID, func(f *crm.ClientFilter) **int64 { return &f.SalesContactID }),
	textParam("search", func(f *crm.ClientFilter) *string { return &f.Search }),
	emailParam(qEmail, func(f *crm.ClientFilter) *string { return &f.Email }),
)

var contractFilters = newFilterCodec("/contracts", func(f *crm.ContractFilter) *crm.Page { return &f.Page },
	boolParam("unsigned", func(f *crm.ContractFilter) *bool { return &f.Unsigned }),
	boolParam("unpaid", func(f *crm.ContractFilter) *bool { return &f.Unpaid }),
	boolParam(qMine, func(f *crm.ContractFilter) *bool { return &f.Mine }),
	idParam("client_id", func(f *crm.ContractFilter) **int64 { return &f.ClientID }),
	idParam(qSalesContactID, func(f *crm.ContractFilter) **int64 { return &f.SalesContactID }),
)

var eventFilters = newFilterCodec("/events", func(f *crm.EventFilter) *crm.Page { return &f.Page },
	boolParam("without_support", func(f *crm.EventFilter) *bool { return &f.WithoutSupport }),
	boolParam(qMine, func(f *crm.EventFilter) *bool { return &f.Mine }),
	boolParam("upcoming", func(f *crm.EventFilter) *bool { return &f.Upcoming }), // start ≥ now
	idParam("contract_id", func(f *crm.EventFilter) **int64 { return &f.ContractID }),
	idParam("client_id", func(f *crm.EventFilter) **int64 { return &f.ClientID }),
	idParam("support_contact_id", func(f *crm.EventFilter) **int64 { return &f.SupportContactID }),
	idParam(qSalesContactID, func(f *crm.EventFilter) **int64 { return &f.SalesContactID }),
	timeParam("from", func(f *crm.EventFilter) **time.Time { return &f.From }), // on start
	timeParam("to", func(f *crm.EventFilter) **time.Time { return &f.To }),     // on start
)

var auditFilters = newFilterCodec("/audit", func(f *crm.AuditFilter) *crm.Page { return &f.Page },
	textParam("entity", func(f *crm.AuditFilter) *string { return &f.Entity }),
	idParam("entity_id", func(f *crm.AuditFilter) **int64 { return &f.EntityID }),
	idParam("actor_id", func(f *crm.AuditFilter) **int64 { return &f.ActorID }),
)

// paymentFilters is the page of a contract's ledger; its route names the
// contract, which the Client fills in.
var paymentFilters = newFilterCodec("/contracts/{id}/payments", func(f *crm.PaymentFilter) *crm.Page { return &f.Page })

// EncodeEmployeeFilter writes f as the query of GET /employees.
func EncodeEmployeeFilter(f crm.EmployeeFilter) url.Values { return employeeFilters.encode(f) }

// DecodeEmployeeFilter reads the query of GET /employees; see decode.
func DecodeEmployeeFilter(q url.Values) (crm.EmployeeFilter, error) { return employeeFilters.decode(q) }

// EncodeClientFilter writes f as the query of GET /clients.
func EncodeClientFilter(f crm.ClientFilter) url.Values { return clientFilters.encode(f) }

// DecodeClientFilter reads the query of GET /clients; see decode.
func DecodeClientFilter(q url.Values) (crm.ClientFilter, error) { return clientFilters.decode(q) }

// EncodeContractFilter writes f as the query of GET /contracts.
func EncodeContractFilter(f crm.ContractFilter) url.Values { return contractFilters.encode(f) }

// DecodeContractFilter reads the query of GET /contracts; see decode.
func DecodeContractFilter(q url.Values) (crm.ContractFilter, error) { return contractFilters.decode(q) }

// EncodeEventFilter writes f as the query of GET /events.
func EncodeEventFilter(f crm.EventFilter) url.Values { return eventFilters.encode(f) }

// DecodeEventFilter reads the query of GET /events; see decode.
func DecodeEventFilter(q url.Values) (crm.EventFilter, error) { return eventFilters.decode(q) }

// EncodeAuditFilter writes f as the query of GET /audit.
func EncodeAuditFilter(f crm.AuditFilter) url.Values { return auditFilters.encode(f) }

// DecodeAuditFilter reads the query of GET /audit; see decode.
func DecodeAuditFilter(q url.Values) (crm.AuditFilter, error) { return auditFilters.decode(q) }

// EncodePaymentFilter writes f as the query of GET /contracts/{id}/payments.
func EncodePaymentFilter(f crm.PaymentFilter) url.Values { return paymentFilters.encode(f) }

// DecodePaymentFilter reads the query of GET /contracts/{id}/payments; see decode.
func DecodePaymentFilter(q url.Values) (crm.PaymentFilter, error) { return paymentFilters.decode(q) }

// filterCodec is the query of one list: its route and its parameters, each
// bound to a field of the filter F, then limit and cursor.
type filterCodec[F any] struct {
	route  string // under Prefix, such as "/clients"
	page   func(*F) *crm.Page
	params []queryParam[F]
}

// queryParam binds one query parameter to a field of F.
type queryParam[F any] struct {
	name   string
	encode func(q url.Values, f *F) // sets name unless the field is its zero value
	decode func(q *listQuery, f *F) // sets the field, or records what is wrong with the value
}

func newFilterCodec[F any](route string, page func(*F) *crm.Page, params ...queryParam[F]) filterCodec[F] {
	params = append(params,
		queryParam[F]{name: qLimit,
			encode: func(q url.Values, f *F) {
				if n := page(f).Limit; n > 0 {
					q.Set(qLimit, strconv.Itoa(n))
				}
			},
			decode: func(q *listQuery, f *F) { page(f).Limit = q.limit() }},
		queryParam[F]{name: qCursor,
			encode: func(q url.Values, f *F) {
				if c := page(f).Cursor; c != "" {
					q.Set(qCursor, c)
				}
			},
			decode: func(q *listQuery, f *F) { page(f).Cursor = q.str(qCursor) }},
	)
	return filterCodec[F]{route: route, page: page, params: params}
}

// names returns the names of the parameters, in the order they are read.
func (c filterCodec[F]) names() []string {
	names := make([]string, len(c.params))
	for i, p := range c.params {
		names[i] = p.name
	}
	return names
}

// encode writes f as a query. A page limit of 0 (every row) is not written:
// a list answers at most MaxLimit rows a request.
func (c filterCodec[F]) encode(f F) url.Values {
	q := url.Values{}
	for _, p := range c.params {
		p.encode(q, &f)
	}
	return q
}

// decode reads a filter from a query. Its error, a malformed request (400),
// names every parameter at fault: one that is not a parameter of this list
// (a typo would otherwise silently widen the list), one given more than
// once, longer than the OpenAPI document allows, or whose value does not
// parse. Without limit, the page is DefaultLimit rows: a request never asks
// for every row.
func (c filterCodec[F]) decode(values url.Values) (F, error) {
	var f F
	params := documentRules()["GET "+Prefix+c.route].query
	q := &listQuery{values: values}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names) // a stable order of errors, for people and tests
	allowed := c.names()
	for _, name := range names {
		switch {
		case !slices.Contains(allowed, name):
			q.add(name, "is not a parameter of this list")
		case len(values[name]) > 1:
			q.add(name, "is given more than once")
		case params[name].maxLength > 0 && utf8.RuneCountInString(values.Get(name)) > params[name].maxLength:
			q.add(name, "must be at most "+strconv.Itoa(params[name].maxLength)+" characters")
		}
	}
	for _, p := range c.params {
		p.decode(q, &f)
	}
	return f, q.err()
}

func boolParam[F any](name string, field func(*F) *bool) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if *field(f) {
				q.Set(name, "true")
			}
		},
		decode: func(q *listQuery, f *F) { *field(f) = q.bool(name) }}
}

func idParam[F any](name string, field func(*F) **int64) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if v := *field(f); v != nil {
				q.Set(name, strconv.FormatInt(*v, 10))
			}
		},
		decode: func(q *listQuery, f *F) { *field(f) = q.id(name) }}
}

// textParam is free text; empty is absent.
func textParam[F any](name string, field func(*F) *string) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if v := *field(f); v != "" {
				q.Set(name, v)
			}
		},
		decode: func(q *listQuery, f *F) { *field(f) = q.str(name) }}
}

// emailParam is an address to match exactly; empty is absent.
func emailParam[F any](name string, field func(*F) *string) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if v := *field(f); v != "" {
				q.Set(name, v)
			}
		},
		decode: func(q *listQuery, f *F) { *field(f) = q.email(name) }}
}

// roleParam is a role as given; the service checks it. Empty is absent.
func roleParam[F any](name string, field func(*F) **crm.Role) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if v := *field(f); v != nil && *v != "" {
				q.Set(name, string(*v))
			}
		},
		decode: func(q *listQuery, f *F) {
			if role := crm.Role(q.str(name)); role != "" {
				*field(f) = &role
			}
		}}
}

// timeParam is a time in RFC 3339, written in UTC to the nanosecond, or at
// its own offset when UTC would take it out of the years 0000 to 9999 that
// RFC 3339 can write.
func timeParam[F any](name string, field func(*F) **time.Time) queryParam[F] {
	return queryParam[F]{name: name,
		encode: func(q url.Values, f *F) {
			if v := *field(f); v != nil {
				t := *v
				if u := t.UTC(); u.Year() >= 0 && u.Year() <= 9999 {
					t = u
				}
				q.Set(name, t.Format(time.RFC3339Nano))
			}
		},
		decode: func(q *listQuery, f *F) { *field(f) = q.time(name) }}
}
