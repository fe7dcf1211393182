-- After issue: payments, sends, and what the overdue scheduler and lists filter on.
ALTER TABLE documents ADD COLUMN due_date date, ADD COLUMN overdue_at timestamptz, ADD COLUMN amount_paid numeric NOT NULL DEFAULT 0;
UPDATE documents SET due_date = (data->>'due_date')::date WHERE data->>'due_date' IS NOT NULL;
CREATE INDEX documents_overdue_candidates ON documents (due_date) WHERE status = 'open' AND overdue_at IS NULL;

CREATE TABLE payments (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    document_id  uuid NOT NULL REFERENCES documents(id),
    amount       numeric NOT NULL CHECK (amount > 0),
    date         date NOT NULL,
    method       text NOT NULL,
    reference    text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_document ON payments (account_id, document_id, date);

CREATE TABLE sends (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts(id),
    document_id   uuid NOT NULL REFERENCES documents(id),
    version       integer NOT NULL,
    state         text NOT NULL,
    request       jsonb NOT NULL,
    reason        text,
    requested_at  timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sends_document ON sends (account_id, document_id, requested_at);
