package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// t0 is a fixed, whole-second UTC time that the tests count from.
var t0 = time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)

// storeTests is the behaviour suite, run on each engine.
var storeTests = []struct {
	name string
	fn   func(t *testing.T, f *fixture)
}{
	{"employees", testEmployees},
	{"constraints", testConstraints},
	{"list employees", testListEmployees},
	{"list clients", testListClients},
	{"list contracts", testListContracts},
	{"list events", testListEvents},
	{"cursor", testCursor},
	{"updates", testUpdates},
	{"reassign", testReassign},
	{"audit", testAudit},
	{"sessions", testSessions},
	{"web sessions", testWebSessions},
	{"refresh token race", testRefreshTokenRace},
	{"login failures", testLoginFailures},
	{"delete expired", testDeleteExpired},
	{"settings", testSettings},
	{"ids not reused", testIDsNotReused},
	{"transactions", testTransactions},
	{"times", testTimes},
}

// TestStore runs the suite on SQLite, and on PostgreSQL when
// EPICEVENTS_TEST_POSTGRES_URL is set; every test has a database of its own.
func TestStore(t *testing.T) {
	testdb.ForEach(t, func(t *testing.T, engine string) {
		t.Run("migrations", func(t *testing.T) {
			t.Parallel()
			db, err := sqlstore.Open(t.Context(), testdb.URL(t, engine))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			t.Cleanup(func() { db.Close() })
			testMigrations(t, db)
		})
		for _, tc := range storeTests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, &fixture{t: t, db: testdb.Open(t, engine), ctx: t.Context()})
			})
		}
	})
}

// fixture creates records and checks results for one test.
type fixture struct {
	t   *testing.T
	db  *sqlstore.DB
	ctx context.Context
	n   int // makes emails unique
}

func (f *fixture) employee(first, last string, role crm.Role) crm.Employee {
	f.t.Helper()
	f.n++
	e, err := f.db.CreateEmployee(f.ctx, crm.Employee{
		FirstName: first, LastName: last, Role: role, Active: true,
		Email:     fmt.Sprintf("%s.%s.%d@epic.test", strings.ToLower(first), strings.ToLower(last), f.n),
		CreatedAt: t0, UpdatedAt: t0,
	}, "hash-"+first)
	f.must(err)
	return e
}

func (f *fixture) client(first, last string, company *string, sales int64) crm.Client {
	f.t.Helper()
	f.n++
	c, err := f.db.CreateClient(f.ctx, crm.Client{
		FirstName: first, LastName: last, CompanyName: company, SalesContactID: sales,
		Email:     fmt.Sprintf("%s.%s.%d@client.test", strings.ToLower(first), strings.ToLower(last), f.n),
		CreatedAt: t0, UpdatedAt: t0,
	})
	f.must(err)
	return c
}

func (f *fixture) contract(client crm.Client, total, due crm.Cents, signed bool, created time.Time) crm.Contract {
	f.t.Helper()
	c := crm.Contract{ClientID: client.ID, SalesContactID: client.SalesContactID,
		TotalAmount: total, AmountDue: due, Signed: signed, CreatedAt: created, UpdatedAt: created}
	if signed {
		c.SignedAt = &created
	}
	c, err := f.db.CreateContract(f.ctx, c)
	f.must(err)
	return c
}

func (f *fixture) event(contract crm.Contract, name string, start time.Time, support *int64) crm.Event {
	f.t.Helper()
	e, err := f.db.CreateEvent(f.ctx, crm.Event{ContractID: contract.ID, Name: name, Start: start,
		End: start.Add(2 * time.Hour), SupportContactID: support, Location: "Salle des fêtes",
		Attendees: 50, CreatedAt: t0, UpdatedAt: t0})
	f.must(err)
	return e
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("unexpected error: %v", err)
	}
}

// wantCode fails unless err is a *crm.Error with that code.
func wantCode(t *testing.T, err error, code crm.Code) *crm.Error {
	t.Helper()
	e, ok := crm.AsError(err)
	if !ok || e.Code != code {
		t.Fatalf("error = %v (%T), want code %s", err, err, code)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

// listFunc is a list method bound to its filter but for the page.
type listFunc[T any] func(page crm.Page, emit crm.Emit[T]) (string, error)

// all reads one whole list (no limit) and returns the ids in order.
func all[T any](t *testing.T, list listFunc[T], id func(T) int64) []int64 {
	t.Helper()
	ids := []int64{}
	next, err := list(crm.Page{}, func(v T) error { ids = append(ids, id(v)); return nil })
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if next != "" {
		t.Fatalf("list without limit returned cursor %q", next)
	}
	return ids
}

// pages reads a list page by page and checks that the pages, joined, are the
// whole list.
func pages[T any](t *testing.T, limit int, list listFunc[T], id func(T) int64) [][]int64 {
	t.Helper()
	var out [][]int64
	page := crm.Page{Limit: limit}
	for {
		var ids []int64
		next, err := list(page, func(v T) error { ids = append(ids, id(v)); return nil })
		if err != nil {
			t.Fatalf("list page %d: %v", len(out)+1, err)
		}
		if len(ids) > limit {
			t.Fatalf("page of %d rows with limit %d", len(ids), limit)
		}
		out = append(out, ids)
		if next == "" {
			break
		}
		page.Cursor = next
	}
	if want, got := all(t, list, id), slices.Concat(out...); !slices.Equal(want, got) {
		t.Fatalf("pages %v, whole list %v", out, want)
	}
	return out
}

func employeeID(e crm.Employee) int64 { return e.ID }
func clientID(c crm.Client) int64     { return c.ID }
func contractID(c crm.Contract) int64 { return c.ID }
func eventID(e crm.Event) int64       { return e.ID }
func auditID(a crm.AuditEntry) int64  { return a.ID }
func ids[T any](id func(T) int64, vs ...T) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = id(v)
	}
	return out
}

func testMigrations(t *testing.T, db *sqlstore.DB) {
	ctx := t.Context()
	states, err := db.MigrationStatus(ctx)
	if err != nil || len(states) == 0 || states[0].Name != "00001_schema.sql" {
		t.Fatalf("status on empty database = %+v, %v", states, err)
	}
	names := make([]string, len(states))
	for i, s := range states {
		if s.Applied || s.AppliedAt != nil {
			t.Fatalf("applied on an empty database: %+v", s)
		}
		names[i] = s.Name
	}
	latest := states[len(states)-1].Version
	checkVersion := func(wantCurrent int64) {
		t.Helper()
		current, l, err := db.SchemaCurrent(ctx)
		if err != nil || current != wantCurrent || l != latest {
			t.Fatalf("SchemaCurrent = %d, %d, %v; want %d, %d", current, l, err, wantCurrent, latest)
		}
	}
	checkVersion(0)
	for round := range 2 {
		applied, err := db.MigrateUp(ctx)
		if err != nil || !slices.Equal(applied, names) {
			t.Fatalf("round %d: MigrateUp = %v, %v; want %v", round, applied, err, names)
		}
		checkVersion(latest)
		if applied, err := db.MigrateUp(ctx); err != nil || len(applied) != 0 {
			t.Fatalf("second MigrateUp = %v, %v", applied, err)
		}
		states, err := db.MigrationStatus(ctx)
		if err != nil || len(states) != len(names) || !states[len(states)-1].Applied || states[0].AppliedAt == nil {
			t.Fatalf("status after up = %+v, %v", states, err)
		}
		var departments int
		if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM departments").Scan(&departments); err != nil || departments != 3 {
			t.Fatalf("departments = %d, %v", departments, err)
		}
		for i := len(names) - 1; i >= 0; i-- {
			name, err := db.MigrateDown(ctx)
			if err != nil || name != names[i] {
				t.Fatalf("MigrateDown = %q, %v; want %s", name, err, names[i])
			}
		}
		checkVersion(0)
		if _, err := db.CountEmployees(ctx); err == nil {
			t.Fatal("employees table still exists after down")
		}
		if name, err := db.MigrateDown(ctx); err != nil || name != "" {
			t.Fatalf("MigrateDown with nothing applied = %q, %v", name, err)
		}
	}
}

