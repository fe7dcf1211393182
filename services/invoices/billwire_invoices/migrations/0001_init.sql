-- The invoices service's own schema (search_path is set to it by the migrator).

CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    profile     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    name        text NOT NULL,
    prefix      text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    scopes      text[] NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE clients (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts(id),
    name           text NOT NULL,
    email          text,
    client_number  text,
    data           jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX clients_number ON clients (account_id, client_number) WHERE client_number IS NOT NULL;
CREATE INDEX clients_account_name ON clients (account_id, lower(name));

CREATE TABLE products (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    title       text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_account_title ON products (account_id, lower(title));

CREATE TABLE documents (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts(id),
    type          text NOT NULL,
    status        text NOT NULL,
    number        text,
    client_id     uuid,
    issue_date    date,
    version       integer NOT NULL DEFAULT 1,
    data          jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    finalized_at  timestamptz,
    sent_at       timestamptz,
    paid_at       timestamptz,
    cancelled_at  timestamptz
);
CREATE UNIQUE INDEX documents_number ON documents (account_id, type, number) WHERE number IS NOT NULL;
CREATE INDEX documents_account_created ON documents (account_id, created_at DESC);
CREATE INDEX documents_account_date ON documents (account_id, issue_date);
CREATE INDEX documents_account_updated ON documents (account_id, updated_at);
CREATE INDEX documents_account_client ON documents (account_id, client_id);

-- Gapless numbering: one counter row per account, document type and period (year, or 0).
CREATE TABLE number_series (
    account_id     uuid NOT NULL REFERENCES accounts(id),
    document_type  text NOT NULL,
    period         integer NOT NULL,
    last_value     bigint NOT NULL,
    PRIMARY KEY (account_id, document_type, period)
);

CREATE TABLE idempotency_keys (
    account_id   uuid NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    reply        bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    account_id   uuid NOT NULL,
    entity       text NOT NULL,
    entity_id    uuid NOT NULL,
    key_id       uuid,
    request_id   text,
    action       text NOT NULL,
    before       jsonb,
    after        jsonb,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity ON audit_log (account_id, entity_id, id);

CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    event_id      uuid NOT NULL UNIQUE,
    subject       text NOT NULL,
    payload       bytea NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

-- Wake the outbox relay at commit; it also polls, since a notification can be missed.
CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('billwire_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox();
