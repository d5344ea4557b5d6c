-- Isolation against a hostile node (docs/security.md, "Threat model").
--
-- A cluster's login role is assumed to be in an attacker's hands. Before
-- this migration it could rewrite its own deployment (target schema, source
-- path) and so point the SECURITY DEFINER capture functions at any schema;
-- pick identity values and routing columns of its own rows; insert rows that
-- named another cluster's deployment, where they collided with that
-- cluster's keys; lock shared tables in strong modes; and opt another
-- writer's edits out of conflict detection with a setting anyone can set.
-- Here every write a node makes goes through a narrow door:
--
--   * client_deployments (like clusters) is the admin's alone: a node reads
--     its own rows and writes none.
--   * Table-wide INSERT and UPDATE become column grants that leave out
--     identity columns, cluster_name and every routing column. Without a
--     table-level UPDATE a node cannot LOCK a table in any mode stronger
--     than ACCESS SHARE.
--   * Each row a node writes must name its own cluster's deployment and its
--     own cluster's hosts, checked by the row-level security policy before
--     the row reaches any index (so no unique-key wait or collision with
--     another cluster can happen), and by foreign keys on (id, cluster).
--   * The capture functions accept only target schemas the admin registered
--     for the caller's cluster, never sync_metadata, public, pg_* or
--     information_schema; the capture trigger tells the sync by its login
--     role, not by a setting.
--   * A settled conflict's record can no longer change.

-- Deployments are registered, changed and removed by sync-schema alone.
REVOKE INSERT, UPDATE ON sync_metadata.client_deployments FROM sync_service;
ALTER TABLE sync_metadata.client_deployments
    ADD CONSTRAINT client_deployments_target_schema_not_reserved
    CHECK (target_schema NOT IN ('sync_metadata', 'public', 'information_schema')
           AND target_schema !~ '^pg_') NOT VALID;
DO $$
DECLARE bad text;
BEGIN
    SELECT string_agg(format('%s (%s)', name, target_schema), ', ') INTO bad
      FROM sync_metadata.client_deployments
     WHERE target_schema IN ('sync_metadata', 'public', 'information_schema') OR target_schema ~ '^pg_';
    IF bad IS NOT NULL THEN
        RAISE WARNING 'deployments with a reserved target schema (changed by a node?): %; '
                      'no capture trigger will be installed for them', bad;
    END IF;
END
$$;

-- Column grants: exactly what the tools write (docs/security.md lists them;
-- sync-schema check-role reports anything beyond).
REVOKE INSERT, UPDATE ON sync_metadata.hosts, sync_metadata.leader_election, sync_metadata.conflict_log,
    sync_metadata.cache_events, sync_metadata.sync_jobs, sync_metadata.sync_progress, sync_metadata.state,
    sync_metadata.quarantine, sync_metadata.row_versions FROM sync_service;

GRANT INSERT (hostname, version), UPDATE (version, last_heartbeat)
    ON sync_metadata.hosts TO sync_service;
GRANT INSERT (holder_host_id, epoch, acquired_at, renewed_at, expires_at),
      UPDATE (holder_host_id, epoch, acquired_at, renewed_at, expires_at)
    ON sync_metadata.leader_election TO sync_service;
GRANT INSERT (deployment_id, table_name, row_key, source_row, target_row, strategy, outcome, resolved_row,
              resolved_by, resolved_at, epoch, clashes, version_key),
      UPDATE (outcome, resolved_row, resolved_by, resolved_at)
    ON sync_metadata.conflict_log TO sync_service;
GRANT INSERT (cache_key) ON sync_metadata.cache_events TO sync_service;
GRANT INSERT (deployment_id, host_id, epoch, status, requested_by),
      UPDATE (status, finished_at, rows_read, rows_written, rows_quarantined, rows_deleted, error)
    ON sync_metadata.sync_jobs TO sync_service;
GRANT INSERT (deployment_id, table_name, watermark, last_key, rows_total, last_synced_at, last_full_at,
              source_digest, source_file_state),
      UPDATE (watermark, last_key, rows_total, last_synced_at, last_full_at, source_digest, source_file_state)
    ON sync_metadata.sync_progress TO sync_service;
GRANT INSERT (key, value, updated_by), UPDATE (value, updated_at, updated_by)
    ON sync_metadata.state TO sync_service;