func testEmployees(t *testing.T, f *fixture) {
	ctx := f.ctx
	boss := f.employee("Ada", "Boss", crm.RoleManagement)
	if boss.ID == 0 || !boss.Active || boss.Role != crm.RoleManagement || !boss.CreatedAt.Equal(t0) || boss.DeactivatedAt != nil {
		t.Fatalf("created %+v", boss)
	}
	got, hash, err := f.db.GetEmployeeByEmail(ctx, strings.ToUpper(boss.Email))
	if err != nil || got.ID != boss.ID || hash != "hash-Ada" {
		t.Fatalf("GetEmployeeByEmail = %+v, %q, %v", got, hash, err)
	}
	e := wantCode(t, func() error { _, _, err := f.db.GetEmployeeByEmail(ctx, "nobody@x.test"); return err }(), crm.CodeNotFound)
	if e.Message != "no employee with that email" {
		t.Errorf("message %q", e.Message)
	}
	wantCode(t, func() error { _, err := f.db.GetEmployee(ctx, 999); return err }(), crm.CodeNotFound)
	wantCode(t, func() error { _, err := f.db.GetPasswordHash(ctx, 999); return err }(), crm.CodeNotFound)

	sales := f.employee("Bill", "Boquet", crm.RoleSales)
	if n, err := f.db.CountEmployees(ctx); err != nil || n != 2 {
		t.Fatalf("CountEmployees = %d, %v", n, err)
	}
	if n, err := f.db.CountActiveManagers(ctx); err != nil || n != 1 {
		t.Fatalf("CountActiveManagers = %d, %v", n, err)
	}

	at := t0.Add(time.Hour)
	up, err := f.db.UpdateEmployee(ctx, sales.ID, crm.EmployeePatch{LastName: ptr("Bouquet"), Role: ptr(crm.RoleManagement)}, at)
	if err != nil || up.LastName != "Bouquet" || up.FirstName != "Bill" || up.Role != crm.RoleManagement || !up.UpdatedAt.Equal(at) {
		t.Fatalf("UpdateEmployee = %+v, %v", up, err)
	}
	if n, _ := f.db.CountActiveManagers(ctx); n != 2 {
		t.Fatalf("CountActiveManagers after promotion = %d", n)
	}
	wantCode(t, func() error {
		_, err := f.db.UpdateEmployee(ctx, 999, crm.EmployeePatch{LastName: ptr("X")}, at)
		return err
	}(), crm.CodeNotFound)

	// A change of credentials bumps CredentialVersion: a new role, a new
	// password, (de)activation; other changes and a rehash do not.
	creds := func(want int64) {
		t.Helper()
		if e, err := f.db.GetEmployee(ctx, sales.ID); err != nil || e.CredentialVersion != want {
			t.Fatalf("CredentialVersion = %d, %v; want %d", e.CredentialVersion, err, want)
		}
	}
	creds(2) // promoted above
	up, err = f.db.UpdateEmployee(ctx, sales.ID, crm.EmployeePatch{FirstName: ptr("Billy"), Role: ptr(crm.RoleManagement)}, at)
	if err != nil || up.FirstName != "Billy" {
		t.Fatalf("UpdateEmployee = %+v, %v", up, err)
	}
	creds(2) // the same role again
	f.must(f.db.SetPassword(ctx, sales.ID, "new-hash", true, at))
	if h, err := f.db.GetPasswordHash(ctx, sales.ID); err != nil || h != "new-hash" {
		t.Fatalf("GetPasswordHash = %q, %v", h, err)
	}
	creds(3)
	versionBefore, _ := f.db.GetEmployee(ctx, sales.ID)
	f.must(f.db.RehashPassword(ctx, sales.ID, "stronger-hash"))
	if h, _ := f.db.GetPasswordHash(ctx, sales.ID); h != "stronger-hash" {
		t.Fatalf("after RehashPassword the hash is %q", h)
	}
	creds(3)
	if e, _ := f.db.GetEmployee(ctx, sales.ID); e.Version != versionBefore.Version || !e.UpdatedAt.Equal(versionBefore.UpdatedAt) {
		t.Fatalf("RehashPassword changed the row's version or updated_at: %+v, was %+v", e, versionBefore)
	}
	wantCode(t, f.db.RehashPassword(ctx, 999, "h"), crm.CodeNotFound)
	if e, _ := f.db.GetEmployee(ctx, sales.ID); !e.MustChangePassword {
		t.Fatal("must_change_password not set")
	}
	wantCode(t, f.db.SetPassword(ctx, 999, "h", false, at), crm.CodeNotFound)

	off, err := f.db.SetActive(ctx, sales.ID, false, at)
	if err != nil || off.Active || off.DeactivatedAt == nil || !off.DeactivatedAt.Equal(at) {
		t.Fatalf("deactivate = %+v, %v", off, err)
	}
	creds(4)
	if n, _ := f.db.CountActiveManagers(ctx); n != 1 {
		t.Fatalf("CountActiveManagers after deactivation = %d", n)
	}
	on, err := f.db.SetActive(ctx, sales.ID, true, at)
	if err != nil || !on.Active || on.DeactivatedAt != nil {
		t.Fatalf("reactivate = %+v, %v", on, err)
	}

	f.must(f.db.DeleteEmployee(ctx, sales.ID))
	wantCode(t, f.db.DeleteEmployee(ctx, sales.ID), crm.CodeNotFound)
	if n, _ := f.db.CountEmployees(ctx); n != 1 {
		t.Fatalf("CountEmployees after delete = %d", n)
	}
}

