-- The whole schema of Epic Events CRM on SQLite.
--
-- Timestamps are TEXT in the fixed UTC format 2006-01-02T15:04:05Z, so that
-- text order is time order. Booleans are INTEGER 0/1. STRICT tables refuse a
-- value of the wrong type instead of storing it. AUTOINCREMENT makes sure an id
-- is never reused, so that an old audit entry never names a new record.

-- +goose Up
CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

INSERT INTO departments (code, name) VALUES
    ('MANAGEMENT', 'Management'),
    ('SALES', 'Sales'),
    ('SUPPORT', 'Support');

CREATE TABLE employees (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name           TEXT    NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name            TEXT    NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    email                TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role                 TEXT    NOT NULL REFERENCES departments (code),
    password_hash        TEXT    NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at           TEXT    NOT NULL,
    updated_at           TEXT    NOT NULL,
    deactivated_at       TEXT,
    CHECK (active = (deactivated_at IS NULL))
) STRICT;

CREATE UNIQUE INDEX employees_email_key ON employees (lower(email));
CREATE INDEX employees_name_idx ON employees (last_name, first_name, id);
CREATE INDEX employees_role_idx ON employees (role, last_name, first_name, id);

CREATE TABLE clients (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name       TEXT    NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name        TEXT    NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    email            TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    phone            TEXT    CHECK (length(phone) BETWEEN 7 AND 16),
    company_name     TEXT    CHECK (length(company_name) BETWEEN 1 AND 200),
    sales_contact_id INTEGER NOT NULL REFERENCES employees (id),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
) STRICT;

CREATE UNIQUE INDEX clients_email_key ON clients (lower(email));
CREATE INDEX clients_name_idx ON clients (last_name, first_name, id);
CREATE INDEX clients_sales_contact_idx ON clients (sales_contact_id, last_name, first_name, id);

CREATE TABLE contracts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id        INTEGER NOT NULL REFERENCES clients (id),
    sales_contact_id INTEGER NOT NULL REFERENCES employees (id),
    total_amount     INTEGER NOT NULL,
    amount_due       INTEGER NOT NULL,
    signed           INTEGER NOT NULL DEFAULT 0 CHECK (signed IN (0, 1)),
    signed_at        TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    CHECK (total_amount > 0 AND total_amount <= 10000000000),
    CHECK (amount_due >= 0 AND amount_due <= total_amount),
    CHECK (signed = (signed_at IS NOT NULL))
) STRICT;

-- Newest first is a backward scan of these ascending indexes.
CREATE INDEX contracts_created_idx ON contracts (created_at, id);
CREATE INDEX contracts_client_idx ON contracts (client_id, created_at, id);
CREATE INDEX contracts_sales_contact_idx ON contracts (sales_contact_id, created_at, id);
CREATE INDEX contracts_unsigned_idx ON contracts (created_at, id) WHERE NOT signed;
CREATE INDEX contracts_unpaid_idx ON contracts (created_at, id) WHERE amount_due > 0;

CREATE TABLE events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id        INTEGER NOT NULL REFERENCES contracts (id),
    name               TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    start_at           TEXT    NOT NULL,
    end_at             TEXT    NOT NULL,
    support_contact_id INTEGER REFERENCES employees (id),
    location           TEXT    NOT NULL CHECK (length(location) BETWEEN 1 AND 300),
    attendees          INTEGER NOT NULL CHECK (attendees BETWEEN 0 AND 100000),
    notes              TEXT    CHECK (length(notes) BETWEEN 1 AND 5000),
    created_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    CHECK (start_at < end_at)
) STRICT;

CREATE INDEX events_start_idx ON events (start_at, id);
CREATE INDEX events_contract_idx ON events (contract_id, start_at, id);
CREATE INDEX events_support_idx ON events (support_contact_id, start_at, id);
CREATE INDEX events_unassigned_idx ON events (start_at, id) WHERE support_contact_id IS NULL;

-- No foreign key on actor_id: an entry outlives the employee it names.
CREATE TABLE audit_entries (
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

CREATE INDEX audit_entity_idx ON audit_entries (entity, id);
CREATE INDEX audit_entity_id_idx ON audit_entries (entity, entity_id, id);
CREATE INDEX audit_actor_idx ON audit_entries (actor_id, id);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_id  INTEGER NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    revoked_at   TEXT,
    client_addr  TEXT
) STRICT;

CREATE INDEX sessions_employee_idx ON sessions (employee_id);

CREATE TABLE refresh_tokens (
    hash       TEXT    PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TEXT    NOT NULL,
    used_at    TEXT
) STRICT;

CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE login_failures (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT    NOT NULL,
    at  TEXT    NOT NULL
) STRICT;

CREATE INDEX login_failures_key_idx ON login_failures (key, at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE settings;
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE audit_entries;
DROP TABLE events;
DROP TABLE contracts;
DROP TABLE clients;
DROP TABLE employees;
DROP TABLE departments;
