CREATE TABLE "risk_models" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" text DEFAULT 'training' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" uuid,
	"features" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"transactions" integer DEFAULT 0 NOT NULL,
	"statistics" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"model" jsonb,
	"scoring_total" integer DEFAULT 0 NOT NULL,
	"scoring_chunks" integer DEFAULT 0 NOT NULL,
	"scoring_chunks_done" integer DEFAULT 0 NOT NULL,
	"error" text,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"trained_at" timestamp with time zone,
	"scored_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "anomaly_score" numeric(5, 4);--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "anomaly_factors" jsonb;--> statement-breakpoint
ALTER TABLE "risk_models" ADD CONSTRAINT "risk_models_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "risk_models" ADD CONSTRAINT "risk_models_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "risk_models_org_version_unique" ON "risk_models" USING btree ("org_id","version");--> statement-breakpoint
CREATE INDEX "risk_models_org_ready_idx" ON "risk_models" USING btree ("org_id","version") WHERE status = 'ready';--> statement-breakpoint
-- The jobs view of 0012_operations and 0013_reports, now with model trainings (read from risk_models:
-- a run is training until its forest is stored, then succeeded; its scoring of older rows follows).
-- Every background job in one shape (GET /api/jobs, worker/operations/jobs.ts). security_invoker:
-- the caller's row-level security applies to each table beneath, so a tenant sees its own jobs.
-- Statuses: queued | running | retrying (an attempt failed and is being retried) | succeeded | failed.
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
