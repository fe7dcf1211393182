-- The overview's open invoices, earliest first (a list of type 'invoice', status 'open', by date, a
-- few rows): an index in that order, so those rows are the index's first entries. Without it each
-- overview sorted the account's open invoices of the earliest issue day by id (the list's
-- tie-break), every one of them: with many open invoices, most of the overview's time.
CREATE INDEX IF NOT EXISTS documents_list_status_date ON documents (account_id, type, status, issue_date, id);
