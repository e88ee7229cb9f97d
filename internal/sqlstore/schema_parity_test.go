package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/epicevents/epicevents/internal/sqlstore"
	"github.com/epicevents/epicevents/internal/testdb"
)

// The two engines' migrations are written twice, once per dialect. This test
// migrates a fresh database of each and compares what they hold, modulo
// dialect: tables and views, columns (type, nullability, default), primary
// keys, foreign keys, CHECK constraints, UNIQUE constraints and indexes
// (columns or expressions, order, uniqueness, partial WHERE, access method).
// Each engine's schema is read from its catalog and written as a set of
// facts, one line each, in a form common to both; the two sets must be equal.
// A new table, column, check or index on one engine only fails here.

// schemaDifferences are the deliberate differences between the two schemas:
// every fact about the named table or index is left out on that engine. An
// entry that matches nothing fails the test, so the list cannot go stale.
var schemaDifferences = []struct {
	engine string // "sqlite", "postgres" or "both"
	object string // a table, virtual table or index
	reason string
}{
	{"sqlite", "clients_fts", "SQLite's search index of clients.search_text is an FTS5 trigram table"},
	{"postgres", "clients_search_text_idx", "PostgreSQL's search index of clients.search_text is a pg_trgm GIN index"},
	{"both", "goose_db_version", "the migration tool's own table, which goose creates in each dialect's types"},
}

// pgToSQLiteType gives the SQLite type that stands for each PostgreSQL type
// used in the schema. A PostgreSQL type missing here fails the comparison
// until someone decides what it is on SQLite.
var pgToSQLiteType = map[string]string{
	"bigint":                   "INTEGER",
	"integer":                  "INTEGER",
	"smallint":                 "INTEGER",
	"boolean":                  "INTEGER", // 0 or 1, and a CHECK says so (see pgImpliedChecks)
	"text":                     "TEXT",
	"character varying":        "TEXT",
	"timestamp with time zone": "TEXT", // UTC, 2006-01-02T15:04:05Z, so that text order is time order
	"date":                     "TEXT",
	"jsonb":                    "TEXT", // and a CHECK json_valid (see pgImpliedChecks)
	"json":                     "TEXT",
	"double precision":         "REAL",
	"real":                     "REAL",
	"bytea":                    "BLOB",
}

// pgImpliedChecks are the CHECK constraints that SQLite needs to refuse what
// a PostgreSQL type refuses by itself: a PostgreSQL column of such a type
// must have that check on SQLite.
var pgImpliedChecks = map[string]string{
	"boolean": "%s IN (0, 1)",
	"jsonb":   "json_valid(%s)",
	"json":    "json_valid(%s)",
	// YYYY-MM-DD, and a day that exists (date() of 2026-02-30 is not it).
	"date": "%[1]s GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(%[1]s) = %[1]s",
}

