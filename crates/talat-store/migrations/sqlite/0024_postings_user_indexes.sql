-- A posting's side that is no customer's (the exchange's own accounts: custody, fee revenue,
-- rounding) is never looked up by user, yet every fee and rounding posting put a NULL entry into
-- postings_to: about a third of its entries under load (talat loadgen at 12 k/s offered), each
-- one more B-tree insert on the store's writer. The user indexes now hold only postings with a
-- user on their side; the customer's ledger query (`from_user = $2`, `to_user = $2`) implies
-- that, so it still reads through them (test: a_customers_ledger_is_read_through_the_user_indexes).
DROP INDEX postings_from;
DROP INDEX postings_to;
CREATE INDEX postings_from ON postings (from_user, asset_id, seq, idx) WHERE from_user IS NOT NULL;
CREATE INDEX postings_to ON postings (to_user, asset_id, seq, idx) WHERE to_user IS NOT NULL;
