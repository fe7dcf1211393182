-- Webhooks: an account's endpoints, one delivery per event and webhook, and every attempt.

-- The signing secret must be readable to sign with, so it is stored as it is; only the
-- invoices service (the one role with credentials for this schema) reads it, and the API
-- returns it once, when the webhook is created.
CREATE TABLE webhooks (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    url          text NOT NULL,
    events       text[] NOT NULL,
    description  text,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_account ON webhooks (account_id, created_at);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,  -- the Billwire-Delivery header, the same on every retry
    webhook_id       uuid NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    account_id       uuid NOT NULL,
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    payload          bytea NOT NULL,    -- the event envelope exactly as it is POSTed
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,       -- while pending: when a worker may (re)try; a claim pushes it out
    last_status      integer,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_of ON webhook_deliveries (webhook_id, created_at DESC);

CREATE TABLE webhook_attempts (
    delivery_id  uuid NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL,
    duration_ms  integer NOT NULL,
    status       integer,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);