// sameDefaults are defaults written differently that mean the same value.
var sameDefaults = []struct{ sqlite, postgres, meaning string }{
	{"strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "date_trunc('second', now())", "the current time, to the second"},
}

func TestSchemaParity(t *testing.T) {
	ctx := context.Background()
	sqliteURL := migratedURL(t, "sqlite")
	pgURL := migratedURL(t, "postgres") // skips without PostgreSQL

	lite, err := sql.Open("sqlite", strings.TrimPrefix(sqliteURL, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	pg, err := sql.Open("pgx", pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	liteFacts, err := sqliteSchema(ctx, lite)
	if err != nil {
		t.Fatalf("reading the SQLite schema: %v", err)
	}
	pgFacts, err := postgresSchema(ctx, pg)
	if err != nil {
		t.Fatalf("reading the PostgreSQL schema: %v", err)
	}
	if len(liteFacts) < 10 || len(pgFacts) < 10 {
		t.Fatalf("read %d SQLite and %d PostgreSQL facts: the catalogs were not read", len(liteFacts), len(pgFacts))
	}
	for _, d := range compareSchemas(liteFacts, pgFacts) {
		t.Error(d)
	}
}

// An FTS5 table with external content reads its columns from the content
// table by name: each of its columns must be a column of that table. The bulk
// loader relies on it when it fills clients_fts from clients over the columns
// that clients_fts declares.
func TestSQLiteSearchIndexColumns(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", strings.TrimPrefix(migratedURL(t, "sqlite"), "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'`)
	if err != nil {
		t.Fatal(err)
	}
	type vtable struct{ name, sql string }
	var vts []vtable
	for rows.Next() {
		var v vtable
		if err := rows.Scan(&v.name, &v.sql); err != nil {
			t.Fatal(err)
		}
		vts = append(vts, v)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	content := regexp.MustCompile(`(?i)\bcontent\s*=\s*'([^']+)'`)
	checked := 0
	for _, v := range vts {
		m := content.FindStringSubmatch(v.sql)
		if m == nil {
			continue
		}
		have, err := columnNames(ctx, db, m[1])
		if err != nil {
			t.Fatal(err)
		}
		indexed, err := columnNames(ctx, db, v.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(indexed) == 0 {
			t.Errorf("%s has no columns", v.name)
		}
		for _, c := range indexed {
			if !slices.Contains(have, c) {
				t.Errorf("%s indexes column %s, which its content table %s does not have", v.name, c, m[1])
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no FTS table with external content: the search index is gone, or this test reads the wrong catalog")
	}
}

func columnNames(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	var names []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// migratedURL returns the URL of a fresh database of engine, migrated to the
// latest version by the store itself.
func migratedURL(t *testing.T, engine string) string {
	t.Helper()
	u := testdb.URL(t, engine)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, u)
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	defer db.Close()
	if _, err := db.MigrateUp(ctx); err != nil {
		t.Fatalf("migrate %s: %v", engine, err)
	}
	return u
}

// fact is one line of a schema, about one object (a table or an index).
type fact struct {
	object string
	text   string
}

// compareSchemas returns the differences between the two engines' facts once
// the deliberate ones are left out, and an entry of schemaDifferences that
// matched nothing.
func compareSchemas(lite, pg []fact) []string {
	used := make([]bool, len(schemaDifferences))
	keep := func(engine string, facts []fact) map[string]bool {
		set := make(map[string]bool)
		for _, f := range facts {
			skip := false
			for i, d := range schemaDifferences {
				if d.object == f.object && (d.engine == engine || d.engine == "both") {
					used[i], skip = true, true
				}
			}
			if !skip {
				set[f.text] = true
			}
		}
		return set
	}
	l, p := keep("sqlite", lite), keep("postgres", pg)
	var diffs []string
	for text := range l {
		if !p[text] {
			diffs = append(diffs, "only on SQLite:     "+text)
		}
	}
	for text := range p {
		if !l[text] {
			diffs = append(diffs, "only on PostgreSQL: "+text)
		}
	}
	// Sorted by the fact, so that the two sides of one difference are together.
	sort.Slice(diffs, func(i, j int) bool {
		if a, b := diffs[i][20:], diffs[j][20:]; a != b {
			return a < b
		}
		return diffs[i] < diffs[j]
	})
	for i, d := range schemaDifferences {
		if !used[i] {
			diffs = append(diffs, fmt.Sprintf("schemaDifferences lists %s on %s, which does not exist there: remove the entry", d.object, d.engine))
		}
	}
	return diffs
}

// sqliteSchema reads the facts of an SQLite database from pragma
// table_list, table_info, index_list, index_xinfo and foreign_key_list, and
// the CHECK constraints and index expressions from the SQL in sqlite_master.
func sqliteSchema(ctx context.Context, db *sql.DB) ([]fact, error) {
	type object struct{ name, kind string }
	objects, err := queryRows(ctx, db, func(r *sql.Rows) (object, error) {
		var o object
		return o, r.Scan(&o.name, &o.kind)
	}, `SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var facts []fact
	for _, o := range objects {
		switch o.kind {
		case "shadow": // SQLite's own storage of a virtual table
			continue
		case "view":
			facts = append(facts, fact{o.name, "view " + o.name})
			continue
		case "virtual":
			facts = append(facts, fact{o.name, "virtual table " + o.name})
			continue
		}
		table := o.name
		facts = append(facts, fact{table, "table " + table})
		var createSQL string
		if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&createSQL); err != nil {
			return nil, err
		}
		autoincrement := autoincrementKeyword.MatchString(createSQL)

		type column struct {
			name, typ string
			notNull   bool
			dflt      sql.NullString
			pk        int
		}
		cols, err := queryRows(ctx, db, func(r *sql.Rows) (column, error) {
			var c column
			return c, r.Scan(&c.name, &c.typ, &c.notNull, &c.dflt, &c.pk)
		}, `SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) ORDER BY cid`, table)
		if err != nil {
			return nil, err
		}
		var pk []string
		for _, c := range cols {
			typ := strings.ToUpper(c.typ)
			if typ == "INT" {
				typ = "INTEGER"
			}
			dflt := "none"
			if c.dflt.Valid {
				dflt = normDefault(c.dflt.String, "")
			}
			if c.pk > 0 {
				c.notNull = true // STRICT tables refuse NULL in a key; an INTEGER PRIMARY KEY is the rowid
				if autoincrement && typ == "INTEGER" {
					dflt = "identity"
				}
			}
			facts = append(facts, fact{table, columnFact(table, c.name, typ, c.notNull, dflt)})
			if c.pk > 0 {
				pk = append(pk, fmt.Sprintf("%d:%s", c.pk, c.name))
			}
		}
		if len(pk) > 0 {
			sort.Strings(pk)
			for i := range pk {
				_, pk[i], _ = strings.Cut(pk[i], ":")
			}
			facts = append(facts, fact{table, fmt.Sprintf("primary key %s (%s)", table, strings.Join(pk, ", "))})
		}

		checks, err := sqlChecks(createSQL)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", table, err)
		}
		for _, c := range checks {
			facts = append(facts, fact{table, fmt.Sprintf("check %s: %s", table, normExpr(c))})
		}

		type fk struct {
			id                 int
			to, from, refCol   string
			onDelete, onUpdate string
			refColNull         bool
		}
		fks, err := queryRows(ctx, db, func(r *sql.Rows) (fk, error) {
			var f fk
			var ref sql.NullString
			err := r.Scan(&f.id, &f.to, &f.from, &ref, &f.onUpdate, &f.onDelete)
			f.refCol, f.refColNull = ref.String, !ref.Valid
			return f, err
		}, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table)
		if err != nil {
			return nil, err
		}
		for i := 0; i < len(fks); {
			j := i
			var from, to []string
			for ; j < len(fks) && fks[j].id == fks[i].id; j++ {
				from, to = append(from, fks[j].from), append(to, fks[j].refCol)
			}
			facts = append(facts, fact{table, fkFact(table, from, fks[i].to, to, fks[i].onDelete, fks[i].onUpdate)})
			i = j
		}

		type index struct {
			name     string
			unique   bool
			origin   string
			indexSQL sql.NullString
		}
		indexes, err := queryRows(ctx, db, func(r *sql.Rows) (index, error) {
			var x index
			return x, r.Scan(&x.name, &x.unique, &x.origin, &x.indexSQL)
		}, `SELECT il.name, il."unique", il.origin, m.sql FROM pragma_index_list(?) il
			LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = il.name ORDER BY il.name`, table)
		if err != nil {
			return nil, err
		}
		for _, x := range indexes {
			if x.origin == "pk" {
				continue // the primary key, compared above
			}
			type key struct {
				cid  int
				name sql.NullString
				desc bool
			}
			keys, err := queryRows(ctx, db, func(r *sql.Rows) (key, error) {
				var k key
				return k, r.Scan(&k.cid, &k.name, &k.desc)
			}, `SELECT cid, name, "desc" FROM pragma_index_xinfo(?) WHERE key ORDER BY seqno`, x.name)
			if err != nil {
				return nil, err
			}
			var exprs []string
			var where string
			if x.indexSQL.Valid {
				if exprs, where, err = splitCreateIndex(x.indexSQL.String); err != nil {
					return nil, err
				}
				if len(exprs) != len(keys) {
					return nil, fmt.Errorf("index %s: %d keys in its SQL, %d in index_xinfo", x.name, len(exprs), len(keys))
				}
			}
			var cols []string
			for i, k := range keys {
				c := k.name.String
				if k.cid == -2 { // an expression: only its SQL says which
					c = keyOrder.ReplaceAllString(exprs[i], "")
				}
				c = normExpr(c)
				if k.desc {
					c += " desc"
				}
				cols = append(cols, c)
			}
			if x.origin == "u" {
				facts = append(facts, fact{table, fmt.Sprintf("unique %s (%s)", table, strings.Join(cols, ", "))})
				continue
			}
			facts = append(facts, fact{x.name, indexFact(x.name, table, x.unique, "btree", cols, where)})
		}
	}
	return facts, nil
}

// postgresSchema reads the facts of the current schema of a PostgreSQL
// database from information_schema and pg_catalog.
func postgresSchema(ctx context.Context, db *sql.DB) ([]fact, error) {
	type object struct{ name, kind string }
	objects, err := queryRows(ctx, db, func(r *sql.Rows) (object, error) {
		var o object
		return o, r.Scan(&o.name, &o.kind)
	}, `SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	var facts []fact
	for _, o := range objects {
		if o.kind == "v" || o.kind == "m" {
			facts = append(facts, fact{o.name, "view " + o.name})
			continue
		}
		table := o.name
		facts = append(facts, fact{table, "table " + table})

		type column struct {
			name, typ, nullable, identity string
			dflt                          sql.NullString
		}
		cols, err := queryRows(ctx, db, func(r *sql.Rows) (column, error) {
			var c column
			return c, r.Scan(&c.name, &c.typ, &c.nullable, &c.dflt, &c.identity)
		}, `SELECT column_name, data_type, is_nullable, column_default, is_identity FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			typ, ok := pgToSQLiteType[c.typ]
			if !ok {
				typ = "no SQLite type for PostgreSQL's " + c.typ
			}
			dflt := "none"
			switch {
			case c.identity == "YES" || strings.HasPrefix(c.dflt.String, "nextval("):
				dflt = "identity"
			case c.dflt.Valid:
				dflt = normDefault(c.dflt.String, c.typ)
			}
			facts = append(facts, fact{table, columnFact(table, c.name, typ, c.nullable == "NO", dflt)})
			if check, ok := pgImpliedChecks[c.typ]; ok {
				facts = append(facts, fact{table, fmt.Sprintf("check %s: %s", table, normExpr(fmt.Sprintf(check, c.name)))})
			}
		}

		type constraint struct {
			kind, def, cols, refTable, refCols, onDelete, onUpdate string
		}
		cons, err := queryRows(ctx, db, func(r *sql.Rows) (constraint, error) {
			var c constraint
			return c, r.Scan(&c.kind, &c.def, &c.cols, &c.refTable, &c.refCols, &c.onDelete, &c.onUpdate)
		}, `SELECT c.contype::text, pg_get_constraintdef(c.oid, true),
				coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum), ''),
				coalesce(c.confrelid::regclass::text, ''),
				coalesce((SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum), ''),
				c.confdeltype::text, c.confupdtype::text
			FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'c', 'f')
			ORDER BY c.conname`, quoteIdent(table))
		if err != nil {
			return nil, err
		}
		fkAction := map[string]string{"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
		for _, c := range cons {
			switch c.kind {
			case "p":
				facts = append(facts, fact{table, fmt.Sprintf("primary key %s (%s)", table, c.cols)})
			case "u":
				facts = append(facts, fact{table, fmt.Sprintf("unique %s (%s)", table, c.cols)})
			case "c":
				expr := strings.TrimSuffix(strings.TrimPrefix(c.def, "CHECK "), " NOT VALID")
				facts = append(facts, fact{table, fmt.Sprintf("check %s: %s", table, normExpr(expr))})
			case "f":
				facts = append(facts, fact{table, fkFact(table, strings.Split(c.cols, ", "), strings.Trim(c.refTable, `"`),
					strings.Split(c.refCols, ", "), fkAction[c.onDelete], fkAction[c.onUpdate])})
			}
		}

		type index struct {
			name, method, where string
			unique              bool
			keys                []string
		}
		indexes, err := queryRows(ctx, db, func(r *sql.Rows) (index, error) {
			var x index
			var keys string
			err := r.Scan(&x.name, &x.unique, &x.method, &x.where, &keys)
			x.keys = strings.Split(keys, "\x1f")
			return x, err
		}, `SELECT i.relname, ix.indisunique, am.amname, coalesce(pg_get_expr(ix.indpred, ix.indrelid, true), ''),
				(SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true) ||
					CASE WHEN ix.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END, chr(31) ORDER BY k)
				 FROM generate_series(1, ix.indnkeyatts) k)
			FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam
			WHERE ix.indrelid = $1::regclass AND NOT ix.indisprimary
				AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u')
			ORDER BY i.relname`, quoteIdent(table))
		if err != nil {
			return nil, err
		}
		for _, x := range indexes {
			for i := range x.keys {
				x.keys[i] = normExpr(x.keys[i])
			}
			facts = append(facts, fact{x.name, indexFact(x.name, table, x.unique, x.method, x.keys, x.where)})
		}
	}
	return facts, nil
}

func columnFact(table, column, typ string, notNull bool, dflt string) string {
	null := "null"
	if notNull {
		null = "not null"
	}
	return fmt.Sprintf("column %s.%s %s %s default %s", table, column, typ, null, dflt)
}

func fkFact(table string, from []string, refTable string, to []string, onDelete, onUpdate string) string {
	return fmt.Sprintf("foreign key %s (%s) references %s (%s) on delete %s on update %s", table,
		strings.Join(from, ", "), refTable, strings.Join(to, ", "), strings.ToLower(onDelete), strings.ToLower(onUpdate))
}

func indexFact(name, table string, unique bool, method string, keys []string, where string) string {
	var b strings.Builder
	b.WriteString("index " + name + " on " + table)
	if unique {
		b.WriteString(" unique")
	}
	if method != "btree" {
		b.WriteString(" using " + method)
	}
	b.WriteString(" (" + strings.Join(keys, ", ") + ")")
	if where != "" {
		b.WriteString(" where " + normExpr(where))
	}
	return b.String()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func queryRows[T any](ctx context.Context, db *sql.DB, scan func(*sql.Rows) (T, error), query string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Normalising SQL expressions. Each engine writes an expression its own way:
// PostgreSQL prints its catalog's form (BETWEEN expanded, casts spelled out,
// IN as = ANY (ARRAY[…]), parentheses everywhere), SQLite keeps the text as
// written. normExpr brings both to one form: casts and parentheses dropped,
// BETWEEN and IN in PostgreSQL's expanded form, keywords and names in lower
// case (string literals keep their case), one space between tokens.
var (
	anyArray             = regexp.MustCompile(`(?i)(\w+) = ANY \(ARRAY\[([^\]]*)\]\)`)
	cast                 = regexp.MustCompile(`(?i)::(?:"[^"]+"|[a-z_][a-z0-9_]*(?: (?:with|without|time|zone|varying|precision))*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?`)
	quotedNumber         = regexp.MustCompile(`'(-?\d+(?:\.\d+)?)'`)
	between              = regexp.MustCompile(`((?:\w+\([^()]*\))|\w+) between (\S+) and (\S+)`)
	comma                = regexp.MustCompile(`\s*,\s*`)
	space                = regexp.MustCompile(`\s+`)
	notEqual             = regexp.MustCompile(`!=`)
	sqlComment           = regexp.MustCompile(`--[^\n]*`)
	checkKeyword         = regexp.MustCompile(`(?i)\bCHECK\s*\(`)
	indexKeyword         = regexp.MustCompile(`(?is)^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON\s+\S+\s*\(`)
	whereKeyword         = regexp.MustCompile(`(?is)^\s*WHERE\s+(.*)$`)
	keyOrder             = regexp.MustCompile(`(?i)\s+(ASC|DESC)$`)
	autoincrementKeyword = regexp.MustCompile(`(?i)\bAUTOINCREMENT\b`)
)

func normExpr(s string) string {
	s = anyArray.ReplaceAllString(s, "$1 IN ($2)")
	s = cast.ReplaceAllString(s, "")
	s = quotedNumber.ReplaceAllString(s, "$1")
	s = lowerOutsideStrings(s)
	s = notEqual.ReplaceAllString(s, "<>")
	s = space.ReplaceAllString(s, " ")
	s = between.ReplaceAllString(s, "$1 >= $2 and $1 <= $3")
	s = strings.NewReplacer("(", " ", ")", " ").Replace(s)
	s = strings.TrimSpace(space.ReplaceAllString(s, " "))
	return comma.ReplaceAllString(s, ", ")
}

// normDefault is normExpr for a column default, with booleans as SQLite's 0
// and 1 and sameDefaults written as their meaning.
func normDefault(s, pgType string) string {
	s = normExpr(s)
	if pgType == "boolean" {
		switch s {
		case "false":
			s = "0"
		case "true":
			s = "1"
		}
	}
	for _, d := range sameDefaults {
		if s == normExpr(d.sqlite) || s == normExpr(d.postgres) {
			return d.meaning
		}
	}
	return s
}

func lowerOutsideStrings(s string) string {
	var b strings.Builder
	quoted := false
	for _, r := range s {
		if r == '\'' {
			quoted = !quoted
		}
		if !quoted {
			r = []rune(strings.ToLower(string(r)))[0]
		}
		b.WriteRune(r)
	}
	return b.String()
}

// balanced returns s up to the parenthesis that closes the one opened just
// before s, and what follows it; it skips quoted strings and names.
func balanced(s string) (inside, rest string, err error) {
	depth := 1
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth == 0 {
				return s[:i], s[i+1:], nil
			}
		}
	}
	return "", "", fmt.Errorf("unbalanced parentheses in %q", s)
}

// sqlChecks returns the expressions of the CHECK constraints of a CREATE
// TABLE statement, columns' and table's alike.
func sqlChecks(createSQL string) ([]string, error) {
	s := sqlComment.ReplaceAllString(createSQL, " ")
	var checks []string
	for {
		loc := checkKeyword.FindStringIndex(s)
		if loc == nil {
			return checks, nil
		}
		inside, rest, err := balanced(s[loc[1]:])
		if err != nil {
			return nil, err
		}
		checks = append(checks, inside)
		s = rest
	}
}

// splitCreateIndex returns the keys of a CREATE INDEX statement, as written,
// and its WHERE condition ("" when it has none).
func splitCreateIndex(indexSQL string) (keys []string, where string, err error) {
	s := sqlComment.ReplaceAllString(indexSQL, " ")
	loc := indexKeyword.FindStringIndex(s)
	if loc == nil {
		return nil, "", fmt.Errorf("cannot read %q", indexSQL)
	}
	list, rest, err := balanced(s[loc[1]:])
	if err != nil {
		return nil, "", err
	}
	// Split the list at the commas outside parentheses.
	depth, start := 0, 0
	for i, r := range list {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				keys = append(keys, strings.TrimSpace(list[start:i]))
				start = i + 1
			}
		}
	}
	keys = append(keys, strings.TrimSpace(list[start:]))
	if m := whereKeyword.FindStringSubmatch(rest); m != nil {
		where = strings.TrimSpace(m[1])
	} else if strings.TrimSpace(rest) != "" {
		return nil, "", fmt.Errorf("cannot read what follows the keys of %q", indexSQL)
	}
	return keys, where, nil
}

