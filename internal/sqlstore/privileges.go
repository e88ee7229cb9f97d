package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/epicevents/epicevents/internal/crm"
)

// appRoleGrants is what the application role may do on each table of the
// PostgreSQL schema: the statements the store runs, and nothing more. Keep it
// next to the migrations: a migration that adds a table adds it here, or
// TestAppRoleGrantsCoverSchema fails.
//
//   - DELETE only where the product deletes: employees (`employees delete`),
//     login_failures (cleared after a successful login, and purged after the
//     throttle window) and sessions (purged once they can no longer be
//     used). Refresh tokens go with their session, and sessions with their
//     employee, through ON DELETE CASCADE, which PostgreSQL runs with the
//     rights of the owner of the referencing table: no DELETE on
//     refresh_tokens.
//   - UPDATE also covers the row locks of the store (SELECT … FOR NO KEY
//     UPDATE), which PostgreSQL allows only with UPDATE.
//   - The payments ledger is append-only: SELECT and INSERT, no UPDATE nor
//     DELETE (a trigger refuses them even to the owner). The writes of a
//     ledger are serialized on its contract's row lock, not on the entries.
//   - idempotency_keys: SELECT, INSERT and DELETE; an answer replaces the
//     pending row by DELETE and INSERT, and the purge deletes old keys.
//   - The audit trail is append-only: SELECT, and INSERT of every column but
//     id and at, which the database sets, so that no entry can be backdated
//     or given a chosen id.
//   - goose's version table: SELECT, so that init, serve and `migrate
//     status` read the schema version; writing it is the owner's job.
//
// No sequence privilege: identity columns draw their ids without any.
// No TRUNCATE, REFERENCES or TRIGGER anywhere; no CREATE on the schema.
var appRoleGrants = map[string]AppRoleGrant{
	"departments":      {Privileges: []string{"SELECT"}},
	"employees":        {Privileges: []string{"SELECT", "INSERT", "UPDATE", "DELETE"}},
	"clients":          {Privileges: []string{"SELECT", "INSERT", "UPDATE"}},
	"contracts":        {Privileges: []string{"SELECT", "INSERT", "UPDATE"}},
	"events":           {Privileges: []string{"SELECT", "INSERT", "UPDATE"}},
	"audit_entries":    {Privileges: []string{"SELECT"}, InsertColumns: auditInsertColumns},
	"sessions":         {Privileges: []string{"SELECT", "INSERT", "UPDATE", "DELETE"}},
	"refresh_tokens":   {Privileges: []string{"SELECT", "INSERT", "UPDATE"}},
	"login_failures":   {Privileges: []string{"SELECT", "INSERT", "DELETE"}},
	"settings":         {Privileges: []string{"SELECT", "INSERT"}},
	"payments":         {Privileges: []string{"SELECT", "INSERT"}},
	"idempotency_keys": {Privileges: []string{"SELECT", "INSERT", "DELETE"}},
	// Kept by the triggers on contracts, whose function runs with its
	// owner's rights (SECURITY DEFINER): the application role only reads them.
	"contract_due_totals":    {Privileges: []string{"SELECT"}},
	"contract_signed_totals": {Privileges: []string{"SELECT"}},
	versionTable:             {Privileges: []string{"SELECT"}},
}

// auditInsertColumns are the columns of audit_entries that the application
// role may write: all but id and at.
var auditInsertColumns = []string{"actor_id", "actor_email", "action", "entity", "entity_id", "changes", "client_addr"}

// AppRoleGrant is the privileges of the application role on one table.
type AppRoleGrant struct {
	Table      string
	Privileges []string // SELECT, INSERT, UPDATE, DELETE on the whole table
	// InsertColumns, when set, are the only columns the role may INSERT.
	InsertColumns []string
}

// sql is the privilege list of a GRANT statement.
func (g AppRoleGrant) sql() string {
	p := slices.Clone(g.Privileges)
	if len(g.InsertColumns) > 0 {
		p = append(p, "INSERT ("+strings.Join(g.InsertColumns, ", ")+")")
	}
	return strings.Join(p, ", ")
}

// AppRoleGrants lists what `migrate up --app-role` grants, by table name,
// for documentation and tests.
func AppRoleGrants() []AppRoleGrant {
	grants := make([]AppRoleGrant, 0, len(appRoleGrants))
	for t, g := range appRoleGrants {
		grants = append(grants, AppRoleGrant{Table: t, Privileges: slices.Clone(g.Privileges),
			InsertColumns: slices.Clone(g.InsertColumns)})
	}
	slices.SortFunc(grants, func(a, b AppRoleGrant) int { return strings.Compare(a.Table, b.Table) })
	return grants
}

