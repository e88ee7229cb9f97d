package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/epicevents/epicevents/internal/crm"
)

// Flag tests in the GitHub CLI's runF style: each command runs on its real
// flags, and what it would send to the API (a filter, a new contract, an
// employee to deactivate) is captured by a recording API instead of being
// run, so the parsing is tested without a database, a server or a login.
// Bad flags must be refused with the CLI's message and exit code before the
// API is called at all.

// errCaptured ends a command once the recorder has what it would send.
var errCaptured = errors.New("captured")

// recorder is an API that records the one call a command makes and stops
// it there. Look-ups by email (how --client, --support … take an email) are
// answered from the two maps, as the service would.
type recorder struct {
	crm.API            // nil: a call no test expects panics
	employees, clients map[string]int64

	method string
	args   []any
}

func (r *recorder) capture(method string, args ...any) error {
	if r.method != "" {
		return errors.New("a second call to the API: " + method + " after " + r.method)
	}
	r.method, r.args = method, args
	return errCaptured
}

func (r *recorder) ListEmployees(_ context.Context, f crm.EmployeeFilter, emit crm.Emit[crm.Employee]) (string, error) {
	if f.Email != "" {
		if id, ok := r.employees[strings.ToLower(f.Email)]; ok {
			return "", emit(crm.Employee{ID: id})
		}
		return "", nil
	}
	return "", r.capture("ListEmployees", f)
}

func (r *recorder) ListClients(_ context.Context, f crm.ClientFilter, emit crm.Emit[crm.Client]) (string, error) {
	if f.Email != "" {
		if id, ok := r.clients[strings.ToLower(f.Email)]; ok {
			return "", emit(crm.Client{ID: id})
		}
		return "", nil
	}
	return "", r.capture("ListClients", f)
}

func (r *recorder) ListEvents(_ context.Context, f crm.EventFilter, _ crm.Emit[crm.Event]) (string, error) {
	return "", r.capture("ListEvents", f)
}

func (r *recorder) ListContracts(_ context.Context, f crm.ContractFilter, _ crm.Emit[crm.Contract]) (string, error) {
	return "", r.capture("ListContracts", f)
}

func (r *recorder) CreateContract(_ context.Context, in crm.NewContract) (crm.Contract, error) {
	return crm.Contract{}, r.capture("CreateContract", in)
}

func (r *recorder) UpdateContract(_ context.Context, id int64, p crm.ContractPatch) (crm.Contract, error) {
	return crm.Contract{}, r.capture("UpdateContract", id, p)
}

func (r *recorder) CheckCreateEmployee(_ context.Context, in crm.NewEmployee) error {
	return r.capture("CheckCreateEmployee", in)
}

func (r *recorder) Deactivate(_ context.Context, id int64, reassignTo *int64) (crm.Employee, error) {
	return crm.Employee{}, r.capture("Deactivate", id, reassignTo)
}

// flagRun is the outcome of one command line.
type flagRun struct {
	rec    *recorder
	code   int    // the exit code; ExitOK when the recorder stopped the command
	stderr string // what the CLI said
}

// runFlags runs the command line args as Main does, with the recorder as the
// logged-in API, in the time zone Europe/Paris.
func runFlags(t *testing.T, args ...string) flagRun {
	t.Helper()
	rec := &recorder{
		employees: map[string]int64{"kate@epicevents.example": 4, "sam@epicevents.example": 7, "bill@epicevents.example": 9},
		clients:   map[string]int64{"kevin@startup.io": 12},
	}
	env := map[string]string{"EPICEVENTS_HOME": t.TempDir(), "EPICEVENTS_KEYRING": "off", "EPICEVENTS_TZ": "Europe/Paris"}
	var stdout, stderr bytes.Buffer
	a := &App{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		in: &lines{bufio.NewReader(strings.NewReader(""))}, env: func(k string) string { return env[k] }, args: args}
	a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	a.sessionF = func(ctx context.Context) (crm.API, context.Context, error) { return rec, ctx, nil }
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.stdin)
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	cmd, err := root.ExecuteContextC(context.Background())
	a.close()
	out := flagRun{rec: rec}
	if errors.Is(err, errCaptured) {
		return out
	}
	if err == nil {
		t.Fatalf("%q ran to the end without calling the API", args)
	}
	out.code = a.report(cmd, err)
	out.stderr = stderr.String()
	return out
}

