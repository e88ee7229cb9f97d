package httpapi

import (
	"math/rand/v2"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// codecCase is one filter codec seen without its filter type, so that the
// tests below run over all of them.
type codecCase struct {
	name  string
	route string
	names []string
	typ   reflect.Type
	// roundTrip encodes the filter *F that f points to, decodes the query
	// and returns the filter read back (as a *F) and the query.
	roundTrip func(f any) (any, url.Values, error)
	// decode decodes a query into a *F.
	decode func(url.Values) (any, error)
	encode func(f any) url.Values
}

func caseOf[F any](name string, codec filterCodec[F], enc func(F) url.Values, dec func(url.Values) (F, error)) codecCase {
	return codecCase{name: name, route: codec.route, names: codec.names(), typ: reflect.TypeFor[F](),
		roundTrip: func(f any) (any, url.Values, error) {
			q := enc(*f.(*F))
			back, err := dec(q)
			return &back, q, err
		},
		decode: func(q url.Values) (any, error) {
			f, err := dec(q)
			return &f, err
		},
		encode: func(f any) url.Values { return enc(*f.(*F)) },
	}
}

// codecs are every filter codec, through the exported pairs.
var codecs = []codecCase{
	caseOf("employees", employeeFilters, EncodeEmployeeFilter, DecodeEmployeeFilter),
	caseOf("clients", clientFilters, EncodeClientFilter, DecodeClientFilter),
	caseOf("contracts", contractFilters, EncodeContractFilter, DecodeContractFilter),
	caseOf("events", eventFilters, EncodeEventFilter, DecodeEventFilter),
	caseOf("audit", auditFilters, EncodeAuditFilter, DecodeAuditFilter),
	caseOf("payments", paymentFilters, EncodePaymentFilter, DecodePaymentFilter),
}

// TestFilterCodecs: each filter is written as the document names its
// parameters, and read back as it was.
func TestFilterCodecs(t *testing.T) {
	id := func(v int64) *int64 { return &v }
	role := crm.RoleSales
	paris, _ := time.LoadLocation("Europe/Paris")
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, paris)
	to := time.Date(2026, 6, 30, 21, 59, 59, 500_000_000, time.UTC)
	for _, tc := range []struct {
		filter any // a pointer to a filter
		raw    string
	}{
		{&crm.EmployeeFilter{}, ""},
		{&crm.EmployeeFilter{Role: &role, All: true, Email: "Kate+crm@epicevents.example", Page: crm.Page{Limit: 500}},
			"all=true&email=Kate%2Bcrm%40epicevents.example&limit=500&role=SALES"},
		{&crm.ClientFilter{Mine: true, SalesContactID: id(3), Search: "o'b & co", Page: crm.Page{Limit: 20, Cursor: "abc="}},
			"cursor=abc%3D&limit=20&mine=true&sales_contact_id=3&search=o%27b+%26+co"},
		{&crm.ClientFilter{Email: "kevin@startup.io", Page: crm.Page{Limit: 1}}, "email=kevin%40startup.io&limit=1"},
		{&crm.ContractFilter{Unsigned: true, Unpaid: true, Mine: true, ClientID: id(4), SalesContactID: id(9), Page: crm.Page{Limit: 100}},
			"client_id=4&limit=100&mine=true&sales_contact_id=9&unpaid=true&unsigned=true"},
		{&crm.EventFilter{WithoutSupport: true, Mine: true, Upcoming: true, ContractID: id(5), SupportContactID: id(6),
			SalesContactID: id(7), From: &from, To: &to, Page: crm.Page{Limit: 100}},
			"contract_id=5&from=2026-05-31T22%3A00%3A00Z&limit=100&mine=true&sales_contact_id=7&support_contact_id=6&" +
				"to=2026-06-30T21%3A59%3A59.5Z&upcoming=true&without_support=true"},
		{&crm.EventFilter{ClientID: id(8), Page: crm.Page{Limit: 50}}, "client_id=8&limit=50"},
		{&crm.AuditFilter{Entity: "client", EntityID: id(6), ActorID: id(1), Page: crm.Page{Limit: 10, Cursor: "abc"}},
			"actor_id=1&cursor=abc&entity=client&entity_id=6&limit=10"},
		{&crm.PaymentFilter{Page: crm.Page{Limit: 3, Cursor: "xyz"}}, "cursor=xyz&limit=3"},
	} {
		c := codecFor(t, tc.filter)
		back, q, err := c.roundTrip(tc.filter)
		if err != nil {
			t.Errorf("%s: %+v: %v", c.name, tc.filter, err)
			continue
		}
		if got := q.Encode(); got != tc.raw {
			t.Errorf("%s: %+v is written\n%s, want\n%s", c.name, tc.filter, got, tc.raw)
		}
		want := reflect.ValueOf(tc.filter).Elem()
		if page := want.FieldByName("Page"); page.FieldByName("Limit").Int() == 0 {
			// Every row is not a page a request may ask: the server
			// answers the default page.
			page.FieldByName("Limit").SetInt(DefaultLimit)
		}
		if !sameFilter(back, tc.filter) {
			t.Errorf("%s: %+v is read back as %+v", c.name, tc.filter, back)
		}
	}
}