// Privileges says how much the role connected to the database can do beyond
// what the application needs. Both are false on SQLite.
type Privileges struct {
	Role       string // the connected role; "" on SQLite
	Superuser  bool   // it bypasses every privilege check
	OwnsTables bool   // it owns (or is a member of the owner of) a table of the CRM
}

// Privileges reports the privileges of the connected role (serve
// warns when it runs as a superuser or as the owner).
func (db *DB) Privileges(ctx context.Context) (Privileges, error) {
	if db.dialect != postgresDialect {
		return Privileges{}, nil
	}
	var p Privileges
	err := db.pool.QueryRowContext(ctx, `SELECT current_user, r.rolsuper,
			EXISTS (SELECT 1 FROM pg_tables t
				WHERE t.schemaname = current_schema() AND t.tablename = ANY ($1)
				AND pg_has_role(current_user, t.tableowner, 'MEMBER'))
		FROM pg_roles r WHERE r.rolname = current_user`, tableNames()).Scan(&p.Role, &p.Superuser, &p.OwnsTables)
	if err != nil {
		return Privileges{}, translate(err, "read the privileges of", "database")
	}
	return p, nil
}

func tableNames() []string {
	names := make([]string, 0, len(appRoleGrants))
	for t := range appRoleGrants {
		names = append(names, t)
	}
	slices.Sort(names)
	return names
}

// roleName is what --app-role accepts: an unquoted PostgreSQL identifier,
// so that the name an operator types in CREATE ROLE is the same role.
var roleName = regexp.MustCompile(`^[a-z_][a-z0-9_$]{0,62}$`)

// ValidateRoleName checks an application role name; CodeInvalid otherwise.
func ValidateRoleName(name string) error {
	switch {
	case !roleName.MatchString(name):
		return crm.Errorf(crm.CodeInvalid,
			"the application role name %q is not valid: use lower-case letters, digits and underscores (at most 63), starting with a letter", name)
	case strings.HasPrefix(name, "pg_"), name == "public":
		return crm.Errorf(crm.CodeInvalid, "%q is reserved by PostgreSQL; choose another application role name", name)
	}
	return nil
}

// CheckAppRole checks, before anything changes, that role can be the
// application role: a PostgreSQL database, a valid name, an existing role
// that is neither a superuser nor the connected role.
func (db *DB) CheckAppRole(ctx context.Context, role string) error {
	if db.dialect != postgresDialect {
		return crm.Errorf(crm.CodeInvalid, "--app-role is for PostgreSQL")
	}
	if err := ValidateRoleName(role); err != nil {
		return err
	}
	var super, self bool
	err := db.pool.QueryRowContext(ctx, "SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = $1", role).
		Scan(&super, &self)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return crm.Errorf(crm.CodeInvalid,
			"the role %s does not exist; create it first: CREATE ROLE %s LOGIN PASSWORD '…';", role, role)
	case err != nil:
		return translate(err, "read", "role")
	case self:
		return crm.Errorf(crm.CodeConflict,
			"%s is the role running the migration; the application role must be another role, which owns nothing", role)
	case super:
		return crm.Errorf(crm.CodeConflict,
			"%s is a superuser, which no privilege can restrict; give the application a role without SUPERUSER", role)
	}
	return nil
}

