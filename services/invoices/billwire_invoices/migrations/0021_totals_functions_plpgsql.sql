-- The running totals' triggers (migration 0019) call two SQL-language functions on every write. Postgres
-- plans a SQL function's statement again in every statement that calls it, and a PL/pgSQL function's
-- once per connection: document_counts_apply (every created, deleted or status-changing document)
-- spent ~0.3-0.5 ms planning its INSERT ... ON CONFLICT each time, most of what the triggers add to a
-- write (issue 24). Same statements, same results; only the language changes.

CREATE OR REPLACE FUNCTION document_counts_apply(changes document_change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO document_counts AS t (account_id, type, status, slot, documents)
    SELECT account_id, type, status, pg_backend_pid() % 8, sum(sign)
    FROM unnest(changes)
    GROUP BY account_id, type, status HAVING sum(sign) <> 0
    ORDER BY account_id, type, status
    ON CONFLICT (account_id, type, status, slot) DO UPDATE SET documents = t.documents + excluded.documents;
END $$;

-- NULL (as the SQL function's empty result was) when stats do not count the document.
CREATE OR REPLACE FUNCTION document_change_of(sign integer, d documents, check_preceding boolean) RETURNS document_change
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF d.status IN ('open', 'paid')
       AND (d.type = 'invoice' OR (d.type = 'credit_note' AND (NOT check_preceding OR NOT EXISTS (
             SELECT 1 FROM documents cancelled
             WHERE cancelled.account_id = d.account_id AND cancelled.status = 'cancelled' AND cancelled.id = d.preceding_id)))) THEN
        RETURN ROW(sign, d.account_id, d.issue_date, d.currency, d.type, d.status,
                   d.type = 'invoice' AND d.sent_at IS NOT NULL,
                   d.type = 'invoice' AND d.status = 'open' AND d.overdue_at IS NOT NULL,
                   CASE WHEN d.type = 'invoice' AND d.status = 'open' THEN d.due_date END,
                   d.client_id, d.client_name, d.gross, d.amount_paid, coalesce(d.balance_due, 0))::document_change;
    END IF;
    RETURN NULL;
END $$;