func codecFor(t *testing.T, filter any) codecCase {
	t.Helper()
	for _, c := range codecs {
		if reflect.TypeOf(filter).Elem() == c.typ {
			return c
		}
	}
	t.Fatalf("no codec for %T", filter)
	return codecCase{}
}

// TestFilterRoundTrip: decode(encode(f)) == f for random filters with every
// field set at random, so that a field that the codec forgets, or writes in a
// way it does not read back, fails here.
func TestFilterRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range codecs {
		set := map[string]bool{} // the fields seen set and read back
		for range 500 {
			f := reflect.New(c.typ)
			randomFill(r, f.Elem(), "", set)
			back, q, err := c.roundTrip(f.Interface())
			if err != nil {
				t.Fatalf("%s: %+v written %s: %v", c.name, f.Elem(), q.Encode(), err)
			}
			if !sameFilter(back, f.Interface()) {
				t.Fatalf("%s: %+v written %s is read back as %+v", c.name, f.Elem(), q.Encode(), back)
			}
		}
		fields := leafFields(c.typ, "")
		for _, name := range fields {
			if !set[name] {
				t.Errorf("%s: the field %s was never set", c.name, name)
			}
		}
	}
}

// randomFill sets every field of the struct v at random, to a value a
// filter may hold: ids are positive, a page holds 1 to MaxLimit rows, a role
// is not empty, texts are short. set records the fields given a non-zero
// value.
func randomFill(r *rand.Rand, v reflect.Value, prefix string, set map[string]bool) {
	for i := range v.NumField() {
		fv, name := v.Field(i), prefix+v.Type().Field(i).Name
		if r.IntN(4) == 0 && name != "Page.Limit" && fv.Kind() != reflect.Struct {
			continue // left zero
		}
		switch {
		case fv.Kind() == reflect.Struct:
			randomFill(r, fv, name+".", set)
			continue
		case fv.Kind() == reflect.Bool:
			fv.SetBool(true)
		case fv.Kind() == reflect.String:
			fv.SetString(randomText(r))
		case name == "Page.Limit":
			fv.SetInt(int64(1 + r.IntN(MaxLimit)))
		case fv.Type() == reflect.TypeFor[*int64]():
			n := 1 + r.Int64N(1<<62)
			fv.Set(reflect.ValueOf(&n))
		case fv.Type() == reflect.TypeFor[*time.Time]():
			zone := time.FixedZone("", (r.IntN(49)-24)*30*60)
			t := time.Date(1970+r.IntN(130), time.Month(1+r.IntN(12)), 1+r.IntN(28),
				r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1_000_000_000), zone)
			fv.Set(reflect.ValueOf(&t))
		case fv.Type() == reflect.TypeFor[*crm.Role]():
			role := crm.Role(randomText(r))
			fv.Set(reflect.ValueOf(&role))
		default:
			panic("randomFill: a filter field of type " + fv.Type().String() + ": teach the test its values")
		}
		set[name] = true
	}
}

