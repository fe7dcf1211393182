-- The mailer's schema: one row per send request (its id makes the Message-ID), every SMTP
-- attempt, the daily quota per account, and the outbox its events leave through.

CREATE TABLE messages (
    send_request_id  uuid PRIMARY KEY,
    account_id       uuid NOT NULL,
    document_id      uuid NOT NULL,
    artifact_id      uuid,
    message_id       text NOT NULL,
    sender           text NOT NULL,        -- envelope sender
    recipients       text[] NOT NULL,      -- envelope recipients: To, Cc and Bcc
    subject          text NOT NULL,
    -- pending until the relay accepted it (delivered) or it was given up (failed)
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    reason           text,
    permanent        boolean,
    smtp_reply       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX messages_account ON messages (account_id, created_at);

-- An attempt is written before the relay is contacted and moves to phase 'data' just before
-- the message is handed over: an attempt left without an outcome in phase 'connect' sent
-- nothing; one left in phase 'data' may have been accepted, so it is never repeated.
CREATE TABLE attempts (
    send_request_id  uuid NOT NULL REFERENCES messages ON DELETE CASCADE,
    number           int NOT NULL,
    account_id       uuid NOT NULL,
    delivery         int NOT NULL,         -- the JetStream delivery that made it
    phase            text NOT NULL DEFAULT 'connect' CHECK (phase IN ('connect', 'data')),
    outcome          text CHECK (outcome IN ('delivered', 'transient', 'permanent', 'abandoned', 'unknown')),
    smtp_code        int,
    detail           text,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    PRIMARY KEY (send_request_id, number)
);

CREATE TABLE quota_usage (
    account_id  uuid NOT NULL,
    day         date NOT NULL,             -- UTC
    used        int NOT NULL CHECK (used >= 0),
    PRIMARY KEY (account_id, day)
);

CREATE TABLE quota_reservations (
    reservation_id  uuid PRIMARY KEY,
    account_id      uuid NOT NULL,
    day             date NOT NULL,
    count           int NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox (billwire_shared.outbox.outbox_migration("mailer")).
CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    subject       text NOT NULL,
    payload       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('billwire_outbox_mailer', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