GRANT INSERT (deployment_id, table_name, row_key, raw_row, reason),
      UPDATE (raw_row, reason, last_seen, attempts, resolved_at)
    ON sync_metadata.quarantine TO sync_service;
-- row_versions' cluster_name is named by the sync's batch inserts, once per
-- statement: a column default would call my_cluster() once per row. The
-- policy's WITH CHECK still holds it to the caller's own cluster.
GRANT INSERT (cluster_name, deployment_id, table_name, row_key, source_digest, target_digest, target_xmin,
              source_image, target_image),
      UPDATE (source_digest, target_digest, target_xmin, source_image, target_image)
    ON sync_metadata.row_versions TO sync_service;

-- The caller's own deployments and hosts, for the policies below. SECURITY
-- DEFINER would bypass RLS; these run as the caller, whose RLS already
-- shows only its own cluster's rows, and compare the cluster as well.
CREATE FUNCTION sync_metadata.my_deployments() RETURNS SETOF bigint
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT d.deployment_id FROM sync_metadata.client_deployments d
     WHERE d.cluster_name = sync_metadata.my_cluster()
$$;
CREATE FUNCTION sync_metadata.my_hosts() RETURNS SETOF bigint
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.host_id FROM sync_metadata.hosts h WHERE h.cluster_name = sync_metadata.my_cluster()
$$;
REVOKE ALL ON FUNCTION sync_metadata.my_deployments(), sync_metadata.my_hosts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sync_metadata.my_deployments(), sync_metadata.my_hosts() TO sync_service;

-- WITH CHECK runs before the row is stored: a row naming another cluster's
-- deployment or host never reaches a unique index, where it could wait on
-- or block that cluster's own row with the same key.
DO $$
DECLARE
    t text;
    own text := 'cluster_name = (SELECT sync_metadata.my_cluster())';
    dep text := ' AND deployment_id IN (SELECT sync_metadata.my_deployments())';
BEGIN
    FOREACH t IN ARRAY ARRAY['conflict_log', 'sync_progress', 'quarantine', 'row_versions'] LOOP
        EXECUTE format('DROP POLICY cluster_isolation ON sync_metadata.%I', t);
        EXECUTE format('CREATE POLICY cluster_isolation ON sync_metadata.%I TO sync_service'
                       ' USING (%s) WITH CHECK (%s%s)', t, own, own, dep);
    END LOOP;
    DROP POLICY cluster_isolation ON sync_metadata.sync_jobs;
    EXECUTE format('CREATE POLICY cluster_isolation ON sync_metadata.sync_jobs TO sync_service'
                   ' USING (%s) WITH CHECK (%s%s AND (host_id IS NULL OR host_id IN (SELECT sync_metadata.my_hosts())))',
                   own, own, dep);
    DROP POLICY cluster_isolation ON sync_metadata.leader_election;
    EXECUTE format('CREATE POLICY cluster_isolation ON sync_metadata.leader_election TO sync_service'
                   ' USING (%s) WITH CHECK (%s AND (holder_host_id IS NULL'
                   ' OR holder_host_id IN (SELECT sync_metadata.my_hosts())))', own, own);
END
$$;

-- The same as foreign keys on (id, cluster), for every writer. Rows a node
-- forged before this migration (another cluster's deployment or host) are
-- dropped or cut loose first; no honest writer made them.
DELETE FROM sync_metadata.row_versions v
 WHERE NOT EXISTS (SELECT 1 FROM sync_metadata.client_deployments d
                    WHERE d.deployment_id = v.deployment_id AND d.cluster_name = v.cluster_name);
ALTER TABLE sync_metadata.row_versions
    ADD CONSTRAINT row_versions_deployment_fkey FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name);

ALTER TABLE sync_metadata.hosts ADD CONSTRAINT hosts_host_id_cluster_name_key UNIQUE (host_id, cluster_name);
UPDATE sync_metadata.leader_election l SET holder_host_id = NULL, expires_at = '-infinity'
 WHERE NOT EXISTS (SELECT 1 FROM sync_metadata.hosts h
                    WHERE h.host_id = l.holder_host_id AND h.cluster_name = l.cluster_name)
   AND l.holder_host_id IS NOT NULL;
ALTER TABLE sync_metadata.leader_election
    DROP CONSTRAINT leader_election_holder_host_id_fkey,
    ADD CONSTRAINT leader_election_holder_fkey FOREIGN KEY (holder_host_id, cluster_name)
        REFERENCES sync_metadata.hosts (host_id, cluster_name);
