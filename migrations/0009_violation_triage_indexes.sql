DROP INDEX "violations_org_severity_idx";--> statement-breakpoint
DROP INDEX "violations_org_status_idx";--> statement-breakpoint
DROP INDEX "violations_org_detected_idx";--> statement-breakpoint
ALTER TABLE "violations" ADD COLUMN "severity_rank" smallint GENERATED ALWAYS AS (case severity when 'low' then 1 when 'medium' then 2 when 'high' then 3 when 'critical' then 4 end) STORED;--> statement-breakpoint
CREATE INDEX "violations_org_priority_idx" ON "violations" USING btree ("org_id","severity_rank","risk_score","detected_at","id");--> statement-breakpoint
CREATE INDEX "violations_org_risk_idx" ON "violations" USING btree ("org_id","risk_score","detected_at","id");--> statement-breakpoint
CREATE INDEX "violations_org_status_idx" ON "violations" USING btree ("org_id","status","detected_at","id");--> statement-breakpoint
CREATE INDEX "violations_org_detected_idx" ON "violations" USING btree ("org_id","detected_at","id");