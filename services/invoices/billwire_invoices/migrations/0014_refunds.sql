-- Refunds: money paid back on a cancelled invoice whose payments stay on record (issue 20).
CREATE TABLE refunds (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    document_id  uuid NOT NULL REFERENCES documents(id),
    amount       numeric NOT NULL CHECK (amount > 0),
    date         date NOT NULL,
    method       text NOT NULL,
    reference    text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_document ON refunds (account_id, document_id, date);
