-- Fleet scale (docs/sync.md, "No-change runs"; docs/operations.md, "Retention").
--
-- A server hosts hundreds of tenants on a 5-second timer, and one database
-- serves many servers. So:
--
--   * deployment_state: one row per deployment with what sync-run must know
--     to skip an unchanged tenant (the file fingerprint of its last clean
--     run and when the next reconcile is due) and the running totals that
--     /metrics reports. An idle tick updates these rows in place; it adds
--     no row anywhere. sync_jobs keeps a row only for a run that wrote,
--     quarantined, deleted or failed.
--   * Every metadata query a node runs can use an index that leads with its
--     cluster or its deployment: other clusters' history costs it nothing.
--   * History is pruned by the admin (`sync-schema prune`); conflicts
--     pruned from conflict_log are folded into pruned_conflicts first, so
--     the counters in /metrics never go down.

CREATE TABLE sync_metadata.deployment_state (
    deployment_id     bigint PRIMARY KEY,
    cluster_name      text NOT NULL DEFAULT sync_metadata.my_cluster(),
    -- The source file's fingerprint and the settings it was synced with,
    -- stored only after a run that left nothing behind (no error, no open
    -- quarantine, no pass cut short). NULL: the next run reads.
    skip_key          text,
    reconcile_due_at  timestamptz,
    last_checked_at   timestamptz,
    last_success_at   timestamptz,
    last_status       text CHECK (last_status IN ('succeeded', 'failed')),
    last_error        text,
    runs_succeeded    bigint NOT NULL DEFAULT 0,
    runs_failed       bigint NOT NULL DEFAULT 0,
    rows_read         bigint NOT NULL DEFAULT 0,
    rows_written      bigint NOT NULL DEFAULT 0,
    rows_quarantined  bigint NOT NULL DEFAULT 0,
    rows_deleted      bigint NOT NULL DEFAULT 0,
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name) ON DELETE CASCADE
);
CREATE INDEX deployment_state_cluster ON sync_metadata.deployment_state (cluster_name, deployment_id);
CREATE TRIGGER deployment_state_keep_cluster BEFORE UPDATE ON sync_metadata.deployment_state
    FOR EACH ROW EXECUTE FUNCTION sync_metadata.keep_cluster_name();

-- The totals so far, so that /metrics counters continue where they were.
-- A node could set its own jobs' row counts to anything (negative, or huge
-- enough to overflow a sum): each is clamped, so no row blocks the upgrade.
CREATE FUNCTION pg_temp.clamped_sum(numeric) RETURNS bigint LANGUAGE sql IMMUTABLE
AS $$ SELECT least(greatest(coalesce($1, 0), 0), 9223372036854775807)::bigint $$;
INSERT INTO sync_metadata.deployment_state
       (deployment_id, cluster_name, last_success_at, last_status, last_error, runs_succeeded, runs_failed,
        rows_read, rows_written, rows_quarantined, rows_deleted)
SELECT d.deployment_id, d.cluster_name, ok.finished_at, last.status, last.error,
       coalesce(t.succeeded, 0), coalesce(t.failed, 0), pg_temp.clamped_sum(t.rows_read),
       pg_temp.clamped_sum(t.rows_written), pg_temp.clamped_sum(t.rows_quarantined),
       pg_temp.clamped_sum(t.rows_deleted)
  FROM sync_metadata.client_deployments d
  LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE j.status = 'succeeded') AS succeeded,
             count(*) FILTER (WHERE j.status = 'failed') AS failed,
             sum(greatest(j.rows_read, 0)::numeric) AS rows_read,
             sum(greatest(j.rows_written, 0)::numeric) AS rows_written,
             sum(greatest(j.rows_quarantined, 0)::numeric) AS rows_quarantined,
             sum(greatest(j.rows_deleted, 0)::numeric) AS rows_deleted
        FROM sync_metadata.sync_jobs j
       WHERE j.deployment_id = d.deployment_id
         AND (j.requested_by IS NULL OR j.requested_by NOT LIKE 'sync-status@%')) t ON true
  LEFT JOIN LATERAL (
      SELECT j.finished_at FROM sync_metadata.sync_jobs j
       WHERE j.deployment_id = d.deployment_id AND j.status = 'succeeded'
       ORDER BY j.finished_at DESC LIMIT 1) ok ON true
  LEFT JOIN LATERAL (
      SELECT j.status, j.error FROM sync_metadata.sync_jobs j
       WHERE j.deployment_id = d.deployment_id AND j.status IN ('succeeded', 'failed')
       ORDER BY j.started_at DESC LIMIT 1) last ON true;

ALTER TABLE sync_metadata.deployment_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY cluster_isolation ON sync_metadata.deployment_state TO sync_service
    USING (cluster_name = (SELECT sync_metadata.my_cluster()))
    WITH CHECK (cluster_name = (SELECT sync_metadata.my_cluster())
                AND deployment_id IN (SELECT sync_metadata.my_deployments()));
