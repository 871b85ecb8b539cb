-- The customer's language (`th` or `en`): the mails they get are written in it. Set at sign-up
-- from the app's language and changed with the app's language switch; Thai for accounts made
-- before, as most of this market reads Thai.
ALTER TABLE web_accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'th';
-- Orders the customer did not cancel themselves: projected from an OrderDone(Cancelled) event of
-- a command other than the owner's cancel, cancel-all or amend (the cancel-after switch firing,
-- or an overdue switch firing when a halt or maintenance ends), so a notification can say so.
CREATE TABLE system_cancels (
    order_id   BIGINT PRIMARY KEY,
    seq        BIGINT NOT NULL,
    ts_ms      BIGINT NOT NULL,
    cause      TEXT NOT NULL
);
CREATE INDEX system_cancels_ts ON system_cancels (ts_ms);