// flagCase is one command line and either the call it makes or its refusal.
type flagCase struct {
	args   []string
	method string // the API call captured; "" when refused
	want   []any  // its arguments
	code   int    // for a refusal: the exit code
	err    string // for a refusal: a part of the message
}

func checkFlags(t *testing.T, cases []flagCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got := runFlags(t, tc.args...)
			if tc.method == "" {
				if got.rec.method != "" {
					t.Errorf("called %s%+v; want a refusal before any call", got.rec.method, got.rec.args)
				}
				if got.code != tc.code || !strings.Contains(got.stderr, tc.err) {
					t.Errorf("exit %d, stderr %q; want exit %d and %q", got.code, got.stderr, tc.code, tc.err)
				}
				return
			}
			if got.code != ExitOK || got.stderr != "" {
				t.Fatalf("exit %d, stderr %q; want the call %s", got.code, got.stderr, tc.method)
			}
			if got.rec.method != tc.method || !reflect.DeepEqual(got.rec.args, tc.want) {
				t.Errorf("called %s%s\n  want %s%s", got.rec.method, show(got.rec.args), tc.method, show(tc.want))
			}
		})
	}
}

// show prints call arguments with their pointers followed.
func show(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = showValue(reflect.ValueOf(a))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func showValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Invalid:
		return "nil"
	case reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		return "&" + showValue(v.Elem())
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t.Format(time.RFC3339)
		}
		var fields []string
		for i := 0; i < v.NumField(); i++ {
			if !v.Field(i).IsZero() {
				fields = append(fields, v.Type().Field(i).Name+":"+showValue(v.Field(i)))
			}
		}
		return "{" + strings.Join(fields, " ") + "}"
	}
	return fmt.Sprint(v.Interface())
}

func cents(c crm.Cents) *crm.Cents { return &c }

// paris is a time in Europe/Paris, as the CLI reads it, in UTC as it sends it.
func paris(t *testing.T, y int, m time.Month, d, h, min, s int) *time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	v := time.Date(y, m, d, h, min, s, 0, loc).UTC()
	return &v
}

var defaultPage = crm.Page{Limit: 100}

