-- Version rows that prove nothing any more (docs/conflicts.md, "Capture
-- trigger"). Without the capture trigger, every row the sync writes keeps a
-- version row (004). Under it, a row without one is a row the sync wrote and
-- nobody changed since, and a version row whose source and target digests
-- agree and whose target still carries the recorded xmin says exactly the
-- same: it can go, and with it the per-row cost it puts on every later
-- write of that row. sync-run calls this when it installs or replaces a
-- table's trigger, so tables synced before 006, or while the trigger was
-- disabled, become as cheap as the others. Rows another writer changed,
-- added or deleted keep their version rows. Returns how many went.
CREATE FUNCTION sync_metadata.prune_versions(p_schema text, p_table text, p_keys text[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    dep     bigint;
    rel     regclass;
    keys    text;
    pruned  bigint;
BEGIN
    SELECT d.deployment_id INTO dep
      FROM sync_metadata.client_deployments d
     WHERE d.target_schema = p_schema AND d.cluster_name = sync_metadata.my_cluster()
     ORDER BY d.enabled DESC, d.deployment_id LIMIT 1;
    IF dep IS NULL THEN
        RAISE EXCEPTION 'schema "%" is not a target schema of this cluster', p_schema
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
    -- Only what the trigger will record from now on may be forgotten.
    IF rel IS NULL OR NOT EXISTS (SELECT 1 FROM pg_trigger
                                   WHERE tgrelid = rel AND tgname = 'tenantsync_capture' AND tgenabled = 'A') THEN
        RETURN 0;
    END IF;
    -- The check below reads the target as of its own statement: that needs
    -- READ COMMITTED, and no other writer between it and the delete. The
    -- lock lets readers through and waits for writers in progress, whose
    -- changes the next statement then sees (or the trigger records).
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'prune_versions needs READ COMMITTED' USING ERRCODE = 'invalid_transaction_state';
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', rel);
    SELECT string_agg(format('t.%I', k), ', ' ORDER BY n) INTO keys FROM unnest(p_keys) WITH ORDINALITY u(k, n);
    EXECUTE format('DELETE FROM sync_metadata.row_versions v USING %s t'
                   ' WHERE v.deployment_id = $1 AND v.table_name = $2 AND v.row_key = ROW(%s)::text'
                   ' AND v.source_digest = v.target_digest AND v.target_xmin = t.xmin', rel, keys)
        USING dep, p_table;
    GET DIAGNOSTICS pruned = ROW_COUNT;
    RETURN pruned;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.prune_versions(text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.prune_versions(text, text, text[]) TO sync_service;
