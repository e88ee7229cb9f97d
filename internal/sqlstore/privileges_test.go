package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/epicevents/epicevents/internal/auth"
	"github.com/epicevents/epicevents/internal/crm"
	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// The tests of this file need PostgreSQL: least privilege is a PostgreSQL
// matter (see docs/postgresql.md). They skip when
// EPICEVENTS_TEST_POSTGRES_URL is unset.

func openAs(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestAppRoleGrantsCoverSchema fails when a migration adds a table that
// appRoleGrants does not cover (or the map names a table that is gone), and
// when a sequence is not an identity column's (INSERT would then need a
// sequence privilege that the application role does not get).
func TestAppRoleGrantsCoverSchema(t *testing.T) {
	db := testdb.Open(t, "postgres") // skips without PostgreSQL
	ctx := context.Background()
	missing, stale, err := db.UncoveredTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("tables without an entry in appRoleGrants (internal/sqlstore/privileges.go): %v; "+
			"add each with the privileges the application role needs", missing)
	}
	if len(stale) > 0 {
		t.Errorf("appRoleGrants names tables that the migrations do not create: %v", stale)
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT c.relname FROM pg_class c
		WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace
		AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
			AND d.objid = c.oid AND d.deptype = 'i')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		t.Errorf("sequence %s is not an identity column's: use GENERATED ALWAYS AS IDENTITY, "+
			"or grant the application role USAGE on it in GrantAppRole", name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	// The check itself: a table that the map does not cover is reported.
	if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE uncovered_things (id BIGINT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	missing, _, err = db.UncoveredTables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(missing, []string{"uncovered_things"}) {
		t.Errorf("with a new table outside the map, missing = %v, want [uncovered_things]", missing)
	}
}

// allPrivileges are the table privileges of PostgreSQL 15 that a role can
// hold (MAINTAIN came in 17).
var allPrivileges = []string{"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}

// privilegeSnapshot is every privilege role holds in the database, one line
// each, sorted: tables, sequences, schema, database.
func privilegeSnapshot(t *testing.T, admin *sql.DB, role string) []string {
	t.Helper()
	var snap []string
	rows, err := admin.Query(`SELECT c.relname, c.relkind, p.priv
		FROM pg_class c
		CROSS JOIN unnest($2::text[]) AS p(priv)
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S', 'v', 'm')
		AND CASE WHEN c.relkind = 'S'
			THEN p.priv IN ('SELECT', 'UPDATE', 'USAGE') AND has_sequence_privilege($1, c.oid, p.priv)
			ELSE p.priv <> 'USAGE' AND has_table_privilege($1, c.oid, p.priv) END
		ORDER BY 1, 3`, role, append(slices.Clone(allPrivileges), "USAGE"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, kind, priv string
		if err := rows.Scan(&name, &kind, &priv); err != nil {
			t.Fatal(err)
		}
		snap = append(snap, kind+" "+name+" "+priv)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Privileges held on some columns only, such as INSERT on the audit
	// trail but its id and at.
	rows, err = admin.Query(`SELECT c.relname, p.priv, string_agg(a.attname, ', ' ORDER BY a.attnum)
		FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'REFERENCES']) AS p(priv)
		WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
		AND NOT has_table_privilege($1, c.oid, p.priv) AND has_column_privilege($1, c.oid, a.attnum, p.priv)
		GROUP BY 1, 2 ORDER BY 1, 2`, role)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, priv, cols string
		if err := rows.Scan(&name, &priv, &cols); err != nil {
			t.Fatal(err)
		}
		snap = append(snap, "r "+name+" "+priv+" ("+cols+")")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var schemaUsage, schemaCreate, dbCreate, temp bool
	if err := admin.QueryRow(`SELECT has_schema_privilege($1, 'public', 'USAGE'), has_schema_privilege($1, 'public', 'CREATE'),
		has_database_privilege($1, current_database(), 'CREATE'), has_database_privilege($1, current_database(), 'TEMP')`, role).
		Scan(&schemaUsage, &schemaCreate, &dbCreate, &temp); err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]bool{"schema USAGE": schemaUsage, "schema CREATE": schemaCreate, "database CREATE": dbCreate} {
		if v {
			snap = append(snap, name)
		}
	}
	slices.Sort(snap)
	return snap
}

// wantSnapshot is what GrantAppRole promises: the map, USAGE on the schema.
func wantSnapshot() []string {
	want := []string{"schema USAGE"}
	for _, g := range sqlstore.AppRoleGrants() {
		for _, p := range g.Privileges {
			want = append(want, "r "+g.Table+" "+p)
		}
		if len(g.InsertColumns) > 0 {
			want = append(want, "r "+g.Table+" INSERT ("+strings.Join(g.InsertColumns, ", ")+")")
		}
	}
	slices.Sort(want)
	return want
}

func TestGrantAppRoleExactAndIdempotent(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", d.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	first := privilegeSnapshot(t, admin, d.App)
	if want := wantSnapshot(); !slices.Equal(first, want) {
		t.Fatalf("privileges of the application role:\n got %v\nwant %v", first, want)
	}

	// Extra privileges given by hand are taken back; the map's are kept.
	for _, stmt := range []string{
		"GRANT ALL ON ALL TABLES IN SCHEMA public TO " + d.App,
		"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO " + d.App,
		"GRANT CREATE ON SCHEMA public TO " + d.App,
	} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	owner := openAs(t, d.OwnerURL)
	for range 2 {
		if err := owner.GrantAppRole(ctx, d.App); err != nil {
			t.Fatal(err)
		}
		if again := privilegeSnapshot(t, admin, d.App); !slices.Equal(again, first) {
			t.Fatalf("after GrantAppRole again:\n got %v\nwant %v", again, first)
		}
	}
}

func TestGrantAppRoleRefusals(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := context.Background()
	owner := openAs(t, d.OwnerURL)
	for _, c := range []struct {
		role string
		code crm.Code
		msg  string
	}{
		{"no_such_role_" + strings.ToLower(d.Database[len(d.Database)-6:]), crm.CodeInvalid, "create it first: CREATE ROLE no_such_role_"},
		{"Robert'); DROP TABLE clients;--", crm.CodeInvalid, "is not valid"},
		{"", crm.CodeInvalid, "is not valid"},
		{"pg_monitor", crm.CodeInvalid, "reserved"},
		{d.Owner, crm.CodeConflict, "the role running the migration"},
		{superuser(t), crm.CodeConflict, "superuser"},
	} {
		err := owner.GrantAppRole(ctx, c.role)
		e, ok := crm.AsError(err)
		if !ok || e.Code != c.code || !strings.Contains(e.Message, c.msg) {
			t.Errorf("GrantAppRole(%q) = %v, want code %v with %q", c.role, err, c.code, c.msg)
		}
	}

	// CREATE on the schema through PUBLIC (PostgreSQL 14's default) is
	// refused with the statement that fixes it; so is CREATE on the database.
	for _, c := range []struct{ grant, revoke, want string }{
		{"GRANT CREATE ON SCHEMA public TO PUBLIC", "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "REVOKE CREATE ON SCHEMA public FROM PUBLIC"},
		{"GRANT CREATE ON DATABASE " + d.Database + " TO PUBLIC", "REVOKE CREATE ON DATABASE " + d.Database + " FROM PUBLIC", "REVOKE CREATE ON DATABASE"},
	} {
		if _, err := owner.SQL().ExecContext(ctx, c.grant); err != nil {
			t.Fatal(err)
		}
		err := owner.GrantAppRole(ctx, d.App)
		if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeConflict || !strings.Contains(e.Message, c.want) {
			t.Errorf("after %s, GrantAppRole = %v; want a conflict naming %q", c.grant, err, c.want)
		}
		if _, err := owner.SQL().ExecContext(ctx, c.revoke); err != nil {
			t.Fatal(err)
		}
	}
	if err := owner.GrantAppRole(ctx, d.App); err != nil {
		t.Errorf("GrantAppRole once PUBLIC lost CREATE: %v", err)
	}

	// The application role cannot grant anything, even to another role.
	app := openAs(t, d.AppURL)
	err := app.GrantAppRole(ctx, d.Owner)
	if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeForbidden {
		t.Errorf("GrantAppRole as the application role = %v, want CodeForbidden", err)
	}

	// On SQLite the option makes no sense.
	lite := testdb.Open(t, "sqlite")
	if err := lite.GrantAppRole(ctx, "epicevents_app"); !strings.Contains(errString(err), "--app-role is for PostgreSQL") {
		t.Errorf("GrantAppRole on SQLite = %v", err)
	}
	if p, err := lite.Privileges(ctx); err != nil || p != (sqlstore.Privileges{}) {
		t.Errorf("Privileges on SQLite = %+v, %v; want zero", p, err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// superuser is the role of EPICEVENTS_TEST_POSTGRES_URL.
func superuser(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("pgx", os.Getenv(testdb.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name string
	if err := db.QueryRow("SELECT current_user").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestAppRoleRefused runs, as the application role, what it must not do.
func TestAppRoleRefused(t *testing.T) {
	d := testdb.AppRole(t)
	app, err := sql.Open("pgx", d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for _, stmt := range []string{
		"CREATE TABLE intruder (id INT)",
		"CREATE TABLE public.intruder (id INT)",
		"CREATE VIEW intruder AS SELECT 1",
		"CREATE SCHEMA intruder",
		"ALTER TABLE clients ADD COLUMN intruder TEXT",
		"ALTER TABLE audit_entries DISABLE TRIGGER ALL",
		"DROP TABLE events",
		"DROP TABLE audit_entries",
		"CREATE INDEX intruder_idx ON clients (phone)",
		"DROP INDEX clients_name_idx",
		"TRUNCATE clients",
		"TRUNCATE audit_entries",
		"TRUNCATE login_failures",
		"UPDATE audit_entries SET action = 'nothing'",
		"DELETE FROM audit_entries",
		"DELETE FROM clients",
		"DELETE FROM contracts",
		"DELETE FROM events",
		"DELETE FROM audit_entries WHERE id = 1",
		// The database numbers and dates audit entries: an id or a time of
		// the writer's choosing (a backdated entry) is refused.
		"INSERT INTO audit_entries (id, action, entity) OVERRIDING SYSTEM VALUE VALUES (424242, 'client.create', 'client')",
		"INSERT INTO audit_entries (at, action, entity) VALUES ('2001-01-01T00:00:00Z', 'client.create', 'client')",
		"INSERT INTO audit_entries (id, at, action, entity) OVERRIDING SYSTEM VALUE VALUES (424243, now(), 'client.create', 'client')",
		"DELETE FROM refresh_tokens",
		// The ledger is append-only: no UPDATE, DELETE nor TRUNCATE.
		"UPDATE payments SET amount = 1",
		"DELETE FROM payments",
		"DELETE FROM payments WHERE id = 1",
		"TRUNCATE payments",
		"UPDATE idempotency_keys SET status = 200",
		"TRUNCATE idempotency_keys",
		"DELETE FROM settings",
		"UPDATE settings SET value = 'forged'",
		"INSERT INTO departments (code, name) VALUES ('ROOT', 'Root')",
		"INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, true)",
		"DELETE FROM goose_db_version",
		"SELECT setval(pg_get_serial_sequence('employees', 'id'), 1)",
		"SELECT nextval(pg_get_serial_sequence('employees', 'id'))",
		"CREATE FUNCTION intruder() RETURNS INT LANGUAGE sql AS 'SELECT 1'",
		// The report totals are the triggers' to write (their function runs
		// as its owner): the application role only reads them, and cannot
		// switch the triggers off or call their function.
		"INSERT INTO contract_due_totals (sales_contact_id, contracts, amount_due) VALUES (1, 1, 1)",
		"UPDATE contract_due_totals SET amount_due = 0",
		"DELETE FROM contract_due_totals",
		"INSERT INTO contract_signed_totals (hour, contracts, total) VALUES (now(), 1, 1)",
		"UPDATE contract_signed_totals SET total = 0",
		"DELETE FROM contract_signed_totals",
		"TRUNCATE contract_due_totals",
		"ALTER TABLE contracts DISABLE TRIGGER contract_totals_au",
		"DROP TRIGGER contract_totals_ai ON contracts",
		"SELECT contract_totals_keep()",
		"CREATE OR REPLACE FUNCTION contract_totals_keep() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'",
	} {
		_, err := app.Exec(stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s: got %v, want permission denied (42501)", stmt, err)
		}
	}
	// GRANT without the grant option only warns, and gives nothing.
	if _, err := app.Exec("GRANT SELECT ON clients TO PUBLIC"); err != nil {
		t.Errorf("GRANT as the application role: %v", err)
	}
	var leaked bool
	if err := app.QueryRow("SELECT has_table_privilege('public', 'clients', 'SELECT')").Scan(&leaked); err != nil || leaked {
		t.Errorf("the application role gave PUBLIC access to clients (%v)", err)
	}
	// What the application role may read.
	for _, q := range []string{"SELECT count(*) FROM audit_entries", "SELECT count(*) FROM goose_db_version",
		"SELECT count(*) FROM contract_due_totals", "SELECT count(*) FROM contract_signed_totals"} {
		var n int
		if err := app.QueryRow(q).Scan(&n); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	// An entry without id or at is what the store writes: the database
	// gives it the next id and the time of the transaction.
	var id int64
	var at time.Time
	var now time.Time
	err = app.QueryRow(`INSERT INTO audit_entries (actor_id, actor_email, action, entity, entity_id, changes, client_addr)
		VALUES (1, 'a@x.test', 'client.create', 'client', 1, '{}', '10.0.0.1') RETURNING id, at, now()`).Scan(&id, &at, &now)
	if err != nil || id < 1 || !at.Equal(now.Truncate(time.Second)) {
		t.Errorf("INSERT of an audit entry as the application role = id %d at %v (now %v), %v", id, at, now, err)
	}
}

// TestAppRoleRunsTheProduct runs the service and the schema checks as the
// application role: what init, the CLI and serve do.
func TestAppRoleRunsTheProduct(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := context.Background()
	store := openAs(t, d.AppURL)

	// The schema checks read only; migrate up on a current schema writes
	// nothing (init runs it).
	if cur, latest, err := store.SchemaCurrent(ctx); err != nil || cur != latest || cur == 0 {
		t.Fatalf("SchemaCurrent = %d, %d, %v", cur, latest, err)
	}
	if applied, err := store.MigrateUp(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("MigrateUp as the application role = %v, %v", applied, err)
	}
	states, err := store.MigrationStatus(ctx)
	if err != nil || len(states) == 0 || !states[len(states)-1].Applied {
		t.Fatalf("MigrationStatus = %v, %v", states, err)
	}
	if p, err := store.Privileges(ctx); err != nil || p.Superuser || p.OwnsTables || p.Role != d.App {
		t.Errorf("Privileges as the application role = %+v, %v", p, err)
	}
	if p, err := openAs(t, d.OwnerURL).Privileges(ctx); err != nil || p.Superuser || !p.OwnsTables {
		t.Errorf("Privileges as the owner = %+v, %v; want OwnsTables", p, err)
	}
	if p, err := openAs(t, strings.Replace(d.AppURL, d.App, superuser(t), 1)).Privileges(ctx); err != nil || !p.Superuser {
		t.Errorf("Privileges as the superuser = %+v, %v; want Superuser", p, err)
	}

	// The signing key setting, as serve stores it when no secret is set.
	key, err := store.PutSettingIfAbsent(ctx, "jwt_signing_key", "k1")
	if err != nil || key != "k1" {
		t.Fatalf("PutSettingIfAbsent = %q, %v", key, err)
	}
	if key, err := store.PutSettingIfAbsent(ctx, "jwt_signing_key", "k2"); err != nil || key != "k1" {
		t.Fatalf("PutSettingIfAbsent again = %q, %v", key, err)
	}

	now := time.Now()
	clock := func() time.Time { return now }
	jwt, err := auth.NewJWT([][]byte{[]byte(strings.Repeat("k", 32))}, 15*time.Minute, clock)
	if err != nil {
		t.Fatal(err)
	}
	svc := crm.NewService(crm.Deps{
		Store:            store,
		Hasher:           auth.NewHasher(auth.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}),
		Tokens:           jwt,
		Refresh:          auth.RefreshTokens{},
		IsCommonPassword: auth.IsCommonPassword,
		Now:              clock,
		Config:           crm.Config{ThrottleMax: 3, ThrottleWindow: 15 * time.Minute},
	})
	const pw = "violet tractor under the bridge"
	mustDo := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s as the application role: %v", what, err)
		}
	}
	_, err = svc.Bootstrap(ctx, crm.NewEmployee{FirstName: "Ada", LastName: "Lovelace", Email: "ada@epic.example", Password: pw})
	mustDo("bootstrap", err)
	login := func(email string) (crm.Tokens, context.Context) {
		t.Helper()
		tok, err := svc.Login(ctx, email, pw)
		mustDo("login "+email, err)
		return tok, crm.WithAccessToken(ctx, tok.AccessToken)
	}
	// A failed login is recorded, a successful one clears the failures.
	if _, err := svc.Login(ctx, "ada@epic.example", "not the password at all"); !crm.IsUnauthenticated(err) {
		t.Fatalf("wrong password: %v", err)
	}
	_, mgr := login("ada@epic.example")
	sales, err := svc.CreateEmployee(mgr, crm.NewEmployee{FirstName: "Bill", LastName: "Boquet", Email: "bill@epic.example", Role: crm.RoleSales, Password: pw})
	mustDo("create a sales employee", err)
	support, err := svc.CreateEmployee(mgr, crm.NewEmployee{FirstName: "Kate", LastName: "Hastroff", Email: "kate@epic.example", Role: crm.RoleSupport, Password: pw})
	mustDo("create a support employee", err)
	temp, err := svc.CreateEmployee(mgr, crm.NewEmployee{FirstName: "Tim", LastName: "Porary", Email: "tim@epic.example", Role: crm.RoleSupport, Password: pw})
	mustDo("create an employee to delete", err)
	salesTok, salesCtx := login("bill@epic.example")
	client, err := svc.CreateClient(salesCtx, crm.NewClient{FirstName: "Kevin", LastName: "Casey", Email: "kevin@startup.example"})
	mustDo("create a client", err)
	contract, err := svc.CreateContract(mgr, crm.NewContract{ClientID: client.ID, TotalAmount: 500000, Signed: true})
	mustDo("create a contract", err)
	// The triggers on contracts wrote the report totals, which the
	// application role may not write itself, and the reports read them.
	dueTotal, err := svc.AmountDueTotal(mgr, false)
	mustDo("add up the money due", err)
	if dueTotal != (crm.DueTotal{Contracts: 1, AmountDue: 500000}) {
		t.Errorf("money due as the application role = %+v, want the contract's 500000 on 1", dueTotal)
	}
	signed, err := svc.SignedByMonth(mgr, 1)
	mustDo("add up the value signed", err)
	if len(signed) != 1 || signed[0].Contracts != 1 || signed[0].Total != 500000 {
		t.Errorf("signed this month as the application role = %+v, want the contract's 500000", signed)
	}
	start := now.Add(30 * 24 * time.Hour).Truncate(time.Minute)
	event, err := svc.CreateEvent(salesCtx, crm.NewEvent{ContractID: contract.ID, Name: "Launch party", Start: start, End: start.Add(4 * time.Hour), Location: "Paris", Attendees: 80})
	mustDo("create an event", err)
	_, err = svc.AssignSupport(mgr, event.ID, support.ID)
	mustDo("assign support", err)
	_, err = svc.Refresh(ctx, salesTok.RefreshToken)
	mustDo("refresh", err)
	// The ledger: a payment, a refund (its foreign key to the payment), and
	// the contract's amount due under its row lock.
	paid, err := svc.RecordPayment(salesCtx, contract.ID, crm.NewPayment{Amount: 150000, Method: "card"})
	mustDo("record a payment", err)
	due := crm.Cents(300000)
	_, err = svc.UpdateContract(salesCtx, contract.ID, crm.ContractPatch{AmountDue: &due})
	mustDo("record a payment through the amount due", err)
	_, err = svc.RefundPayment(mgr, contract.ID, crm.NewRefund{PaymentID: paid.ID, Reason: "Cancelled"})
	mustDo("record a refund", err)
	_, err = svc.ListPayments(salesCtx, contract.ID, crm.PaymentFilter{}, func(crm.Payment) error { return nil })
	mustDo("list a ledger", err)
	_, err = svc.CreateContract(mgr, crm.NewContract{ClientID: client.ID, TotalAmount: 1000, AmountDue: &due})
	if crm.ErrorCode(err) != crm.CodeInvalid {
		t.Errorf("a contract due more than its total: %v", err)
	}
	mustDo("check the ledgers", store.CheckLedgers(ctx))
	// Even the owner, who may UPDATE and DELETE, meets the trigger.
	owner := openAs(t, d.OwnerURL)
	for _, stmt := range []string{"UPDATE payments SET amount = 1", "DELETE FROM payments", "TRUNCATE payments"} {
		_, err := owner.SQL().ExecContext(ctx, stmt)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23001" {
			t.Errorf("%s as the owner: got %v, want the trigger's restrict_violation (23001)", stmt, err)
		}
	}

	// Deleting an employee who has sessions: the cascade to sessions and
	// refresh tokens needs no DELETE on them (it runs as their owner).
	login("tim@epic.example")
	mustDo("delete an unreferenced employee", svc.DeleteEmployee(mgr, temp.ID))
	mustDo("logout", svc.Logout(salesCtx))
	if _, err := svc.Me(salesCtx); !crm.IsUnauthenticated(err) {
		t.Errorf("after logout: %v", err)
	}

	// A wrong current password is counted and audited; the right one
	// changes the password (a change of credentials) and forgets the count.
	supportTok, supportCtx := login("kate@epic.example")
	if _, err := svc.ChangePassword(supportCtx, "not the password at all", "a new passphrase for kate"); crm.ErrorCode(err) != crm.CodeInvalid {
		t.Fatalf("wrong current password: %v", err)
	}
	_, err = svc.ChangePassword(supportCtx, pw, "a new passphrase for kate")
	mustDo("change a password", err)
	if _, err := svc.Refresh(ctx, supportTok.RefreshToken); !crm.IsUnauthenticated(err) {
		t.Errorf("refresh after the password change: %v", err)
	}
	// The web UI's sessions: a login, a request, a password change, a logout.
	ws, err := svc.LoginWeb(ctx, "bill@epic.example", pw)
	mustDo("log in to the web UI", err)
	webActor, err := svc.AuthenticateWeb(ctx, ws.Token)
	mustDo("authenticate a web session", err)
	ws, err = svc.ChangePasswordWeb(crm.WithActor(ctx, webActor), pw, "a new passphrase for bill")
	mustDo("change a password in the web UI", err)
	webActor, err = svc.AuthenticateWeb(ctx, ws.Token)
	mustDo("authenticate the new web session", err)
	mustDo("log out of the web UI", svc.Logout(crm.WithActor(ctx, webActor)))

	// Role change and reactivation bump the credentials too.
	rita, err := svc.CreateEmployee(mgr, crm.NewEmployee{FirstName: "Rita", LastName: "Role", Email: "rita@epic.example", Role: crm.RoleSupport, Password: pw})
	mustDo("create an employee to change", err)
	role := crm.RoleSales
	_, err = svc.UpdateEmployee(mgr, rita.ID, crm.EmployeePatch{Role: &role})
	mustDo("change a role", err)
	_, err = svc.Deactivate(mgr, rita.ID, nil)
	mustDo("deactivate", err)
	_, err = svc.Reactivate(mgr, rita.ID)
	mustDo("reactivate", err)

	// The purge deletes ended sessions (logout, password change) and,
	// once the throttle window has passed, the failures.
	now = now.Add(16 * time.Minute)
	purged, err := svc.Purge(ctx)
	mustDo("purge", err)
	if purged.Sessions == 0 || purged.LoginFailures == 0 {
		t.Errorf("Purge as the application role = %+v, want sessions and login failures deleted", purged)
	}
	_, mgr = login("ada@epic.example") // the clock moved past its access token

	n := 0
	_, err = svc.ListAudit(mgr, crm.AuditFilter{Page: crm.Page{Limit: 100}}, func(crm.AuditEntry) error { n++; return nil })
	mustDo("list the audit trail", err)
	if n == 0 {
		t.Error("no audit entries")
	}
	_ = sales
}

// TestAppRoleCannotMigrate: on a schema that is behind, the application role
// gets advice at once (not the driver's text after goose's retries).
func TestAppRoleCannotMigrate(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := context.Background()
	app := openAs(t, d.AppURL)
	_, err := app.MigrateDown(ctx)
	if e, ok := crm.AsError(err); !ok || !strings.Contains(e.Message, "run `epicevents migrate down` as the owner role") {
		t.Errorf("MigrateDown as the application role = %v", err)
	}
	owner := openAs(t, d.OwnerURL)
	for {
		m, err := owner.MigrateDown(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m == "" {
			break
		}
	}
	start := time.Now()
	_, err = app.MigrateUp(ctx)
	if e, ok := crm.AsError(err); !ok || e.Code != crm.CodeInternal || !strings.Contains(e.Message, "schema is behind") ||
		!strings.Contains(e.Message, "as the owner role") {
		t.Errorf("MigrateUp as the application role on an empty schema = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("MigrateUp took %v to refuse", d)
	}
	// The owner brings it back, and the grants cover the tables again.
	if _, err := owner.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := owner.GrantAppRole(ctx, d.App); err != nil {
		t.Fatal(err)
	}
	if _, err := app.CountEmployees(ctx); err != nil {
		t.Errorf("CountEmployees as the application role after the grants: %v", err)
	}
}

// TestAppRolePurgeUngranted: an application role granted before the purge
// existed (an upgrade without --app-role) gets advice, not a driver error.
func TestAppRolePurgeUngranted(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := context.Background()
	owner := openAs(t, d.OwnerURL)
	if _, err := owner.SQL().ExecContext(ctx, "REVOKE DELETE ON sessions FROM "+d.App); err != nil {
		t.Fatal(err)
	}
	app := openAs(t, d.AppURL)
	now := time.Now()
	_, err := app.DeleteExpired(ctx, crm.Expiry{FailuresBefore: now, Now: now, IdleBefore: now})
	if e, ok := crm.AsError(err); !ok || !strings.Contains(e.Message, "run `epicevents migrate up --app-role NAME`") {
		t.Fatalf("DeleteExpired without DELETE on sessions = %v", err)
	}
	if err := owner.GrantAppRole(ctx, d.App); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DeleteExpired(ctx, crm.Expiry{FailuresBefore: now, Now: now, IdleBefore: now}); err != nil {
		t.Fatalf("DeleteExpired once granted again: %v", err)
	}
}

// TestReportTotalsIgnoreTempTables: the trigger function that keeps the
// report totals runs with its owner's rights, so it must not be steered to
// tables of the caller's choosing: a temporary table of the same name, which
// the application role may create and which PostgreSQL looks up first unless
// told otherwise, receives nothing, and the real totals are kept.
func TestReportTotalsIgnoreTempTables(t *testing.T) {
	d := testdb.AppRole(t)
	ctx := t.Context()
	owner := openAs(t, d.OwnerURL).SQL()
	var sales, client int64
	if err := owner.QueryRowContext(ctx, `INSERT INTO employees (first_name, last_name, email, role, password_hash, active, created_at, updated_at)
		VALUES ('Bill', 'Boquet', 'bill@epic.example', 'SALES', 'x', true, now(), now()) RETURNING id`).Scan(&sales); err != nil {
		t.Fatal(err)
	}
	if err := owner.QueryRowContext(ctx, `INSERT INTO clients (first_name, last_name, email, sales_contact_id, search_text, created_at, updated_at)
		VALUES ('Kevin', 'Casey', 'kevin@startup.example', $1, 'kevin casey', now(), now()) RETURNING id`, sales).Scan(&client); err != nil {
		t.Fatal(err)
	}
	app, err := sql.Open("pgx", d.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	conn, err := app.Conn(ctx) // temporary tables belong to one session
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{
		"CREATE TEMP TABLE contract_due_totals (sales_contact_id BIGINT PRIMARY KEY, contracts BIGINT, amount_due BIGINT)",
		"CREATE TEMP TABLE contract_signed_totals (hour TIMESTAMPTZ PRIMARY KEY, contracts BIGINT, total BIGINT)",
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Skipf("the application role may not create temporary tables (%v): nothing to steer", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO contracts (client_id, sales_contact_id, total_amount, amount_due, signed, signed_at, created_at, updated_at)
		VALUES ($1, $2, 1000, 400, true, now(), now(), now())`, client, sales); err != nil {
		t.Fatal(err)
	}
	var temp int
	if err := conn.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM pg_temp.contract_due_totals) + (SELECT count(*) FROM pg_temp.contract_signed_totals)").Scan(&temp); err != nil {
		t.Fatal(err)
	}
	var due, signed int64
	if err := owner.QueryRowContext(ctx, "SELECT (SELECT amount_due FROM contract_due_totals WHERE sales_contact_id = $1), (SELECT sum(total) FROM contract_signed_totals)", sales).Scan(&due, &signed); err != nil {
		t.Fatal(err)
	}
	if temp != 0 || due != 400 || signed != 1000 {
		t.Errorf("after a contract written as the application role: %d rows in its temporary tables, the real totals %d due and %d signed (want 0, 400, 1000)", temp, due, signed)
	}
}
