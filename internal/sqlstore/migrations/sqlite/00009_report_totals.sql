-- Totals for the reports of my work, kept as the contracts change, so that
-- the page reads a handful of rows instead of adding up every contract:
--
--   contract_due_totals     per sales contact: how many contracts have money
--                           due, and how much (amount_due > 0).
--   contract_signed_totals  per hour of signing (UTC, truncated, in the
--                           layout of every timestamp): how many contracts
--                           were signed, and their total_amount.
--
-- Hours rather than months: a month begins at midnight in the company's zone,
-- which the database does not know and which may change; every hour of UTC
-- lies in one month of any zone with a whole-hour offset, and the store reads
-- the rare part of an hour at a period's edge (offsets of :30 or :45) from
-- contracts_signed_idx.
--
-- The triggers below keep both in the same transaction as the write to
-- contracts, whatever makes it. The bulk loader drops them for its load, adds
-- the totals of the contracts it wrote once at its end, then recreates them
-- from the SQL that SQLite kept, in the same transaction.

-- +goose Up
CREATE TABLE contract_due_totals (
    sales_contact_id INTEGER PRIMARY KEY,
    contracts        INTEGER NOT NULL,
    amount_due       INTEGER NOT NULL
) STRICT;

CREATE TABLE contract_signed_totals (
    hour      TEXT    PRIMARY KEY,
    contracts INTEGER NOT NULL,
    total     INTEGER NOT NULL
) STRICT, WITHOUT ROWID; -- a range of hours is read in key order, with no lookup

INSERT INTO contract_due_totals (sales_contact_id, contracts, amount_due)
SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts
WHERE amount_due > 0 GROUP BY sales_contact_id;

INSERT INTO contract_signed_totals (hour, contracts, total)
SELECT substr(signed_at, 1, 13) || ':00:00Z', count(*), sum(total_amount)
FROM contracts WHERE signed_at IS NOT NULL GROUP BY 1;

-- +goose StatementBegin
CREATE TRIGGER contract_totals_ai AFTER INSERT ON contracts BEGIN
    INSERT INTO contract_due_totals (sales_contact_id, contracts, amount_due)
    SELECT NEW.sales_contact_id, 1, NEW.amount_due WHERE NEW.amount_due > 0
    ON CONFLICT (sales_contact_id) DO UPDATE
    SET contracts = contracts + 1, amount_due = amount_due + excluded.amount_due;
    INSERT INTO contract_signed_totals (hour, contracts, total)
    SELECT substr(NEW.signed_at, 1, 13) || ':00:00Z', 1, NEW.total_amount WHERE NEW.signed_at IS NOT NULL
    ON CONFLICT (hour) DO UPDATE
    SET contracts = contracts + 1, total = total + excluded.total;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER contract_totals_au AFTER UPDATE OF amount_due, total_amount, signed, signed_at, sales_contact_id ON contracts
WHEN OLD.amount_due IS NOT NEW.amount_due
  OR OLD.total_amount IS NOT NEW.total_amount
  OR OLD.signed_at IS NOT NEW.signed_at
  OR OLD.sales_contact_id IS NOT NEW.sales_contact_id
BEGIN
    UPDATE contract_due_totals
    SET contracts = contracts - 1, amount_due = amount_due - OLD.amount_due
    WHERE sales_contact_id = OLD.sales_contact_id AND OLD.amount_due > 0;
    UPDATE contract_signed_totals
    SET contracts = contracts - 1, total = total - OLD.total_amount
    WHERE hour = substr(OLD.signed_at, 1, 13) || ':00:00Z';
    INSERT INTO contract_due_totals (sales_contact_id, contracts, amount_due)
    SELECT NEW.sales_contact_id, 1, NEW.amount_due WHERE NEW.amount_due > 0
    ON CONFLICT (sales_contact_id) DO UPDATE
    SET contracts = contracts + 1, amount_due = amount_due + excluded.amount_due;
    INSERT INTO contract_signed_totals (hour, contracts, total)
    SELECT substr(NEW.signed_at, 1, 13) || ':00:00Z', 1, NEW.total_amount WHERE NEW.signed_at IS NOT NULL
    ON CONFLICT (hour) DO UPDATE
    SET contracts = contracts + 1, total = total + excluded.total;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER contract_totals_ad AFTER DELETE ON contracts BEGIN
    UPDATE contract_due_totals
    SET contracts = contracts - 1, amount_due = amount_due - OLD.amount_due
    WHERE sales_contact_id = OLD.sales_contact_id AND OLD.amount_due > 0;
    UPDATE contract_signed_totals
    SET contracts = contracts - 1, total = total - OLD.total_amount
    WHERE hour = substr(OLD.signed_at, 1, 13) || ':00:00Z';
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER contract_totals_ad;
DROP TRIGGER contract_totals_au;
DROP TRIGGER contract_totals_ai;
DROP TABLE contract_signed_totals;
DROP TABLE contract_due_totals;
