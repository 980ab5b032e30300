-- A phone, email or ticket number that a message only *states* is a claim,
-- not a key: it is recorded here with its evidence, shown to humans, and
-- used for nothing a customer can see until the customer proves it by
-- echoing a one-time code that Steward sent over the claimed channel.
-- Only then does it become a link (identity_links, customer_identities).
CREATE TABLE identity_claims (
    id                  bigserial PRIMARY KEY,
    claimed_kind        text NOT NULL CHECK (claimed_kind IN ('phone', 'email', 'ticket', 'reference')),
    claimed_value       text NOT NULL,
    -- Who claims it: the sender's customer and the identity they wrote from.
    customer_id         uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    claimant_kind       text NOT NULL,
    claimant_value      text NOT NULL,
    status              text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'verified', 'failed')),
    evidence            text NOT NULL,
    source_message_id   text NOT NULL DEFAULT '',
    -- The conversation the code must be echoed on (the ticket's key).
    ticket_key          text NOT NULL DEFAULT '',
    -- The live code: salted SHA-256 only, never the code itself.
    code_salt           bytea,
    code_hash           bytea,
    code_expires_at     timestamptz,
    codes_sent          integer NOT NULL DEFAULT 0,
    attempts            integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL DEFAULT now(),
    verified_at         timestamptz,
    UNIQUE (customer_id, claimed_kind, claimed_value)
);
CREATE INDEX identity_claims_ticket ON identity_claims (ticket_key) WHERE status = 'pending';
CREATE INDEX identity_claims_claimed ON identity_claims (claimed_kind, claimed_value);

-- `customer_identities.verified` now means "used through its own channel"
-- (a WhatsApp or Gmail message came from it): an identity only typed into
-- a web form, or only stated, stays unverified and is taken over by the
-- first message that really comes from it.
UPDATE customer_identities i SET verified = true
WHERE EXISTS (SELECT 1 FROM messages m
              WHERE m.direction = 'inbound' AND m.channel <> 'web' AND lower(m.sender) = i.value);
