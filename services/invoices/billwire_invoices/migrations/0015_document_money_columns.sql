-- The overview at 10,000 documents (make bench web). It sums money over every open invoice of an
-- account and the revenue of a year: their currency and amounts as plain columns, kept by Postgres
-- from the document's own data, in an index that holds them, so the sums read narrow index entries
-- instead of parsing every document's JSON and sorting whole rows (that took 250 ms per sum,
-- spilling to disk). The same index, ordered by issue date, serves the overview's oldest open
-- invoices; and one ordered by creation serves the documents list of every type (its default).
ALTER TABLE documents
    ADD COLUMN currency text GENERATED ALWAYS AS (data->>'currency') STORED,
    ADD COLUMN gross numeric GENERATED ALWAYS AS ((data->'totals'->>'gross')::numeric) STORED,
    ADD COLUMN balance_due numeric GENERATED ALWAYS AS ((data->>'balance_due')::numeric) STORED;
CREATE INDEX documents_money ON documents (account_id, type, status, issue_date, id)
    INCLUDE (currency, gross, balance_due, due_date, overdue_at);
CREATE INDEX documents_list_all_created ON documents (account_id, created_at DESC NULLS LAST, id DESC);
