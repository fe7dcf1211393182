-- MCP clients that registered themselves through OAuth dynamic client registration (RFC 7591).
-- A registration belongs to no account (it comes before anyone signs in); what a client may do
-- is decided per account when a person consents, and the access token it then gets is a row of
-- api_keys (named "OAuth: <client name>"), so the keys list shows it and revoking it works as
-- for any key. oauth_client_id on api_keys says which client a key was issued to.

CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id    text PRIMARY KEY,
    client_name  text NOT NULL DEFAULT '',
    record       jsonb NOT NULL,          -- the SDK's client information (redirect URIs, auth method, ...)
    created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS oauth_client_id text REFERENCES oauth_clients(client_id);
