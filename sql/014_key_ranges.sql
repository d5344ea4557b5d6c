-- Deletes within one tick (docs/sync.md, "Deletes within a tick"). A
-- table's source keys as last read, in ranges of key order, each with a
-- digest of its keys (one line per range). A run compares a fresh read with
-- it and looks in PostgreSQL only within the ranges that gained or lost a
-- key. NULL: not read yet (the next run only records it).
ALTER TABLE sync_metadata.sync_progress ADD COLUMN key_ranges text;
GRANT INSERT (key_ranges), UPDATE (key_ranges) ON sync_metadata.sync_progress TO sync_service;
