-- Ticket references customers hold from other help desks (a reply in the
-- thread "Re: [Acme Support #61840]" shows its sender is that ticket's
-- customer). A later "my ticket #61840" from another address or number
-- then links that sender, like "my ticket TKT-000042" does for ours.
-- First holder wins: a colleague replying in the same thread takes nothing.
CREATE TABLE ticket_references (
    reference          text PRIMARY KEY,
    customer_id        uuid NOT NULL REFERENCES customers (id),
    evidence           text NOT NULL,
    source_message_id  text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_references_customer ON ticket_references (customer_id);
