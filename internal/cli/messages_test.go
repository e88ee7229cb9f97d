package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/epicevents/epicevents/internal/crm"
)

// command finds the command of line ("clients create --total 0") in the
// real tree, with the line's flags parsed.
func command(t *testing.T, line string) *cobra.Command {
	t.Helper()
	a := &App{env: func(string) string { return "" }}
	root := a.rootCmd()
	cmd, rest, err := root.Find(strings.Fields(line))
	if err == nil {
		err = cmd.ParseFlags(rest)
	}
	if err != nil {
		t.Fatalf("no command %q: %v", line, err)
	}
	return cmd
}

func TestInCLIWords(t *testing.T) {
	validator := func(fields ...string) error {
		var v crm.Validator
		for i := 0; i < len(fields); i += 2 {
			v.Add(fields[i], fields[i+1])
		}
		return v.Err()
	}
	for _, tc := range []struct {
		cmd  string
		err  error
		want string
	}{
		{"contracts create --client 1 --total 0", crm.Invalid("total_amount", "must be more than 0"), "--total: must be more than 0"},
		{"contracts update 1 --total 1e9 --due -1", validator("total_amount", "must be at most 100000000.00", "amount_due", "must not be negative"),
			"--total: must be at most 100000000.00; --due: must not be negative"},
		{"contracts create", crm.Invalid("client_id", "is required (--client ID)"), "--client is required; see epicevents contracts create --help"},
		{"contracts create --client x --total 1", crm.Invalid("client_id", `"x" is not an id (a positive whole number)`), `--client: "x" is not an id (a positive whole number)`},
		{"clients create --email nobody", validator("first_name", "is required", "last_name", "is required", "email", "is not a valid email address (like name@example.com)"),
			"--first-name and --last-name are required; --email: is not a valid email address (like name@example.com); see epicevents clients create --help"},
		{"clients update 1 --company x", crm.Invalid("company_name", "must be at most 200 characters"), "--company: must be at most 200 characters"},
		{"clients update 1 --phone 12", crm.Invalid("phone", "must be + and 6 to 15 digits, such as +33 6 12 34 56 78"), "--phone: must be + and 6 to 15 digits, such as +33 6 12 34 56 78"},
		{"clients reassign 1 --sales-contact 3", crm.Invalid("sales_contact_id", "must be an active SALES employee"), "--sales-contact: must be an active SALES employee"},
		{"contracts reassign 1 --sales-contact 3", crm.Invalid("sales_contact_id", "must be an active SALES employee"), "--sales-contact: must be an active SALES employee"},
		{"events assign 1 --support 2", crm.Invalid("support_contact_id", "must be an active SUPPORT employee"), "--support: must be an active SUPPORT employee"},
		{"events create --attendees -1", validator("contract_id", "is required (--contract)", "name", "is required (--name)", "attendees", "must be between 0 and 100000"),
			"--contract and --name are required; --attendees: must be between 0 and 100000; see epicevents events create --help"},
		{"events list --from 2024-02-01 --to 2024-01-01", crm.Invalid("from", "must not be after to"), "--from: must not be after to"},
		{"employees deactivate 3 --reassign-to 3", crm.Invalid("reassign_to", "must be another employee than the one deactivated"), "--reassign-to: must be another employee than the one deactivated"},
		{"employees update 3 --role BOSS", crm.Invalid("role", "must be MANAGEMENT, SALES or SUPPORT"), "--role: must be MANAGEMENT, SALES or SUPPORT"},
		{"employees list --limit -1", crm.Invalid("limit", "must be 0 (all) or more"), "--limit: must be 0 (all) or more"},
		{"audit list --entity x", crm.Invalid("entity", "must be one of employee, client"), "--entity: must be one of employee, client"},
		{"audit list --id x", crm.Invalid("id", `"x" is not an id (a positive whole number)`), `--id: "x" is not an id (a positive whole number)`},
		{"audit list --actor 0", crm.Invalid("actor_id", "must be a positive id"), "--actor: must be a positive id"},
		// An argument, not a flag: named in words.
		{"clients show", crm.Invalid("id", `"abc" is not an id (a positive whole number)`), `invalid client id: "abc" is not an id (a positive whole number)`},
		{"employees set-password", crm.Invalid("id", `"abc" is not an id (a positive whole number)`), `invalid employee id: "abc" is not an id (a positive whole number)`},
		// Typed at a prompt or on standard input, not a flag.
		{"passwd", crm.Invalid("new_password", "must be at least 15 characters"), "invalid new password: must be at least 15 characters"},
		{"employees create", crm.Invalid("password", "is too common; choose another"), "invalid password: is too common; choose another"},
		// A field the command has no flag for, or whose flag was not given:
		// a lower --total makes the amount due too high.
		{"contracts sign 1", crm.Invalid("sales_contact_id", "must be an active SALES employee"), "invalid sales contact id: must be an active SALES employee"},
		{"contracts update 1 --total 5000", crm.Invalid("amount_due", "must not exceed the total amount (5000.00)"), "invalid amount due: must not exceed the total amount (5000.00)"},
		// A required flag is named whether given (empty) or not.
		{"clients create --first-name= --last-name X", crm.Invalid("first_name", "is required"), "--first-name is required; see epicevents clients create --help"},
		// As the HTTP client rebuilds an error whose detail is empty.
		{"contracts update 1 --due -1", &crm.Error{Code: crm.CodeInvalid, Fields: []crm.FieldError{{Field: "amount_due", Message: "must not be negative"}}}, "--due: must not be negative"},
		// Messages that are sentences of their own are kept.
		{"clients list", &crm.Error{Code: crm.CodeInvalid, Message: "the cursor is invalid; start from the first page",
			Fields: []crm.FieldError{{Field: "cursor", Message: "invalid"}}}, "the cursor is invalid; start from the first page"},
		{"clients create", &crm.Error{Code: crm.CodeConflict, Message: "a client with this email already exists",
			Fields: []crm.FieldError{{Field: "email", Message: "already in use"}}}, "a client with this email already exists"},
		{"contracts sign", crm.Errorf(crm.CodeConflict, "contract 1 is already signed"), "contract 1 is already signed"},
	} {
		e, _ := crm.AsError(tc.err)
		if got := inCLIWords(command(t, tc.cmd), e); got != tc.want {
			t.Errorf("%s: %q\n got %q\nwant %q", tc.cmd, tc.err, got, tc.want)
		}
	}
}