func testConstraints(t *testing.T, f *fixture) {
	ctx := f.ctx
	sales := f.employee("Bill", "Boquet", crm.RoleSales)
	dup := crm.Employee{FirstName: "Other", LastName: "Bill", Email: strings.ToUpper(sales.Email),
		Role: crm.RoleSales, Active: true, CreatedAt: t0}
	e := wantCode(t, func() error { _, err := f.db.CreateEmployee(ctx, dup, "h"); return err }(), crm.CodeConflict)
	if !strings.HasPrefix(e.Message, "an employee with that email already exists; ") {
		t.Errorf("duplicate employee message %q", e.Message)
	}
	if e.Err == nil {
		t.Error("the driver error is not kept as the cause")
	}

	c := f.client("Kevin", "Casey", ptr("Cool Startup LLC"), sales.ID)
	other := f.client("John", "Ouick", nil, sales.ID)
	e = wantCode(t, func() error {
		_, err := f.db.UpdateClient(ctx, other.ID, crm.ClientPatch{Email: ptr(strings.ToUpper(c.Email))}, t0)
		return err
	}(), crm.CodeConflict)
	if !strings.HasPrefix(e.Message, "a client with that email already exists; ") {
		t.Errorf("duplicate client message %q", e.Message)
	}

	// Foreign keys: an unknown sales contact, an unknown role, a referenced employee.
	wantCode(t, func() error {
		_, err := f.db.CreateClient(ctx, crm.Client{FirstName: "A", LastName: "B", Email: "ab@x.test", SalesContactID: 999, CreatedAt: t0})
		return err
	}(), crm.CodeConflict)
	wantCode(t, func() error {
		_, err := f.db.CreateEmployee(ctx, crm.Employee{FirstName: "A", LastName: "B", Email: "ab@x.test", Role: "BOSS", Active: true, CreatedAt: t0}, "h")
		return err
	}(), crm.CodeConflict)
	e = wantCode(t, f.db.DeleteEmployee(ctx, sales.ID), crm.CodeConflict)
	if strings.Contains(strings.ToLower(e.Message), "constraint") {
		t.Errorf("message carries driver text: %q", e.Message)
	}

	// Checks.
	k := f.contract(c, 1000, 1000, false, t0)
	wantCode(t, func() error {
		_, err := f.db.UpdateContract(ctx, k.ID, crm.ContractUpdate{AmountDue: ptr(crm.Cents(1001))}, t0)
		return err
	}(), crm.CodeInvalid)
	wantCode(t, func() error {
		_, err := f.db.UpdateContract(ctx, k.ID, crm.ContractUpdate{TotalAmount: ptr(crm.MaxAmount + 1)}, t0)
		return err
	}(), crm.CodeInvalid)
	wantCode(t, func() error {
		_, err := f.db.CreateContract(ctx, crm.Contract{ClientID: c.ID, SalesContactID: sales.ID, CreatedAt: t0})
		return err
	}(), crm.CodeInvalid)
	ev := f.event(f.contract(c, 1000, 0, true, t0), "Party", t0, nil)
	for name, p := range map[string]crm.EventPatch{
		"attendees": {Attendees: ptr(100001)},
		"end":       {End: ptr(ev.Start)},
		"name":      {Name: ptr(strings.Repeat("x", 201))},
		"location":  {Location: ptr("")},
		"notes":     {Notes: ptr(strings.Repeat("é", 5001))},
	} {
		_, err := f.db.UpdateEvent(ctx, ev.ID, crm.EventUpdate{EventPatch: p}, t0)
		if crm.ErrorCode(err) != crm.CodeInvalid {
			t.Errorf("event %s out of limits: error %v, want invalid", name, err)
		}
	}
	if _, err := f.db.UpdateEvent(ctx, ev.ID, crm.EventUpdate{EventPatch: crm.EventPatch{Notes: ptr(strings.Repeat("é", 5000))}}, t0); err != nil {
		t.Errorf("5000 accented characters of notes refused: %v", err)
	}
}

func testListEmployees(t *testing.T, f *fixture) {
	ctx := f.ctx
	a := f.employee("Zoe", "Adams", crm.RoleSales)
	b := f.employee("Ann", "Baker", crm.RoleSupport)
	c := f.employee("Bob", "Baker", crm.RoleManagement)
	d := f.employee("Bob", "Baker", crm.RoleSales)
	e := f.employee("Carl", "Cole", crm.RoleSupport)
	_, err := f.db.SetActive(ctx, e.ID, false, t0)
	f.must(err)
	list := func(filter crm.EmployeeFilter) listFunc[crm.Employee] {
		return func(p crm.Page, emit crm.Emit[crm.Employee]) (string, error) {
			filter.Page = p
			return f.db.ListEmployees(ctx, filter, emit)
		}
	}
	if got, want := all(t, list(crm.EmployeeFilter{}), employeeID), ids(employeeID, a, b, c, d); !slices.Equal(got, want) {
		t.Errorf("active employees %v, want %v", got, want)
	}
	if got, want := all(t, list(crm.EmployeeFilter{All: true}), employeeID), ids(employeeID, a, b, c, d, e); !slices.Equal(got, want) {
		t.Errorf("all employees %v, want %v", got, want)
	}
	if got, want := all(t, list(crm.EmployeeFilter{Role: ptr(crm.RoleSupport), All: true}), employeeID), ids(employeeID, b, e); !slices.Equal(got, want) {
		t.Errorf("support employees %v, want %v", got, want)
	}
	got := pages(t, 2, list(crm.EmployeeFilter{All: true}), employeeID)
	if len(got) != 3 || len(got[2]) != 1 {
		t.Errorf("pages of 2 = %v", got)
	}
	if got := pages(t, 5, list(crm.EmployeeFilter{All: true}), employeeID); len(got) != 1 {
		t.Errorf("a full last page should not announce another: %v", got)
	}
}

func testListClients(t *testing.T, f *fixture) {
	ctx := f.ctx
	s1 := f.employee("Bill", "Boquet", crm.RoleSales)
	s2 := f.employee("Sam", "Seller", crm.RoleSales)
	kevin := f.client("Kevin", "Casey", ptr("Cool Startup LLC"), s1.ID)
	john := f.client("John", "Ouick", nil, s2.ID)
	jacky := f.client("Jacky", "Blangier", ptr("Lou Bouzin"), s1.ID)
	odd := f.client("Percy", "Under", ptr("100% fun_club"), s2.ID)
	list := func(filter crm.ClientFilter) listFunc[crm.Client] {
		return func(p crm.Page, emit crm.Emit[crm.Client]) (string, error) {
			filter.Page = p
			return f.db.ListClients(ctx, filter, emit)
		}
	}
	for _, tc := range []struct {
		filter crm.ClientFilter
		want   []crm.Client
	}{
		{crm.ClientFilter{}, []crm.Client{jacky, kevin, john, odd}},
		{crm.ClientFilter{SalesContactID: &s1.ID}, []crm.Client{jacky, kevin}},
		{crm.ClientFilter{Search: "STARTUP"}, []crm.Client{kevin}},  // company, other case
		{crm.ClientFilter{Search: "oUiC"}, []crm.Client{john}},      // last name
		{crm.ClientFilter{Search: "jacky.bl"}, []crm.Client{jacky}}, // email
		{crm.ClientFilter{Search: "KEV"}, []crm.Client{kevin}},      // first name
		{crm.ClientFilter{Search: "%"}, []crm.Client{odd}},          // literal %
		{crm.ClientFilter{Search: "n_c"}, []crm.Client{odd}},        // literal _
		{crm.ClientFilter{Search: "_"}, []crm.Client{odd}},
		{crm.ClientFilter{Search: "bouzin", SalesContactID: &s2.ID}, []crm.Client{}},
	} {
		if got, want := all(t, list(tc.filter), clientID), ids(clientID, tc.want...); !slices.Equal(got, want) {
			t.Errorf("clients %+v = %v, want %v", tc.filter, got, want)
		}
	}
	var got crm.Client
	_, err := f.db.ListClients(ctx, crm.ClientFilter{Search: "casey"}, func(c crm.Client) error { got = c; return nil })
	f.must(err)
	if got.SalesContactName != "Bill Boquet" || *got.CompanyName != "Cool Startup LLC" || got.Phone != nil {
		t.Errorf("listed client %+v", got)
	}
	if p := pages(t, 1, list(crm.ClientFilter{}), clientID); len(p) != 4 {
		t.Errorf("pages of 1 = %v", p)
	}
}

