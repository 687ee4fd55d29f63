CREATE TABLE "violation_search_values" (
	"org_id" uuid NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "violation_search_values" ADD CONSTRAINT "violation_search_values_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "violation_search_values_key_idx" ON "violation_search_values" USING btree ("org_id","key" text_pattern_ops,"kind","value");--> statement-breakpoint
-- The values of an organization's violated transactions, from scratch: the migration's backfill
-- and what a bulk load that went around the violations' insert (bench:api's seeding) runs after
-- it. The violations' insert keeps them otherwise (worker/violations/search.ts, keptSearchValues).
CREATE OR REPLACE FUNCTION violation_search_values_recount(org uuid) RETURNS void
  LANGUAGE sql
  AS $$
    DELETE FROM violation_search_values WHERE org_id = org;
    INSERT INTO violation_search_values (org_id, key, kind, value)
    SELECT DISTINCT f.org_id, substr(lower(f.value), i, 32), f.kind, f.value
    FROM (
      SELECT DISTINCT t.org_id, x.kind, x.value
      FROM (SELECT DISTINCT transaction_id FROM violations WHERE org_id = org) n
      JOIN transactions t ON t.id = n.transaction_id
      CROSS JOIN LATERAL (VALUES ('account', t.account), ('counterparty', t.counterparty)) AS x(kind, value)
      WHERE x.value <> '') f,
      generate_series(1, length(lower(f.value))) AS i;
  $$;
--> statement-breakpoint
-- Violations stored before this migration: the migrating role reads every organization's rows
-- through the system role's read policy, and the new table has no row-level security until
-- db/security.sql runs after the migrations.
SELECT violation_search_values_recount(id) FROM organizations;
