-- Indexes for the reports of my work: the money still due (on every
-- contract, and on one sales contact's) and the value of the contracts
-- signed per month. Each is partial on the rows its report adds up, and
-- holds the amount it adds, so that the database reads the index alone.

-- +goose Up
CREATE INDEX contracts_due_idx ON contracts (sales_contact_id, amount_due) WHERE amount_due > 0;
CREATE INDEX contracts_signed_idx ON contracts (signed_at, total_amount) WHERE signed_at IS NOT NULL;

-- +goose Down
DROP INDEX contracts_signed_idx;
DROP INDEX contracts_due_idx;
