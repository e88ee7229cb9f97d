-- Totals for the reports of my work, kept as the contracts change, so that
-- the page reads a handful of rows instead of adding up every contract:
--
--   contract_due_totals     per sales contact: how many contracts have money
--                           due, and how much (amount_due > 0).
--   contract_signed_totals  per hour of signing (UTC, truncated): how many
--                           contracts were signed, and their total_amount.
--
-- Hours rather than months: a month begins at midnight in the company's zone,
-- which the database does not know and which may change; every hour of UTC
-- lies in one month of any zone with a whole-hour offset, and the store reads
-- the rare part of an hour at a period's edge (offsets of :30 or :45) from
-- contracts_signed_idx.
--
-- The triggers below keep both in the same transaction as the write to
-- contracts, whatever makes it (the service, a migration, the bulk loader,
-- a reassignment). The trigger function is SECURITY DEFINER: it runs with the
-- rights of its owner (the role that runs migrations), so that the
-- application role may read the totals but not write them; its search_path is
-- fixed to the schema of the migration with pg_temp last, so that no caller
-- can substitute tables. The bulk loader disables these triggers for its load and
-- adds the totals of the contracts it wrote once at its end, in the same
-- transaction.

-- +goose Up
CREATE TABLE contract_due_totals (
    sales_contact_id BIGINT PRIMARY KEY,
    contracts        BIGINT NOT NULL,
    amount_due       BIGINT NOT NULL
);

-- The key holds the sums (INCLUDE), so that a range of hours is an
-- index-only scan: the rows of past hours no longer change, and stay
-- all-visible once vacuumed.
CREATE TABLE contract_signed_totals (
    hour      TIMESTAMPTZ,
    contracts BIGINT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (hour) INCLUDE (contracts, total)
);

INSERT INTO contract_due_totals (sales_contact_id, contracts, amount_due)
SELECT sales_contact_id, count(*), sum(amount_due) FROM contracts
WHERE amount_due > 0 GROUP BY sales_contact_id;

INSERT INTO contract_signed_totals (hour, contracts, total)
SELECT date_trunc('hour', signed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', count(*), sum(total_amount)
FROM contracts WHERE signed_at IS NOT NULL GROUP BY 1;

-- +goose StatementBegin
CREATE FUNCTION contract_totals_keep() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    -- A reassignment changes two sales contacts' rows: lock them in the
    -- order of their ids, so that two opposite reassignments at once wait
    -- for each other instead of deadlocking.
    IF TG_OP = 'UPDATE' AND OLD.sales_contact_id <> NEW.sales_contact_id THEN
        PERFORM 1 FROM contract_due_totals
        WHERE sales_contact_id IN (OLD.sales_contact_id, NEW.sales_contact_id)
        ORDER BY sales_contact_id FOR UPDATE;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.amount_due > 0 THEN
            UPDATE contract_due_totals
            SET contracts = contracts - 1, amount_due = amount_due - OLD.amount_due
            WHERE sales_contact_id = OLD.sales_contact_id;
        END IF;
        IF OLD.signed_at IS NOT NULL THEN
            UPDATE contract_signed_totals
            SET contracts = contracts - 1, total = total - OLD.total_amount
            WHERE hour = date_trunc('hour', OLD.signed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.amount_due > 0 THEN
            INSERT INTO contract_due_totals AS t (sales_contact_id, contracts, amount_due)
            VALUES (NEW.sales_contact_id, 1, NEW.amount_due)
            ON CONFLICT (sales_contact_id) DO UPDATE
            SET contracts = t.contracts + 1, amount_due = t.amount_due + EXCLUDED.amount_due;
        END IF;
        IF NEW.signed_at IS NOT NULL THEN
            INSERT INTO contract_signed_totals AS t (hour, contracts, total)
            VALUES (date_trunc('hour', NEW.signed_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1, NEW.total_amount)
            ON CONFLICT (hour) DO UPDATE
            SET contracts = t.contracts + 1, total = t.total + EXCLUDED.total;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- A SECURITY DEFINER function must not find tables where its caller put
-- them: its search_path is the schema of this migration, then pg_temp last
-- (PostgreSQL otherwise looks in the caller's temporary schema first).
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION contract_totals_keep() SET search_path = %I, pg_temp', current_schema());
END
$$;
-- +goose StatementEnd

REVOKE ALL ON FUNCTION contract_totals_keep() FROM PUBLIC;

CREATE TRIGGER contract_totals_ai AFTER INSERT ON contracts
FOR EACH ROW EXECUTE FUNCTION contract_totals_keep();

CREATE TRIGGER contract_totals_au AFTER UPDATE OF amount_due, total_amount, signed, signed_at, sales_contact_id ON contracts
FOR EACH ROW
WHEN (OLD.amount_due IS DISTINCT FROM NEW.amount_due
   OR OLD.total_amount IS DISTINCT FROM NEW.total_amount
   OR OLD.signed_at IS DISTINCT FROM NEW.signed_at
   OR OLD.sales_contact_id IS DISTINCT FROM NEW.sales_contact_id)
EXECUTE FUNCTION contract_totals_keep();

CREATE TRIGGER contract_totals_ad AFTER DELETE ON contracts
FOR EACH ROW EXECUTE FUNCTION contract_totals_keep();

-- +goose Down
DROP TRIGGER contract_totals_ad ON contracts;
DROP TRIGGER contract_totals_au ON contracts;
DROP TRIGGER contract_totals_ai ON contracts;
DROP FUNCTION contract_totals_keep();
DROP TABLE contract_signed_totals;
DROP TABLE contract_due_totals;