func testListContracts(t *testing.T, f *fixture) {
	ctx := f.ctx
	s1 := f.employee("Bill", "Boquet", crm.RoleSales)
	s2 := f.employee("Sam", "Seller", crm.RoleSales)
	c1 := f.client("Kevin", "Casey", nil, s1.ID)
	c2 := f.client("John", "Ouick", nil, s2.ID)
	day := 24 * time.Hour
	k1 := f.contract(c1, 1000, 1000, false, t0)          // unsigned, unpaid
	k2 := f.contract(c1, 1000, 0, true, t0.Add(day))     // signed, paid
	k3 := f.contract(c2, 1000, 500, true, t0.Add(day))   // same time as k2: id breaks the tie
	k4 := f.contract(c2, 2000, 0, false, t0.Add(2*day))  // unsigned, paid
	k5 := f.contract(c1, 3000, 10, true, t0.Add(-1*day)) // oldest, unpaid
	list := func(filter crm.ContractFilter) listFunc[crm.Contract] {
		return func(p crm.Page, emit crm.Emit[crm.Contract]) (string, error) {
			filter.Page = p
			return f.db.ListContracts(ctx, filter, emit)
		}
	}
	for _, tc := range []struct {
		name   string
		filter crm.ContractFilter
		want   []crm.Contract
	}{
		{"all", crm.ContractFilter{}, []crm.Contract{k4, k3, k2, k1, k5}},
		{"unsigned", crm.ContractFilter{Unsigned: true}, []crm.Contract{k4, k1}},
		{"unpaid", crm.ContractFilter{Unpaid: true}, []crm.Contract{k3, k1, k5}},
		{"unsigned unpaid", crm.ContractFilter{Unsigned: true, Unpaid: true}, []crm.Contract{k1}},
		{"sales", crm.ContractFilter{SalesContactID: &s2.ID}, []crm.Contract{k4, k3}},
		{"client", crm.ContractFilter{ClientID: &c1.ID}, []crm.Contract{k2, k1, k5}},
		{"mine is the service's", crm.ContractFilter{Mine: true, ClientID: &c2.ID}, []crm.Contract{k4, k3}},
	} {
		if got, want := all(t, list(tc.filter), contractID), ids(contractID, tc.want...); !slices.Equal(got, want) {
			t.Errorf("%s: contracts %v, want %v", tc.name, got, want)
		}
		pages(t, 2, list(tc.filter), contractID)
	}
	got, err := f.db.GetContract(ctx, k3.ID)
	f.must(err)
	if got.ClientName != "John Ouick" || got.SalesContactName != "Sam Seller" || got.AmountDue != 500 ||
		!got.Signed || got.SignedAt == nil || !got.SignedAt.Equal(t0.Add(day)) {
		t.Errorf("contract %+v", got)
	}
	wantCode(t, func() error { _, err := f.db.GetContract(ctx, 999); return err }(), crm.CodeNotFound)
}

func testListEvents(t *testing.T, f *fixture) {
	ctx := f.ctx
	s1 := f.employee("Bill", "Boquet", crm.RoleSales)
	s2 := f.employee("Sam", "Seller", crm.RoleSales)
	kate := f.employee("Kate", "Hastroff", crm.RoleSupport)
	c1 := f.client("John", "Ouick", nil, s1.ID)
	c2 := f.client("Jacky", "Blangier", nil, s2.ID)
	_, err := f.db.UpdateClient(ctx, c1.ID, crm.ClientPatch{Phone: ptr("+12345678901")}, t0)
	f.must(err)
	k1 := f.contract(c1, 1000, 0, true, t0)
	k2 := f.contract(c2, 1000, 0, true, t0)
	day := 24 * time.Hour
	e1 := f.event(k1, "Wedding", t0.Add(2*day), &kate.ID)
	e2 := f.event(k2, "Assembly", t0.Add(day), nil)
	e3 := f.event(k2, "Dinner", t0.Add(2*day), nil) // same start as e1
	e4 := f.event(k1, "After party", t0.Add(3*day), &kate.ID)
	// A second contract of c2: the client's events come from both, in start order.
	k3 := f.contract(c2, 500, 0, true, t0)
	e5 := f.event(k3, "Gala", t0.Add(4*day), &kate.ID)
	c3 := f.client("Kevin", "Casey", nil, s1.ID)
	list := func(filter crm.EventFilter) listFunc[crm.Event] {
		return func(p crm.Page, emit crm.Emit[crm.Event]) (string, error) {
			filter.Page = p
			return f.db.ListEvents(ctx, filter, emit)
		}
	}
	for _, tc := range []struct {
		name   string
		filter crm.EventFilter
		want   []crm.Event
	}{
		{"all", crm.EventFilter{}, []crm.Event{e2, e1, e3, e4, e5}},
		{"without support", crm.EventFilter{WithoutSupport: true}, []crm.Event{e2, e3}},
		{"support", crm.EventFilter{SupportContactID: &kate.ID}, []crm.Event{e1, e4, e5}},
		{"sales", crm.EventFilter{SalesContactID: &s2.ID}, []crm.Event{e2, e3, e5}},
		{"contract", crm.EventFilter{ContractID: &k1.ID}, []crm.Event{e1, e4}},
		{"client", crm.EventFilter{ClientID: &c2.ID}, []crm.Event{e2, e3, e5}},
		{"client without support", crm.EventFilter{ClientID: &c2.ID, WithoutSupport: true}, []crm.Event{e2, e3}},
		{"client support", crm.EventFilter{ClientID: &c2.ID, SupportContactID: &kate.ID}, []crm.Event{e5}},
		{"client and another's contract", crm.EventFilter{ClientID: &c2.ID, ContractID: &k1.ID}, nil},
		{"client from", crm.EventFilter{ClientID: &c2.ID, From: ptr(t0.Add(2 * day))}, []crm.Event{e3, e5}},
		{"client without events", crm.EventFilter{ClientID: &c3.ID}, nil},
		{"from inclusive", crm.EventFilter{From: ptr(t0.Add(2 * day))}, []crm.Event{e1, e3, e4, e5}},
		{"to inclusive", crm.EventFilter{To: ptr(t0.Add(2 * day))}, []crm.Event{e2, e1, e3}},
		{"from to", crm.EventFilter{From: ptr(t0.Add(day + time.Second)), To: ptr(t0.Add(3*day - time.Second))}, []crm.Event{e1, e3}},
	} {
		if got, want := all(t, list(tc.filter), eventID), ids(eventID, tc.want...); !slices.Equal(got, want) {
			t.Errorf("%s: events %v, want %v", tc.name, got, want)
		}
		pages(t, 1, list(tc.filter), eventID)
	}
	got, err := f.db.GetEvent(ctx, e1.ID)
	f.must(err)
	if got.ClientID != c1.ID || got.ClientName != "John Ouick" || got.ClientEmail != c1.Email ||
		got.ClientPhone == nil || *got.ClientPhone != "+12345678901" || got.SupportContactName == nil ||
		*got.SupportContactName != "Kate Hastroff" || got.SalesContactID != s1.ID || !got.End.Equal(t0.Add(2*day+2*time.Hour)) {
		t.Errorf("event %+v", got)
	}
	if e2.SupportContactName != nil || e2.SupportContactID != nil {
		t.Errorf("event without support %+v", e2)
	}
	wantCode(t, func() error { _, err := f.db.GetEvent(ctx, 999); return err }(), crm.CodeNotFound)
}

