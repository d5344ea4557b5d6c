-- tenantsync metadata: the seven tables of the original system plus what the
-- design needs (cluster roles, state, quarantine). Every cluster-scoped row
-- carries cluster_name, which row-level security (002) compares with the
-- cluster bound to the session's login role.
--
-- Applied by sync-schema with the admin connection, in one transaction, and
-- recorded in sync_metadata.schema_migrations with its SHA-256.

CREATE SCHEMA IF NOT EXISTS sync_metadata;

-- One row per cluster (HA pair): the login role its nodes use. The binding is
-- what row-level security trusts; a session setting can be forged, this cannot.
CREATE TABLE sync_metadata.clusters (
    cluster_name text PRIMARY KEY CHECK (cluster_name ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    role_name    text NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    password_rotated_at timestamptz
);

-- The cluster bound to the login role of this session, or NULL. SECURITY
-- DEFINER so that the sync role needs no access to the clusters table;
-- search_path pinned so that nobody can shadow the table it reads.
CREATE FUNCTION sync_metadata.my_cluster() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.cluster_name FROM sync_metadata.clusters c WHERE c.role_name = session_user
$$;
REVOKE ALL ON FUNCTION sync_metadata.my_cluster() FROM PUBLIC;

CREATE TABLE sync_metadata.hosts (
    host_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster()
                   REFERENCES sync_metadata.clusters (cluster_name),
    hostname       text NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_heartbeat timestamptz NOT NULL DEFAULT clock_timestamp(),
    version        text,
    UNIQUE (hostname, cluster_name)
);

CREATE TABLE sync_metadata.client_deployments (
    deployment_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster()
                   REFERENCES sync_metadata.clusters (cluster_name),
    name           text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    sqlite_path    text NOT NULL,
    target_schema  text NOT NULL UNIQUE CHECK (length(target_schema) BETWEEN 1 AND 63),
    enabled        boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (deployment_id, cluster_name)
);

-- One lease row per cluster. epoch is the fencing token: it grows by one at
-- every change of leader.
CREATE TABLE sync_metadata.leader_election (
    cluster_name   text PRIMARY KEY DEFAULT sync_metadata.my_cluster()
                   REFERENCES sync_metadata.clusters (cluster_name),
    holder_host_id bigint REFERENCES sync_metadata.hosts (host_id),
    epoch          bigint NOT NULL DEFAULT 0,
    acquired_at    timestamptz,
    renewed_at     timestamptz,
    expires_at     timestamptz NOT NULL DEFAULT '-infinity'
);

CREATE TABLE sync_metadata.conflict_log (
    conflict_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster(),
    deployment_id  bigint NOT NULL,
    table_name     text NOT NULL,
    row_key        jsonb NOT NULL,
    source_row     json,            -- NULL: deleted at the source
    target_row     json,            -- NULL: deleted at the target
    strategy       text NOT NULL,
    outcome        text NOT NULL DEFAULT 'pending'
                   CHECK (outcome IN ('pending', 'source_applied', 'target_kept', 'merged', 'superseded')),
    resolved_row   json,
    resolved_by    text,
    resolved_at    timestamptz,
    detected_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    epoch          bigint,
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name)
);
CREATE INDEX conflict_log_pending ON sync_metadata.conflict_log (deployment_id, table_name)
    WHERE outcome = 'pending';

-- Cluster-wide cache invalidation for the state API (LISTEN/NOTIFY or polling).
CREATE TABLE sync_metadata.cache_events (
    event_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster()
                   REFERENCES sync_metadata.clusters (cluster_name),
    cache_key      text NOT NULL,
    event          text NOT NULL DEFAULT 'invalidate',
    origin_host_id bigint,
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE sync_metadata.sync_jobs (
    job_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name     text NOT NULL DEFAULT sync_metadata.my_cluster(),
    deployment_id    bigint NOT NULL,
    host_id          bigint REFERENCES sync_metadata.hosts (host_id),
    epoch            bigint,
    status           text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('requested', 'running', 'succeeded', 'failed')),
    requested_by     text,
    started_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at      timestamptz,
    rows_read        bigint NOT NULL DEFAULT 0,
    rows_written     bigint NOT NULL DEFAULT 0,
    rows_quarantined bigint NOT NULL DEFAULT 0,
    rows_deleted     bigint NOT NULL DEFAULT 0,
    error            text,
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name)
);
CREATE INDEX sync_jobs_recent ON sync_metadata.sync_jobs (deployment_id, started_at DESC);

-- Per table progress, written in the same transaction as the data it covers.
CREATE TABLE sync_metadata.sync_progress (
    deployment_id  bigint NOT NULL,
    table_name     text NOT NULL,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster(),
    watermark      text,            -- change column value reached (with overlap)
    last_key       jsonb,           -- keyset position inside the watermark
    rows_total     bigint NOT NULL DEFAULT 0,
    last_synced_at timestamptz,
    last_full_at   timestamptz,
    PRIMARY KEY (deployment_id, table_name),
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name)
);

-- Key/value state behind the status API; PostgreSQL is the authority.
CREATE TABLE sync_metadata.state (
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster()
                   REFERENCES sync_metadata.clusters (cluster_name),
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
    value          jsonb NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by     text,
    PRIMARY KEY (cluster_name, key)
);

-- Rows that could not be copied, with their raw image and the reason; retried
-- on every run. The sync role cannot DELETE, so resolution is a timestamp.
CREATE TABLE sync_metadata.quarantine (
    quarantine_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_name   text NOT NULL DEFAULT sync_metadata.my_cluster(),
    deployment_id  bigint NOT NULL,
    table_name     text NOT NULL,
    row_key        jsonb NOT NULL,
    raw_row        jsonb NOT NULL,
    reason         text NOT NULL,
    first_seen     timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_seen      timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts       integer NOT NULL DEFAULT 1,
    resolved_at    timestamptz,
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name)
);
CREATE UNIQUE INDEX quarantine_open_row ON sync_metadata.quarantine (deployment_id, table_name, row_key)
    WHERE resolved_at IS NULL;

-- Keeps updated_at honest on the tables operators edit.
CREATE FUNCTION sync_metadata.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END
$$;
CREATE TRIGGER client_deployments_touch BEFORE UPDATE ON sync_metadata.client_deployments
    FOR EACH ROW EXECUTE FUNCTION sync_metadata.touch_updated_at();
CREATE TRIGGER state_touch BEFORE UPDATE ON sync_metadata.state
    FOR EACH ROW EXECUTE FUNCTION sync_metadata.touch_updated_at();

-- A row's cluster never changes: a node cannot move a row out of its cluster
-- (RLS WITH CHECK would refuse it too; this says why, for the admin as well).
CREATE FUNCTION sync_metadata.keep_cluster_name() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.cluster_name IS DISTINCT FROM OLD.cluster_name THEN
        RAISE EXCEPTION 'cluster_name of a % row cannot change', TG_TABLE_NAME
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['hosts', 'client_deployments', 'leader_election', 'conflict_log',
                             'cache_events', 'sync_jobs', 'sync_progress', 'state', 'quarantine']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON sync_metadata.%I '
                       'FOR EACH ROW EXECUTE FUNCTION sync_metadata.keep_cluster_name()',
                       t || '_keep_cluster', t);
    END LOOP;
END
$$;
