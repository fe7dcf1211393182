-- Rendered artifacts (PDFs) per document version. An issued document has exactly one PDF,
-- stored once and never changed; a draft has at most one preview per version, replaced on
-- request. Bytes live in Postgres (TOAST keeps them out of the row).
CREATE TABLE artifacts (
    id             uuid PRIMARY KEY,
    account_id     uuid NOT NULL,
    document_id    uuid NOT NULL,
    document_type  text NOT NULL,
    version        integer NOT NULL,
    preview        boolean NOT NULL,
    kind           text NOT NULL DEFAULT 'pdf',
    filename       text NOT NULL,
    media_type     text NOT NULL,
    size           integer NOT NULL,
    sha256         text NOT NULL,
    template       text NOT NULL,
    language       text NOT NULL,
    data           bytea NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX artifacts_issued ON artifacts (account_id, document_id, kind) WHERE NOT preview;
CREATE UNIQUE INDEX artifacts_preview ON artifacts (account_id, document_id, kind, version) WHERE preview;