func testCursor(t *testing.T, f *fixture) {
	ctx := f.ctx
	s := f.employee("Bill", "Boquet", crm.RoleSales)
	f.employee("Ann", "Able", crm.RoleSales)
	c := f.client("Kevin", "Casey", nil, s.ID)
	f.contract(c, 100, 100, false, t0)
	f.contract(c, 100, 100, false, t0)
	next, err := f.db.ListEmployees(ctx, crm.EmployeeFilter{Page: crm.Page{Limit: 1}}, func(crm.Employee) error { return nil })
	if err != nil || next == "" {
		t.Fatalf("first page: %q, %v", next, err)
	}
	contractNext, err := f.db.ListContracts(ctx, crm.ContractFilter{Page: crm.Page{Limit: 1}}, func(crm.Contract) error { return nil })
	if err != nil || contractNext == "" {
		t.Fatalf("first contract page: %q, %v", contractNext, err)
	}
	nop := func(crm.Client) error { return nil }
	for _, bad := range []string{"!!!", "e30", "bm90IGpzb24", next[:len(next)-2], contractNext} {
		_, err := f.db.ListClients(ctx, crm.ClientFilter{Page: crm.Page{Limit: 1, Cursor: bad}}, nop)
		e := wantCode(t, err, crm.CodeInvalid)
		if e.Message != "the cursor is invalid; start from the first page" || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
			t.Errorf("cursor %q: %+v", bad, e)
		}
	}
	_, err = f.db.ListEvents(ctx, crm.EventFilter{Page: crm.Page{Cursor: next}}, func(crm.Event) error { return nil })
	wantCode(t, err, crm.CodeInvalid)
	_, err = f.db.ListAudit(ctx, crm.AuditFilter{Page: crm.Page{Cursor: contractNext}}, func(crm.AuditEntry) error { return nil })
	wantCode(t, err, crm.CodeInvalid)

	// An error from emit stops the list and comes back as is.
	stop := errors.New("stop")
	if _, err := f.db.ListEmployees(ctx, crm.EmployeeFilter{}, func(crm.Employee) error { return stop }); err != stop {
		t.Errorf("emit error = %v", err)
	}
}

func testUpdates(t *testing.T, f *fixture) {
	ctx := f.ctx
	s := f.employee("Bill", "Boquet", crm.RoleSales)
	kate := f.employee("Kate", "Hastroff", crm.RoleSupport)
	c := f.client("Kevin", "Casey", ptr("Cool Startup LLC"), s.ID)
	at := t0.Add(time.Hour)
	up, err := f.db.UpdateClient(ctx, c.ID, crm.ClientPatch{Phone: ptr("+67812345678")}, at)
	if err != nil || up.Phone == nil || *up.Phone != "+67812345678" || up.CompanyName == nil || !up.UpdatedAt.Equal(at) || !up.CreatedAt.Equal(t0) {
		t.Fatalf("set phone: %+v, %v", up, err)
	}
	up, err = f.db.UpdateClient(ctx, c.ID, crm.ClientPatch{Phone: ptr(""), CompanyName: ptr(""), FirstName: ptr("Kev")}, at)
	if err != nil || up.Phone != nil || up.CompanyName != nil || up.FirstName != "Kev" || up.LastName != "Casey" {
		t.Fatalf("clear phone and company: %+v, %v", up, err)
	}
	wantCode(t, func() error {
		_, err := f.db.UpdateClient(ctx, 999, crm.ClientPatch{FirstName: ptr("X")}, at)
		return err
	}(), crm.CodeNotFound)
	wantCode(t, func() error { _, err := f.db.GetClient(ctx, 999); return err }(), crm.CodeNotFound)

	k := f.contract(c, 1000, 1000, false, t0)
	signedAt := t0.Add(2 * time.Hour)
	kk, err := f.db.UpdateContract(ctx, k.ID, crm.ContractUpdate{SignedAt: &signedAt, AmountDue: ptr(crm.Cents(250))}, at)
	if err != nil || !kk.Signed || kk.SignedAt == nil || !kk.SignedAt.Equal(signedAt) || kk.AmountDue != 250 || kk.TotalAmount != 1000 {
		t.Fatalf("sign: %+v, %v", kk, err)
	}

	e, err := f.db.CreateEvent(ctx, crm.Event{ContractID: k.ID, Name: "Party", Start: t0, End: t0.Add(time.Hour),
		Location: "Here", Attendees: 10, Notes: ptr("Bring cake"), CreatedAt: t0})
	f.must(err)
	if e.Notes == nil || *e.Notes != "Bring cake" || !e.UpdatedAt.Equal(t0) {
		t.Fatalf("created event %+v", e)
	}
	ee, err := f.db.UpdateEvent(ctx, e.ID, crm.EventUpdate{SetSupport: true, SupportContactID: &kate.ID}, at)
	if err != nil || ee.SupportContactID == nil || *ee.SupportContactID != kate.ID || *ee.Notes != "Bring cake" {
		t.Fatalf("assign: %+v, %v", ee, err)
	}
	ee, err = f.db.UpdateEvent(ctx, e.ID, crm.EventUpdate{EventPatch: crm.EventPatch{Notes: ptr(""), Attendees: ptr(0)}}, at)
	if err != nil || ee.Notes != nil || ee.Attendees != 0 || ee.SupportContactID == nil {
		t.Fatalf("clear notes: %+v, %v", ee, err)
	}
	ee, err = f.db.UpdateEvent(ctx, e.ID, crm.EventUpdate{SetSupport: true}, at)
	if err != nil || ee.SupportContactID != nil || ee.SupportContactName != nil {
		t.Fatalf("unassign: %+v, %v", ee, err)
	}
	wantCode(t, func() error { _, err := f.db.UpdateEvent(ctx, 999, crm.EventUpdate{SetSupport: true}, at); return err }(), crm.CodeNotFound)
}

func testReassign(t *testing.T, f *fixture) {
	ctx := f.ctx
	s1 := f.employee("Bill", "Boquet", crm.RoleSales)
	s2 := f.employee("Sam", "Seller", crm.RoleSales)
	s3 := f.employee("Tom", "Third", crm.RoleSales)
	kate := f.employee("Kate", "Hastroff", crm.RoleSupport)
	al := f.employee("Alienor", "Vichum", crm.RoleSupport)
	c1 := f.client("Kevin", "Casey", nil, s1.ID)
	c2 := f.client("John", "Ouick", nil, s1.ID)
	k1 := f.contract(c1, 100, 100, true, t0)
	k2 := f.contract(c2, 100, 100, true, t0)
	now := t0.Add(24 * time.Hour)
	past := f.event(k1, "Past", now.Add(-3*time.Hour), &kate.ID)     // ended an hour before now
	running := f.event(k1, "Running", now.Add(-time.Hour), &kate.ID) // ends after now
	future := f.event(k2, "Future", now.Add(time.Hour), &kate.ID)

	refs, err := f.db.EmployeeRefs(ctx, kate.ID, now)
	if err != nil || refs != (crm.EmployeeRefs{Events: 3, UpcomingEvents: 2}) {
		t.Fatalf("kate refs %+v, %v", refs, err)
	}
	refs, err = f.db.EmployeeRefs(ctx, s1.ID, now)
	if err != nil || refs != (crm.EmployeeRefs{Clients: 2, Contracts: 2}) || refs.Total() != 4 {
		t.Fatalf("s1 refs %+v, %v", refs, err)
	}

	c, err := f.db.ReassignClient(ctx, c1.ID, s2.ID, now)
	if err != nil || c.SalesContactID != s2.ID || c.SalesContactName != "Sam Seller" {
		t.Fatalf("ReassignClient = %+v, %v", c, err)
	}
	if k, _ := f.db.GetContract(ctx, k1.ID); k.SalesContactID != s2.ID || !k.UpdatedAt.Equal(now) {
		t.Errorf("contract did not follow its client: %+v", k)
	}
	if k, _ := f.db.GetContract(ctx, k2.ID); k.SalesContactID != s1.ID {
		t.Errorf("another client's contract moved: %+v", k)
	}
	wantCode(t, func() error { _, err := f.db.ReassignClient(ctx, 999, s2.ID, now); return err }(), crm.CodeNotFound)
	wantCode(t, func() error { _, err := f.db.ReassignClient(ctx, c1.ID, 999, now); return err }(), crm.CodeConflict)

	f.must(f.db.MoveSalesPortfolio(ctx, s2.ID, s3.ID, now))
	for _, id := range []int64{c1.ID} {
		if c, _ := f.db.GetClient(ctx, id); c.SalesContactID != s3.ID {
			t.Errorf("client %d not moved: %+v", id, c)
		}
	}
	if k, _ := f.db.GetContract(ctx, k1.ID); k.SalesContactID != s3.ID {
		t.Errorf("contract not moved: %+v", k)
	}
	if c, _ := f.db.GetClient(ctx, c2.ID); c.SalesContactID != s1.ID {
		t.Errorf("someone else's client moved: %+v", c)
	}

	f.must(f.db.MoveUpcomingEvents(ctx, kate.ID, al.ID, now))
	for e, want := range map[int64]int64{past.ID: kate.ID, running.ID: al.ID, future.ID: al.ID} {
		if got, _ := f.db.GetEvent(ctx, e); got.SupportContactID == nil || *got.SupportContactID != want {
			t.Errorf("event %d support %v, want %d", e, got.SupportContactID, want)
		}
	}
}

