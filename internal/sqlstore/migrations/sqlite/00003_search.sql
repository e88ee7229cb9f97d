-- Client search without a full scan (`clients list --search`), so that a page
-- of results costs the same at ten thousand clients as at a million.
--
-- clients_fts is an FTS5 index of the four searched columns, split into
-- trigrams (three characters, case folded), kept in sync with clients by the
-- triggers below; it stores no copy of the text (external content). A search
-- of three characters or more asks it for the clients holding every trigram of
-- the text, and the store then checks the exact LIKE condition on those rows
-- only, so results are those of LIKE. detail=none keeps only row ids: a third of
-- the size of detail=full and twice as fast to build; the LIKE check makes the
-- positions unnecessary.
--
-- The bulk loader (bulk.go) drops clients_fts_ai for the length of a load and
-- indexes the loaded rows in one INSERT … SELECT; it recreates the trigger
-- from the text SQLite keeps, so this file stays the one definition.

-- +goose Up
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

-- Index the clients that exist already.
INSERT INTO clients_fts (clients_fts) VALUES ('rebuild');

-- +goose Down
DROP TRIGGER clients_fts_au;
DROP TRIGGER clients_fts_ad;
DROP TRIGGER clients_fts_ai;
DROP TABLE clients_fts;
