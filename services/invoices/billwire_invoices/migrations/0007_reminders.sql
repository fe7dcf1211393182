-- E-mail settings of an account (its own templates, payment reminders), and the reminders
-- sent: one send per invoice and level, whichever scheduler replica gets there first.
ALTER TABLE accounts ADD COLUMN email_templates jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN reminders jsonb NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE documents ADD COLUMN reminder_level integer NOT NULL DEFAULT 0;
CREATE INDEX documents_reminder_candidates ON documents (due_date) WHERE status = 'open' AND type = 'invoice';

ALTER TABLE sends ADD COLUMN reminder_level integer CHECK (reminder_level >= 1);
CREATE UNIQUE INDEX sends_reminder_once ON sends (document_id, reminder_level) WHERE reminder_level IS NOT NULL;