func testAudit(t *testing.T, f *fixture) {
	ctx := f.ctx
	big := int64(1<<53 + 1) // not exact as a float64
	actor := int64(7)
	entries := []crm.AuditEntry{
		{At: t0, ActorID: &actor, ActorEmail: ptr("a@x.test"), Action: "client.create", Entity: "client", EntityID: ptr(int64(1)),
			Changes: map[string]crm.Change{"email": {nil, "k@x.test"}, "sales_contact_id": {nil, big}}, ClientAddr: ptr("10.0.0.1")},
		{At: t0.Add(time.Second), Action: "auth.login_failed", Entity: "employee"},
		{At: t0.Add(2 * time.Second), ActorID: &actor, Action: "client.update", Entity: "client", EntityID: ptr(int64(2)),
			Changes: map[string]crm.Change{"first_name": {"A", "B"}}},
		{At: t0.Add(3 * time.Second), ActorID: ptr(int64(8)), Action: "client.update", Entity: "client", EntityID: ptr(int64(1))},
	}
	// The database dates and numbers the entries, whatever they say.
	before := time.Now().UTC().Truncate(time.Second)
	for _, a := range entries {
		a.ID = 1000
		f.must(f.db.InsertAudit(ctx, a))
	}
	after := time.Now().UTC()
	list := func(filter crm.AuditFilter) listFunc[crm.AuditEntry] {
		return func(p crm.Page, emit crm.Emit[crm.AuditEntry]) (string, error) {
			filter.Page = p
			return f.db.ListAudit(ctx, filter, emit)
		}
	}
	for _, tc := range []struct {
		filter crm.AuditFilter
		want   []int64
	}{
		{crm.AuditFilter{}, []int64{4, 3, 2, 1}},
		{crm.AuditFilter{Entity: "client"}, []int64{4, 3, 1}},
		{crm.AuditFilter{Entity: "client", EntityID: ptr(int64(1))}, []int64{4, 1}},
		{crm.AuditFilter{ActorID: &actor}, []int64{3, 1}},
	} {
		if got := all(t, list(tc.filter), auditID); !slices.Equal(got, tc.want) {
			t.Errorf("audit %+v = %v, want %v", tc.filter, got, tc.want)
		}
		pages(t, 1, list(tc.filter), auditID)
	}
	var first crm.AuditEntry
	_, err := f.db.ListAudit(ctx, crm.AuditFilter{EntityID: ptr(int64(1)), ActorID: &actor}, func(a crm.AuditEntry) error { first = a; return nil })
	f.must(err)
	if first.ID != 1 || *first.ActorEmail != "a@x.test" || *first.ClientAddr != "10.0.0.1" {
		t.Errorf("entry %+v", first)
	}
	if first.At.Before(before) || first.At.After(after) || !first.At.Equal(first.At.Truncate(time.Second)) {
		t.Errorf("entry dated %v, want the database's time between %v and %v, at the second", first.At, before, after)
	}
	if got := first.Changes["sales_contact_id"]; got[0] != nil || got[1] != json.Number(fmt.Sprint(big)) {
		t.Errorf("changes %#v, want [nil, %d] exactly", first.Changes, big)
	}
	if got := first.Changes["email"]; got != (crm.Change{nil, "k@x.test"}) {
		t.Errorf("changes %#v", first.Changes)
	}
	var second crm.AuditEntry
	_, err = f.db.ListAudit(ctx, crm.AuditFilter{Entity: "employee"}, func(a crm.AuditEntry) error { second = a; return nil })
	f.must(err)
	if second.ActorID != nil || second.EntityID != nil || second.Changes == nil || len(second.Changes) != 0 {
		t.Errorf("entry without actor %+v", second)
	}
}

func testSessions(t *testing.T, f *fixture) {
	ctx := f.ctx
	e := f.employee("Bill", "Boquet", crm.RoleSales)
	s, err := f.db.CreateSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0,
		ExpiresAt: t0.Add(12 * time.Hour), ClientAddr: ptr("127.0.0.1")}, "hash-1")
	if err != nil || s.ID == 0 || s.EmployeeID != e.ID || s.RevokedAt != nil || *s.ClientAddr != "127.0.0.1" || !s.ExpiresAt.Equal(t0.Add(12*time.Hour)) {
		t.Fatalf("CreateSession = %+v, %v", s, err)
	}
	f.must(f.db.TouchSession(ctx, s.ID, t0.Add(time.Minute)))
	if got, _ := f.db.GetSession(ctx, s.ID); !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("touched session %+v", got)
	}
	wantCode(t, f.db.TouchSession(ctx, 999, t0), crm.CodeNotFound)
	// The session and its employee in one read, as every request checks them:
	// the same values as the two reads.
	gs, ge, err := f.db.GetSessionEmployee(ctx, s.ID)
	wantS, _ := f.db.GetSession(ctx, s.ID)
	wantE, _ := f.db.GetEmployee(ctx, e.ID)
	if err != nil || !reflect.DeepEqual(gs, wantS) || !reflect.DeepEqual(ge, wantE) {
		t.Errorf("GetSessionEmployee = %+v, %+v, %v; want %+v, %+v", gs, ge, err, wantS, wantE)
	}
	wantCode(t, func() error { _, _, err := f.db.GetSessionEmployee(ctx, 999); return err }(), crm.CodeNotFound)
	e2 := wantCode(t, func() error { _, err := f.db.GetSession(ctx, 999); return err }(), crm.CodeNotFound)
	if !strings.Contains(e2.Message, "session 999") {
		t.Errorf("message %q", e2.Message)
	}

	// Rotation: the first use is fresh, the second is a reuse.
	f.must(f.db.AddRefreshToken(ctx, s.ID, "hash-2", t0))
	for i, want := range []bool{true, false} {
		id, fresh, err := f.db.UseRefreshToken(ctx, "hash-2", t0)
		if err != nil || id != s.ID || fresh != want {
			t.Errorf("use %d = %d, %v, %v", i, id, fresh, err)
		}
	}
	_, _, err = f.db.UseRefreshToken(ctx, "unknown", t0)
	wantCode(t, err, crm.CodeNotFound)
	wantCode(t, f.db.AddRefreshToken(ctx, s.ID, "hash-2", t0), crm.CodeConflict)

	at := t0.Add(time.Hour)
	f.must(f.db.RevokeSession(ctx, s.ID, at))
	f.must(f.db.RevokeSession(ctx, s.ID, at.Add(time.Hour)))
	if got, _ := f.db.GetSession(ctx, s.ID); got.RevokedAt == nil || !got.RevokedAt.Equal(at) {
		t.Errorf("revoked session %+v", got)
	}
	wantCode(t, f.db.RevokeSession(ctx, 999, at), crm.CodeNotFound)

	s2, err := f.db.CreateSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: at}, "hash-3")
	f.must(err)
	f.must(f.db.RevokeEmployeeSessions(ctx, e.ID, at.Add(time.Hour)))
	if got, _ := f.db.GetSession(ctx, s2.ID); got.RevokedAt == nil || !got.RevokedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("session after RevokeEmployeeSessions %+v", got)
	}
	if got, _ := f.db.GetSession(ctx, s.ID); !got.RevokedAt.Equal(at) {
		t.Errorf("an already revoked session changed: %+v", got)
	}
	_, err = f.db.CreateSession(ctx, crm.Session{EmployeeID: 999, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: at}, "hash-4")
	wantCode(t, err, crm.CodeConflict)

	// Sessions and tokens go with their employee.
	f.must(f.db.DeleteEmployee(ctx, e.ID))
	wantCode(t, func() error { _, err := f.db.GetSession(ctx, s.ID); return err }(), crm.CodeNotFound)
	_, _, err = f.db.UseRefreshToken(ctx, "hash-3", at)
	wantCode(t, err, crm.CodeNotFound)
}

