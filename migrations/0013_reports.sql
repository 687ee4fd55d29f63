CREATE TABLE "report_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"type" text NOT NULL,
	"format" text NOT NULL,
	"cadence" text NOT NULL,
	"channel_id" uuid NOT NULL,
	"next_run_at" timestamp with time zone NOT NULL,
	"last_run_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"type" text NOT NULL,
	"format" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"range_from" timestamp with time zone NOT NULL,
	"range_to" timestamp with time zone NOT NULL,
	"rows_total" bigint DEFAULT 0 NOT NULL,
	"rows_done" bigint DEFAULT 0 NOT NULL,
	"size" bigint,
	"object_key" text,
	"sha256" text,
	"error" text,
	"schedule_id" uuid,
	"requested_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_channel_id_alert_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."alert_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_schedules" ADD CONSTRAINT "report_schedules_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_schedule_id_report_schedules_id_fk" FOREIGN KEY ("schedule_id") REFERENCES "public"."report_schedules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "report_schedules_due_idx" ON "report_schedules" USING btree ("next_run_at");--> statement-breakpoint
CREATE INDEX "reports_org_created_idx" ON "reports" USING btree ("org_id","created_at" DESC NULLS LAST,"id");--> statement-breakpoint
-- The jobs view of 0012_operations, now with report runs (read from their own table, like scans).
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
  SELECT j.id, j.org_id, j.kind, j.status, j.error, j.created_at, j.started_at, j.finished_at
  FROM job_runs j;
