DROP INDEX "violations_org_status_idx";--> statement-breakpoint
DROP INDEX "violations_org_rule_idx";--> statement-breakpoint
CREATE INDEX "violations_org_status_priority_idx" ON "violations" USING btree ("org_id","status","severity_rank","risk_score","detected_at","id");--> statement-breakpoint
CREATE INDEX "violations_org_rule_priority_idx" ON "violations" USING btree ("org_id","rule_id","severity_rank","risk_score","detected_at","id");