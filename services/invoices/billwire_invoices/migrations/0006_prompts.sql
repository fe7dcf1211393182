-- Saved prompts: invoice texts kept for reuse, with labels ({name, color}) to find them by.
CREATE TABLE prompts (
    id           uuid PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts(id),
    prompt_text  text NOT NULL,
    labels       jsonb NOT NULL DEFAULT '[]'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX prompts_account_created ON prompts (account_id, created_at DESC);
CREATE INDEX prompts_labels ON prompts USING gin (labels jsonb_path_ops);
