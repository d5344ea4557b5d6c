-- Capture of other writers' changes (docs/conflicts.md, "Capture trigger").
--
-- 004 records a row_versions row for every row the sync writes, so that a
-- later change by anyone else shows as a changed xmin. That costs one
-- version write per replicated row. With the capture trigger the burden
-- moves to the other writers, who are rare: a row with no row_versions row
-- is exactly as the sync last wrote it, and the first change anyone else
-- makes to it records, before it is lost, what the sync had written (its
-- base). The sync then writes unversioned rows with a plain merge, and only
-- versioned rows go through the classification of 004.
--
-- The sync marks its own transactions with tenantsync.writer = 'sync' (a
-- setting anyone could set: a writer that does so only opts its own changes
-- out of conflict detection). ENABLE ALWAYS makes the trigger fire under
-- session_replication_role = replica too (logical replication, restores).

-- A row another writer inserted has no base: NULL digests, as if no version
-- row existed. A captured base has no xmin (the trigger cannot read OLD's).
ALTER TABLE sync_metadata.row_versions
    ALTER COLUMN source_digest DROP NOT NULL,
    ALTER COLUMN target_digest DROP NOT NULL,
    ALTER COLUMN target_xmin DROP NOT NULL;

-- The trigger function. Its arguments, fixed when sync-run installs it
-- (install_capture): the number of key columns, the key columns, then the
-- columns the sync digests, in its order. Output settings are pinned as
-- PgTxn pins them, so digests and keys read as the sync computes them.
CREATE FUNCTION sync_metadata.capture_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    n_keys   int := TG_ARGV[0]::int;
    keys     text;
    cols     text;
    named    text;
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
           string_agg(format('($1).%I AS %I', TG_ARGV[i], TG_ARGV[i]), ', ' ORDER BY i)
      INTO cols, named FROM generate_series(n_keys + 1, TG_NARGS - 1) i;
    IF TG_OP <> 'INSERT' THEN
        EXECUTE format('SELECT ROW(%s)::text, hashtextextended(ROW(%s)::text, 0),'
                       ' (SELECT row_to_json(x) FROM (SELECT %s) x)', keys, cols, named)
            INTO old_key, digest, image USING OLD;
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
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.capture_write() FROM PUBLIC;

-- Installs (or, when the sync's key or columns changed, replaces) the
-- capture trigger on one table of one of the caller's own deployments. On a
-- first install every target row that has no version row yet is marked as
-- not written by the sync (a NULL version row): before the trigger, only a
-- version row proved that. Returns whether it was a first install.
CREATE FUNCTION sync_metadata.install_capture(p_schema text, p_table text, p_keys text[], p_columns text[])
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    dep      bigint;
    cluster  text;
    rel      regclass;
    existed  boolean;
    args     text;
    keys     text;
    col      text;
BEGIN
    SELECT d.deployment_id, d.cluster_name INTO dep, cluster
      FROM sync_metadata.client_deployments d
     WHERE d.target_schema = p_schema AND d.cluster_name = sync_metadata.my_cluster()
     ORDER BY d.enabled DESC, d.deployment_id LIMIT 1;
    IF dep IS NULL THEN
        RAISE EXCEPTION 'schema "%" is not a target schema of this cluster', p_schema
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table "%"."%" does not exist', p_schema, p_table USING ERRCODE = 'undefined_table';
    END IF;
    IF cardinality(p_keys) = 0 OR cardinality(p_columns) = 0 THEN
        RAISE EXCEPTION 'capture needs key columns and columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH col IN ARRAY p_keys || p_columns LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                        WHERE attrelid = rel AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" does not exist in %', col, rel USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    existed := EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'tenantsync_capture');
    SELECT string_agg(quote_literal(a), ', ' ORDER BY n) INTO args
      FROM unnest(ARRAY[cardinality(p_keys)::text] || p_keys || p_columns) WITH ORDINALITY u(a, n);
    EXECUTE format('DROP TRIGGER IF EXISTS tenantsync_capture ON %s', rel);
    EXECUTE format('CREATE TRIGGER tenantsync_capture AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW'
                   ' WHEN (current_setting(''tenantsync.writer'', true) IS DISTINCT FROM ''sync'')'
                   ' EXECUTE FUNCTION sync_metadata.capture_write(%s)', rel, args);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER tenantsync_capture', rel);
    IF NOT existed THEN
        SELECT string_agg(format('t.%I', k), ', ' ORDER BY n) INTO keys FROM unnest(p_keys) WITH ORDINALITY u(k, n);
        EXECUTE format('INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)'
                       ' SELECT $1, $2, $3, ROW(%s)::text FROM %s t'
                       ' ON CONFLICT (deployment_id, table_name, row_key) DO NOTHING', keys, rel)
            USING cluster, dep, p_table;
    END IF;
    RETURN NOT existed;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.install_capture(text, text, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.install_capture(text, text, text[], text[]) TO sync_service;

-- The guard of the sync's merge of unversioned rows, for a row another
-- writer committed after the merge statement's snapshot was taken: VOLATILE,
-- so its query takes a fresh snapshot and sees the version row the other
-- writer's trigger committed with its change.
CREATE FUNCTION sync_metadata.unversioned(p_deployment bigint, p_table text, p_key text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN NOT EXISTS (SELECT 1 FROM sync_metadata.row_versions v
                        WHERE v.deployment_id = p_deployment AND v.table_name = p_table
                          AND v.row_key = p_key COLLATE "C");
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.unversioned(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.unversioned(bigint, text, text) TO sync_service;
