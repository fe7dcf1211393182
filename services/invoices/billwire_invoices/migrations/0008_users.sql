-- People who sign in to the web app, and who did what in the audit log.

CREATE TABLE users (
    id                    uuid PRIMARY KEY,
    account_id            uuid NOT NULL REFERENCES accounts(id),
    email                 text NOT NULL,
    name                  text,
    role                  text NOT NULL CHECK (role IN ('owner', 'member', 'accountant')),
    language              text NOT NULL DEFAULT 'en',
    password_hash         text NOT NULL,
    must_change_password  boolean NOT NULL DEFAULT false,
    session_generation    integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    disabled_at           timestamptz,
    last_login_at         timestamptz
);
-- One person, one sign-in: an e-mail address belongs to one user across all accounts.
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_account ON users (account_id);

ALTER TABLE audit_log ADD COLUMN user_id uuid;
CREATE INDEX audit_log_account_recent ON audit_log (account_id, id DESC);
