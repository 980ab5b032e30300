-- People introduced on a phone or mailbox. A customer is one person: when
-- a second person introduces themselves on a shared identity (a family
-- phone, ops@), they become a customer of their own. The first person
-- introduced keeps the identity's customer. Each row is the audit record.
CREATE TABLE identity_persons (
    id                 bigserial PRIMARY KEY,
    identity_kind      text NOT NULL,
    identity_value     text NOT NULL,
    person_name        text NOT NULL,
    customer_id        uuid NOT NULL REFERENCES customers (id),
    evidence           text NOT NULL,
    source_message_id  text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_persons_identity ON identity_persons (identity_kind, identity_value);
