-- Document lists page by the index instead of sorting every match (issue 24): the default order is
-- `created_at DESC NULLS LAST, id DESC` within one account and type; the overdue filter gets its own
-- partial index, as its rows are few among many. The page's total is a separate count (see documents/sql.py).
CREATE INDEX documents_list_created ON documents (account_id, type, created_at DESC NULLS LAST, id DESC);
CREATE INDEX documents_list_overdue ON documents (account_id, type, created_at DESC NULLS LAST, id DESC)
    WHERE status = 'open' AND overdue_at IS NOT NULL;
