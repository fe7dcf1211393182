-- Stats read running totals instead of every issued document (issue 24: GET /stats at 50,000
-- documents took 192 ms scanning them all). The totals are kept by triggers on `documents`, in the
-- statement that changes a document, so every writer (finalize, payments, refunds, cancel, mark
-- paid/unpaid, overdue, imports, plain SQL) keeps them exact and no code path can forget one.
--
-- What is counted is what stats counted before: invoices and credit notes whose status is open or
-- paid, leaving out a credit note whose preceding document is cancelled (it cancels that invoice).
-- Totals are kept per issue DAY, so any range and any period (day to year) adds them up exactly; a
-- row whose last document left it is deleted, so an empty group reads as no row, as before.

-- Per day, currency and everything stats filter on: type, status, sent, and for open invoices the
-- due date and the overdue mark (overdue-now depends on today, so it is decided when reading).
CREATE TABLE document_totals (
    id             bigserial PRIMARY KEY,
    account_id     uuid NOT NULL,
    issue_date     date,
    currency       text,
    type           text NOT NULL,
    status         text NOT NULL,
    sent           boolean NOT NULL,
    overdue_marked boolean NOT NULL,
    due_date       date,
    documents      bigint NOT NULL,
    gross          numeric,
    magnitude      numeric,  -- the sum of |gross|: what credit notes credit
    amount_paid    numeric,
    balance        numeric,
    UNIQUE NULLS NOT DISTINCT (account_id, issue_date, currency, type, status, sent, overdue_marked, due_date)
);

-- Per day, client (as named on the document) and currency: the top clients.
CREATE TABLE client_totals (
    id           bigserial PRIMARY KEY,
    account_id   uuid NOT NULL,
    issue_date   date,
    client_id    uuid,
    client_name  text,
    currency     text,
    documents    bigint NOT NULL,
    invoices     bigint NOT NULL,
    revenue      numeric,
    UNIQUE NULLS NOT DISTINCT (account_id, issue_date, client_id, client_name, currency)
);

