-- Lists filtered by a client or by the paid/sent/finalized/cancelled flags counted their total over the
-- index documents_list_filters (migration 0022), a count that grows with the account: at 50,000
-- documents of one client, ?client_id= and ?paid=false took 2.1-2.3x their time at 1,000 (issue 24).
-- The running counts (0019) now tell the flags apart, and a second table keeps them per client, so
-- those totals are sums of a few counter rows as well. Kept by the same triggers, in the statement that
-- changes a document, so every writer keeps them exact; the same eight slots per key.

-- No document changes between the recount below and the new trigger function: a write in between
-- would be counted the old way, or not at all. Reads go on.
LOCK TABLE documents IN SHARE ROW EXCLUSIVE MODE;

-- What one document adds to the counts (sign 1) or takes out of them (sign -1): the flags are the
-- list filters' own (documents/sql.py: paid is paid_at IS NOT NULL, and so on).
CREATE TYPE document_count_change AS (
    sign integer, account_id uuid, type text, status text, client_id uuid,
    paid boolean, sent boolean, finalized boolean, cancelled boolean);

CREATE FUNCTION document_count_change_of(sign integer, d documents) RETURNS document_count_change
LANGUAGE sql IMMUTABLE AS $$
    SELECT ROW(sign, d.account_id, d.type, d.status, d.client_id, d.paid_at IS NOT NULL, d.sent_at IS NOT NULL,
               d.finalized_at IS NOT NULL, d.cancelled_at IS NOT NULL)::document_count_change
$$;

-- Per type, status and flags: every list's total filtered by no more than these.
ALTER TABLE document_counts
    ADD COLUMN paid boolean NOT NULL DEFAULT false, ADD COLUMN sent boolean NOT NULL DEFAULT false,
    ADD COLUMN finalized boolean NOT NULL DEFAULT false, ADD COLUMN cancelled boolean NOT NULL DEFAULT false;
TRUNCATE document_counts;
ALTER TABLE document_counts
    ALTER COLUMN paid DROP DEFAULT, ALTER COLUMN sent DROP DEFAULT,
    ALTER COLUMN finalized DROP DEFAULT, ALTER COLUMN cancelled DROP DEFAULT,
    DROP CONSTRAINT document_counts_pkey,
    ADD PRIMARY KEY (account_id, type, status, paid, sent, finalized, cancelled, slot);

