-- The source file's fingerprint (SqliteFileState) taken before the last
-- complete whole pass over a table began. A table compared whole whose file
-- has committed nothing since is not read at all (docs/sync.md). NULL:
-- unknown, so the next pass reads.
ALTER TABLE sync_metadata.sync_progress ADD COLUMN source_file_state text;