// randomText is 1 to 40 characters, among them the ones a query escapes.
func randomText(r *rand.Rand) string {
	const alphabet = "abcXYZ09 +&=%?#/;.,'\"éß中🙂\t@-_~"
	chars := []rune(alphabet)
	var b strings.Builder
	for range 1 + r.IntN(40) {
		b.WriteRune(chars[r.IntN(len(chars))])
	}
	return b.String()
}

// leafFields names the fields of a struct type, those of embedded structs
// as Page.Limit.
func leafFields(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leafFields(f.Type, prefix+f.Name+".")...)
		} else {
			out = append(out, prefix+f.Name)
		}
	}
	return out
}

// sameFilter compares two filters (pointers), their times as instants.
func sameFilter(a, b any) bool {
	return reflect.DeepEqual(utcTimes(a), utcTimes(b))
}

// utcTimes returns a copy of the filter *f with its times in UTC.
func utcTimes(f any) any {
	v := reflect.New(reflect.TypeOf(f).Elem()).Elem()
	v.Set(reflect.ValueOf(f).Elem())
	for i := range v.NumField() {
		if t, ok := v.Field(i).Interface().(*time.Time); ok && t != nil {
			u := t.UTC()
			v.Field(i).Set(reflect.ValueOf(&u))
		}
	}
	return v.Interface()
}

// TestFilterParametersMatchDocument: each list reads exactly the query
// parameters that the OpenAPI document gives its route.
func TestFilterParametersMatchDocument(t *testing.T) {
	rules := documentRules()
	routes := []string{}
	for _, c := range codecs {
		route := "GET " + Prefix + c.route
		routes = append(routes, Prefix+c.route)
		var documented []string
		for name := range rules[route].query {
			documented = append(documented, name)
		}
		slices.Sort(documented)
		names := slices.Sorted(slices.Values(c.names))
		if !slices.Equal(names, documented) {
			t.Errorf("%s reads %v; the document gives it %v", route, names, documented)
		}
	}
	slices.Sort(routes)
	if lists := slices.Sorted(slices.Values(listRoutes)); !slices.Equal(routes, lists) {
		t.Errorf("the codecs serve %v; the lists are %v", routes, lists)
	}
}

// FuzzFilterCodec: any query that a list accepts is read back the same
// after the client writes it again: decode(encode(decode(q))) == decode(q).
func FuzzFilterCodec(f *testing.F) {
	f.Add(uint8(1), "search=Casey&mine=true&limit=2")
	f.Add(uint8(3), "from=2023-06-04T13:00:00%2B02:00&to=2040-01-01T00:00:00.123Z&without_support=true")
	f.Add(uint8(3), "from=0000-01-01T00:00:00%2B01:00&upcoming=false")
	f.Add(uint8(4), "entity=client&entity_id=1&actor_id=1&limit=500")
	f.Add(uint8(0), "role=&all=true&cursor=eyJrIjoiZW1wbG95ZWVzIiwiaSI6MX0")
	f.Add(uint8(2), "client_id=007&limit=%2B5&unpaid=false")
	f.Fuzz(func(t *testing.T, list uint8, query string) {
		c := codecs[int(list)%len(codecs)]
		values, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		first, err := c.decode(values)
		if err != nil {
			return
		}
		q := c.encode(first)
		again, err := c.decode(q)
		if err != nil {
			t.Fatalf("%s: %q is read as %+v, written %q, which is refused: %v", c.name, query, first, q.Encode(), err)
		}
		if !sameFilter(first, again) {
			t.Fatalf("%s: %q is read as %+v, written %q, read back as %+v", c.name, query, first, q.Encode(), again)
		}
	})
}