UPDATE sync_metadata.sync_jobs j SET host_id = NULL
 WHERE NOT EXISTS (SELECT 1 FROM sync_metadata.hosts h
                    WHERE h.host_id = j.host_id AND h.cluster_name = j.cluster_name)
   AND j.host_id IS NOT NULL;
ALTER TABLE sync_metadata.sync_jobs
    DROP CONSTRAINT sync_jobs_host_id_fkey,
    ADD CONSTRAINT sync_jobs_host_fkey FOREIGN KEY (host_id, cluster_name)
        REFERENCES sync_metadata.hosts (host_id, cluster_name);

-- The audit trail: a conflict once settled stays as it was settled (the
-- node's column grants already keep both images from ever changing).
CREATE FUNCTION sync_metadata.keep_settled_conflict() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.outcome <> 'pending' THEN
        RAISE EXCEPTION 'conflict % is settled (%); its record cannot change', OLD.conflict_id, OLD.outcome
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.keep_settled_conflict() FROM PUBLIC;
CREATE TRIGGER conflict_log_keep_settled BEFORE UPDATE ON sync_metadata.conflict_log
    FOR EACH ROW EXECUTE FUNCTION sync_metadata.keep_settled_conflict();

-- A schema no capture function may ever touch, whatever a deployment says.
CREATE FUNCTION sync_metadata.reserved_schema(p_schema text) RETURNS boolean
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_schema IN ('sync_metadata', 'public', 'information_schema') OR p_schema ~ '^pg_'
$$;
REVOKE ALL ON FUNCTION sync_metadata.reserved_schema(text) FROM PUBLIC;

-- The caller's deployment whose target schema is p_schema, from admin-only
-- data; raises when there is none or the schema is reserved.
CREATE FUNCTION sync_metadata.own_target(p_schema text, OUT deployment_id bigint, OUT cluster_name text,
                                         OUT role_name text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT sync_metadata.reserved_schema(p_schema) THEN
        SELECT d.deployment_id, d.cluster_name, c.role_name INTO deployment_id, cluster_name, role_name
          FROM sync_metadata.client_deployments d
          JOIN sync_metadata.clusters c ON c.cluster_name = d.cluster_name
         WHERE d.target_schema = p_schema AND c.role_name = session_user;
    END IF;
    IF deployment_id IS NULL THEN
        RAISE EXCEPTION 'schema "%" is not a target schema of this cluster', p_schema
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.own_target(text) FROM PUBLIC;

-- The trigger's condition: every writer but the cluster's own login role.
-- session_user is the role that authenticated; no setting or SET ROLE a
-- non-superuser can make changes it.
CREATE FUNCTION sync_metadata.capture_trigger_sql(rel regclass, role_name text, args text) RETURNS text
    LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT format('CREATE TRIGGER tenantsync_capture AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW'
                  ' WHEN (session_user <> %L::name) EXECUTE FUNCTION sync_metadata.capture_write(%s)',
                  rel, role_name, args)
$$;
REVOKE ALL ON FUNCTION sync_metadata.capture_trigger_sql(regclass, text, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sync_metadata.install_capture(p_schema text, p_table text, p_keys text[], p_columns text[])
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    target   record;
    rel      regclass;
    existed  boolean;
    args     text;
    keys     text;
    col      text;
BEGIN
    SELECT * INTO target FROM sync_metadata.own_target(p_schema);
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'table "%"."%" does not exist', p_schema, p_table USING ERRCODE = 'undefined_table';
    END IF;
    IF coalesce(cardinality(p_keys), 0) = 0 OR coalesce(cardinality(p_columns), 0) = 0 THEN
        RAISE EXCEPTION 'capture needs key columns and columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH col IN ARRAY p_keys || p_columns LOOP
        IF col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute
                                       WHERE attrelid = rel AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" does not exist in %', col, rel USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
    existed := EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = rel AND tgname = 'tenantsync_capture');
    SELECT string_agg(quote_literal(a), ', ' ORDER BY n) INTO args
      FROM unnest(ARRAY[cardinality(p_keys)::text] || p_keys || p_columns) WITH ORDINALITY u(a, n);
    EXECUTE format('DROP TRIGGER IF EXISTS tenantsync_capture ON %s', rel);
    EXECUTE sync_metadata.capture_trigger_sql(rel, target.role_name, args);
    EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER tenantsync_capture', rel);
    IF NOT existed THEN
        SELECT string_agg(format('t.%I', k), ', ' ORDER BY n) INTO keys FROM unnest(p_keys) WITH ORDINALITY u(k, n);
        EXECUTE format('INSERT INTO sync_metadata.row_versions (cluster_name, deployment_id, table_name, row_key)'
                       ' SELECT $1, $2, $3, ROW(%s)::text FROM %s t'
                       ' ON CONFLICT (deployment_id, table_name, row_key) DO NOTHING', keys, rel)
            USING target.cluster_name, target.deployment_id, p_table;
    END IF;
    RETURN NOT existed;
END
$$;

CREATE OR REPLACE FUNCTION sync_metadata.prune_versions(p_schema text, p_table text, p_keys text[]) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET TimeZone = 'UTC' SET DateStyle = 'ISO, MDY' SET IntervalStyle = 'postgres'
    SET extra_float_digits = 1 SET bytea_output = 'hex'
AS $$
DECLARE
    dep     bigint;
    rel     regclass;
    keys    text;
    col     text;
    pruned  bigint;
BEGIN
    SELECT o.deployment_id INTO dep FROM sync_metadata.own_target(p_schema) o;
    SELECT c.oid INTO rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = p_schema AND c.relname = p_table AND c.relkind IN ('r', 'p');
    -- Only what the trigger will record from now on may be forgotten.
    IF rel IS NULL OR NOT EXISTS (SELECT 1 FROM pg_trigger
                                   WHERE tgrelid = rel AND tgname = 'tenantsync_capture' AND tgenabled = 'A') THEN
        RETURN 0;
    END IF;
    IF coalesce(cardinality(p_keys), 0) = 0 THEN
        RAISE EXCEPTION 'pruning needs key columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH col IN ARRAY p_keys LOOP
        IF col IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute
                                       WHERE attrelid = rel AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" does not exist in %', col, rel USING ERRCODE = 'undefined_column';
        END IF;
    END LOOP;
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

-- Existing capture triggers: those on a table outside the registered,
-- unreserved target schemas go (a node planted them); the others are
-- recreated with the login-role condition, their arguments and their
-- enabled state kept.
DO $$
DECLARE
    r     record;
    args  text;
    rest  bytea;
    cut   int;
BEGIN
    FOR r IN SELECT t.tgrelid::regclass AS rel, t.tgargs, t.tgenabled, c.role_name
               FROM pg_trigger t
               JOIN pg_class k ON k.oid = t.tgrelid
               JOIN pg_namespace n ON n.oid = k.relnamespace
               LEFT JOIN sync_metadata.client_deployments d
                      ON d.target_schema = n.nspname AND NOT sync_metadata.reserved_schema(n.nspname)
               LEFT JOIN sync_metadata.clusters c ON c.cluster_name = d.cluster_name
              WHERE t.tgname = 'tenantsync_capture' LOOP
        EXECUTE format('DROP TRIGGER tenantsync_capture ON %s', r.rel);
        CONTINUE WHEN r.role_name IS NULL;
        args := NULL;
        rest := r.tgargs;
        WHILE length(rest) > 0 LOOP          -- each argument ends with a NUL byte
            cut := position('\x00'::bytea IN rest);
            args := concat_ws(', ', args, quote_literal(convert_from(substring(rest FROM 1 FOR cut - 1),
                                                                     current_setting('server_encoding'))));
            rest := substring(rest FROM cut + 1);
        END LOOP;
        EXECUTE sync_metadata.capture_trigger_sql(r.rel, r.role_name, args);
        EXECUTE format('ALTER TABLE %s %s TRIGGER tenantsync_capture', r.rel,
                       CASE r.tgenabled WHEN 'D' THEN 'DISABLE' ELSE 'ENABLE ALWAYS' END);
    END LOOP;
END
$$;

-- What those planted triggers and install_capture() itself copied out of a
-- reserved schema into version rows (other clusters' state, conflict
-- images) goes too.
DELETE FROM sync_metadata.row_versions v USING sync_metadata.client_deployments d
 WHERE d.deployment_id = v.deployment_id AND sync_metadata.reserved_schema(d.target_schema);