REVOKE ALL ON sync_metadata.deployment_state FROM PUBLIC;
GRANT SELECT ON sync_metadata.deployment_state TO sync_service;
GRANT INSERT (deployment_id, skip_key, reconcile_due_at, last_checked_at, last_success_at, last_status,
              last_error, runs_succeeded, runs_failed, rows_read, rows_written, rows_quarantined, rows_deleted),
      UPDATE (skip_key, reconcile_due_at, last_checked_at, last_success_at, last_status, last_error,
              runs_succeeded, runs_failed, rows_read, rows_written, rows_quarantined, rows_deleted)
    ON sync_metadata.deployment_state TO sync_service;

-- A run is recorded once, when it ends.
GRANT INSERT (started_at, finished_at, rows_read, rows_written, rows_quarantined, rows_deleted, error)
    ON sync_metadata.sync_jobs TO sync_service;

-- A conflict's strategy is one of the five, and its table name a name: a
-- node writes both, and an unbounded value could not be counted under an
-- index when pruned (a btree entry is at most about 2.7 kB). NOT VALID:
-- rows from before are not checked; the prune truncates what it counts.
ALTER TABLE sync_metadata.conflict_log
    ADD CONSTRAINT conflict_log_strategy_known
        CHECK (strategy IN ('newest_wins', 'source_wins', 'target_wins', 'merge', 'manual')) NOT VALID,
    ADD CONSTRAINT conflict_log_table_name_length CHECK (octet_length(table_name) <= 255) NOT VALID;

-- Conflicts removed by a prune, counted, so that the totals stay whole.
-- Written by the admin only.
CREATE TABLE sync_metadata.pruned_conflicts (
    deployment_id  bigint NOT NULL,
    cluster_name   text NOT NULL,
    table_name     text NOT NULL,
    strategy       text NOT NULL,
    outcome        text NOT NULL,
    conflicts      bigint NOT NULL,
    PRIMARY KEY (cluster_name, deployment_id, table_name, strategy, outcome),
    FOREIGN KEY (deployment_id, cluster_name)
        REFERENCES sync_metadata.client_deployments (deployment_id, cluster_name) ON DELETE CASCADE
);
ALTER TABLE sync_metadata.pruned_conflicts ENABLE ROW LEVEL SECURITY;
CREATE POLICY cluster_isolation ON sync_metadata.pruned_conflicts FOR SELECT TO sync_service
    USING (cluster_name = (SELECT sync_metadata.my_cluster()));
REVOKE ALL ON sync_metadata.pruned_conflicts FROM PUBLIC;
GRANT SELECT ON sync_metadata.pruned_conflicts TO sync_service;

-- Indexes that lead with the cluster (or the deployment), for the status
-- queries, and with age, for the prune.
CREATE INDEX client_deployments_cluster ON sync_metadata.client_deployments (cluster_name, name);
CREATE INDEX hosts_cluster ON sync_metadata.hosts (cluster_name);
CREATE INDEX conflict_log_cluster ON sync_metadata.conflict_log (cluster_name, deployment_id);
CREATE INDEX conflict_log_settled ON sync_metadata.conflict_log (resolved_at) WHERE outcome <> 'pending';
CREATE INDEX quarantine_open ON sync_metadata.quarantine (cluster_name, deployment_id) WHERE resolved_at IS NULL;
CREATE INDEX quarantine_resolved ON sync_metadata.quarantine (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX sync_jobs_open ON sync_metadata.sync_jobs (cluster_name, deployment_id)
    WHERE status IN ('requested', 'running');
CREATE INDEX sync_jobs_finished ON sync_metadata.sync_jobs (finished_at);
CREATE INDEX cache_events_created ON sync_metadata.cache_events (created_at);

-- Lag from deployment_state: one row per deployment, whatever the history.
CREATE OR REPLACE VIEW sync_metadata.v_sync_lag WITH (security_invoker = true) AS
SELECT d.deployment_id,
       d.name,
       d.cluster_name,
       d.target_schema,
       d.enabled,
       s.last_success_at,
       extract(epoch FROM clock_timestamp() - s.last_success_at)::double precision AS lag_seconds,
       s.last_status,
       s.last_error,
       (SELECT count(*) FROM sync_metadata.conflict_log c
         WHERE c.deployment_id = d.deployment_id AND c.outcome = 'pending') AS pending_conflicts,
       (SELECT count(*) FROM sync_metadata.quarantine q
         WHERE q.deployment_id = d.deployment_id AND q.resolved_at IS NULL) AS quarantined_rows
FROM sync_metadata.client_deployments d
LEFT JOIN sync_metadata.deployment_state s ON s.deployment_id = d.deployment_id;