func testRefreshTokenRace(t *testing.T, f *fixture) {
	e := f.employee("Bill", "Boquet", crm.RoleSales)
	s, err := f.db.CreateSession(f.ctx, crm.Session{EmployeeID: e.ID, CreatedAt: t0, LastUsedAt: t0, ExpiresAt: t0.Add(time.Hour)}, "race")
	f.must(err)
	const callers = 20
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh int
		errs  []error
	)
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			id, ok, err := f.db.UseRefreshToken(f.ctx, "race", t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs = append(errs, err)
			case id != s.ID:
				errs = append(errs, fmt.Errorf("session %d, want %d", id, s.ID))
			case ok:
				fresh++
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 || fresh != 1 {
		t.Fatalf("%d fresh of %d callers, errors %v; want exactly one fresh", fresh, callers, errs)
	}
}

func testLoginFailures(t *testing.T, f *fixture) {
	ctx := f.ctx
	key := "f3a1c0de"
	for _, d := range []time.Duration{0, 5 * time.Minute, 10 * time.Minute} {
		f.must(f.db.RecordLoginFailure(ctx, key, t0.Add(d)))
	}
	f.must(f.db.RecordLoginFailure(ctx, "0ther", t0))
	for _, tc := range []struct {
		since   time.Time
		allowed int
		n       int
		freeAt  time.Time
	}{
		{t0.Add(-time.Hour), 3, 3, t0},                            // the oldest frees one
		{t0.Add(-time.Hour), 2, 3, t0.Add(5 * time.Minute)},       // two must leave
		{t0.Add(-time.Hour), 1, 3, t0.Add(10 * time.Minute)},      // all three must leave
		{t0.Add(-time.Hour), 4, 3, time.Time{}},                   // within the allowance
		{t0.Add(5 * time.Minute), 1, 1, t0.Add(10 * time.Minute)}, // strictly after
		{t0.Add(5*time.Minute - time.Second), 2, 2, t0.Add(5 * time.Minute)},
		{t0.Add(5 * time.Minute), 2, 1, time.Time{}},
		{t0.Add(10 * time.Minute), 1, 0, time.Time{}},
	} {
		n, freeAt, err := f.db.LoginFailures(ctx, key, tc.since, tc.allowed)
		if err != nil || n != tc.n || !freeAt.Equal(tc.freeAt) {
			t.Errorf("LoginFailures since %v, %d allowed = %d, %v, %v; want %d, %v", tc.since, tc.allowed, n, freeAt, err, tc.n, tc.freeAt)
		}
	}
	f.must(f.db.RemoveLoginFailure(ctx, key, t0.Add(5*time.Minute)))
	if n, _, _ := f.db.LoginFailures(ctx, key, time.Time{}, 5); n != 2 {
		t.Errorf("%d failures after removing one of 3", n)
	}
	f.must(f.db.ClearLoginFailures(ctx, key))
	if n, _, _ := f.db.LoginFailures(ctx, key, time.Time{}, 5); n != 0 {
		t.Errorf("%d failures after clear", n)
	}
	if n, _, _ := f.db.LoginFailures(ctx, "0ther", time.Time{}, 5); n != 1 {
		t.Errorf("clear removed another key's failures: %d left", n)
	}
}

// testDeleteExpired: old login failures go, and the sessions that can no
// longer be used, with their refresh tokens; the rest stays.
func testDeleteExpired(t *testing.T, f *fixture) {
	ctx := f.ctx
	e := f.employee("Bill", "Boquet", crm.RoleSales)
	now := t0.Add(24 * time.Hour)
	for i, at := range []time.Time{now.Add(-16 * time.Minute), now.Add(-15 * time.Minute), now.Add(-time.Minute)} {
		f.must(f.db.RecordLoginFailure(ctx, fmt.Sprint("k", i), at))
	}
	session := func(name string, created, lastUsed, expires time.Time, revoked bool) int64 {
		t.Helper()
		s, err := f.db.CreateSession(ctx, crm.Session{EmployeeID: e.ID, CreatedAt: created, LastUsedAt: lastUsed, ExpiresAt: expires}, "hash-"+name)
		f.must(err)
		f.must(f.db.AddRefreshToken(ctx, s.ID, "hash-"+name+"-2", lastUsed))
		if revoked {
			f.must(f.db.RevokeSession(ctx, s.ID, lastUsed))
		}
		return s.ID
	}
	live := session("live", now.Add(-time.Hour), now.Add(-29*time.Minute), now.Add(time.Hour), false)
	idleEdge := session("idle-edge", now.Add(-time.Hour), now.Add(-30*time.Minute), now.Add(time.Hour), false)
	idle := session("idle", now.Add(-time.Hour), now.Add(-31*time.Minute), now.Add(time.Hour), false)
	expired := session("expired", now.Add(-12*time.Hour), now.Add(-time.Minute), now, false)
	revoked := session("revoked", now.Add(-time.Hour), now.Add(-time.Minute), now.Add(time.Hour), true)

	p, err := f.db.DeleteExpired(ctx, crm.Expiry{FailuresBefore: now.Add(-15 * time.Minute), Now: now, IdleBefore: now.Add(-30 * time.Minute)})
	if err != nil || p != (crm.Purged{LoginFailures: 1, Sessions: 3}) {
		t.Fatalf("DeleteExpired = %+v, %v; want 1 login failure and 3 sessions", p, err)
	}
	for i, want := range []int{0, 1, 1} {
		if n, _, _ := f.db.LoginFailures(ctx, fmt.Sprint("k", i), time.Time{}, 5); n != want {
			t.Errorf("login failure %d: %d left, want %d", i, n, want)
		}
	}
	for _, id := range []int64{live, idleEdge} {
		if _, err := f.db.GetSession(ctx, id); err != nil {
			t.Errorf("session %d: %v; want it kept", id, err)
		}
	}
	for _, id := range []int64{idle, expired, revoked} {
		wantCode(t, func() error { _, err := f.db.GetSession(ctx, id); return err }(), crm.CodeNotFound)
	}
	for name, want := range map[string]bool{"live": true, "idle-edge": true, "idle": false, "expired": false, "revoked": false} {
		var n int
		q := "SELECT count(*) FROM refresh_tokens WHERE hash IN ('hash-" + name + "', 'hash-" + name + "-2')"
		if err := f.db.SQL().QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 2) != want || (n != 0 && n != 2) {
			t.Errorf("%d refresh tokens of the %s session left", n, name)
		}
	}
	// Inside a transaction too.
	f.must(f.db.InTx(ctx, func(q crm.Queries) error {
		p, err := q.DeleteExpired(ctx, crm.Expiry{FailuresBefore: now, Now: now, IdleBefore: now})
		if err == nil && p != (crm.Purged{LoginFailures: 2, Sessions: 2}) {
			t.Errorf("DeleteExpired in a transaction = %+v", p)
		}
		return err
	}))
}

