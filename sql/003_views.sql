-- Monitoring views. security_invoker (PostgreSQL 15+) makes each view run
-- with the reader's rights, so row-level security applies: a cluster's role
-- sees its own cluster only, the admin sees all.

-- Node health from heartbeat age: active < 2 min, degraded 2–5 min, offline > 5 min.
CREATE VIEW sync_metadata.v_cluster_health WITH (security_invoker = true) AS
SELECT h.host_id,
       h.cluster_name,
       h.hostname,
       h.last_heartbeat,
       extract(epoch FROM clock_timestamp() - h.last_heartbeat)::double precision AS heartbeat_age_seconds,
       CASE
           WHEN clock_timestamp() - h.last_heartbeat < interval '2 minutes' THEN 'active'
           WHEN clock_timestamp() - h.last_heartbeat <= interval '5 minutes' THEN 'degraded'
           ELSE 'offline'
       END AS status,
       (l.holder_host_id = h.host_id AND l.expires_at > clock_timestamp()) IS TRUE AS is_leader,
       l.epoch AS cluster_epoch,
       l.expires_at AS lease_expires_at
FROM sync_metadata.hosts h
LEFT JOIN sync_metadata.leader_election l ON l.cluster_name = h.cluster_name;

-- Per deployment: the last successful run, lag since then, and what waits.
CREATE VIEW sync_metadata.v_sync_lag WITH (security_invoker = true) AS
SELECT d.deployment_id,
       d.name,
       d.cluster_name,
       d.target_schema,
       d.enabled,
       ok.finished_at AS last_success_at,
       extract(epoch FROM clock_timestamp() - ok.finished_at)::double precision AS lag_seconds,
       last.status AS last_status,
       last.error AS last_error,
       (SELECT count(*) FROM sync_metadata.conflict_log c
         WHERE c.deployment_id = d.deployment_id AND c.outcome = 'pending') AS pending_conflicts,
       (SELECT count(*) FROM sync_metadata.quarantine q
         WHERE q.deployment_id = d.deployment_id AND q.resolved_at IS NULL) AS quarantined_rows
FROM sync_metadata.client_deployments d
LEFT JOIN LATERAL (
    SELECT j.finished_at FROM sync_metadata.sync_jobs j
    WHERE j.deployment_id = d.deployment_id AND j.status = 'succeeded'
    ORDER BY j.finished_at DESC LIMIT 1) ok ON true
LEFT JOIN LATERAL (
    SELECT j.status, j.error FROM sync_metadata.sync_jobs j
    WHERE j.deployment_id = d.deployment_id
    ORDER BY j.started_at DESC LIMIT 1) last ON true;

CREATE VIEW sync_metadata.v_pending_conflicts WITH (security_invoker = true) AS
SELECT c.conflict_id,
       c.cluster_name,
       d.name AS deployment,
       c.table_name,
       c.row_key,
       c.strategy,
       c.detected_at,
       extract(epoch FROM clock_timestamp() - c.detected_at)::double precision AS age_seconds
FROM sync_metadata.conflict_log c
JOIN sync_metadata.client_deployments d ON d.deployment_id = c.deployment_id
WHERE c.outcome = 'pending';

REVOKE ALL ON sync_metadata.v_cluster_health, sync_metadata.v_sync_lag, sync_metadata.v_pending_conflicts FROM PUBLIC;
GRANT SELECT ON sync_metadata.v_cluster_health, sync_metadata.v_sync_lag, sync_metadata.v_pending_conflicts
    TO sync_service;
