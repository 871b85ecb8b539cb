-- CSRF tokens are now stored as their SHA-256 (derived from the session token, which is stored
-- hashed too). Sessions opened before kept theirs in the clear: they end here, and their
-- holders sign in again.
DELETE FROM web_sessions;
