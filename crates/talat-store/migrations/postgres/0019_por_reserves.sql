-- Proof of reserves, the assets side: per network, what the operator held on chain when the
-- report was published (hot, cold, unswept deposits) and the hot address's signed message
-- naming the report, as one JSON array written right after the report itself (the message
-- names the report's id). NULL: no custody was served, or the chain could not be read.
ALTER TABLE por_reports ADD COLUMN reserves TEXT;
