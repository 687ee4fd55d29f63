CREATE TABLE "job_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"subject_id" uuid,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "job_runs" ADD CONSTRAINT "job_runs_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_runs_org_created_idx" ON "job_runs" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "job_runs_created_idx" ON "job_runs" USING btree ("created_at");--> statement-breakpoint
UPDATE "alert_deliveries" SET "finished_at" = "delivered_at" WHERE "status" = 'delivered';--> statement-breakpoint
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
  SELECT j.id, j.org_id, j.kind, j.status, j.error, j.created_at, j.started_at, j.finished_at
  FROM job_runs j;