// The normal form must make each engine's spelling of one expression equal,
// and keep different expressions apart.
func TestNormExpr(t *testing.T) {
	for _, tc := range []struct {
		sqlite, postgres string
		same             bool
	}{
		{"length(name) BETWEEN 1 AND 200", "((length(name) >= 1) AND (length(name) <= 200))", true},
		{"length(name) BETWEEN 1 AND 200", "((length(name) >= 1) AND (length(name) <= 201))", false},
		{"total_amount > 0 AND total_amount <= 10000000000", "((total_amount > 0) AND (total_amount <= '10000000000'::bigint))", true},
		{"kind IN ('a', 'b')", "(kind = ANY (ARRAY['a'::text, 'b'::text]))", true},
		{"kind IN ('a', 'b')", "(kind = ANY (ARRAY['a'::text, 'B'::text]))", false},
		{"signed = (signed_at IS NOT NULL)", "(signed = (signed_at IS NOT NULL))", true},
		{"signed = (signed_at IS NOT NULL)", "(signed = (signed_at IS NULL))", false},
		{"a != b", "(a <> b)", true},
		{"lower(email)", "lower(email)", true},
		{"lower(email)", "upper(email)", false},
		{"'{}'", "'{}'::jsonb", true},
		{"NOT signed", "(NOT signed)", true},
		{"NOT signed", "signed", false},
	} {
		l, p := normExpr(tc.sqlite), normExpr(tc.postgres)
		if (l == p) != tc.same {
			t.Errorf("normExpr(%q) = %q, normExpr(%q) = %q; want same = %v", tc.sqlite, l, tc.postgres, p, tc.same)
		}
	}
	for _, tc := range []struct{ sqlite, postgres, pgType string }{
		{"0", "false", "boolean"},
		{"1", "true", "boolean"},
		{"strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", "date_trunc('second'::text, now())", "timestamp with time zone"},
	} {
		if l, p := normDefault(tc.sqlite, ""), normDefault(tc.postgres, tc.pgType); l != p {
			t.Errorf("default %q on SQLite is %q, %q on PostgreSQL is %q; want the same", tc.sqlite, l, tc.postgres, p)
		}
	}
	if l, p := normDefault("0", ""), normDefault("true", "boolean"); l == p {
		t.Errorf("defaults 0 and true both read %q", l)
	}
}
