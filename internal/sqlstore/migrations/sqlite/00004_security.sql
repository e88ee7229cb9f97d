-- Credentials checked are credentials current; audit entries dated and
-- numbered by the database; no typed text kept in the login throttle.
--
-- employees.credential_version counts the changes that end an employee's
-- sessions: a password change or reset, a role change, a deactivation or a
-- reactivation. A login opens its session only if, in the transaction that
-- opens it, the version is still the one whose password it checked.
--
-- audit_entries.at now comes from the database, as on PostgreSQL, where the
-- application role may not write it: the store never sends it. SQLite cannot
-- give an existing column a default, so the table is rebuilt, keeping every
-- entry, its id and the AUTOINCREMENT counter (an id is never reused).
--
-- login_failures rows keep a keyed hash (HMAC) of what was typed in the email
-- field, never the text; the rows written before, which hold that text, are
-- deleted (the throttle windows restart once, at the upgrade).

-- +goose Up
ALTER TABLE employees ADD COLUMN credential_version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE audit_entries_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    actor_id    INTEGER,
    actor_email TEXT,
    action      TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    entity      TEXT    NOT NULL CHECK (length(entity) BETWEEN 1 AND 100),
    entity_id   INTEGER,
    changes     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
    client_addr TEXT
) STRICT;
INSERT INTO audit_entries_new (id, at, actor_id, actor_email, action, entity, entity_id, changes, client_addr)
    SELECT id, at, actor_id, actor_email, action, entity, entity_id, changes, client_addr FROM audit_entries;
DELETE FROM sqlite_sequence WHERE name = 'audit_entries_new';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'audit_entries_new', seq FROM sqlite_sequence WHERE name = 'audit_entries';
DROP TABLE audit_entries;
ALTER TABLE audit_entries_new RENAME TO audit_entries;
CREATE INDEX audit_entity_idx ON audit_entries (entity, id);
CREATE INDEX audit_entity_id_idx ON audit_entries (entity, entity_id, id);
CREATE INDEX audit_actor_idx ON audit_entries (actor_id, id);

DELETE FROM login_failures;

-- +goose Down
DELETE FROM login_failures;

CREATE TABLE audit_entries_old (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    actor_id    INTEGER,
    actor_email TEXT,
    action      TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    entity      TEXT    NOT NULL CHECK (length(entity) BETWEEN 1 AND 100),
    entity_id   INTEGER,
    changes     TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(changes)),
    client_addr TEXT
) STRICT;
INSERT INTO audit_entries_old (id, at, actor_id, actor_email, action, entity, entity_id, changes, client_addr)
    SELECT id, at, actor_id, actor_email, action, entity, entity_id, changes, client_addr FROM audit_entries;
DELETE FROM sqlite_sequence WHERE name = 'audit_entries_old';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'audit_entries_old', seq FROM sqlite_sequence WHERE name = 'audit_entries';
DROP TABLE audit_entries;
ALTER TABLE audit_entries_old RENAME TO audit_entries;
CREATE INDEX audit_entity_idx ON audit_entries (entity, id);
CREATE INDEX audit_entity_id_idx ON audit_entries (entity, entity_id, id);
CREATE INDEX audit_actor_idx ON audit_entries (actor_id, id);

ALTER TABLE employees DROP COLUMN credential_version;
