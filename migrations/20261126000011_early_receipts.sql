-- Delivery receipts that arrived before our send was recorded: Twilio can
-- report `failed` while the send activity is still writing the message id
-- to the ledger. The receipt waits here and the ledger hands it to the
-- ticket when it records that id (both sides take the same per-id
-- advisory lock, so a receipt can never fall between them). Receipts for
-- messages that are not ours are dropped after a day.
CREATE TABLE early_receipts (
    provider_message_id  text PRIMARY KEY,
    status               text NOT NULL,
    error_code           text NOT NULL DEFAULT '',
    error_message        text NOT NULL DEFAULT '',
    received_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX early_receipts_received_at ON early_receipts (received_at);
