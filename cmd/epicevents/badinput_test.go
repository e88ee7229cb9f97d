package main

// Bad input through the CLI: for every command, invalid
// values of each flag and argument (empty, too long, wrong type, out of
// range, control characters, another employee's object, ids that name
// nobody). Each must exit with the CLI's exit code for it (2 invalid, 4
// forbidden, 5 not found; 3 for credentials and 6 for a conflicting state),
// print one clear sentence on stderr that names the field or flag, and leave the database unchanged:
// a dump of every table (SELECT * in primary key order; on PostgreSQL also
// the sequences) is compared before and after each command. Sessions,
// refresh tokens and login failures are left out of the dump: reading the
// session (a touch) and counting a failed login are legitimate writes; so is
// the audit entry of a failed login, which only the login cases may add.
//
// The table runs in local mode on SQLite, on PostgreSQL when
// EPICEVENTS_TEST_POSTGRES_URL is set, and a representative subset (the
// cases marked remote) in remote mode through an `epicevents serve`
// subprocess. Cases run on a few copies of one fixture in parallel.

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/epicevents/epicevents/internal/testdb"
)

// biCase is one refused command.
type biCase struct {
	as     string   // who runs it: ada, bill, sam, kate (logged in), or "" for nobody
	args   []string // the command line
	stdin  string
	code   int    // the exit code the CLI documents for this refusal
	want   string // a regexp stderr must match (case-insensitive): the field or flag at fault
	env    []string
	remote bool // also in the remote-mode subset
	// loginFailure: the command may add an auth.login_failed or
	// auth.password_check_failed audit entry (a failed login, and a wrong
	// current password in passwd, are audited by design).
	loginFailure bool
	// dbConflict: the database itself detects the conflict (a duplicate
	// email, by its unique index). On PostgreSQL the failed INSERT has
	// drawn an id from the sequence, which no rollback returns: a gap in
	// the ids, no row changed. Sequences are not compared for these.
	dbConflict bool
}

func (c biCase) name() string {
	s := fmt.Sprintf("%s:%q", c.as, c.args)
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}

// Values that break the field limits (crm.MaxNameLen and the others in
// internal/crm/validate.go).
var (
	biName101     = strings.Repeat("n", 101)
	biName201     = strings.Repeat("e", 201)
	biCompany201  = strings.Repeat("c", 201)
	biLocation301 = strings.Repeat("l", 301)
	biNotes5001   = strings.Repeat("x", 5001)
	biEmail255    = strings.Repeat("m", 245) + "@x.example" // 255 characters
	biOverflow    = "99999999999999999999"                  // beyond int64
)

// The fixture's ids: employees 1 ada (MANAGEMENT), 2 bill (SALES), 3 sam
// (SALES), 4 kate (SUPPORT), 5 sue (SUPPORT), 6 mo (MANAGEMENT); clients 1
// (bill's) and 2 (sam's); contracts 1 (client 1, signed), 2 (client 2,
// signed), 3 (client 1, unsigned); events 1 (contract 1, kate) and 2
// (contract 2, sue).
const biNobody = "9999" // an id that names nobody

// biControl are control characters no name may hold.
var biControl = []struct{ label, s string }{{"SOH", "Bad\x01Name"}, {"ESC", "Bad\x1b[31mName"}, {"newline", "Bad\nName"}}

// fullIDs are the commands (and id flags) that get every invalid id; the
// others get the main ones.
var fullIDs = map[string]bool{"employees show": true, "clients update": true, "contracts sign": true,
	"events assign": true, "clients reassign 1 --sales-contact": true, "events assign 1 --support": true}

