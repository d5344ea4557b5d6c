-- A digest of a whole source table as the last complete pass over it read
-- it (rows converted for COPY, in rowid order, and rows refused on the way).
-- A table without a change column is compared whole on every run; when its
-- digest has not changed since, sync-run skips the PostgreSQL side of the
-- pass (docs/sync.md). NULL: unknown, so the next pass compares.
ALTER TABLE sync_metadata.sync_progress ADD COLUMN source_digest text;
