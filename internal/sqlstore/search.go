package sqlstore

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/epicevents/epicevents/internal/crm"
)

// How a client search works.
//
// A search is split into words at white space, and a client matches when
// every word is found, as a substring, in one of its first name, last name,
// email, company or phone; two words may be found in two fields. Texts are
// compared folded (see fold): "alienor", "ALIÉNOR" and "Aliénor" are the same
// word. A phone is stored as "+" and digits, so a word of digits (with or
// without the "+") finds the phones that contain it: "12345" finds
// +66612345, and "+666 12345" finds it too, as two words.
//
// Each client row carries its search text (column search_text): the folded
// fields joined by single spaces, written by the store whenever a client is
// created or one of those fields changes, and by the bulk loader. A word
// holds no white space, so it is found in that text exactly when it is found
// in one of the fields. The text is made here, in Go, rather than by each
// database, so that both engines fold exactly alike (see
// migrations/*/00005_search_words.sql).

// searchTextVersion is the migration that adds the column search_text.
const searchTextVersion = 5

// foldLetters spells the letters that carry a stroke, or are ligatures,
// without it: they have no decomposition that fold could strip, yet a reader
// takes "Łódź" for "lodz" and "Straße" for "strasse".
var foldLetters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'þ': "th", 'ħ': "h", 'ı': "i", 'ŧ': "t",
}

// fold is the form in which a search compares texts: lower case (Unicode),
// accents and other combining marks removed (canonical decomposition, then
// every nonspacing mark dropped), and the letters of foldLetters spelt out.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	d := norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
		case foldLetters[r] != "":
			b.WriteString(foldLetters[r])
		default:
			b.WriteRune(r)
		}
	}
	// What is left recomposes where it can (Hangul syllables, for one), so
	// that a word typed composed finds a text stored decomposed.
	return norm.NFC.String(b.String())
}

// searchText is the text that a search looks in for a client: its folded
// first name, last name, email, company and phone, joined by spaces.
func searchText(first, last, email string, phone, company *string) string {
	var b strings.Builder
	b.WriteString(fold(first))
	for _, s := range []*string{&last, &email, company, phone} {
		if s != nil && *s != "" {
			b.WriteByte(' ')
			b.WriteString(fold(*s))
		}
	}
	return b.String()
}

func clientSearchText(c crm.Client) string {
	return searchText(c.FirstName, c.LastName, c.Email, c.Phone, c.CompanyName)
}

// minIndexedWord is the length, in characters, from which a word has a
// trigram, and so can be looked up in the search index.
const minIndexedWord = 3

// searchWords splits a search into the folded words that must each be
// found, longest first. A word found inside another is dropped (as is a
// repeated one): whatever holds the longer one holds it too. An empty list
// means no condition.
func searchWords(s string) []string {
	words := strings.Fields(fold(s))
	slices.SortStableFunc(words, func(a, b string) int { return len(b) - len(a) })
	var out []string
	for _, w := range words {
		if !slices.ContainsFunc(out, func(k string) bool { return strings.Contains(k, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// indexed reports whether word is long enough for the search index.
func indexed(word string) bool { return utf8.RuneCountInString(word) >= minIndexedWord }

// ftsTrigrams returns an FTS5 query that asks the trigram index for the rows
// holding every three-character window of every indexed word, or "" when no
// word has one. Each window is a quoted string, with any double quote
// doubled, so that nothing the user types is FTS5 syntax.
func ftsTrigrams(words []string) string {
	seen := make(map[string]bool)
	var b strings.Builder
	for _, w := range words {
		r := []rune(w)
		for i := 0; i+3 <= len(r); i++ {
			t := string(r[i : i+3])
			if seen[t] {
				continue
			}
			seen[t] = true
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(`"` + strings.ReplaceAll(t, `"`, `""`) + `"`)
		}
	}
	return b.String()
}

// escapeLike makes the user's text match literally inside a LIKE pattern
// whose ESCAPE character is a backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// fillBatch is how many clients fillSearchText writes per statement.
const fillBatch = 500

// fillSearchText writes the search text of the clients that have none:
// those that existed before migration 00005 added the column, which SQL
// cannot fill since the text is Go's folding. It runs after every migration
// up, so that an upgrade interrupted between the two is completed by the
// next; when every client has its text it only reads.
func (db *DB) fillSearchText(ctx context.Context) error {
	current, _, err := db.SchemaCurrent(ctx)
	if err != nil || current < searchTextVersion {
		return err
	}
	var after int64
	for {
		type row struct {
			id                 int64
			first, last, email string
			phone, company     *string
		}
		var batch []row
		rows, err := db.query(ctx, `SELECT id, first_name, last_name, email, phone, company_name FROM clients
			WHERE id > ? AND search_text IS NULL ORDER BY id LIMIT ?`, after, fillBatch)
		if err != nil {
			return translate(err, "index", "clients")
		}
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.first, &r.last, &r.email, &r.phone, &r.company); err != nil {
				rows.Close()
				return translate(err, "index", "clients")
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return translate(err, "index", "clients")
		}
		if len(batch) == 0 {
			return nil
		}
		// One statement per batch: the casts of the first row type the
		// VALUES list on PostgreSQL; both engines name its columns column1
		// and column2.
		var sb strings.Builder
		args := make([]any, 0, 2*len(batch))
		sb.WriteString("UPDATE clients SET search_text = v.column2 FROM (VALUES ")
		for i, r := range batch {
			if i == 0 {
				sb.WriteString("(CAST(? AS BIGINT), CAST(? AS TEXT))")
			} else {
				sb.WriteString(", (?, ?)")
			}
			args = append(args, r.id, searchText(r.first, r.last, r.email, r.phone, r.company))
		}
		sb.WriteString(") AS v WHERE clients.id = v.column1 AND clients.search_text IS NULL")
		if _, err := db.exec(ctx, sb.String(), args...); err != nil {
			return translate(err, "index", "clients")
		}
		after = batch[len(batch)-1].id
	}
}
