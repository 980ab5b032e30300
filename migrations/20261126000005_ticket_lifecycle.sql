-- The ticket lifecycle: humans own tickets, SLA breaches, CSAT, LLM usage,
-- and an append-only audit of every state change.
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
    CHECK (status IN ('new', 'open', 'escalated', 'human', 'resolved', 'closed'));
ALTER TABLE tickets
    ADD COLUMN owner                 text,
    ADD COLUMN resolved_autonomously boolean,
    ADD COLUMN csat_score            int CHECK (csat_score BETWEEN 1 AND 5),
    ADD COLUMN csat_comment          text,
    ADD COLUMN prompt_tokens         int NOT NULL DEFAULT 0,
    ADD COLUMN completion_tokens     int NOT NULL DEFAULT 0;

CREATE TABLE ticket_events (
    id         bigserial PRIMARY KEY,
    ticket_id  uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    event      text NOT NULL,
    status     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Who the reply was from (bot, agent, holding, csat_request).
ALTER TABLE outbound_sends ADD COLUMN kind text NOT NULL DEFAULT 'bot';
ALTER TABLE outbound_sends DROP CONSTRAINT outbound_sends_state_check;
ALTER TABLE outbound_sends ADD CONSTRAINT outbound_sends_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain'));
