-- Roles, row-level security, grants and the audit chain. Applied after every migration run;
-- every statement is idempotent, so new tenant tables are covered by simply re-running it.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nitilens_app') THEN
    CREATE ROLE nitilens_app NOLOGIN NOBYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nitilens_system') THEN
    CREATE ROLE nitilens_system NOLOGIN NOBYPASSRLS;
  END IF;
END $$;

-- The connecting (migrating) user switches into these roles inside each transaction.
GRANT nitilens_app TO CURRENT_USER;
GRANT nitilens_system TO CURRENT_USER;

-- NULL when no tenant is set, so a query without tenant context sees zero rows.
CREATE OR REPLACE FUNCTION app_current_org() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;

-- Every background job in one shape (GET /api/jobs, worker/operations/jobs.ts), defined here once and
-- kept current by every migration run: a new job kind adds its branch here (columns may only be
-- appended: CREATE OR REPLACE VIEW). Before the grants below, which cover it as one of ALL TABLES.
-- security_invoker: the caller's row-level security applies to each table beneath, so a tenant
-- sees its own jobs. Statuses: queued | running | retrying (an attempt failed and is being
-- retried) | succeeded | failed.
CREATE OR REPLACE VIEW "jobs" WITH (security_invoker = true) AS
  SELECT s.id, s.org_id, 'scan'::text AS kind,
    CASE
      WHEN s.status = 'completed' THEN 'succeeded'
      WHEN s.status = 'running' AND EXISTS (
        SELECT 1 FROM scan_chunks c WHERE c.scan_id = s.id AND c.status = 'pending' AND c.attempts > 0
      ) THEN 'retrying'
      ELSE s.status
    END AS status,
    coalesce(s.error, (
      SELECT c.error FROM scan_chunks c
      WHERE c.scan_id = s.id AND c.status = 'pending' AND c.error IS NOT NULL
      ORDER BY c.updated_at DESC LIMIT 1
    )) AS error,
    s.created_at, s.started_at, s.finished_at
  FROM scans s
  UNION ALL
  SELECT r.id, r.org_id, 'connector_run', r.status, r.error, r.created_at, r.started_at, r.finished_at
  FROM connector_runs r
  UNION ALL
  SELECT d.id, d.org_id, 'alert_delivery',
    CASE
      WHEN d.status = 'delivered' THEN 'succeeded'
      WHEN d.status = 'pending' AND d.attempts > 0 THEN 'retrying'
      WHEN d.status = 'pending' THEN 'queued'
      ELSE d.status
    END,
    d.last_error, d.created_at, d.created_at, coalesce(d.finished_at, d.delivered_at)
  FROM alert_deliveries d
  UNION ALL
  SELECT p.id, p.org_id, 'report_run',
    CASE WHEN p.status = 'completed' THEN 'succeeded' ELSE p.status END,
    p.error, p.created_at, p.started_at, p.finished_at
  FROM reports p
  UNION ALL
  SELECT m.id, m.org_id, 'model_training',
    CASE m.status WHEN 'training' THEN 'running' WHEN 'ready' THEN 'succeeded' ELSE m.status END,
    m.error, m.requested_at, m.requested_at, m.trained_at
  FROM risk_models m
  UNION ALL
  SELECT j.id, j.org_id, j.kind, j.status, j.error, j.created_at, j.started_at, j.finished_at
  FROM job_runs j;

GRANT USAGE ON SCHEMA public TO nitilens_app, nitilens_system;
GRANT EXECUTE ON FUNCTION app_current_org() TO nitilens_app, nitilens_system;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO nitilens_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO nitilens_app;
REVOKE INSERT, UPDATE, DELETE ON plans FROM nitilens_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM nitilens_app;
-- Deleting an organization would cascade to its audit trail.
REVOKE DELETE ON organizations FROM nitilens_app;

-- The system role reads only what cross-organization lookups need.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM nitilens_system;
GRANT SELECT ON organizations, plans, subscriptions, usage, users, refresh_tokens, ingest_sources, scan_schedules,
  policies TO nitilens_system;
-- The alert sweeper finds deliveries whose queue message went missing, and digests no hub was told about.
GRANT SELECT ON alert_deliveries, alert_digest_items TO nitilens_system;
-- The minute sweep finds organizations with a case past its deadline that no hub alarm escalated.
GRANT SELECT ON cases TO nitilens_system;
-- The connectors cron finds the connectors whose schedule is due.
GRANT SELECT ON connectors TO nitilens_system;
-- The operators' jobs console (GET /api/admin/jobs) lists every organization's jobs.
GRANT SELECT ON jobs, scans, scan_chunks, connector_runs, job_runs, reports, risk_models TO nitilens_system;
-- The reports cron finds the report schedules that are due.
GRANT SELECT ON report_schedules TO nitilens_system;

-- Every table with an org_id column is a tenant table.
DO $$
DECLARE
  tenant_table text;
BEGIN
  FOR tenant_table IN
    SELECT c.table_name
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND c.column_name = 'org_id' AND t.table_type = 'BASE TABLE'
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %I', tenant_table);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I TO nitilens_app USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())',
      tenant_table);
    EXECUTE format('DROP POLICY IF EXISTS system_read ON %I', tenant_table);
    EXECUTE format('CREATE POLICY system_read ON %I FOR SELECT TO nitilens_system USING (true)', tenant_table);
  END LOOP;
END $$;

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON organizations;
CREATE POLICY tenant_isolation ON organizations TO nitilens_app
  USING (id = app_current_org()) WITH CHECK (id = app_current_org());
DROP POLICY IF EXISTS system_read ON organizations;
CREATE POLICY system_read ON organizations FOR SELECT TO nitilens_system USING (true);

-- Audit chain: hash = sha256(previous hash || canonical row), per organization, in insert order.
CREATE OR REPLACE FUNCTION audit_canonical(a audit_log) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT concat_ws('|', a.org_id, a.seq, coalesce(a.actor_id::text, ''), a.action,
      coalesce(a.target_type, ''), coalesce(a.target_id, ''), coalesce(a.ip, ''), coalesce(a.user_agent, ''),
      to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), a.details::text)
  $$;

CREATE OR REPLACE FUNCTION audit_digest(prev_hash text, a audit_log) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $$ SELECT encode(sha256(convert_to(prev_hash || audit_canonical(a), 'UTF8')), 'hex') $$;

CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    last_row audit_log%ROWTYPE;
  BEGIN
    -- Serialize appends per organization so two writers never chain onto the same row.
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || NEW.org_id::text, 0));
    SELECT * INTO last_row FROM audit_log WHERE org_id = NEW.org_id ORDER BY seq DESC LIMIT 1;
    NEW.seq := coalesce(last_row.seq, 0) + 1;
    NEW.prev_hash := coalesce(last_row.hash, '');
    NEW.created_at := date_trunc('microseconds', clock_timestamp());
    NEW.hash := audit_digest(NEW.prev_hash, NEW);
    RETURN NEW;
  END
  $$;

DROP TRIGGER IF EXISTS audit_log_chain ON audit_log;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

GRANT EXECUTE ON FUNCTION audit_canonical(audit_log), audit_digest(text, audit_log) TO nitilens_app;

-- The plans subscriptions may name; their prices, limits and features live in worker/subscription/catalogue.ts.
INSERT INTO plans (id, name) VALUES ('basic', 'Basic'), ('pro', 'Pro'), ('enterprise', 'Enterprise')
ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