func testSettings(t *testing.T, f *fixture) {
	ctx := f.ctx
	_, err := f.db.GetSetting(ctx, "jwt_key")
	wantCode(t, err, crm.CodeNotFound)
	v, err := f.db.PutSettingIfAbsent(ctx, "jwt_key", "first")
	if err != nil || v != "first" {
		t.Fatalf("first put = %q, %v", v, err)
	}
	v, err = f.db.PutSettingIfAbsent(ctx, "jwt_key", "second")
	if err != nil || v != "first" {
		t.Fatalf("second put = %q, %v", v, err)
	}
	if v, err := f.db.GetSetting(ctx, "jwt_key"); err != nil || v != "first" {
		t.Fatalf("GetSetting = %q, %v", v, err)
	}
}

func testIDsNotReused(t *testing.T, f *fixture) {
	ctx := f.ctx
	s := f.employee("Bill", "Boquet", crm.RoleSales)
	gone := f.employee("Gone", "Soon", crm.RoleSupport)
	f.must(f.db.DeleteEmployee(ctx, gone.ID))
	if next := f.employee("New", "Comer", crm.RoleSupport); next.ID <= gone.ID {
		t.Errorf("employee id %d reused after deleting %d", next.ID, gone.ID)
	}
	c := f.client("Kevin", "Casey", nil, s.ID)
	_, err := f.db.SQL().ExecContext(ctx, rebind(f.db, "DELETE FROM clients WHERE id = ?"), c.ID)
	f.must(err)
	if next := f.client("John", "Ouick", nil, s.ID); next.ID <= c.ID {
		t.Errorf("client id %d reused after deleting %d", next.ID, c.ID)
	}
}

func rebind(db *sqlstore.DB, q string) string {
	if db.Dialect() == "postgres" {
		return strings.ReplaceAll(q, "?", "$1")
	}
	return q
}

func testTransactions(t *testing.T, f *fixture) {
	ctx := f.ctx
	boom := errors.New("boom")
	err := f.db.InTx(ctx, func(q crm.Queries) error {
		if _, err := q.CreateEmployee(ctx, crm.Employee{FirstName: "A", LastName: "B", Email: "ab@x.test",
			Role: crm.RoleManagement, Active: true, CreatedAt: t0}, "h"); err != nil {
			return err
		}
		if n, err := q.CountEmployees(ctx); err != nil || n != 1 {
			return fmt.Errorf("count in tx = %d, %v", n, err)
		}
		return boom
	})
	if err != boom {
		t.Fatalf("InTx = %v, want the function's error", err)
	}
	if n, _ := f.db.CountEmployees(ctx); n != 0 {
		t.Fatalf("rolled back transaction left %d employees", n)
	}

	// Concurrent check-then-write transactions queue instead of failing, and
	// each sees the writes of those before it.
	const writers = 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			errs <- f.db.InTx(ctx, func(q crm.Queries) error {
				n, err := q.CountActiveManagers(ctx)
				if err != nil {
					return err
				}
				if n >= 5 {
					return nil // enough managers: the check that must see the others' writes
				}
				_, err = q.CreateEmployee(ctx, crm.Employee{FirstName: "M", LastName: fmt.Sprint(i),
					Email: fmt.Sprintf("m%d@x.test", i), Role: crm.RoleManagement, Active: true, CreatedAt: t0}, "h")
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent transaction: %v", err)
		}
	}
	if n, _ := f.db.CountActiveManagers(ctx); n != 5 {
		t.Errorf("%d managers, want exactly 5: the checks did not serialize", n)
	}

	// Get inside a transaction locks the row on PostgreSQL; it must still work
	// on both engines, and the lock must not block references from others.
	boss := f.employee("Ada", "Boss", crm.RoleSales)
	ev := f.event(f.contract(f.client("Kevin", "Casey", nil, boss.ID), 100, 0, true, t0), "Party", t0, nil)
	f.must(f.db.InTx(ctx, func(q crm.Queries) error {
		if _, err := q.GetEmployee(ctx, boss.ID); err != nil {
			return err
		}
		if _, err := q.GetEvent(ctx, ev.ID); err != nil {
			return err
		}
		if _, err := q.GetContract(ctx, ev.ContractID); err != nil {
			return err
		}
		if _, err := q.GetClient(ctx, ev.ClientID); err != nil {
			return err
		}
		if f.db.Dialect() == "sqlite" {
			return nil // another writer would wait for this transaction
		}
		// Another connection may still create a client of the locked employee.
		_, err := f.db.CreateClient(ctx, crm.Client{FirstName: "K", LastName: "C", Email: "kc@x.test", SalesContactID: boss.ID, CreatedAt: t0})
		return err
	}))
}

func testTimes(t *testing.T, f *fixture) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	local := time.Date(2023, 6, 4, 13, 0, 0, 987654321, paris) // 11:00:00Z, with a fraction
	e, err := f.db.CreateEmployee(f.ctx, crm.Employee{FirstName: "T", LastName: "Z", Email: "tz@x.test",
		Role: crm.RoleSales, Active: true, CreatedAt: local}, "h")
	f.must(err)
	want := time.Date(2023, 6, 4, 11, 0, 0, 0, time.UTC)
	if e.CreatedAt != want || e.UpdatedAt != want {
		t.Errorf("stored %v / %v, want %v in UTC to the second", e.CreatedAt, e.UpdatedAt, want)
	}
	if f.db.Dialect() == "sqlite" {
		var raw string
		f.must(f.db.SQL().QueryRowContext(f.ctx, "SELECT created_at FROM employees WHERE id = ?", e.ID).Scan(&raw))
		if raw != "2023-06-04T11:00:00Z" {
			t.Errorf("SQLite text %q, want 2023-06-04T11:00:00Z", raw)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := t.Context()
	_, err := sqlstore.Open(ctx, "mysql://x")
	wantCode(t, err, crm.CodeInvalid)

	_, err = sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "missing", "db.sqlite"))
	wantCode(t, err, crm.CodeUnavailable)

	// Nothing listens on port 1.
	start := time.Now()
	_, err = sqlstore.Open(ctx, "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=5")
	e := wantCode(t, err, crm.CodeUnavailable)
	if e.Message != "the database cannot be reached; try again later" || e.Err == nil {
		t.Errorf("unreachable PostgreSQL: %q (cause %v)", e.Message, e.Err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %v to give up", time.Since(start))
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	db, err := sqlstore.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	if db.Dialect() != "sqlite" {
		t.Errorf("Dialect = %q", db.Dialect())
	}
	var journal string
	if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&journal); err != nil || journal != "wal" {
		t.Errorf("journal_mode %q, %v", journal, err)
	}
	var fk int
	if err := db.SQL().QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys %d, %v", fk, err)
	}
}
