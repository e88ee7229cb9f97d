-- Every row that the API lets a client change carries a version, bumped on
-- each change, so that If-Match can refuse to overwrite a change made since
-- the client read the row.

-- +goose Up
ALTER TABLE employees ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE contracts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE events DROP COLUMN version;
ALTER TABLE contracts DROP COLUMN version;
ALTER TABLE clients DROP COLUMN version;
ALTER TABLE employees DROP COLUMN version;
