-- Channels: delivery receipts, the channel a reply actually went out on
-- (WhatsApp outside its 24-hour window falls back to a template or email),
-- Gmail mailbox sync state, and web-form rate limiting.

ALTER TABLE outbound_sends ADD COLUMN delivered_via text;
ALTER TABLE outbound_sends ADD COLUMN delivery_status text;
ALTER TABLE outbound_sends ADD COLUMN delivery_error text;
ALTER TABLE outbound_sends ADD COLUMN delivery_updated_at timestamptz;
CREATE INDEX outbound_sends_provider_message_id ON outbound_sends (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- One row per mailbox we watch: where the last history sync stopped and
-- when the Gmail watch expires (renewed before it does).
CREATE TABLE gmail_mailboxes (
    email_address     text PRIMARY KEY,
    history_id        numeric(20) NOT NULL,
    watch_expires_at  timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