-- The same per client (documents without one are in no client's list).
CREATE TABLE client_document_counts (
    account_id  uuid NOT NULL,
    client_id   uuid NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL,
    paid        boolean NOT NULL,
    sent        boolean NOT NULL,
    finalized   boolean NOT NULL,
    cancelled   boolean NOT NULL,
    slot        smallint NOT NULL,
    documents   bigint NOT NULL,
    PRIMARY KEY (account_id, client_id, type, status, paid, sent, finalized, cancelled, slot)
);

-- Apply a statement's changes (changes that cancel out lock nothing), grouped per key, in key order
-- and the tables always in this order: two statements cannot deadlock each other.
DROP FUNCTION document_counts_apply(document_change[]);
CREATE FUNCTION document_counts_apply(changes document_count_change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_counts AS t (account_id, type, status, paid, sent, finalized, cancelled, slot, documents)
    SELECT account_id, type, status, paid, sent, finalized, cancelled, pg_backend_pid() % 8, sum(sign)
    FROM unnest(changes)
    GROUP BY account_id, type, status, paid, sent, finalized, cancelled HAVING sum(sign) <> 0
    ORDER BY account_id, type, status, paid, sent, finalized, cancelled
    ON CONFLICT (account_id, type, status, paid, sent, finalized, cancelled, slot) DO UPDATE SET documents = t.documents + excluded.documents;
    INSERT INTO client_document_counts AS t (account_id, client_id, type, status, paid, sent, finalized, cancelled, slot, documents)
    SELECT account_id, client_id, type, status, paid, sent, finalized, cancelled, pg_backend_pid() % 8, sum(sign)
    FROM unnest(changes)
    WHERE client_id IS NOT NULL
    GROUP BY account_id, client_id, type, status, paid, sent, finalized, cancelled HAVING sum(sign) <> 0
    ORDER BY account_id, client_id, type, status, paid, sent, finalized, cancelled
    ON CONFLICT (account_id, client_id, type, status, paid, sent, finalized, cancelled, slot)
    DO UPDATE SET documents = t.documents + excluded.documents;
END $$;

-- As in 0019, with the counts keyed by client and flags too: an update is counted again when it changes
-- a column the counts read (the type, status, client or a flag), and goes to the totals as before.
CREATE OR REPLACE FUNCTION documents_keep_totals() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    olds documents[];
    news documents[];
    counted document_count_change[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM document_counts_apply(ARRAY(SELECT document_count_change_of(1, n) FROM new_rows n));
        IF EXISTS (SELECT 1 FROM new_rows WHERE status IN ('open', 'paid', 'cancelled')) THEN
            PERFORM document_totals_apply(ARRAY(SELECT c FROM (
                SELECT document_change_of(1, n, true) AS c FROM new_rows n
                UNION ALL SELECT document_change_of(-1, note, false)
                FROM new_rows n JOIN documents note ON note.preceding_id = n.id AND note.account_id = n.account_id
                WHERE n.status = 'cancelled' AND note.type = 'credit_note' AND note.id <> n.id) AS changed
                WHERE (c).sign IS NOT NULL));
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM document_counts_apply(ARRAY(SELECT document_count_change_of(-1, o) FROM old_rows o));
        IF EXISTS (SELECT 1 FROM old_rows WHERE status IN ('open', 'paid', 'cancelled')) THEN
            PERFORM document_totals_apply(ARRAY(SELECT c FROM (
                SELECT document_change_of(-1, o, true) AS c FROM old_rows o
                UNION ALL SELECT document_change_of(1, note, false)
                FROM old_rows o JOIN documents note ON note.preceding_id = o.id AND note.account_id = o.account_id
                WHERE o.status = 'cancelled' AND note.type = 'credit_note') AS changed
                WHERE (c).sign IS NOT NULL));
        END IF;
    ELSE
        -- The rows that changed a column the counts read; the rows whose status changed, or that are
        -- counted in the totals and changed a column those read. Most updates are neither.
        SELECT array_agg(document_count_change_of(-1, o)) FILTER (WHERE recount)
                   || array_agg(document_count_change_of(1, n)) FILTER (WHERE recount),
               array_agg(o) FILTER (WHERE retotal), array_agg(n) FILTER (WHERE retotal)
        INTO counted, olds, news
        FROM old_rows o JOIN new_rows n ON n.id = o.id, LATERAL (SELECT
            (o.account_id, o.type, o.status, o.client_id, o.paid_at IS NULL, o.sent_at IS NULL, o.finalized_at IS NULL,
             o.cancelled_at IS NULL) IS DISTINCT FROM (n.account_id, n.type, n.status, n.client_id, n.paid_at IS NULL,
             n.sent_at IS NULL, n.finalized_at IS NULL, n.cancelled_at IS NULL) AS recount,
            o.status IS DISTINCT FROM n.status
            OR (o.status IN ('open', 'paid') AND (o.account_id, o.type, o.issue_date, o.currency, o.sent_at IS NULL,
                    o.overdue_at IS NULL, o.due_date, o.client_id, o.client_name, o.gross, o.amount_paid, o.balance_due, o.preceding_id)
                IS DISTINCT FROM (n.account_id, n.type, n.issue_date, n.currency, n.sent_at IS NULL, n.overdue_at IS NULL,
                    n.due_date, n.client_id, n.client_name, n.gross, n.amount_paid, n.balance_due, n.preceding_id)) AS retotal
        ) AS changed
        WHERE recount OR retotal;
        IF counted IS NOT NULL THEN
            PERFORM document_counts_apply(counted);
        END IF;
        IF olds IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM document_totals_apply(ARRAY(SELECT c FROM (
            SELECT document_change_of(-1, o, true) AS c FROM unnest(olds) o
            UNION ALL SELECT document_change_of(1, n, true) FROM unnest(news) n
            UNION ALL SELECT document_change_of(CASE WHEN o.status = 'cancelled' THEN 1 ELSE -1 END, note, false)
            FROM unnest(olds) o JOIN unnest(news) n ON n.id = o.id
            JOIN documents note ON note.preceding_id = o.id AND note.account_id = o.account_id
            WHERE (o.status = 'cancelled') <> (n.status = 'cancelled') AND note.type = 'credit_note') AS changed
            WHERE (c).sign IS NOT NULL));
    END IF;
    RETURN NULL;
END $$;

-- The documents already stored.
SELECT document_counts_apply(ARRAY(SELECT document_count_change_of(1, d) FROM documents d));
