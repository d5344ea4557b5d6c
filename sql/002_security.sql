-- Least privilege and row-level security (docs/security.md).
--
-- sync_service is the group role every cluster's login role belongs to: it may
-- SELECT, INSERT and UPDATE the metadata, never DELETE, TRUNCATE or change the
-- schema. Rows are isolated per cluster by comparing cluster_name with
-- my_cluster(), which looks up session_user in sync_metadata.clusters. A node
-- that sets app.current_host_id (the original system's key) to another
-- cluster's host gains nothing: no policy reads that setting.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sync_service') THEN
        CREATE ROLE sync_service NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA sync_metadata FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA sync_metadata FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA sync_metadata FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA sync_metadata FROM PUBLIC;

GRANT USAGE ON SCHEMA sync_metadata TO sync_service;
GRANT EXECUTE ON FUNCTION sync_metadata.my_cluster() TO sync_service;
GRANT SELECT ON sync_metadata.schema_migrations TO sync_service;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['hosts', 'client_deployments', 'leader_election', 'conflict_log',
                             'cache_events', 'sync_jobs', 'sync_progress', 'state', 'quarantine']
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE ON sync_metadata.%I TO sync_service', t);
        EXECUTE format('ALTER TABLE sync_metadata.%I ENABLE ROW LEVEL SECURITY', t);
        -- Wrapped in a sub-select so it is evaluated once per statement.
        EXECUTE format('CREATE POLICY cluster_isolation ON sync_metadata.%I TO sync_service '
                       'USING (cluster_name = (SELECT sync_metadata.my_cluster())) '
                       'WITH CHECK (cluster_name = (SELECT sync_metadata.my_cluster()))', t);
    END LOOP;
END
$$;

-- Neither the role bindings nor the ledger are the nodes' business; RLS on with
-- no policy for sync_service means no row even if a grant slipped in later.
ALTER TABLE sync_metadata.clusters ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_metadata.schema_migrations ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable ON sync_metadata.schema_migrations FOR SELECT TO sync_service USING (true);

-- Grants a cluster's login role what it needs on a tenant schema: the tables
-- there now and those created later by the admin (or by the schema's owner,
-- e.g. Open WebUI's own migrations, when the caller may act for that owner).
-- DELETE is granted here (deletes propagate); TRUNCATE, CREATE and ALTER never.
CREATE FUNCTION sync_metadata.grant_client_access(p_cluster text, p_schema text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role  text;
    v_owner text;
BEGIN
    SELECT role_name INTO v_role FROM sync_metadata.clusters WHERE cluster_name = p_cluster;
    IF v_role IS NULL THEN
        RAISE EXCEPTION 'unknown cluster "%"', p_cluster USING ERRCODE = 'no_data_found';
    END IF;
    SELECT pg_get_userbyid(nspowner) INTO v_owner FROM pg_namespace WHERE nspname = p_schema;
    IF v_owner IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', p_schema USING ERRCODE = 'invalid_schema_name';
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', p_schema, v_role);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', p_schema, v_role);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', p_schema, v_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I',
                   p_schema, v_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I',
                   p_schema, v_role);
    IF v_owner <> current_user AND pg_has_role(current_user, v_owner, 'MEMBER') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', v_owner, p_schema, v_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I '
                       'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', v_owner, p_schema, v_role);
    END IF;
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.grant_client_access(text, text) FROM PUBLIC;

-- The reverse, for `sync-schema deployment remove`: the data stays.
CREATE FUNCTION sync_metadata.revoke_client_access(p_cluster text, p_schema text) RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_role  text;
    v_owner text;
BEGIN
    SELECT role_name INTO v_role FROM sync_metadata.clusters WHERE cluster_name = p_cluster;
    SELECT pg_get_userbyid(nspowner) INTO v_owner FROM pg_namespace WHERE nspname = p_schema;
    IF v_role IS NULL OR v_owner IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON TABLES FROM %I', p_schema, v_role);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I', p_schema, v_role);
    IF v_owner <> current_user AND pg_has_role(current_user, v_owner, 'MEMBER') THEN
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON TABLES FROM %I',
                       v_owner, p_schema, v_role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I REVOKE ALL ON SEQUENCES FROM %I',
                       v_owner, p_schema, v_role);
    END IF;
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', p_schema, v_role);
    EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', p_schema, v_role);
    EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', p_schema, v_role);
END
$$;
REVOKE ALL ON FUNCTION sync_metadata.revoke_client_access(text, text) FROM PUBLIC;
