CREATE TABLE "policy_rule_origins" (
	"rule_id" uuid PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"policy_id" uuid NOT NULL,
	"policy_version_id" uuid NOT NULL,
	"clause_key" text NOT NULL,
	"reason" text NOT NULL,
	"ordinal" integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE "policy_versions" ADD COLUMN "changes" jsonb;--> statement-breakpoint
ALTER TABLE "policy_versions" ADD COLUMN "extractor" text DEFAULT 'deterministic' NOT NULL;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD CONSTRAINT "policy_rule_origins_rule_id_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD CONSTRAINT "policy_rule_origins_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD CONSTRAINT "policy_rule_origins_policy_id_policies_id_fk" FOREIGN KEY ("policy_id") REFERENCES "public"."policies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD CONSTRAINT "policy_rule_origins_policy_version_id_policy_versions_id_fk" FOREIGN KEY ("policy_version_id") REFERENCES "public"."policy_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "policy_rule_origins_version_idx" ON "policy_rule_origins" USING btree ("org_id","policy_version_id");