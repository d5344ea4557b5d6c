-- New rows of any change value within one tick (docs/sync.md, "What each
-- run reads"). The largest rowid of the source table when the last complete
-- pass over it began: an incremental pass also reads every row above it, so
-- a row inserted with an old or NULL change value (an import that keeps its
-- timestamps) is copied on the next tick, not at the next reconcile.
-- NULL: unknown (a pass before this migration), so only the change column
-- selects rows until the next pass completes.
ALTER TABLE sync_metadata.sync_progress ADD COLUMN rowid_high bigint;
GRANT INSERT (rowid_high), UPDATE (rowid_high) ON sync_metadata.sync_progress TO sync_service;
