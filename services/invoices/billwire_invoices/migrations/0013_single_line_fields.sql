-- Single-line fields stored before they were checked: fold control characters (CR, LF, tab, C1)
-- and line/paragraph separators (U+2028, U+2029) to spaces, in the JSON documents and in the
-- columns beside them. The contracts that decode stored data now hold those fields to one line
-- (billwire_shared.contracts.common.SINGLE_LINE), so an address, a client or a number pattern
-- with a line break in it would no longer load. Multi-line fields (notes, introductions, line
-- descriptions, e-mail bodies) are left as they are: only the keys below are single-line.
-- Issued numbers (documents.number) are not touched: an issued document never changes.

CREATE FUNCTION billwire_fold_line(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(value, E'[\\x01-\\x1f\\x7f-\\x9f\\u2028\\u2029]', ' ', 'g')
$$;

-- `value` with every string under a single-line key (at any depth, arrays of them included) folded.
CREATE FUNCTION billwire_fold_lines(value jsonb, single boolean DEFAULT false) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    keys CONSTANT text[] := ARRAY[
        'name', 'company_name', 'contact_name', 'title', 'email', 'phone', 'client_number', 'vat_id', 'tax_number',
        'buyer_reference', 'street', 'line2', 'city', 'state', 'zip', 'account_holder', 'iban', 'bic', 'pattern',
        'unit', 'subject', 'recipient', 'cc', 'reference'
    ];
BEGIN
    CASE jsonb_typeof(value)
        WHEN 'object' THEN
            RETURN (SELECT coalesce(jsonb_object_agg(key, billwire_fold_lines(item, key = ANY (keys))), '{}'::jsonb)
                    FROM jsonb_each(value) AS entry (key, item));
        WHEN 'array' THEN
            RETURN (SELECT coalesce(jsonb_agg(billwire_fold_lines(item, single) ORDER BY position), '[]'::jsonb)
                    FROM jsonb_array_elements(value) WITH ORDINALITY AS element (item, position));
        WHEN 'string' THEN
            IF single THEN
                RETURN to_jsonb(billwire_fold_line(value #>> '{}'));
            END IF;
            RETURN value;
        ELSE
            RETURN value;
    END CASE;
END
$$;

-- Only rows whose text shows such a character are looked at (JSON writes C0 characters escaped).
CREATE FUNCTION billwire_may_fold(value text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT value ~ E'[\\x01-\\x1f\\x7f-\\x9f\\u2028\\u2029]|\\\\[nrtbf]|\\\\u00[01]'
$$;

UPDATE accounts SET
    name = billwire_fold_line(name),
    profile = billwire_fold_lines(profile),
    email_templates = billwire_fold_lines(email_templates),
    reminders = billwire_fold_lines(reminders)
WHERE billwire_may_fold(name) OR billwire_may_fold(profile::text) OR billwire_may_fold(email_templates::text)
   OR billwire_may_fold(reminders::text);

UPDATE api_keys SET name = billwire_fold_line(name) WHERE billwire_may_fold(name);
UPDATE users SET name = billwire_fold_line(name) WHERE billwire_may_fold(name);
UPDATE webhooks SET description = billwire_fold_line(description) WHERE billwire_may_fold(description);
UPDATE products SET title = billwire_fold_line(title), data = billwire_fold_lines(data)
WHERE billwire_may_fold(title) OR billwire_may_fold(data::text);
UPDATE documents SET data = billwire_fold_lines(data) WHERE billwire_may_fold(data::text);
UPDATE recurring_invoices SET data = billwire_fold_lines(data) WHERE billwire_may_fold(data::text);
UPDATE sends SET request = billwire_fold_lines(request) WHERE billwire_may_fold(request::text);

-- A client number folded into one another client of the account has keeps its client's id as
-- a suffix: the number stays unique (clients_number), the migration never fails on it.
WITH folded AS (
    SELECT id, account_id, billwire_fold_line(client_number) AS number
    FROM clients WHERE billwire_may_fold(client_number)
), numbered AS (
    SELECT folded.id, CASE WHEN EXISTS (
        SELECT 1 FROM clients other
        WHERE other.account_id = folded.account_id AND other.client_number = folded.number AND other.id <> folded.id
    ) OR count(*) OVER (PARTITION BY folded.account_id, folded.number) > 1
        THEN folded.number || ' ' || left(folded.id::text, 8) ELSE folded.number END AS number
    FROM folded
)
UPDATE clients SET client_number = numbered.number,
    data = jsonb_set(clients.data, '{client_number}', to_jsonb(numbered.number))
FROM numbered WHERE clients.id = numbered.id;

UPDATE clients SET
    name = billwire_fold_line(name),
    email = billwire_fold_line(email),
    data = billwire_fold_lines(data)
WHERE billwire_may_fold(name) OR billwire_may_fold(email) OR billwire_may_fold(data::text);

DROP FUNCTION billwire_may_fold(text);
DROP FUNCTION billwire_fold_lines(jsonb, boolean);
DROP FUNCTION billwire_fold_line(text);