// GrantAppRole gives role exactly the privileges of appRoleGrants on the
// tables of the current schema, USAGE on the schema, and nothing else: every
// other privilege it had on those tables and their sequences is revoked.
// It runs in one transaction and is idempotent. Run it as the owner of the
// tables, after migrating, so that tables new migrations add are covered.
func (db *DB) GrantAppRole(ctx context.Context, role string) error {
	if err := db.CheckAppRole(ctx, role); err != nil {
		return err
	}
	r := pgx.Identifier{role}.Sanitize()
	return db.inTx(ctx, func(q *queries) error {
		tx := q.conn
		var schema string
		if err := tx.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return translate(err, "read the schema of", "database")
		}
		s := pgx.Identifier{schema}.Sanitize()
		rows, err := tx.QueryContext(ctx, `SELECT tablename, pg_has_role($1, tableowner, 'MEMBER'),
				pg_has_role(current_user, tableowner, 'USAGE')
			FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`, role)
		if err != nil {
			return translate(err, "list the tables of", "database")
		}
		var tables []string
		for rows.Next() {
			var t string
			var member, owner bool
			if err := rows.Scan(&t, &member, &owner); err != nil {
				rows.Close()
				return translate(err, "list the tables of", "database")
			}
			if !owner {
				rows.Close()
				// PostgreSQL would only warn, and grant nothing.
				return crm.Errorf(crm.CodeForbidden,
					"only the owner of the tables may grant the application role its privileges, and the connected role does not own %s; run migrate up --app-role as the owner role", t)
			}
			if member {
				rows.Close()
				return crm.Errorf(crm.CodeConflict,
					"%s is a member of the role that owns the table %s, so it has the owner's rights; revoke that membership, or use another application role", role, t)
			}
			tables = append(tables, t)
		}
		if err := rows.Close(); err != nil {
			return translate(err, "list the tables of", "database")
		}
		if err := rows.Err(); err != nil {
			return translate(err, "list the tables of", "database")
		}

		stmts := []string{
			"GRANT USAGE ON SCHEMA " + s + " TO " + r,
			"REVOKE CREATE ON SCHEMA " + s + " FROM " + r,
			"REVOKE ALL ON ALL SEQUENCES IN SCHEMA " + s + " FROM " + r,
		}
		for _, t := range tables {
			tbl := pgx.Identifier{schema, t}.Sanitize()
			stmts = append(stmts, "REVOKE ALL ON TABLE "+tbl+" FROM "+r)
			if g, ok := appRoleGrants[t]; ok {
				stmts = append(stmts, "GRANT "+g.sql()+" ON TABLE "+tbl+" TO "+r)
			}
		}
		for _, stmt := range stmts {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return grantErr(err, stmt)
			}
		}

		// Privileges that came from PUBLIC or another grantor survive the
		// revokes above: refuse to leave a role that can create things.
		var createSchema, createDB bool
		var database string
		err = tx.QueryRowContext(ctx, `SELECT has_schema_privilege($1, current_schema(), 'CREATE'),
			has_database_privilege($1, current_database(), 'CREATE'), current_database()`, role).
			Scan(&createSchema, &createDB, &database)
		if err != nil {
			return translate(err, "check the privileges of", "role")
		}
		if createSchema {
			return crm.Errorf(crm.CodeConflict,
				"%s may still create tables in the schema %s (through PUBLIC or another role, the default before PostgreSQL 15); "+
					"as a superuser, run in the database: REVOKE CREATE ON SCHEMA %s FROM PUBLIC; then run migrate up --app-role again",
				role, schema, displayIdent(schema))
		}
		if createDB {
			return crm.Errorf(crm.CodeConflict,
				"%s may create schemas in the database %s (through PUBLIC or another role); "+
					"as a superuser, run: REVOKE CREATE ON DATABASE %s FROM PUBLIC, %s; then run migrate up --app-role again",
				role, database, displayIdent(database), role)
		}
		return nil
	})
}

// grantErr explains a refused GRANT or REVOKE: only the owner of the tables
// (or a superuser) may run them.
func grantErr(err error, stmt string) error {
	if denied(err) {
		return &crm.Error{Code: crm.CodeForbidden, Err: err,
			Message: "only the owner of the tables may grant the application role its privileges; run migrate up --app-role as the owner role"}
	}
	return translate(err, "grant", fmt.Sprintf("privileges (%s)", stmt))
}

// insufficientPrivilege is PostgreSQL's SQLSTATE for "permission denied".
const insufficientPrivilege = "42501"

// denied reports whether PostgreSQL refused err's statement for want of a
// privilege.
func denied(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == insufficientPrivilege
}

// UncoveredTables compares the tables of the current PostgreSQL schema with
// appRoleGrants: missing are tables that no entry covers (the application
// role could not use them), stale are entries naming no table. Both are
// empty on SQLite. Tests call it after migrating, so that a migration that
// adds a table without adding it to appRoleGrants fails them.
func (db *DB) UncoveredTables(ctx context.Context) (missing, stale []string, err error) {
	if db.dialect != postgresDialect {
		return nil, nil, nil
	}
	rows, err := db.pool.QueryContext(ctx,
		"SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
	if err != nil {
		return nil, nil, translate(err, "list the tables of", "database")
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, nil, translate(err, "list the tables of", "database")
		}
		seen[t] = true
		if _, ok := appRoleGrants[t]; !ok {
			missing = append(missing, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, translate(err, "list the tables of", "database")
	}
	for _, t := range tableNames() {
		if !seen[t] {
			stale = append(stale, t)
		}
	}
	return missing, stale, nil
}

// displayIdent writes an identifier for a statement shown to the operator:
// as is when PostgreSQL would read it unquoted, quoted otherwise.
func displayIdent(name string) string {
	if roleName.MatchString(name) {
		return name
	}
	return pgx.Identifier{name}.Sanitize()
}
