-- A contract's money as an append-only ledger, and the idempotency keys of
-- the API's POSTs that record money.
--
-- payments: every payment received and every refund made, never updated nor
-- deleted (a mistake is corrected by a refund). contracts.amount_due stays
-- stored, for filtering, and the store changes it only with the ledger, in
-- the same transaction: total_amount − Σ payments + Σ refunds.
-- amount_due_after is the contract's amount due right after the entry, as
-- the ledger shows it (a later change of the total moves the amount due
-- without an entry, so it cannot be recomputed from the ledger alone).
--
-- A refund names a payment of the same contract: the foreign key is on
-- (refund_of, contract_id), hence the UNIQUE (id, contract_id). Whether the
-- refunded entry is a payment and not itself a refund is the service's rule.
--
-- The check 0 ≤ amount_due ≤ total_amount on contracts exists since the
-- first migration (a table CHECK), so no table rebuild is needed here.
--
-- Triggers refuse UPDATE and DELETE of a payment, for every role and the
-- owner alike.
--
-- Every existing contract whose amount due is below its total gets an
-- opening payment of the difference, recorded by its sales contact on the
-- day the contract was created, so that the rule holds for old data. They
-- are not audited: the audit trail records what employees did, and nobody
-- did this; the reference says what the entry is.
--
-- idempotency_keys: the answer the API gave to a POST sent with an
-- Idempotency-Key, per employee and route; status and body are NULL while
-- the first request runs. Kept 24 hours, then purged.
--
-- Down drops both tables: contracts.amount_due is left as it is, which is
-- what it was before (the ledger only explained it).

-- +goose Up
CREATE TABLE payments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    contract_id      INTEGER NOT NULL REFERENCES contracts (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('payment', 'refund')),
    amount           INTEGER NOT NULL CHECK (amount > 0 AND amount <= 10000000000),
    method           TEXT    NOT NULL CHECK (method IN ('transfer', 'card', 'cash', 'cheque', 'other')),
    reference        TEXT    CHECK (length(reference) BETWEEN 1 AND 100),
    received_on      TEXT    NOT NULL CHECK (received_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                                             AND date(received_on) = received_on),
    refund_of        INTEGER,
    reason           TEXT    CHECK (length(reason) BETWEEN 1 AND 500),
    recorded_by_id   INTEGER NOT NULL REFERENCES employees (id),
    recorded_at      TEXT    NOT NULL,
    amount_due_after INTEGER NOT NULL CHECK (amount_due_after >= 0),
    UNIQUE (id, contract_id),
    FOREIGN KEY (refund_of, contract_id) REFERENCES payments (id, contract_id),
    CHECK ((kind = 'refund') = (refund_of IS NOT NULL)),
    CHECK ((kind = 'refund') = (reason IS NOT NULL))
) STRICT;

CREATE INDEX payments_contract_idx ON payments (contract_id, id);
CREATE INDEX payments_refund_of_idx ON payments (refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX payments_recorded_by_idx ON payments (recorded_by_id);

-- +goose StatementBegin
CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are append-only; record a refund instead');
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are append-only; record a refund instead');
END;
-- +goose StatementEnd

INSERT INTO payments (contract_id, kind, amount, method, reference, received_on,
                      recorded_by_id, recorded_at, amount_due_after)
SELECT id, 'payment', total_amount - amount_due, 'other', 'paid before the contract was recorded',
       substr(created_at, 1, 10), sales_contact_id, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), amount_due
FROM contracts
WHERE amount_due < total_amount
ORDER BY id;

CREATE TABLE idempotency_keys (
    key          TEXT    NOT NULL,
    employee_id  INTEGER NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    route        TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER,
    body         BLOB,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (employee_id, route, key)
) STRICT;

CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TRIGGER payments_no_delete;
DROP TRIGGER payments_no_update;
DROP TABLE payments;