func biCases() []biCase {
	var cs []biCase
	add := func(c biCase) { cs = append(cs, c) }
	const pw = fiPassword + "\n"
	forbidden := `permission|not allowed|only|may not|cannot|forbidden|your own|yourself`
	notFound := `not found|no such|does not exist`
	// ids: every way an id can be invalid (→ 2), and one that names nobody
	// (→ 5), for the positional id of a command.
	// Every variant on a few commands, the main ones on the others: the
	// table runs hundreds of processes.
	ids := func(as string, pre []string, post []string, remote bool) {
		values := []string{"abc", "0"}
		if fullIDs[strings.Join(pre, " ")] {
			values = []string{"", "abc", "0", "-1", "1.5", biOverflow, "1\x01"}
		}
		for _, v := range values {
			args := append(append(append([]string{}, pre...), v), post...)
			add(biCase{as: as, args: args, code: 2, want: `\bid\b|-1`, remote: remote && v == "abc"})
		}
		add(biCase{as: as, args: append(append(append([]string{}, pre...), biNobody), post...), code: 5, want: notFound, remote: remote})
	}
	// idFlag: every way an id flag can be invalid (→ 2).
	idFlag := func(as string, base []string, flag, field string, remote bool) {
		values := []string{"abc", "0"}
		if fullIDs[strings.Join(base, " ")+" --"+flag] {
			values = []string{"", "abc", "0", "-1", biOverflow, "2\x1b"}
		}
		for _, v := range values {
			add(biCase{as: as, args: append(append([]string{}, base...), "--"+flag, v), code: 2, want: "--" + flag, remote: remote && v == "abc"})
		}
	}
	// text: empty, too long and control characters for a text flag, which
	// the message names (not its JSON field).
	text := func(as string, base []string, flag, long string, required, remote bool) {
		if required {
			add(biCase{as: as, args: append(append([]string{}, base...), "--"+flag, ""), code: 2, want: "--" + flag, remote: remote})
		}
		add(biCase{as: as, args: append(append([]string{}, base...), "--"+flag, long), code: 2, want: "--" + flag, remote: remote})
		for _, cc := range biControl[:2] {
			add(biCase{as: as, args: append(append([]string{}, base...), "--"+flag, cc.s), code: 2, want: "--" + flag, remote: remote && cc.label == "ESC"})
		}
	}
	email := func(as string, base []string, remote bool) {
		for _, v := range []string{"", "not-an-email", "a b@x.example", biEmail255, "x\x01@x.example"} {
			add(biCase{as: as, args: append(append([]string{}, base...), "--email", v), code: 2, want: `email`, remote: remote && v == "not-an-email"})
		}
	}
	limit := func(as string, base []string) {
		values := []string{"-1", "abc"}
		if base[0] == "employees" {
			values = []string{"-1", "abc", "1.5", biOverflow, "5\x01"}
		}
		for _, v := range values {
			add(biCase{as: as, args: append(append([]string{}, base...), "--limit", v), code: 2, want: `limit`})
		}
	}
	extra := func(as string, args ...string) { add(biCase{as: as, args: args, code: 2, want: `argument`}) }

	// --- global flags and operator commands ---
	add(biCase{as: "ada", args: []string{"-o", "xml", "clients", "list"}, code: 2, want: `output|xml`})
	add(biCase{as: "ada", args: []string{"--output", "", "clients", "list"}, code: 2, want: `output`})
	add(biCase{as: "ada", args: []string{"clients", "frobnicate"}, code: 2, want: `unknown command`})
	add(biCase{as: "ada", args: []string{"clients", "list", "--no-such-flag"}, code: 2, want: `no-such-flag`})
	add(biCase{as: "ada", args: []string{"init", "--server", "http://127.0.0.1:9"}, code: 2, want: `--server`})
	add(biCase{as: "ada", args: []string{"init", "--email", "x@x.example", "--first-name", "X", "--last-name", "Y", "--password-stdin"}, stdin: pw, code: 6, want: `already set up`})
	add(biCase{as: "ada", args: []string{"migrate"}, code: 2, want: `migrate`})
	add(biCase{as: "ada", args: []string{"migrate", "sideways"}, code: 2, want: `sideways`})
	add(biCase{as: "ada", args: []string{"migrate", "status", "extra"}, code: 2, want: `argument`})
	add(biCase{as: "ada", args: []string{"migrate", "down", "--app-role", "app"}, code: 2, want: `--app-role`})
	add(biCase{as: "ada", args: []string{"serve", "--addr", "nonsense"}, code: 2, want: `nonsense|listen`})
	add(biCase{as: "ada", args: []string{"serve", "--addr", "127.0.0.1:99999"}, code: 2, want: `99999|listen|port`})
	add(biCase{as: "ada", args: []string{"serve", "--tls-cert", "cert.pem"}, code: 2, want: `--tls-key`})
	add(biCase{as: "ada", args: []string{"serve", "--addr", "127.0.0.1:0", "--tls-cert", "nofile.pem", "--tls-key", "nofile.key"}, code: 2, want: `certificate|tls`})
	add(biCase{as: "ada", args: []string{"serve", "--addr", "127.0.0.1:0"}, env: []string{"EPICEVENTS_JWT_SECRET=short"}, code: 2, want: `EPICEVENTS_JWT_SECRET`})
	add(biCase{as: "ada", args: []string{"demo", "--clients", "-1"}, code: 2, want: `clients`})
	add(biCase{as: "ada", args: []string{"demo", "--clients", "abc"}, code: 2, want: `clients`})
	add(biCase{as: "ada", args: []string{"completion", "cobol"}, code: 2, want: `cobol|argument`})
	extra("ada", "version", "extra")

	// --- sessions ---
	// A failed login is audited (without the email when it names nobody):
	// a legitimate write.
	add(biCase{as: "nobody", args: []string{"login", "--email", "", "--password-stdin"}, stdin: pw, code: 2, want: `email`, loginFailure: true})
	add(biCase{as: "nobody", args: []string{"login", "--email", "nobody@epicevents.example", "--password-stdin"}, stdin: pw, code: 3, want: `wrong email or password`, loginFailure: true, remote: true})
	// An address that cannot be anyone's is refused before the password is
	// read (2): it is no failed login. Longer than any email can be is
	// invalid input in both modes, as the API's document says (it tells
	// nothing about who has an account).
	add(biCase{as: "nobody", args: []string{"login", "--email", "ada\x01@epicevents.example", "--password-stdin"}, stdin: pw, code: 2, want: `email`})
	add(biCase{as: "nobody", args: []string{"login", "--email", biEmail255, "--password-stdin"}, stdin: pw, code: 2, want: `email`, remote: true})
	add(biCase{as: "nobody", args: []string{"login", "--email", "ada@epicevents.example", "--password-stdin"}, stdin: "wrong password of ada\n", code: 3, want: `wrong email or password`, loginFailure: true, remote: true})
	add(biCase{as: "nobody", args: []string{"login", "--email", "ada@epicevents.example", "--password-stdin"}, stdin: "", code: 2, want: `password`, loginFailure: true})
	add(biCase{as: "nobody", args: []string{"whoami"}, code: 3, want: `not logged in`})
	extra("nobody", "login", "extra")
	extra("bill", "logout", "extra")
	extra("bill", "whoami", "extra")
	extra("bill", "passwd", "extra")
	// A wrong current password is an invalid current_password (2), as the
	// end-to-end scripts fix it, not a failed login (3). passwd runs as sam,
	// whom no other case needs: a password change that went through would
	// end the session.
	add(biCase{as: "sam", args: []string{"passwd", "--password-stdin"}, stdin: "not my password at all\nanother-long-passphrase-77\n", code: 2, want: `current password`, remote: true, loginFailure: true})
	for _, np := range []string{"short", "sam@epicevents.example", "Sam@EpicEvents.example ", strings.Repeat("p", 129), "", fiPassword} {
		add(biCase{as: "sam", args: []string{"passwd", "--password-stdin"}, stdin: fiPassword + "\n" + np + "\n", code: 2, want: `password`, remote: np == "short"})
	}

	// --- employees ---
	em := []string{"employees"}
	add(biCase{as: "ada", args: []string{"employees", "list", "--role", "BOGUS"}, code: 2, want: `role`, remote: true})
	add(biCase{as: "ada", args: []string{"employees", "list", "--role", "SALES\x01"}, code: 2, want: `role`})
	add(biCase{as: "ada", args: []string{"employees", "list", "--all=maybe"}, code: 2, want: `all`})
	limit("ada", []string{"employees", "list"})
	extra("ada", "employees", "list", "extra")
	ids("ada", []string{"employees", "show"}, nil, true)
	add(biCase{as: "ada", args: []string{"employees", "show"}, code: 2, want: `missing the employee's id or email; see epicevents employees show --help`})
	add(biCase{as: "ada", args: []string{"employees", "show", "1", "2"}, code: 2, want: `argument`})
	newEmp := func(over ...string) []string {
		base := map[string]string{"--first-name": "Nina", "--last-name": "New", "--email": "nina@epicevents.example", "--role": "SALES"}
		for i := 0; i+1 < len(over); i += 2 {
			base[over[i]] = over[i+1]
		}
		args := []string{"employees", "create"}
		for _, f := range []string{"--first-name", "--last-name", "--email", "--role"} {
			if v, ok := base[f]; ok && v != "\x00omit" {
				args = append(args, f, v)
			}
		}
		return append(args, "--password-stdin")
	}
	for _, flag := range []string{"--first-name", "--last-name"} {
		for _, v := range append([]string{"", "  ", biName101}, biControl[0].s, biControl[1].s, biControl[2].s) {
			add(biCase{as: "ada", args: newEmp(flag, v), stdin: pw, code: 2, want: flag, remote: v == biName101})
		}
		add(biCase{as: "ada", args: newEmp(flag, "\x00omit"), stdin: pw, code: 2, want: flag})
	}
	for _, v := range []string{"", "not-an-email", biEmail255, "x\x01@x.example"} {
		add(biCase{as: "ada", args: newEmp("--email", v), stdin: pw, code: 2, want: `email`})
	}
	add(biCase{as: "ada", args: newEmp("--email", "bill@epicevents.example"), stdin: pw, code: 6, want: `email`, remote: true, dbConflict: true})
	for _, v := range []string{"", "BOGUS", "management\x01", "1"} {
		add(biCase{as: "ada", args: newEmp("--role", v), stdin: pw, code: 2, want: `role`, remote: v == "BOGUS"})
	}
	for _, v := range []string{"", "short", "nina@epicevents.example", strings.Repeat("p", 129)} {
		add(biCase{as: "ada", args: newEmp(), stdin: v + "\n", code: 2, want: `password`, remote: v == "short"})
	}
	add(biCase{as: "bill", args: newEmp(), stdin: pw, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: newEmp(), stdin: pw, code: 4, want: forbidden})
	ids("ada", []string{"employees", "update"}, []string{"--first-name", "X"}, true)
	add(biCase{as: "ada", args: []string{"employees", "update", "2"}, code: 2, want: `nothing to change|at least one`, remote: true})
	text("ada", []string{"employees", "update", "2"}, "first-name", biName101, true, true)
	text("ada", []string{"employees", "update", "2"}, "last-name", biName101, true, false)
	email("ada", []string{"employees", "update", "2"}, false)
	add(biCase{as: "ada", args: []string{"employees", "update", "2", "--email", "kate@epicevents.example"}, code: 6, want: `email`, dbConflict: true})
	add(biCase{as: "ada", args: []string{"employees", "update", "2", "--role", "BOGUS"}, code: 2, want: `role`})
	add(biCase{as: "ada", args: []string{"employees", "update", "1", "--role", "SALES"}, code: 4, want: forbidden + `|own role`, remote: true})
	add(biCase{as: "bill", args: []string{"employees", "update", "3", "--first-name", "X"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "bill", args: []string{"employees", "update", "2", "--role", "MANAGEMENT"}, code: 4, want: forbidden})
	for _, v := range []string{"abc", "0", biNobody} {
		code, want := 2, `\bid\b`
		if v == biNobody {
			code, want = 5, notFound
		}
		add(biCase{as: "ada", args: []string{"employees", "set-password", v, "--password-stdin"}, stdin: pw, code: code, want: want})
	}
	add(biCase{as: "ada", args: []string{"employees", "set-password", "1", "--password-stdin"}, stdin: pw, code: 4, want: `passwd`, remote: true})
	add(biCase{as: "bill", args: []string{"employees", "set-password", "6", "--password-stdin"}, stdin: pw, code: 4, want: forbidden})
	for _, v := range []string{"", "short", "mo@epicevents.example"} {
		add(biCase{as: "ada", args: []string{"employees", "set-password", "6", "--password-stdin"}, stdin: v + "\n", code: 2, want: `password`})
	}
	ids("ada", []string{"employees", "deactivate"}, nil, false)
	idFlag("ada", []string{"employees", "deactivate", "2"}, "reassign-to", "reassign_to", false)
	add(biCase{as: "ada", args: []string{"employees", "deactivate", "2", "--reassign-to", biNobody}, code: 5, want: notFound})
	add(biCase{as: "ada", args: []string{"employees", "deactivate", "2", "--reassign-to", "4"}, code: 2, want: `SALES|role|reassign`, remote: true})
	add(biCase{as: "ada", args: []string{"employees", "deactivate", "2", "--reassign-to", "2"}, code: 2, want: `reassign|themselves|same|another`})
	add(biCase{as: "ada", args: []string{"employees", "deactivate", "1"}, code: 4, want: forbidden + `|yourself`, remote: true})
	add(biCase{as: "bill", args: []string{"employees", "deactivate", "3"}, code: 4, want: forbidden})
	ids("ada", []string{"employees", "reactivate"}, nil, false)
	add(biCase{as: "ada", args: []string{"employees", "reactivate", "2"}, code: 6, want: `active`})
	add(biCase{as: "bill", args: []string{"employees", "reactivate", "3"}, code: 4, want: forbidden})
	ids("ada", []string{"employees", "delete"}, []string{"--yes"}, false)
	add(biCase{as: "ada", args: []string{"employees", "delete", "6"}, code: 2, want: `--yes`, remote: true})
	add(biCase{as: "ada", args: []string{"employees", "delete", "1", "--yes"}, code: 4, want: forbidden + `|yourself`})
	add(biCase{as: "ada", args: []string{"employees", "delete", "2", "--yes"}, code: 6, want: `referenced|deactivate`})
	add(biCase{as: "bill", args: []string{"employees", "delete", "6", "--yes"}, code: 4, want: forbidden, remote: true})
	_ = em

	// --- clients ---
	idFlag("bill", []string{"clients", "list"}, "sales-contact", "sales_contact_id", true)
	add(biCase{as: "bill", args: []string{"clients", "list", "--mine=perhaps"}, code: 2, want: `mine`})
	limit("bill", []string{"clients", "list"})
	extra("bill", "clients", "list", "extra")
	ids("bill", []string{"clients", "show"}, nil, true)
	newClient := func(over ...string) []string {
		base := []string{"--first-name", "Kevin", "--last-name", "Casey", "--email", "kevin.new@startup.io", "--phone", "+678 123 456 78", "--company", "Cool Startup LLC"}
		for i := 0; i+1 < len(over); i += 2 {
			for j := 0; j+1 < len(base); j += 2 {
				if base[j] == over[i] {
					base[j+1] = over[i+1]
				}
			}
		}
		var args []string
		for j := 0; j+1 < len(base); j += 2 {
			if base[j+1] != "\x00omit" {
				args = append(args, base[j], base[j+1])
			}
		}
		return append([]string{"clients", "create"}, args...)
	}
	for _, flag := range []string{"--first-name", "--last-name"} {
		for _, v := range []string{"", "   ", biName101, biControl[0].s, biControl[1].s, biControl[2].s, "\x00omit"} {
			add(biCase{as: "bill", args: newClient(flag, v), code: 2, want: flag, remote: v == biName101 || v == biControl[1].s})
		}
	}
	for _, v := range []string{"", "not-an-email", "a@", "@x.example", "two@@x.example", "a b@x.example", biEmail255, "x\x01@x.example", "x@x\n.example", "\x00omit"} {
		add(biCase{as: "bill", args: newClient("--email", v), code: 2, want: `email`, remote: v == biEmail255})
	}
	for _, v := range []string{"abc", "+12", "+1234567890123456", "0033612345678", "+33 6\x01 12 34 56 78", "+33 (6) 12 34 56 78 ext 9"} {
		add(biCase{as: "bill", args: newClient("--phone", v), code: 2, want: `phone`, remote: v == "abc"})
	}
	for _, v := range []string{biCompany201, "Cool\x01Startup", "Cool\x1b[2JStartup", "Cool\nStartup"} {
		add(biCase{as: "bill", args: newClient("--company", v), code: 2, want: `company`, remote: v == biCompany201})
	}
	add(biCase{as: "bill", args: newClient("--email", "seed@client.example"), code: 6, want: `email`, dbConflict: true})
	add(biCase{as: "ada", args: newClient(), code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: newClient(), code: 4, want: forbidden})
	extra("bill", "clients", "create", "extra")
	ids("bill", []string{"clients", "update"}, []string{"--first-name", "X"}, true)
	add(biCase{as: "bill", args: []string{"clients", "update", "1"}, code: 2, want: `nothing to change|at least one`})
	text("bill", []string{"clients", "update", "1"}, "first-name", biName101, true, true)
	text("bill", []string{"clients", "update", "1"}, "last-name", biName101, true, false)
	email("bill", []string{"clients", "update", "1"}, true)
	text("bill", []string{"clients", "update", "1"}, "company", biCompany201, false, false)
	for _, v := range []string{"abc", "+12", "+1234567890123456", "+33\x1b6 12 34 56 78"} {
		add(biCase{as: "bill", args: []string{"clients", "update", "1", "--phone", v}, code: 2, want: `phone`})
	}
	add(biCase{as: "bill", args: []string{"clients", "update", "2", "--first-name", "Stolen"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: []string{"clients", "update", "1", "--first-name", "X"}, code: 4, want: forbidden})
	ids("ada", []string{"clients", "reassign"}, []string{"--sales-contact", "3"}, false)
	add(biCase{as: "ada", args: []string{"clients", "reassign", "1"}, code: 2, want: `sales[_-]contact`})
	idFlag("ada", []string{"clients", "reassign", "1"}, "sales-contact", "sales_contact_id", true)
	add(biCase{as: "ada", args: []string{"clients", "reassign", "1", "--sales-contact", biNobody}, code: 5, want: notFound, remote: true})
	add(biCase{as: "ada", args: []string{"clients", "reassign", "1", "--sales-contact", "4"}, code: 2, want: `SALES|sales[_-]contact`, remote: true})
	add(biCase{as: "ada", args: []string{"clients", "reassign", "1", "--sales-contact", "1"}, code: 2, want: `SALES|sales[_-]contact`})
	add(biCase{as: "bill", args: []string{"clients", "reassign", "2", "--sales-contact", "2"}, code: 4, want: forbidden, remote: true})

	// --- contracts ---
	idFlag("bill", []string{"contracts", "list"}, "client", "client_id", false)
	add(biCase{as: "bill", args: []string{"contracts", "list", "--view", "bogus"}, code: 2, want: `view`, remote: true})
	add(biCase{as: "bill", args: []string{"contracts", "list", "--unsigned=nope"}, code: 2, want: `unsigned`})
	limit("bill", []string{"contracts", "list"})
	ids("bill", []string{"contracts", "show"}, nil, false)
	badAmounts := []string{"", "abc", "-1", "0", "100000000.01", "100000001", "1.234", "1,5", "1e3", "12\x01", "NaN", "+5", " "}
	for _, v := range []string{"", "abc", "0", "-1", biOverflow} {
		add(biCase{as: "ada", args: []string{"contracts", "create", "--client", v, "--total", "100"}, code: 2, want: `client`})
	}
	add(biCase{as: "ada", args: []string{"contracts", "create", "--total", "100"}, code: 2, want: `client`})
	add(biCase{as: "ada", args: []string{"contracts", "create", "--client", biNobody, "--total", "100"}, code: 5, want: notFound, remote: true})
	add(biCase{as: "ada", args: []string{"contracts", "create", "--client", "1"}, code: 2, want: `total`})
	for _, v := range badAmounts {
		add(biCase{as: "ada", args: []string{"contracts", "create", "--client", "1", "--total", v}, code: 2, want: `total`, remote: v == "100000001" || v == "abc"})
	}
	for _, v := range []string{"abc", "-1", "100.01", "100000001", "1.234"} {
		add(biCase{as: "ada", args: []string{"contracts", "create", "--client", "1", "--total", "100", "--due", v}, code: 2, want: `due|amount`, remote: v == "100.01"})
	}
	add(biCase{as: "ada", args: []string{"contracts", "create", "--client", "1", "--total", "100", "--signed=perhaps"}, code: 2, want: `signed`})
	add(biCase{as: "bill", args: []string{"contracts", "create", "--client", "1", "--total", "100"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: []string{"contracts", "create", "--client", "1", "--total", "100"}, code: 4, want: forbidden})
	ids("ada", []string{"contracts", "update"}, []string{"--due", "1"}, true)
	add(biCase{as: "ada", args: []string{"contracts", "update", "3"}, code: 2, want: `nothing to change|at least one`})
	for _, v := range []string{"", "abc", "0", "-1", "100000001"} {
		add(biCase{as: "ada", args: []string{"contracts", "update", "3", "--total", v}, code: 2, want: `total`})
	}
	for _, v := range []string{"abc", "-1", "1000.01", "0.001"} {
		add(biCase{as: "ada", args: []string{"contracts", "update", "3", "--due", v}, code: 2, want: `due|amount`, remote: v == "1000.01"})
	}
	add(biCase{as: "ada", args: []string{"contracts", "update", "3", "--total", "10", "--due", "20"}, code: 2, want: `due|amount`})
	add(biCase{as: "bill", args: []string{"contracts", "update", "2", "--due", "0"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "bill", args: []string{"contracts", "update", "1", "--total", "5"}, code: 4, want: forbidden + `|signed`})
	// Only a refund raises the amount due, whoever asks (signed or not).
	add(biCase{as: "bill", args: []string{"contracts", "update", "1", "--due", "1000"}, code: 6, want: `contracts refund`})
	add(biCase{as: "ada", args: []string{"contracts", "update", "1", "--due", "501"}, code: 6, want: `contracts refund`})
	// A total below what has been paid (500.00 of contract 1).
	add(biCase{as: "ada", args: []string{"contracts", "update", "1", "--total", "499.99"}, code: 6, want: `has been paid`})
	add(biCase{as: "kate", args: []string{"contracts", "update", "1", "--due", "0"}, code: 4, want: forbidden})
	ids("ada", []string{"contracts", "sign"}, nil, true)
	add(biCase{as: "bill", args: []string{"contracts", "sign", "2"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: []string{"contracts", "sign", "3"}, code: 4, want: forbidden})
	add(biCase{as: "ada", args: []string{"contracts", "sign", "1"}, code: 6, want: `signed`})
	ids("ada", []string{"contracts", "reassign"}, []string{"--sales-contact", "3"}, false)
	add(biCase{as: "ada", args: []string{"contracts", "reassign", "1"}, code: 2, want: `sales[_-]contact`})
	idFlag("ada", []string{"contracts", "reassign", "1"}, "sales-contact", "sales_contact_id", false)
	add(biCase{as: "ada", args: []string{"contracts", "reassign", "1", "--sales-contact", biNobody}, code: 5, want: notFound})
	add(biCase{as: "ada", args: []string{"contracts", "reassign", "1", "--sales-contact", "5"}, code: 2, want: `SALES|sales[_-]contact`})
	add(biCase{as: "bill", args: []string{"contracts", "reassign", "1", "--sales-contact", "3"}, code: 4, want: forbidden})

	// --- events ---
	idFlag("kate", []string{"events", "list"}, "contract", "contract_id", false)
	for _, v := range []string{"", "someday", "2026-13-01", "2026-02-30", "2026-06-01 25:00", "01/06/2026", "2026-06-01\x01", "2026-06-01T25:00", "2026-06-01 10:00:61"} {
		add(biCase{as: "kate", args: []string{"events", "list", "--from", v}, code: 2, want: `from`, remote: v == "someday"})
	}
	for _, v := range []string{"to-morrow", "2026-13-01"} {
		add(biCase{as: "kate", args: []string{"events", "list", "--to", v}, code: 2, want: `\bto\b`})
	}
	// Employees named by id or email: neither (2), an email of nobody (5).
	for _, flag := range []string{"support", "sales-contact"} {
		add(biCase{as: "kate", args: []string{"events", "list", "--" + flag, "kate"}, code: 2, want: `or an email`})
		add(biCase{as: "kate", args: []string{"events", "list", "--" + flag, "0"}, code: 2, want: `is not an id`})
		add(biCase{as: "kate", args: []string{"events", "list", "--" + flag, "ghost@epicevents.example"}, code: 5, want: `no employee with email`, remote: flag == "support"})
	}
	add(biCase{as: "kate", args: []string{"events", "list", "--upcoming=soon"}, code: 2, want: `upcoming`})
	add(biCase{as: "ada", args: []string{"events", "assign", "1", "--support", "ghost@epicevents.example"}, code: 5, want: `no employee with email`})
	add(biCase{as: "ada", args: []string{"clients", "show", "ghost@client.example"}, code: 5, want: `no client with email`, remote: true})
	// An address no one can have is not looked up: invalid, in both modes.
	add(biCase{as: "ada", args: []string{"clients", "show", biEmail255}, code: 2, want: `not an id \(a positive whole number\) or an email`, remote: true})
	add(biCase{as: "ada", args: []string{"employees", "show", "bill\u200b@epicevents.example"}, code: 2, want: `not an id \(a positive whole number\) or an email`, remote: true})
	add(biCase{as: "ada", args: []string{"clients", "reassign", "ghost@client.example", "--sales-contact", "2"}, code: 5, want: `no client with email`})
	add(biCase{as: "ada", args: []string{"employees", "deactivate", "ghost@epicevents.example"}, code: 5, want: `no employee with email`})
	add(biCase{as: "ada", args: []string{"audit", "list", "--actor", "ghost@epicevents.example"}, code: 5, want: `no employee with email`})
	// Notes: an empty or too long note, a note with --notes, a note by an
	// employee who may not change the notes.
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--add-note", ""}, code: 2, want: `--add-note`, remote: true})
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--add-note", biNotes5001}, code: 2, want: `--add-note`})
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--add-note", "Bad\x01Note"}, code: 2, want: `--add-note`})
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--notes", "x", "--add-note", "y"}, code: 2, want: `--add-note`})
	add(biCase{as: "kate", args: []string{"events", "update", "2", "--add-note", "Not mine"}, code: 4, want: forbidden})
	add(biCase{as: "bill", args: []string{"events", "update", "1", "--add-note", "Not mine"}, code: 4, want: forbidden})
	add(biCase{as: "kate", args: []string{"events", "list", "--view", "wide"}, code: 2, want: `view`})
	add(biCase{as: "kate", args: []string{"events", "list", "--without-support=maybe"}, code: 2, want: `without-support`})
	limit("kate", []string{"events", "list"})
	ids("kate", []string{"events", "show"}, nil, false)
	newEvent := func(over ...string) []string {
		base := []string{"--contract", "1", "--name", "John Ouick Wedding", "--start", "2030-06-04 13:00", "--end", "2030-06-05 02:00",
			"--location", "53 Rue du Château, 41120 Candé-sur-Beuvron, France", "--attendees", "75", "--notes", "Wedding starts at 3PM."}
		for i := 0; i+1 < len(over); i += 2 {
			for j := 0; j+1 < len(base); j += 2 {
				if base[j] == over[i] {
					base[j+1] = over[i+1]
				}
			}
		}
		var args []string
		for j := 0; j+1 < len(base); j += 2 {
			if base[j+1] != "\x00omit" {
				args = append(args, base[j], base[j+1])
			}
		}
		return append([]string{"events", "create"}, args...)
	}
	for _, v := range []string{"", "abc", "0", "-1", biOverflow, "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--contract", v), code: 2, want: `contract`})
	}
	add(biCase{as: "bill", args: newEvent("--contract", biNobody), code: 5, want: notFound, remote: true})
	for _, v := range []string{"", "   ", biName201, biControl[0].s, biControl[1].s, biControl[2].s, "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--name", v), code: 2, want: `name`, remote: v == biName201})
	}
	for _, v := range []string{"", "tomorrow", "2030-02-30 10:00", "2030-06-04 24:30", "2030-06-04", "2030-03-31 02:30", "2030-06-04T13:00:00+25:00", "2030-06-04 13:00\x01", "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--start", v), code: 2, want: `start`, remote: v == "tomorrow"})
	}
	for _, v := range []string{"", "tomorrow", "2030-03-31 02:30", "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--end", v), code: 2, want: `\bend\b`})
	}
	add(biCase{as: "bill", args: newEvent("--end", "2030-06-04 13:00"), code: 2, want: `end|start`, remote: true})
	add(biCase{as: "bill", args: newEvent("--end", "2030-06-04 12:00"), code: 2, want: `end|start`})
	for _, v := range []string{"", "   ", biLocation301, biControl[0].s, biControl[1].s, biControl[2].s, "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--location", v), code: 2, want: `location`, remote: v == biLocation301})
	}
	for _, v := range []string{"", "abc", "-1", "100001", "1.5", "7e1", biOverflow, "75\x01", "\x00omit"} {
		add(biCase{as: "bill", args: newEvent("--attendees", v), code: 2, want: `attendees`, remote: v == "100001" || v == "abc"})
	}
	for _, v := range []string{biNotes5001, "notes\x01here", "notes\x1b[31mred"} {
		add(biCase{as: "bill", args: newEvent("--notes", v), code: 2, want: `notes`, remote: v == biNotes5001})
	}
	add(biCase{as: "bill", args: newEvent("--contract", "2"), code: 4, want: forbidden, remote: true})
	add(biCase{as: "ada", args: newEvent(), code: 4, want: forbidden})
	add(biCase{as: "kate", args: newEvent(), code: 4, want: forbidden})
	add(biCase{as: "bill", args: newEvent("--contract", "3"), code: 6, want: `not signed`})
	ids("kate", []string{"events", "update"}, []string{"--attendees", "80"}, true)
	add(biCase{as: "kate", args: []string{"events", "update", "1"}, code: 2, want: `nothing to change|at least one`})
	text("ada", []string{"events", "update", "1"}, "name", biName201, true, false)
	text("kate", []string{"events", "update", "1"}, "location", biLocation301, true, true)
	for _, v := range []string{biNotes5001, "x\x01y", "x\x1by"} {
		add(biCase{as: "kate", args: []string{"events", "update", "1", "--notes", v}, code: 2, want: `notes`})
	}
	for _, f := range []string{"--start", "--end"} {
		for _, v := range []string{"tomorrow", "2030-03-31 02:30"} {
			add(biCase{as: "kate", args: []string{"events", "update", "1", f, v}, code: 2, want: strings.TrimPrefix(f, "--")})
		}
	}
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--start", "2031-01-01 10:00"}, code: 2, want: `end|start`, remote: true})
	for _, v := range []string{"abc", "-1", "100001"} {
		add(biCase{as: "kate", args: []string{"events", "update", "1", "--attendees", v}, code: 2, want: `attendees`})
	}
	add(biCase{as: "kate", args: []string{"events", "update", "2", "--attendees", "80"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--name", "Renamed"}, code: 4, want: forbidden + `|name`})
	add(biCase{as: "bill", args: []string{"events", "update", "1", "--attendees", "80"}, code: 4, want: forbidden})
	add(biCase{as: "kate", args: []string{"events", "update", "1", "--contract", "2"}, code: 2, want: `contract`})
	ids("ada", []string{"events", "assign"}, []string{"--support", "5"}, false)
	add(biCase{as: "ada", args: []string{"events", "assign", "1"}, code: 2, want: `support`})
	idFlag("ada", []string{"events", "assign", "1"}, "support", "support_contact_id", true)
	add(biCase{as: "ada", args: []string{"events", "assign", "1", "--support", biNobody}, code: 5, want: notFound, remote: true})
	add(biCase{as: "ada", args: []string{"events", "assign", "1", "--support", "2"}, code: 2, want: `SUPPORT|support`, remote: true})
	add(biCase{as: "bill", args: []string{"events", "assign", "1", "--support", "5"}, code: 4, want: forbidden})
	add(biCase{as: "kate", args: []string{"events", "assign", "2", "--support", "4"}, code: 4, want: forbidden, remote: true})
	ids("ada", []string{"events", "unassign"}, nil, false)
	add(biCase{as: "kate", args: []string{"events", "unassign", "1"}, code: 4, want: forbidden})

	// --- audit ---
	for _, f := range []struct{ flag, field string }{{"--id", "id"}, {"--actor", "actor"}} {
		for _, v := range []string{"", "abc", "0", "-1"} {
			add(biCase{as: "ada", args: []string{"audit", "list", f.flag, v}, code: 2, want: f.field, remote: v == "abc"})
		}
	}
	add(biCase{as: "ada", args: []string{"audit", "list", "--entity", "bogus"}, code: 2, want: `entity`, remote: true})
	add(biCase{as: "ada", args: []string{"audit", "list", "--entity", "client\x01"}, code: 2, want: `entity`})
	limit("ada", []string{"audit", "list"})
	add(biCase{as: "bill", args: []string{"audit", "list"}, code: 4, want: forbidden, remote: true})
	add(biCase{as: "kate", args: []string{"audit", "list", "--entity", "client"}, code: 4, want: forbidden})
	return cs
}

// biFixture is the CRM the cases run on, and how to reach its database.
type biFixture struct {
	*fiCRM
	engine  string
	openURL string   // the database, for the test's own dumps
	logins  []string // the employees logged in
}

// biEmployees are the employees of the fixture; those with login are logged in.
var biEmployees = []fiEmployee{
	{name: "bill", role: "SALES", first: "Bill", last: "Boquet", login: true},
	{name: "sam", role: "SALES", first: "Sam", last: "Seller", login: true},
	{name: "kate", role: "SUPPORT", first: "Kate", last: "Hastroff", login: true},
	{name: "sue", role: "SUPPORT", first: "Sue", last: "Port"},
	{name: "mo", role: "MANAGEMENT", first: "Mo", last: "Nager"},
}

// biNewFixture builds the fixture of the ids above on engine.
func biNewFixture(t *testing.T, engine string) *biFixture {
	dir := t.TempDir()
	f := &biFixture{engine: engine}
	dbURL := "sqlite:crm.db" // relative to the fixture's folder: a copy of the folder is a copy of the CRM
	f.openURL = "sqlite:" + filepath.Join(dir, "crm.db")
	if engine == "postgres" {
		dbURL = biPGDatabase(t, "")
		f.openURL = dbURL
	}
	f.fiCRM = fiNewCRM(t, dir, dbURL, nil, biEmployees...)
	f.homes["nobody"] = filepath.Join(dir, "home-nobody")
	f.logins = []string{"ada"}
	for _, e := range biEmployees {
		if e.login {
			f.logins = append(f.logins, e.name)
		}
	}
	m := func(as string, args ...string) { fiMust(t, dir, f.as(as), "", args...) }
	m("bill", "clients", "create", "--first-name", "Seed", "--last-name", "Client", "--email", "seed@client.example")
	m("sam", "clients", "create", "--first-name", "Other", "--last-name", "Client", "--email", "other@client.example")
	m("ada", "contracts", "create", "--client", "1", "--total", "1000", "--due", "500", "--signed")
	m("ada", "contracts", "create", "--client", "2", "--total", "2000", "--due", "500", "--signed")
	m("ada", "contracts", "create", "--client", "1", "--total", "1000")
	m("bill", "events", "create", "--contract", "1", "--name", "Seed Event", "--start", "2030-06-04 13:00", "--end", "2030-06-05 02:00",
		"--location", "Candé-sur-Beuvron", "--attendees", "75")
	m("sam", "events", "create", "--contract", "2", "--name", "Other Event", "--start", "2030-05-05 15:00", "--end", "2030-05-05 17:00",
		"--location", "Mufflins", "--attendees", "200")
	m("ada", "events", "assign", "1", "--support", "4")
	m("ada", "events", "assign", "2", "--support", "5")
	return f
}

// biPGDatabase creates a database on EPICEVENTS_TEST_POSTGRES_URL, a copy of
// template when it is not empty, dropped at the end of the test.
func biPGDatabase(t *testing.T, template string) string {
	base := os.Getenv(testdb.PostgresEnv)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "badinput_" + hex.EncodeToString(b)
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	if _, err := admin.Exec(q); err != nil {
		admin.Close()
		t.Fatalf("%s: %v", q, err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

// clone copies the fixture: its folder (the employees' homes, and the
// SQLite file) and, on PostgreSQL, its database, where it logs everyone in
// again (tokens belong to a database URL).
func (f *biFixture) clone(t *testing.T) *biFixture {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(f.dir)); err != nil {
		t.Fatalf("copy the fixture: %v", err)
	}
	g := &biFixture{engine: f.engine, logins: f.logins, fiCRM: &fiCRM{dir: dir, dbURL: f.dbURL, env: f.env, homes: map[string]string{}, ids: f.ids}}
	for name, h := range f.homes {
		g.homes[name] = filepath.Join(dir, filepath.Base(h))
		// CopyFS makes folders 0755; the CLI made them 0700 (and warns
		// about a home that others can read).
		if err := os.Chmod(g.homes[name], 0o700); err != nil && !os.IsNotExist(err) {
			t.Fatalf("copy the fixture: %v", err)
		}
	}
	g.openURL = "sqlite:" + filepath.Join(dir, "crm.db")
	if f.engine == "postgres" {
		u, _ := url.Parse(f.dbURL)
		g.dbURL = biPGDatabase(t, strings.TrimPrefix(u.Path, "/"))
		g.openURL = g.dbURL
		g.env = fiWith(f.env, "EPICEVENTS_DATABASE_URL="+g.dbURL)
		for _, name := range g.logins {
			fiMust(t, dir, g.as(name), fiPassword+"\n", "login", "--email", name+"@epicevents.example", "--password-stdin")
		}
	}
	return g
}

// biExcluded are the tables of legitimate writes by a refused command:
// session touches and the failed-login counter.
var biExcluded = map[string]bool{"sessions": true, "refresh_tokens": true, "login_failures": true}

// biDump returns every row of every table but the excluded ones, in primary
// key order (and on PostgreSQL, the sequences). With loginFailure, the audit
// entries of failed logins are left out as well.
func biDump(t *testing.T, db *sql.DB, engine string, loginFailure, dbConflict bool) string {
	var tables []string
	if engine == "sqlite" {
		tables = fiQueryStringsRaw(t, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name`)
	} else {
		tables = fiQueryStringsRaw(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`)
	}
	var b strings.Builder
	for _, table := range tables {
		if biExcluded[table] {
			continue
		}
		cols := fiQueryStringsRaw(t, db, biColumnsQuery(engine), table)
		order := make([]string, len(cols))
		for i := range cols {
			order[i] = fmt.Sprint(i + 1)
		}
		q := fmt.Sprintf("SELECT * FROM %q", table)
		switch {
		case table == "sqlite_sequence" && loginFailure:
			q += " WHERE name NOT IN ('sessions', 'login_failures', 'audit_entries')"
		case table == "sqlite_sequence":
			q += " WHERE name NOT IN ('sessions', 'login_failures')"
		case table == "audit_entries" && loginFailure:
			q += " WHERE action NOT IN ('auth.login_failed', 'auth.password_check_failed')"
		}
		q += " ORDER BY " + strings.Join(order, ", ")
		fmt.Fprintf(&b, "== %s\n", table)
		for _, row := range fiQueryStrings(t, db, q) {
			b.WriteString(row)
			b.WriteByte('\n')
		}
	}
	if engine == "postgres" && !dbConflict {
		b.WriteString("== sequences\n")
		q := `SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'
			AND sequencename NOT LIKE 'sessions%' AND sequencename NOT LIKE 'login_failures%'`
		if loginFailure {
			q += ` AND sequencename NOT LIKE 'audit_entries%'`
		}
		for _, row := range fiQueryStrings(t, db, q+` ORDER BY 1`) {
			b.WriteString(row)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func biColumnsQuery(engine string) string {
	if engine == "sqlite" {
		return "SELECT name FROM pragma_table_info(?)"
	}
	return "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1"
}

// fiQueryStringsRaw returns a one-column result as plain strings.
func fiQueryStringsRaw(t *testing.T, db *sql.DB, q string, args ...any) []string {
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// biLeak are texts that must never reach a user: raw driver errors, stack
// traces, internal errors.
var biLeak = regexp.MustCompile(`(?i)panic|goroutine \d|sqlstore:|SQLSTATE|pgconn|pgx|sqlite3?:|constraint failed|internal error|\.go:\d`)

// biNotCLIWords are what the CLI says in its own words: the JSON names of
// the fields it has flags for (the flag is named instead), and Go's parse
// errors.
var biNotCLIWords = regexp.MustCompile(`\b(first_name|last_name|company_name|total_amount|amount_due|client_id|contract_id|sales_contact_id|support_contact_id|reassign_to|actor_id|entity_id|current_password|new_password|add_note)\b|strconv|invalid syntax|invalid argument`)

// biCheck runs c on fixture f (env: its settings, plus the server in remote
// mode) and checks the exit code, the message and the database.
//
// It reports whether the database changed or the command succeeded: the
// copy it ran on is then no longer the fixture.
func biCheck(t *testing.T, f *biFixture, db *sql.DB, env []string, c biCase) (spoiled bool) {
	t.Helper()
	before := biDump(t, db, f.engine, c.loginFailure, c.dbConflict)
	r := fiRun(t, f.dir, fiWith(env, c.env...), c.stdin, c.args...)
	after := biDump(t, db, f.engine, c.loginFailure, c.dbConflict)
	if r.code != c.code {
		t.Errorf("%s: exit %d, want %d\nstderr: %s\nstdout: %.300s", c.name(), r.code, c.code, r.stderr, r.stdout)
	}
	// One sentence: "error: …". serve logs JSON lines before it fails;
	// they are not the message.
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(r.stderr, "\n"), "\n") {
		if !strings.HasPrefix(l, "{") {
			lines = append(lines, l)
		}
	}
	msg := strings.Join(lines, "\n")
	switch {
	case len(lines) == 0 || !strings.HasPrefix(lines[0], "error: "):
		t.Errorf("%s: stderr does not start with one \"error: …\" sentence: %q", c.name(), r.stderr)
	case len(lines) > 1:
		t.Errorf("%s: stderr is more than one sentence: %q", c.name(), r.stderr)
	case biLeak.MatchString(msg):
		t.Errorf("%s: stderr leaks internals: %q", c.name(), msg)
	case biNotCLIWords.MatchString(msg):
		t.Errorf("%s: stderr is not in the CLI's words (a JSON field, a Go parse error): %q", c.name(), msg)
	case !regexp.MustCompile(`(?i)` + c.want).MatchString(msg):
		t.Errorf("%s: stderr %q does not name %s", c.name(), msg, c.want)
	}
	if strings.ContainsAny(msg, "\x01\x1b") {
		t.Errorf("%s: stderr echoes a control character: %q", c.name(), msg)
	}
	if before != after {
		t.Errorf("%s (exit %d): the database changed:\n%s", c.name(), r.code, biDiff(before, after))
	}
	return before != after || r.code == 0
}

// biDiff shows the lines only in a and only in b.
func biDiff(a, b string) string {
	in := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		in[l]++
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if in[l] > 0 {
			in[l]--
			continue
		}
		out = append(out, "+ "+l)
	}
	for l, n := range in {
		for range n {
			out = append(out, "- "+l)
		}
	}
	return strings.Join(out, "\n")
}

// biRun runs cases on workers copies of f in parallel, each case with the
// environment envOf gives for its employee.
func biRun(t *testing.T, f *biFixture, cases []biCase, workers int, envOf func(w *biFixture, as string) []string) {
	clones := make([]*biFixture, workers)
	for i := range clones {
		clones[i] = f.clone(t)
	}
	work := make(chan biCase)
	var wg sync.WaitGroup
	for _, w := range clones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := fiOpen(t, w.openURL)
			for c := range work {
				if biCheck(t, w, db, envOf(w, c.as), c) {
					// A command that went through: later cases need
					// the fixture as it was.
					w = f.clone(t)
					db = fiOpen(t, w.openURL)
				}
			}
		}()
	}
	for _, c := range cases {
		work <- c
	}
	close(work)
	wg.Wait()
}

// TestBadInputCLI runs the whole table in local mode, on SQLite and (with
// EPICEVENTS_TEST_POSTGRES_URL) on PostgreSQL.
func TestBadInputCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the bad-input table runs hundreds of processes")
	}
	cases := biCases()
	t.Logf("%d cases", len(cases))
	testdb.ForEach(t, func(t *testing.T, engine string) {
		f := biNewFixture(t, engine)
		biRun(t, f, cases, 4, func(w *biFixture, as string) []string { return w.as(as) })
	})
}

// TestBadInputRemote runs the cases marked remote through `epicevents
// serve` (SQLite behind it): the server refuses what the CLI does not, with
// the same exit codes and messages, and changes nothing.
func TestBadInputRemote(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the bad-input table runs hundreds of processes")
	}
	var cases []biCase
	for _, c := range biCases() {
		if c.remote {
			cases = append(cases, c)
		}
	}
	t.Logf("%d cases", len(cases))
	f := biNewFixture(t, "sqlite").clone(t)
	srv := fiStartServe(t, f.dir, fiWith(f.as("ada"), "EPICEVENTS_HOME="+filepath.Join(f.dir, "home-serve")))
	remote := func(as string) []string {
		return fiWith(f.as(as), "EPICEVENTS_SERVER="+srv.URL)
	}
	for _, name := range f.logins {
		fiMust(t, f.dir, remote(name), fiPassword+"\n", "login", "--email", name+"@epicevents.example", "--password-stdin")
	}
	db := fiOpen(t, f.openURL)
	for _, c := range cases {
		biCheck(t, f, db, remote(c.as), c)
	}
}