func TestEventsListFlags(t *testing.T) {
	checkFlags(t, []flagCase{
		{args: []string{"events", "list"}, method: "ListEvents", want: []any{crm.EventFilter{Page: defaultPage}}},
		{args: []string{"events", "list", "--upcoming", "--without-support", "--mine"}, method: "ListEvents",
			want: []any{crm.EventFilter{Upcoming: true, WithoutSupport: true, Mine: true, Page: defaultPage}}},
		// A day is the whole day, in the user's time zone: from its first
		// second, to its last.
		{args: []string{"events", "list", "--from", "2026-06-01", "--to", "2026-06-30"}, method: "ListEvents",
			want: []any{crm.EventFilter{From: paris(t, 2026, 6, 1, 0, 0, 0), To: paris(t, 2026, 6, 30, 23, 59, 59), Page: defaultPage}}},
		{args: []string{"events", "list", "--from", "2026-06-01 14:30", "--to", "2026-06-01 18:00:30"}, method: "ListEvents",
			want: []any{crm.EventFilter{From: paris(t, 2026, 6, 1, 14, 30, 0), To: paris(t, 2026, 6, 1, 18, 0, 30), Page: defaultPage}}},
		// Winter time: the offset is the day's, not today's.
		{args: []string{"events", "list", "--to", "2026-01-15"}, method: "ListEvents",
			want: []any{crm.EventFilter{To: paris(t, 2026, 1, 15, 23, 59, 59), Page: defaultPage}}},
		{args: []string{"events", "list", "--contract", "12", "--support", "7", "--sales-contact", "bill@epicevents.example"}, method: "ListEvents",
			want: []any{crm.EventFilter{ContractID: ptrTo(int64(12)), SupportContactID: ptrTo(int64(7)), SalesContactID: ptrTo(int64(9)), Page: defaultPage}}},
		{args: []string{"events", "list", "--client", "3", "--upcoming"}, method: "ListEvents",
			want: []any{crm.EventFilter{ClientID: ptrTo(int64(3)), Upcoming: true, Page: defaultPage}}},
		{args: []string{"events", "list", "--support", "KATE@epicevents.example"}, method: "ListEvents",
			want: []any{crm.EventFilter{SupportContactID: ptrTo(int64(4)), Page: defaultPage}}},
		{args: []string{"events", "list", "--limit", "0", "--cursor", "abc"}, method: "ListEvents",
			want: []any{crm.EventFilter{Page: crm.Page{Limit: 0, Cursor: "abc"}}}},

		{args: []string{"events", "list", "--from", "2026-13-01"}, code: ExitUsage, err: "--from"},
		{args: []string{"events", "list", "--to", "next week"}, code: ExitUsage, err: `"next week" is not a date`},
		{args: []string{"events", "list", "--from", ""}, code: ExitUsage, err: "--from"},
		{args: []string{"events", "list", "--contract", "abc"}, code: ExitUsage, err: `"abc" is not an id`},
		{args: []string{"events", "list", "--contract", "kevin@startup.io"}, code: ExitUsage, err: "is not an id"},
		{args: []string{"events", "list", "--client", "kevin@startup.io"}, code: ExitUsage, err: `--client: "kevin@startup.io" is not an id`},
		{args: []string{"events", "list", "--support", "kate"}, code: ExitUsage, err: `"kate" is not an id (a positive whole number) or an email`},
		{args: []string{"events", "list", "--limit", "-1"}, code: ExitUsage, err: "must be 0 (all) or more"},
		{args: []string{"events", "list", "--view", "wide"}, code: ExitUsage, err: "--view: must be compact, contact or full"},
		{args: []string{"events", "list", "--upcoming=maybe"}, code: ExitUsage, err: "upcoming"},
		{args: []string{"events", "list", "7"}, code: ExitUsage, err: ""},
	})
}

func TestContractsFlags(t *testing.T) {
	checkFlags(t, []flagCase{
		// --due defaults to the total: the service fills it, so none is sent.
		{args: []string{"contracts", "create", "--client", "12", "--total", "5000"}, method: "CreateContract",
			want: []any{crm.NewContract{ClientID: 12, TotalAmount: 500000}}},
		{args: []string{"contracts", "create", "--client", "kevin@startup.io", "--total", "5000", "--due", "2500.50", "--signed"}, method: "CreateContract",
			want: []any{crm.NewContract{ClientID: 12, TotalAmount: 500000, AmountDue: cents(250050), Signed: true}}},
		{args: []string{"contracts", "create", "--client", "12", "--total", "1500.5", "--due", "0"}, method: "CreateContract",
			want: []any{crm.NewContract{ClientID: 12, TotalAmount: 150050, AmountDue: cents(0)}}},

		{args: []string{"contracts", "create", "--total", "5000"}, code: ExitUsage, err: "--client is required; see epicevents contracts create --help"},
		{args: []string{"contracts", "create", "--client", "12"}, code: ExitUsage, err: "--total is required; see epicevents contracts create --help"},
		{args: []string{"contracts", "create", "--client", "12", "--total", "12.345"}, code: ExitUsage, err: "--total"},
		{args: []string{"contracts", "create", "--client", "12", "--total", "abc"}, code: ExitUsage, err: "--total"},
		{args: []string{"contracts", "create", "--client", "12", "--total", "5000", "--due", ""}, code: ExitUsage, err: "--due"},
		{args: []string{"contracts", "create", "--client", "kevin", "--total", "5000"}, code: ExitUsage, err: "or an email"},
		{args: []string{"contracts", "create", "--client", "nobody@startup.io", "--total", "5000"}, code: ExitNotFound,
			err: "no client with email nobody@startup.io"},

		// update sends only the amounts given.
		{args: []string{"contracts", "update", "12", "--due", "0"}, method: "UpdateContract",
			want: []any{int64(12), crm.ContractPatch{AmountDue: cents(0)}}},
		{args: []string{"contracts", "update", "12", "--total", "6000", "--due", "6000"}, method: "UpdateContract",
			want: []any{int64(12), crm.ContractPatch{TotalAmount: cents(600000), AmountDue: cents(600000)}}},
		{args: []string{"contracts", "update", "12"}, method: "UpdateContract",
			want: []any{int64(12), crm.ContractPatch{}}},
		{args: []string{"contracts", "update", "x12", "--due", "0"}, code: ExitUsage, err: `"x12" is not an id`},
		{args: []string{"contracts", "update", "12", "--due", "-5"}, code: ExitUsage, err: "--due"},

		{args: []string{"contracts", "list", "--unsigned", "--unpaid", "--client", "kevin@startup.io"}, method: "ListContracts",
			want: []any{crm.ContractFilter{Unsigned: true, Unpaid: true, ClientID: ptrTo(int64(12)), Page: defaultPage}}},
	})
}