-- How many documents an account has per type and status: the total of a list filtered by no more
-- than these (every list's first page) without counting the rows. Eight slots per key, picked by
-- the writing connection, so documents created at the same time in one account do not queue for one
-- counter row; a read adds up the slots.
CREATE TABLE document_counts (
    account_id  uuid NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL,
    slot        smallint NOT NULL,
    documents   bigint NOT NULL,
    PRIMARY KEY (account_id, type, status, slot)
);

-- Credit notes by the document they refer to: cancelling (or un-cancelling) a document moves them.
CREATE INDEX documents_preceding ON documents (preceding_id) WHERE preceding_id IS NOT NULL;

-- a + b where NULL means "no value yet" (sum() semantics), not "unknown".
CREATE FUNCTION totals_plus(a numeric, b numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE a + b END $$;

-- What one document row adds to the totals (sign 1) or takes out of them (sign -1): NULL when stats do
-- not count it. `check_preceding` false: a credit note whose preceding document is being cancelled or
-- un-cancelled in this very statement, counted as it was before (or will be after) that change.
CREATE TYPE document_change AS (
    sign integer, account_id uuid, issue_date date, currency text, type text, status text, sent boolean,
    overdue_marked boolean, due_date date, client_id uuid, client_name text, gross numeric, amount_paid numeric,
    balance numeric);

CREATE FUNCTION document_change_of(sign integer, d documents, check_preceding boolean) RETURNS document_change
LANGUAGE sql STABLE AS $$
    SELECT ROW(sign, d.account_id, d.issue_date, d.currency, d.type, d.status,
               d.type = 'invoice' AND d.sent_at IS NOT NULL,
               d.type = 'invoice' AND d.status = 'open' AND d.overdue_at IS NOT NULL,
               CASE WHEN d.type = 'invoice' AND d.status = 'open' THEN d.due_date END,
               d.client_id, d.client_name, d.gross, d.amount_paid, coalesce(d.balance_due, 0))::document_change
    WHERE d.status IN ('open', 'paid')
      AND (d.type = 'invoice' OR (d.type = 'credit_note' AND (NOT check_preceding OR NOT EXISTS (
            SELECT 1 FROM documents cancelled
            WHERE cancelled.account_id = d.account_id AND cancelled.status = 'cancelled' AND cancelled.id = d.preceding_id))))
$$;

-- Apply a statement's changes, grouped per key and in key order: two statements lock totals rows in
-- the same order, so they cannot deadlock each other; concurrent changes to one key wait for each
-- other and both count. A row whose last document left is deleted.
CREATE FUNCTION document_totals_apply(changes document_change[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    emptied bigint[];
BEGIN
    IF cardinality(changes) = 0 THEN
        RETURN;
    END IF;
    WITH applied AS (
        INSERT INTO document_totals AS t (account_id, issue_date, currency, type, status, sent, overdue_marked, due_date,
                                          documents, gross, magnitude, amount_paid, balance)
        SELECT account_id, issue_date, currency, type, status, sent, overdue_marked, due_date, sum(sign),
               sum(sign * gross), sum(sign * abs(gross)), sum(sign * amount_paid), sum(sign * balance)
        FROM unnest(changes)
        GROUP BY account_id, issue_date, currency, type, status, sent, overdue_marked, due_date
        ORDER BY account_id, issue_date, currency, type, status, sent, overdue_marked, due_date
        ON CONFLICT (account_id, issue_date, currency, type, status, sent, overdue_marked, due_date) DO UPDATE SET
            documents = t.documents + excluded.documents, gross = totals_plus(t.gross, excluded.gross),
            magnitude = totals_plus(t.magnitude, excluded.magnitude),
            amount_paid = totals_plus(t.amount_paid, excluded.amount_paid), balance = totals_plus(t.balance, excluded.balance)
        RETURNING t.id, t.documents
    )
    SELECT array_agg(id) FILTER (WHERE documents = 0) INTO emptied FROM applied;
    IF emptied IS NOT NULL THEN
        DELETE FROM document_totals WHERE id = ANY(emptied);
    END IF;
    WITH applied AS (
        INSERT INTO client_totals AS t (account_id, issue_date, client_id, client_name, currency, documents, invoices, revenue)
        SELECT account_id, issue_date, client_id, client_name, currency, sum(sign),
               coalesce(sum(sign) FILTER (WHERE type = 'invoice'), 0),
               sum(sign * CASE WHEN type = 'invoice' THEN gross ELSE -abs(gross) END)
        FROM unnest(changes)
        GROUP BY account_id, issue_date, client_id, client_name, currency
        ORDER BY account_id, issue_date, client_id, client_name, currency
        ON CONFLICT (account_id, issue_date, client_id, client_name, currency) DO UPDATE SET
            documents = t.documents + excluded.documents, invoices = t.invoices + excluded.invoices,
            revenue = totals_plus(t.revenue, excluded.revenue)
        RETURNING t.id, t.documents
    )
    SELECT array_agg(id) FILTER (WHERE documents = 0) INTO emptied FROM applied;
    IF emptied IS NOT NULL THEN
        DELETE FROM client_totals WHERE id = ANY(emptied);
    END IF;
END $$;

-- Apply a statement's changes of documents per type and status (updates that change no status are
-- no change, and lock nothing), in key order.
CREATE FUNCTION document_counts_apply(changes document_change[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO document_counts AS t (account_id, type, status, slot, documents)
    SELECT account_id, type, status, pg_backend_pid() % 8, sum(sign)
    FROM unnest(changes)
    GROUP BY account_id, type, status HAVING sum(sign) <> 0
    ORDER BY account_id, type, status
    ON CONFLICT (account_id, type, status, slot) DO UPDATE SET documents = t.documents + excluded.documents
$$;

-- One statement's inserted, updated or deleted documents: old rows leave the totals, new rows join
-- them, and credit notes whose preceding document became (or stopped being) cancelled leave (or join).
-- Most updates change nothing counted (a draft edited, a custom status): they stop at the first query.
-- The functions it calls set no search path of their own (a SET per call costs): this one sets it.
CREATE FUNCTION documents_keep_totals() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    olds documents[];
    news documents[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM document_counts_apply(ARRAY(SELECT ROW(1, account_id, NULL, NULL, type, status, NULL, NULL, NULL, NULL, NULL,
                                                       NULL, NULL, NULL)::document_change FROM new_rows));
        IF EXISTS (SELECT 1 FROM new_rows WHERE status IN ('open', 'paid', 'cancelled')) THEN
            PERFORM document_totals_apply(ARRAY(SELECT c FROM (
                SELECT document_change_of(1, n, true) AS c FROM new_rows n
                UNION ALL SELECT document_change_of(-1, note, false)
                FROM new_rows n JOIN documents note ON note.preceding_id = n.id AND note.account_id = n.account_id
                WHERE n.status = 'cancelled' AND note.type = 'credit_note' AND note.id <> n.id) AS changed
                WHERE (c).sign IS NOT NULL));
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM document_counts_apply(ARRAY(SELECT ROW(-1, account_id, NULL, NULL, type, status, NULL, NULL, NULL, NULL, NULL,
                                                       NULL, NULL, NULL)::document_change FROM old_rows));
        IF EXISTS (SELECT 1 FROM old_rows WHERE status IN ('open', 'paid', 'cancelled')) THEN
            PERFORM document_totals_apply(ARRAY(SELECT c FROM (
                SELECT document_change_of(-1, o, true) AS c FROM old_rows o
                UNION ALL SELECT document_change_of(1, note, false)
                FROM old_rows o JOIN documents note ON note.preceding_id = o.id AND note.account_id = o.account_id
                WHERE o.status = 'cancelled' AND note.type = 'credit_note') AS changed
                WHERE (c).sign IS NOT NULL));
        END IF;
    ELSE
        -- The rows whose status changed, or that are counted and changed a column the totals read.
        SELECT array_agg(o), array_agg(n) INTO olds, news FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE o.status IS DISTINCT FROM n.status
           OR (o.status IN ('open', 'paid') AND (o.account_id, o.type, o.issue_date, o.currency, o.sent_at IS NULL,
                   o.overdue_at IS NULL, o.due_date, o.client_id, o.client_name, o.gross, o.amount_paid, o.balance_due, o.preceding_id)
               IS DISTINCT FROM (n.account_id, n.type, n.issue_date, n.currency, n.sent_at IS NULL, n.overdue_at IS NULL,
                   n.due_date, n.client_id, n.client_name, n.gross, n.amount_paid, n.balance_due, n.preceding_id));
        IF olds IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM document_counts_apply(ARRAY(
            SELECT ROW(-1, account_id, NULL, NULL, type, status, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::document_change
            FROM unnest(olds)
            UNION ALL SELECT ROW(1, account_id, NULL, NULL, type, status, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::document_change
            FROM unnest(news)));
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

CREATE TRIGGER documents_totals_insert AFTER INSERT ON documents
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION documents_keep_totals();
CREATE TRIGGER documents_totals_update AFTER UPDATE ON documents
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION documents_keep_totals();
CREATE TRIGGER documents_totals_delete AFTER DELETE ON documents
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION documents_keep_totals();

-- The documents already stored.
SELECT document_counts_apply(ARRAY(
    SELECT ROW(1, account_id, NULL, NULL, type, status, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::document_change
    FROM documents));
SELECT document_totals_apply(ARRAY(
    SELECT c FROM (SELECT document_change_of(1, d, true) AS c FROM documents d) AS changed WHERE (c).sign IS NOT NULL));
