-- The outbox wake-up channel is named per schema now that every service has an outbox.
CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('billwire_outbox_invoices', '');
    RETURN NULL;
END $$;
