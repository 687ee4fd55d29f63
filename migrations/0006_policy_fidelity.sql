ALTER TABLE "policy_clauses" ADD COLUMN "not_enforced" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD COLUMN "assumptions" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD COLUMN "not_enforced" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD COLUMN "extracted" jsonb;--> statement-breakpoint
ALTER TABLE "policy_rule_origins" ADD COLUMN "grounding" text DEFAULT 'grounded' NOT NULL;