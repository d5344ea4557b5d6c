-- Exact row images (docs/conflicts.md, "Row images").
--
-- Until now an image was row_to_json() of the row: a json column's value
-- went in as JSON, so its JSON null could not be told from SQL NULL, and a
-- json column holding a top-level string read back as a different value.
-- From here an image is a JSON object of each column's text form (a JSON
-- string), SQL NULL being JSON null: any value of any type reads back as
-- itself by casting its text to the column's type.

-- What sync-run saw when it logged a conflict, so sync-resolve compares the
-- live row with the digest the sync computed then, never with a digest
-- rebuilt from an image. NULL: logged before this migration (sync-resolve
-- refuses those; the next full pass logs them again).
ALTER TABLE sync_metadata.conflict_log ADD COLUMN source_digest bigint, ADD COLUMN target_digest bigint;
GRANT INSERT (source_digest, target_digest) ON sync_metadata.conflict_log TO sync_service;

-- Merge bases in the old form would compare unequal to every value in the
-- new one. Without a base a merge calls every difference a clash, which the
-- table's merge_fallback (or a person) settles: nothing is taken unseen.
UPDATE sync_metadata.row_versions SET source_image = NULL, target_image = NULL
 WHERE source_image IS NOT NULL OR target_image IS NOT NULL;

-- The capture trigger records its bases in the new form (otherwise as 008).
CREATE OR REPLACE FUNCTION sync_metadata.capture_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    n_keys   int := TG_ARGV[0]::int;
    keys     text;
    cols     text;
    texts    text;
    names    text[];
    dep      bigint;
    cluster  text;
    old_key  text;
    new_key  text;
    digest   bigint;
    image    json;
BEGIN
    SELECT d.deployment_id, d.cluster_name INTO dep, cluster
      FROM sync_metadata.client_deployments d
     WHERE d.target_schema = TG_TABLE_SCHEMA ORDER BY d.enabled DESC, d.deployment_id LIMIT 1;
    IF dep IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT string_agg(format('($1).%I', TG_ARGV[i]), ', ' ORDER BY i) INTO keys FROM generate_series(1, n_keys) i;
    SELECT string_agg(format('($1).%I', TG_ARGV[i]), ', ' ORDER BY i),
           string_agg(format('($1).%I::text', TG_ARGV[i]), ', ' ORDER BY i),
           array_agg(TG_ARGV[i] ORDER BY i)
      INTO cols, texts, names FROM generate_series(n_keys + 1, TG_NARGS - 1) i;
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            EXECUTE format('SELECT ROW(%s)::text', keys) INTO old_key USING OLD;
            BEGIN
                EXECUTE format('SELECT hashtextextended(ROW(%s)::text, 0), json_object($2, ARRAY[%s]::text[])',
                               cols, texts)
                    INTO digest, image USING OLD, names;
            EXCEPTION WHEN OTHERS THEN
                digest := NULL;
                image := NULL;
            END;
            INSERT INTO sync_metadata.row_versions AS v (cluster_name, deployment_id, table_name, row_key,
                                                         source_digest, target_digest, source_image, target_image)
            VALUES (cluster, dep, TG_TABLE_NAME, old_key, digest, digest, image, image)
            ON CONFLICT (deployment_id, table_name, row_key) DO NOTHING;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            EXECUTE format('SELECT ROW(%s)::text', keys) INTO new_key USING NEW;
            IF new_key IS DISTINCT FROM old_key THEN
                INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)
                VALUES (cluster, dep, TG_TABLE_NAME, new_key)
                ON CONFLICT (deployment_id, table_name, row_key) DO NOTHING;
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'tenantsync: change to %.% not captured (%); the next sync-run replaces the trigger',
            TG_TABLE_SCHEMA, TG_TABLE_NAME, SQLERRM;
    END;
    RETURN NULL;
END
$$;

-- Three-way merge of two exact row images, column by column, as
-- merge_images() does for JSON objects: a column equal on both sides, or
-- changed on one side only, takes that value as is; what both sides changed
-- differently is a clash (prefer decides; NULL keeps the target's value and
-- the caller holds the row). A column named in json_columns whose value is a
-- JSON object on both sides is merged key by key with merge_images(), and
-- its merged value is written as that object's JSON text.
CREATE FUNCTION sync_metadata.merge_rows(source json, target json, base_source json, base_target json,
                                         prefer text, json_columns text[], OUT merged json, OUT clashes text[])
    LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k     text;
    s     json;   -- a JSON string (the text form), JSON null (SQL NULL); SQL NULL: the column is absent
    t     json;
    bs    json;
    bt    json;
    value json;
    nested json;
    sub   text[];
    parts text[] := '{}';
BEGIN
    clashes := '{}';
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
            value := coalesce(s, t);                     -- a column one side added
        ELSIF k = ANY (json_columns) AND json_typeof(s) = 'string' AND json_typeof(t) = 'string'
              AND json_typeof((s #>> '{}')::json) = 'object' AND json_typeof((t #>> '{}')::json) = 'object' THEN
            SELECT m.merged, m.clashes INTO nested, sub
              FROM sync_metadata.merge_images((s #>> '{}')::json, (t #>> '{}')::json,
                                              CASE WHEN json_typeof(bs) = 'string' THEN (bs #>> '{}')::json END,
                                              CASE WHEN json_typeof(bt) = 'string' THEN (bt #>> '{}')::json END,
                                              prefer) m;
            value := to_json(nested::text);
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
REVOKE ALL ON FUNCTION sync_metadata.merge_rows(json, json, json, json, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.merge_rows(json, json, json, json, text, text[]) TO sync_service;
