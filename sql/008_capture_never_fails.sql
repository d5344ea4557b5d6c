-- The capture trigger runs inside other writers' statements: it must never
-- make one fail. A column the trigger was told to digest can be gone (a
-- migration dropped it, and sync-run has not replaced the trigger yet): the
-- base is then unknown, recorded as such (NULL digests: not tenantsync's, so
-- the row is a conflict at its next source change, never overwritten
-- unseen). Anything else that goes wrong is a warning, not an error.
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
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            EXECUTE format('SELECT ROW(%s)::text', keys) INTO old_key USING OLD;
            BEGIN
                EXECUTE format('SELECT hashtextextended(ROW(%s)::text, 0), (SELECT row_to_json(x) FROM (SELECT %s) x)',
                               cols, named)
                    INTO digest, image USING OLD;
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
