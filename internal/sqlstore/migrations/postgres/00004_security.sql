-- Credentials checked are credentials current; audit entries dated and
-- numbered by the database; no typed text kept in the login throttle.
--
-- employees.credential_version counts the changes that end an employee's
-- sessions: a password change or reset, a role change, a deactivation or a
-- reactivation. A login opens its session only if, in the transaction that
-- opens it (which locks the employee's row), the version is still the one
-- whose password it checked.
--
-- audit_entries.at now comes from the database, at the second like every
-- other timestamp. `migrate up --app-role` grants the application role
-- INSERT on every column of audit_entries but id and at, so that it can
-- neither backdate an entry nor choose its id (an identity column accepts an
-- id with OVERRIDING SYSTEM VALUE from anyone who may insert into it).
--
-- login_failures rows keep a keyed hash (HMAC) of what was typed in the email
-- field, never the text; the rows written before, which hold that text, are
-- deleted (the throttle windows restart once, at the upgrade).

-- +goose Up
ALTER TABLE employees ADD COLUMN credential_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_entries ALTER COLUMN at SET DEFAULT date_trunc('second', now());
DELETE FROM login_failures;

-- +goose Down
DELETE FROM login_failures;
ALTER TABLE audit_entries ALTER COLUMN at DROP DEFAULT;
ALTER TABLE employees DROP COLUMN credential_version;
