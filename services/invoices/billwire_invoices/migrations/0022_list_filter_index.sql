-- Filtered document lists (a client, a search, updated_since, the paid/sent/finalized/cancelled flags,
-- a derived state) count their matches, and walk the list's order past the rows the filters drop
-- (issue 24). Both read the table itself: at 50,000 documents the count was a sequential scan of
-- every row with its document JSON (about 120 MB), 20-50 ms a list under load. This index carries
-- every column a list filters on, in the default order of a list of one type: the count is an
-- index-only scan of the account's entries (about 10 MB at 50,000), about half the time, and the
-- page's walk reads no document it drops. The total is still counted (documents/listing.py): the
-- running counts answer only plain statuses and open/paid/sent/overdue invoices.
CREATE INDEX IF NOT EXISTS documents_list_filters ON documents (account_id, type, created_at DESC NULLS LAST, id DESC)
    INCLUDE (status, client_id, issue_date, updated_at, finalized_at, sent_at, paid_at, cancelled_at, overdue_at, due_date,
             amount_paid, number, client_name);
