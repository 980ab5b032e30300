-- Every identity link between customers is auditable and reversible:
-- applied (a self-statement such as "my email is …"), proposed (a mention
-- that is not a self-statement: shown to humans, never applied on its own),
-- reverted (undone by `steward customers unmerge`).
CREATE TABLE identity_links (
    id                   bigserial PRIMARY KEY,
    identity_kind        text NOT NULL,
    identity_value       text NOT NULL,
    customer_id          uuid NOT NULL REFERENCES customers (id),
    status               text NOT NULL CHECK (status IN ('applied', 'proposed', 'reverted')),
    evidence             text NOT NULL,
    source_message_id    text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    reverted_at          timestamptz
);
CREATE INDEX identity_links_identity ON identity_links (identity_kind, identity_value);
