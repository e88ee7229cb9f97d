-- Client search by words, whatever their case and accents (`clients list
-- --search`): every word of the search must be found in the first or last
-- name, the email, the company or the phone.
--
-- Each client gets a column search_text: those five fields folded (lower
-- case, accents removed) and joined by spaces. The store writes it, in Go
-- (internal/sqlstore/search.go), on every insert and on every change of
-- those fields, and the bulk loader with each row; clients that exist before
-- this migration have NULL here until `migrate up` fills them, right after
-- the migration. Why in Go and not in SQL: the two engines must find the
-- same clients, and they fold text differently. Here lower() follows the
-- database's locale (in a "C" database it folds ASCII only), unaccent() its
-- rules file (which spells out more than accents) and is not IMMUTABLE, so
-- an index would need a wrapper pinned to one dictionary; SQLite's FTS5 has
-- its own remove_diacritics table. One Go function folds the stored text and
-- the searched words alike on both engines, and needs no extension beyond
-- pg_trgm. A word holds no space, so it is found in the joined text exactly
-- when it is found in one field; the store's check is one LIKE per word.
--
-- clients_search_text_idx replaces the expression index of 00003_search.sql:
-- pg_trgm's GIN operator class on search_text, which serves LIKE '%word%'
-- for every word of three characters or more (several at once: their
-- trigrams are ANDed in one index scan), and rechecks the LIKE itself.

-- +goose Up
ALTER TABLE clients ADD COLUMN search_text TEXT;

DROP INDEX clients_search_idx;
CREATE INDEX clients_search_text_idx ON clients USING gin (search_text gin_trgm_ops);

-- +goose Down
DROP INDEX clients_search_text_idx;
ALTER TABLE clients DROP COLUMN search_text;

-- The index of 00003_search.sql, as it was.
CREATE INDEX clients_search_idx ON clients USING gin (
    (first_name || ' ' || last_name || ' ' || email || ' ' || coalesce(company_name, '')) gin_trgm_ops
);
