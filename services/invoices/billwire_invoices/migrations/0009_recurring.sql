-- Recurring invoices: templates with a schedule, and one run row per (template, period).
-- The primary key of recurring_runs is what makes a period's document exist exactly once,
-- whatever replicas, kills and restarts do: a second insert for the same period conflicts.

CREATE TABLE recurring_invoices (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    client_id    uuid NOT NULL,
    status       text NOT NULL,
    next_run_on  date,
    data         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recurring_invoices_account ON recurring_invoices (account_id, created_at DESC);
CREATE INDEX recurring_invoices_due ON recurring_invoices (next_run_on) WHERE status = 'active';

CREATE TABLE recurring_runs (
    recurring_id  uuid NOT NULL REFERENCES recurring_invoices(id) ON DELETE CASCADE,
    period_start  date NOT NULL,
    account_id    uuid NOT NULL,
    period_end    date NOT NULL,
    run_on        date NOT NULL,
    document_id   uuid NOT NULL,
    number        text,
    state         text NOT NULL,
    failure       text,
    attempts      integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recurring_id, period_start)
);
CREATE INDEX recurring_runs_failed ON recurring_runs (updated_at) WHERE state = 'failed';
CREATE INDEX recurring_runs_document ON recurring_runs (document_id);
