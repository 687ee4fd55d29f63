CREATE TABLE "case_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"type" text NOT NULL,
	"actor_id" uuid,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_settings" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"auto_create_min_severity" text DEFAULT 'high',
	"group_by" text DEFAULT 'account' NOT NULL,
	"auto_assign" boolean DEFAULT false NOT NULL,
	"sla_critical_minutes" integer DEFAULT 1440 NOT NULL,
	"sla_high_minutes" integer DEFAULT 4320 NOT NULL,
	"sla_medium_minutes" integer DEFAULT 10080 NOT NULL,
	"sla_low_minutes" integer DEFAULT 20160 NOT NULL,
	"next_number" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"priority" text NOT NULL,
	"assignee_id" uuid,
	"assigned_at" timestamp with time zone,
	"account" text,
	"grouped" boolean DEFAULT false NOT NULL,
	"violation_count" integer DEFAULT 0 NOT NULL,
	"sla_minutes" integer NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"due_soon_at" timestamp with time zone NOT NULL,
	"paused_at" timestamp with time zone,
	"escalated" boolean DEFAULT false NOT NULL,
	"escalated_at" timestamp with time zone,
	"outcome" text,
	"close_reason" text,
	"closed_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rule_snoozes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"rule_id" uuid NOT NULL,
	"account" text NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "case_id" uuid;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_actor_id_users_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_settings" ADD CONSTRAINT "case_settings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_snoozes" ADD CONSTRAINT "rule_snoozes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_snoozes" ADD CONSTRAINT "rule_snoozes_rule_id_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rule_snoozes" ADD CONSTRAINT "rule_snoozes_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_events_case_idx" ON "case_events" USING btree ("case_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_org_number_unique" ON "cases" USING btree ("org_id","number");--> statement-breakpoint
CREATE INDEX "cases_org_status_idx" ON "cases" USING btree ("org_id","status","number");--> statement-breakpoint
CREATE INDEX "cases_org_assignee_idx" ON "cases" USING btree ("org_id","assignee_id","number");--> statement-breakpoint
CREATE INDEX "cases_org_priority_idx" ON "cases" USING btree ("org_id","priority","number");--> statement-breakpoint
CREATE INDEX "cases_org_account_idx" ON "cases" USING btree ("org_id","account","number");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_open_account_unique" ON "cases" USING btree ("org_id","account") WHERE grouped and status <> 'closed';--> statement-breakpoint
CREATE INDEX "cases_running_due_idx" ON "cases" USING btree ("org_id","due_at") WHERE status in ('open', 'investigating');--> statement-breakpoint
CREATE INDEX "cases_running_due_soon_idx" ON "cases" USING btree ("org_id","due_soon_at") WHERE status in ('open', 'investigating');--> statement-breakpoint
CREATE INDEX "cases_unescalated_due_idx" ON "cases" USING btree ("due_at") WHERE status in ('open', 'investigating') and not escalated;--> statement-breakpoint
CREATE INDEX "rule_snoozes_rule_idx" ON "rule_snoozes" USING btree ("org_id","rule_id","account");--> statement-breakpoint
ALTER TABLE "violations" ADD CONSTRAINT "violations_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "violations_case_idx" ON "violations" USING btree ("case_id");-- Row-level security for these tables (each has org_id) comes from db/security.sql, re-applied after every migration run.
