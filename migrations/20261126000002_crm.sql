-- The CRM: one customer across every channel, reached by any of its identities.
CREATE TABLE customers (
    id           uuid PRIMARY KEY,
    display_name text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- An identity is a normalised address (E.164 phone, lower-cased email,
-- provider-scoped id). It belongs to exactly one customer at a time.
CREATE TABLE customer_identities (
    id          bigserial PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('phone', 'email', 'external')),
    value       text NOT NULL,
    verified    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, value)
);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);
