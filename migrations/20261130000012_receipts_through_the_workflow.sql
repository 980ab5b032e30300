-- Delivery receipts now reach the ticket as a signal (the status callback
-- URL names the ticket's workflow, and Twilio signs that URL) and an
-- activity records them on the ledger: nothing parks receipts any more.
DROP TABLE IF EXISTS early_receipts;

-- `undeliverable`: the provider refused the send for good (an invalid
-- number, Gmail 400) or no route was allowed; a retried activity returns
-- that outcome again instead of sending.
ALTER TABLE outbound_sends DROP CONSTRAINT outbound_sends_state_check;
ALTER TABLE outbound_sends ADD CONSTRAINT outbound_sends_state_check
    CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'uncertain', 'undeliverable'));

-- When the latest attempt began: an ambiguous send is looked up at the
-- provider among the messages since then (Twilio's list by recipient).
ALTER TABLE outbound_sends ADD COLUMN attempted_at timestamptz;
-- Set when the message was found at the provider after an ambiguous
-- attempt rather than confirmed by the provider's answer.
ALTER TABLE outbound_sends ADD COLUMN reconciled boolean NOT NULL DEFAULT false;
