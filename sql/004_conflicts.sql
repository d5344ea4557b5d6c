-- Conflict detection (docs/conflicts.md).
--
-- A row conflicts when someone other than this sync changed its target since
-- the sync last wrote it, and its source changed too. To tell, the sync keeps
-- per row what it last saw of each side: a digest of the source row it last
-- accounted for, a digest of the target row it last left behind, and that
-- target row's xmin. An unchanged xmin proves the target row untouched since
-- (the fast path: no digest is computed); a changed one (another writer, or
-- only a restore or a no-op UPDATE) sends the row to the digests. Digests are
-- hashtextextended() of the row's text form under fixed output settings
-- (PgTxn pins them), computed by PostgreSQL on both sides, so a value
-- PostgreSQL normalises (a timestamp, a float) never looks changed. Both
-- digests are equal after an ordinary write; they differ after a conflict
-- was settled for the target, or merged.
--
-- The images (json) are kept only for tables whose strategy is merge: a
-- column-wise merge needs to know which side changed each column.
--
-- On the hot path, so: no foreign key to client_deployments, no per-row
-- trigger, keys compared bytewise (COLLATE "C"), and room on each page for
-- HOT updates. Rows of deleted source rows stay (sync_service may not
-- DELETE here); a re-inserted key overwrites its row.
CREATE TABLE sync_metadata.row_versions (
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster(),
    deployment_id  bigint NOT NULL,
    table_name     text COLLATE "C" NOT NULL,
    row_key        text COLLATE "C" NOT NULL,
    source_digest  bigint NOT NULL,
    target_digest  bigint NOT NULL,
    target_xmin    xid NOT NULL,
    source_image   json,
    target_image   json,
    PRIMARY KEY (deployment_id, table_name, row_key)
) WITH (fillfactor = 80);

GRANT SELECT, INSERT, UPDATE ON sync_metadata.row_versions TO sync_service;
ALTER TABLE sync_metadata.row_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY cluster_isolation ON sync_metadata.row_versions TO sync_service
    USING (cluster_name = (SELECT sync_metadata.my_cluster()))
    WITH CHECK (cluster_name = (SELECT sync_metadata.my_cluster()));

-- What sync-resolve needs besides the images: the row's key as row_versions
-- spells it, and the columns a merge could not settle.
ALTER TABLE sync_metadata.conflict_log ADD COLUMN version_key text, ADD COLUMN clashes text[];

-- Fetching the pending conflicts of one row (manual strategy: do not log the
-- same pending conflict twice; supersede an older one).
CREATE INDEX conflict_log_pending_key ON sync_metadata.conflict_log (deployment_id, table_name, row_key)
    WHERE outcome = 'pending';

-- Three-way merge of two row images (json objects keyed by column name).
-- For each column: equal on both sides, or changed on one side only (against
-- that side's base image; a column the source did not change keeps the
-- target's value), takes that value as is; JSON objects changed on
-- both sides are merged key by key the same way (a key removed on one side
-- and untouched on the other is removed). What changed differently on both
-- sides is a clash: it takes the `prefer` side ('source' or 'target') and is
-- listed in `clashes` ("column" or "column.key"). With prefer NULL a clash
-- keeps the target's value; the caller then holds the row for a person.
-- Without base images (NULL) every difference is a clash, except JSON keys
-- present on one side only, which are kept.
CREATE FUNCTION sync_metadata.merge_images(source json, target json, base_source json, base_target json,
                                           prefer text, OUT merged json, OUT clashes text[])
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k     text;
    s     json;   -- SQL NULL: the key is absent on that side
    t     json;
    bs    json;
    bt    json;
    value json;
    sub   text[];
    parts text[] := '{}';
BEGIN
    clashes := '{}';
    -- The source's columns in order, then keys only the target has.
    FOR k IN SELECT u.key FROM (
                 SELECT a.key, 0 AS side, a.n FROM json_object_keys(source) WITH ORDINALITY a(key, n)
                 UNION ALL
                 SELECT b.key, 1, b.n FROM json_object_keys(target) WITH ORDINALITY b(key, n)
                 WHERE NOT EXISTS (SELECT 1 FROM json_object_keys(source) x(key) WHERE x.key = b.key)) u
             ORDER BY u.side, u.n LOOP
        s := source -> k;
        t := target -> k;
        bs := base_source -> k;
        bt := base_target -> k;
        IF s::text IS NOT DISTINCT FROM t::text THEN
            value := s;
        ELSIF base_source IS NOT NULL AND s::text IS NOT DISTINCT FROM bs::text THEN
            value := t;                                  -- the source did not change it
        ELSIF base_target IS NOT NULL AND t::text IS NOT DISTINCT FROM bt::text THEN
            value := s;                                  -- only the source changed it
        ELSIF base_source IS NULL AND base_target IS NULL AND (s IS NULL OR t IS NULL) THEN
            value := coalesce(s, t);                     -- a key one side added
        ELSIF json_typeof(s) = 'object' AND json_typeof(t) = 'object' THEN
            SELECT m.merged, m.clashes INTO value, sub
            FROM sync_metadata.merge_images(s, t, bs, bt, prefer) m;
            clashes := clashes || ARRAY(SELECT k || '.' || c FROM unnest(sub) c);
        ELSE
            clashes := clashes || k;
            value := CASE WHEN prefer = 'source' THEN s ELSE t END;
        END IF;
        IF value IS NOT NULL THEN                        -- absent stays absent
            parts := parts || (to_json(k)::text || ':' || value::text);
        END IF;
    END LOOP;
    merged := ('{' || array_to_string(parts, ',') || '}')::json;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.merge_images(json, json, json, json, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.merge_images(json, json, json, json, text) TO sync_service;