func TestEmployeesFlags(t *testing.T) {
	sales := crm.Role("SALES")
	checkFlags(t, []flagCase{
		{args: []string{"employees", "deactivate", "4"}, method: "Deactivate", want: []any{int64(4), (*int64)(nil)}},
		{args: []string{"employees", "deactivate", "4", "--reassign-to", "7"}, method: "Deactivate", want: []any{int64(4), ptrTo(int64(7))}},
		{args: []string{"employees", "deactivate", "bill@epicevents.example", "--reassign-to", "sam@epicevents.example"}, method: "Deactivate",
			want: []any{int64(9), ptrTo(int64(7))}},
		{args: []string{"employees", "deactivate", "4", "--reassign-to", ""}, code: ExitUsage, err: "--reassign-to"},
		{args: []string{"employees", "deactivate", "4", "--reassign-to", "sam"}, code: ExitUsage, err: `"sam" is not an id (a positive whole number) or an email`},
		{args: []string{"employees", "deactivate", "4", "--reassign-to", "nobody@epicevents.example"}, code: ExitNotFound,
			err: "no employee with email nobody@epicevents.example"},
		{args: []string{"employees", "deactivate"}, code: ExitUsage, err: ""},

		// create checks the employee before it asks for a password.
		{args: []string{"employees", "create", "--first-name", "Bill", "--last-name", "Boquet", "--email", "bill@epicevents.example", "--role", "SALES"},
			method: "CheckCreateEmployee", want: []any{crm.NewEmployee{FirstName: "Bill", LastName: "Boquet", Email: "bill@epicevents.example", Role: "SALES"}}},

		{args: []string{"employees", "list"}, method: "ListEmployees", want: []any{crm.EmployeeFilter{Page: defaultPage}}},
		{args: []string{"employees", "list", "--role", "SALES", "--all", "--limit", "5"}, method: "ListEmployees",
			want: []any{crm.EmployeeFilter{Role: &sales, All: true, Page: crm.Page{Limit: 5}}}},
	})
}

func TestClientsListFlags(t *testing.T) {
	checkFlags(t, []flagCase{
		{args: []string{"clients", "list"}, method: "ListClients", want: []any{crm.ClientFilter{Page: defaultPage}}},
		{args: []string{"clients", "list", "--mine", "--search", "john ouick"}, method: "ListClients",
			want: []any{crm.ClientFilter{Mine: true, Search: "john ouick", Page: defaultPage}}},
		{args: []string{"clients", "list", "--sales-contact", "kate@epicevents.example", "--limit", "20", "--cursor", "c2"}, method: "ListClients",
			want: []any{crm.ClientFilter{SalesContactID: ptrTo(int64(4)), Page: crm.Page{Limit: 20, Cursor: "c2"}}}},
		{args: []string{"clients", "list", "--sales-contact", "0"}, code: ExitUsage, err: `"0" is not an id`},
		{args: []string{"clients", "list", "--limit", "ten"}, code: ExitUsage, err: "--limit"},
	})
}
