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
-- same clients, and they fold text differently (PostgreSQL's lower() and
-- unaccent follow the server's locale and rules file, FTS5's
-- remove_diacritics its own table); one Go function folds the stored text
-- and the searched words alike on both. A word holds no space, so it is found
-- in the joined text exactly when it is found in one field; the store's
-- check is one substring test per word.
--
-- clients_fts replaces the index of 00003_search.sql: an FTS5 trigram index
-- of search_text alone, case-sensitive since the text is folded already,
-- external content (it stores no copy of the text) and detail=none (row ids
-- only). A word of three characters or more asks it for the clients holding
-- its every trigram; the store checks the words on those rows only. The
-- triggers keep it in step with the clients; the bulk loader (bulk.go) drops
-- clients_fts_ai for a load, indexes the loaded rows in one statement over
-- the columns of clients_fts, and recreates the trigger from the text SQLite
-- keeps, so this file stays their one definition.

-- +goose Up
DROP TRIGGER clients_fts_au;
DROP TRIGGER clients_fts_ad;
DROP TRIGGER clients_fts_ai;
DROP TABLE clients_fts;

ALTER TABLE clients ADD COLUMN search_text TEXT;

CREATE VIRTUAL TABLE clients_fts USING fts5 (
    search_text,
    content = 'clients', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 1', detail = none
);

-- +goose StatementBegin
CREATE TRIGGER clients_fts_ai AFTER INSERT ON clients BEGIN
    INSERT INTO clients_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER clients_fts_ad AFTER DELETE ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER clients_fts_au AFTER UPDATE OF search_text ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO clients_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
-- +goose StatementEnd

-- Index the clients that exist already (with no text yet), so that the
-- update that fills their text replaces exactly what the index holds.
INSERT INTO clients_fts (clients_fts) VALUES ('rebuild');

-- +goose Down
DROP TRIGGER clients_fts_au;
DROP TRIGGER clients_fts_ad;
DROP TRIGGER clients_fts_ai;
DROP TABLE clients_fts;

ALTER TABLE clients DROP COLUMN search_text;

-- The index of 00003_search.sql, as it was.
CREATE VIRTUAL TABLE clients_fts USING fts5 (
    first_name, last_name, email, company_name,
    content = 'clients', content_rowid = 'id',
    tokenize = 'trigram case_sensitive 0', detail = none
);

-- +goose StatementBegin
CREATE TRIGGER clients_fts_ai AFTER INSERT ON clients BEGIN
    INSERT INTO clients_fts (rowid, first_name, last_name, email, company_name)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.company_name);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER clients_fts_ad AFTER DELETE ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, first_name, last_name, email, company_name)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.company_name);
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER clients_fts_au AFTER UPDATE OF first_name, last_name, email, company_name ON clients BEGIN
    INSERT INTO clients_fts (clients_fts, rowid, first_name, last_name, email, company_name)
    VALUES ('delete', old.id, old.first_name, old.last_name, old.email, old.company_name);
    INSERT INTO clients_fts (rowid, first_name, last_name, email, company_name)
    VALUES (new.id, new.first_name, new.last_name, new.email, new.company_name);
END;
-- +goose StatementEnd

INSERT INTO clients_fts (clients_fts) VALUES ('rebuild');
