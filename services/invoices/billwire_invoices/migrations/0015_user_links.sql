-- One-time links for people: an owner's invitation to join an account with a role, and a
-- password reset. Only the SHA-256 of a link's token is stored; a link works once, until it
-- expires or is revoked (a newer reset link revokes the older ones of its user).
-- (First landed as 0012_user_links.sql, which 0012_outbox_trace.sql had taken: renumbered, and
-- written to be a no-op on a database that applied it under the old name.)

CREATE TABLE IF NOT EXISTS user_links (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    purpose     text NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash  text NOT NULL UNIQUE,
    email       text NOT NULL,
    role        text CHECK (role IN ('owner', 'member', 'accountant')),  -- an invitation's
    language    text NOT NULL DEFAULT 'en',
    user_id     uuid,          -- a reset's user; an invitation's, once accepted
    created_by  uuid,          -- the user who invited or sent the reset; null: the person asked themself
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS user_links_account ON user_links (account_id, purpose, created_at DESC);
CREATE INDEX IF NOT EXISTS user_links_user ON user_links (user_id) WHERE used_at IS NULL AND revoked_at IS NULL;
