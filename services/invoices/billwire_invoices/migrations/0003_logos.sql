-- The account's logo, already checked and sanitized by the gateway (PNG, JPEG or clean SVG).
CREATE TABLE logos (
    account_id  uuid PRIMARY KEY REFERENCES accounts(id),
    media_type  text NOT NULL,
    data        bytea NOT NULL,
    sha256      text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
