-- A list sorted by number or newest issue date first (?sort=number, ?sort=-date) sorted every document
-- of its type in the account to find its first page (issue 24): at 50,000 documents 2.0x and 3.2x the
-- time at 1,000 (scale bench, under load). These indexes are those orders, as documents/listing.py
-- writes them (`number ASC NULLS LAST, id ASC`, `issue_date DESC NULLS LAST, id DESC`): the page is
-- read from the index, and walked backwards for a page from the end (the reverse order with NULLs
-- first). The opposite orders (?sort=-number, ?sort=date) and lists of every type still sort.
CREATE INDEX IF NOT EXISTS documents_list_number ON documents (account_id, type, number, id);
CREATE INDEX IF NOT EXISTS documents_list_date_desc ON documents (account_id, type, issue_date DESC NULLS LAST, id DESC);
