-- Approvals: an API key may name actions it does not do alone (`requires_approval`). Such an
-- action becomes a pending approval that a person (or a key without that policy) approves or
-- rejects; approving executes the stored command once, as the requesting key, checked against
-- the preview's total and the document's version as they were when it was asked for.
-- (First landed as 0017_approvals.sql, which 0017_oauth.sql had taken: renumbered, and written
-- to be a no-op on a database that applied it under the old name.)

ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS requires_approval text[] NOT NULL DEFAULT '{}';

CREATE TABLE IF NOT EXISTS approvals (
    id              uuid PRIMARY KEY,
    account_id      uuid NOT NULL REFERENCES accounts(id),
    key_id          uuid NOT NULL,            -- the key that asked; the action runs as it
    action          text NOT NULL CHECK (action IN ('finalize', 'send', 'cancel', 'mark_unpaid', 'delete', 'record_payment')),
    document_id     uuid NOT NULL,
    command         jsonb NOT NULL,           -- the action's body (send: recipient, cc...; cancel: reason)
    preview         jsonb NOT NULL,           -- what the action would do, as told when it was asked for
    expected_total  numeric NOT NULL,
    document_version integer NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'failed')),
    reason          text,                     -- why it was rejected or failed
    result          jsonb,                    -- the action's answer once approved
    decided_by_user uuid,
    decided_by_key  uuid,
    token_hash      text UNIQUE,              -- the one-time approve/reject link mailed to the owners
    created_at      timestamptz NOT NULL DEFAULT now(),
    decided_at      timestamptz,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS approvals_account ON approvals (account_id, created_at DESC);
CREATE INDEX IF NOT EXISTS approvals_pending ON approvals (expires_at) WHERE state = 'pending';
