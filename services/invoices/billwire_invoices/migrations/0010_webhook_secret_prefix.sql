-- The signing secret is now stored encrypted (webhooks/sealing.py), so the prefix shown in
-- listings can no longer be cut from it: it gets a column of its own, filled from the secrets
-- stored in clear so far (the service encrypts those at its next start).
ALTER TABLE webhooks ADD COLUMN secret_prefix text;
UPDATE webhooks SET secret_prefix = left(secret, 10);
ALTER TABLE webhooks ALTER COLUMN secret_prefix SET NOT NULL;
