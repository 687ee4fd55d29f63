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
CREATE INDEX "risk_models_org_ready_idx" ON "risk_models" USING btree ("org_id","version") WHERE status = 'ready';