// TestUsageMessages runs the program on command lines it refuses before
// anything else happens (no database, no session is needed).
func TestUsageMessages(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string
	}{
		{"frobnicate", `unknown command "frobnicate" for "epicevents"; see epicevents --help`},
		{"clients lst", `unknown command "lst" for "epicevents clients"; did you mean "list"?`},
		{"emplyees list", `unknown command "emplyees" for "epicevents"; did you mean "employees"?`},
		{"contracts sgn 1", `unknown command "sgn" for "epicevents contracts"; did you mean "sign"?`},
		{"audit lst", `unknown command "lst" for "epicevents audit"; did you mean "list"?`},
		{"clients show", "missing the client's id or email; see epicevents clients show --help"},
		{"events assign --support 3", "missing the event's id; see epicevents events assign --help"},
		{"employees set-password", "missing the employee's id or email; see epicevents employees set-password --help"},
		{"clients show 1 2", "too many arguments: epicevents clients show takes only the client's id or email, got 2; see epicevents clients show --help"},
		{"migrate", "missing up, down or status; see epicevents migrate --help"},
		{"migrate sideways", `"sideways" is not up, down or status; see epicevents migrate --help`},
		{"clients list extra", `epicevents clients list takes no arguments, got "extra"; see epicevents clients list --help`},
		{"clients list --limit x", `--limit: "x" is not a whole number; see epicevents clients list --help`},
		{"clients list --limit 1.5", `--limit: "1.5" is not a whole number; see epicevents clients list --help`},
		{"audit list --limit 99999999999999999999", `--limit: "99999999999999999999" is too large; see epicevents audit list --help`},
		{"audit list --limit -99999999999999999999", `--limit: "-99999999999999999999" is too small; see epicevents audit list --help`},
		{"employees list --all=maybe", `--all: "maybe" is not true or false (--all alone means true); see epicevents employees list --help`},
		{"demo --clients abc", `--clients: "abc" is not a whole number; see epicevents demo --help`},
		{"demo --seed -1", `--seed: "-1" is not a whole number of 0 or more; see epicevents demo --help`},
		{"clients list --limit", "--limit needs a value; see epicevents clients list --help"},
		{"whoami -o", "-o needs a value; see epicevents whoami --help"},
		{"clients list --colour", "unknown flag: --colour; see epicevents clients list --help"},
		{"whoami -o xml", `-o: unknown output format "xml"; use table, json or csv`},
	} {
		var out, errs bytes.Buffer
		code := Main(context.Background(), strings.Fields(tc.args), strings.NewReader(""), &out, &errs, func(string) string { return "" })
		if got := errs.String(); code != ExitUsage || got != "error: "+tc.want+"\n" {
			t.Errorf("%s: exit %d\n got %q\nwant %q", tc.args, code, got, "error: "+tc.want+"\n")
		}
		if strings.Contains(errs.String(), "strconv") || strings.Contains(errs.String(), "invalid argument") {
			t.Errorf("%s: Go's words reach the user: %s", tc.args, errs.String())
		}
	}
}
