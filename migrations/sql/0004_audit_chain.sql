-- The access log becomes a hash chain: each event stores the hash of the one before it and
-- its own hash over its fields and that previous hash, so an edited, removed or reordered
-- event breaks the chain (`siso audit verify`). `audit_chain_head` holds the newest hash:
-- appending locks that one row, so concurrent writers (PostgreSQL) never fork the chain, and
-- cutting events off the end is detected too. Events written before this migration have no
-- hash and are reported as unchained.
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
CREATE TABLE audit_chain_head (
    id INTEGER PRIMARY KEY,
    last_hash TEXT NOT NULL,
    events BIGINT NOT NULL
);
INSERT INTO audit_chain_head (id, last_hash, events)
VALUES (1, '0000000000000000000000000000000000000000000000000000000000000000', 0);
