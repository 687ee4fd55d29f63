CREATE TABLE "case_open_counts" (
	"org_id" uuid NOT NULL,
	"assignee_id" uuid,
	"cases" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "case_open_counts_assignee_unique" UNIQUE NULLS NOT DISTINCT("org_id","assignee_id")
);
--> statement-breakpoint
CREATE TABLE "case_search_keys" (
	"org_id" uuid NOT NULL,
	"case_id" uuid NOT NULL,
	"key" text NOT NULL,
	CONSTRAINT "case_search_keys_case_id_key_pk" PRIMARY KEY("case_id","key")
);
--> statement-breakpoint
ALTER TABLE "case_open_counts" ADD CONSTRAINT "case_open_counts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_search_keys" ADD CONSTRAINT "case_search_keys_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_search_keys" ADD CONSTRAINT "case_search_keys_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_search_keys_key_idx" ON "case_search_keys" USING btree ("org_id","key" text_pattern_ops,"case_id");--> statement-breakpoint
-- The words a case is found by: its title and account, lowercased, split on anything but letters and digits.
CREATE OR REPLACE FUNCTION case_search_words(title text, account text) RETURNS SETOF text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT DISTINCT w FROM regexp_split_to_table(lower(coalesce(title, '') || ' ' || coalesce(account, '')), '[^[:alnum:]]+') w
    WHERE w <> ''
  $$;
--> statement-breakpoint
-- Cases not closed per assignee, as (org, assignee, +/-n) rows; applied in (org, assignee) order so
-- that concurrent transactions lock counter rows in one order.
CREATE OR REPLACE FUNCTION case_open_counts_add(deltas jsonb) RETURNS void
  LANGUAGE sql
  AS $$
    INSERT INTO case_open_counts AS c (org_id, assignee_id, cases)
    SELECT d.org_id, d.assignee_id, d.n FROM jsonb_to_recordset(deltas) AS d(org_id uuid, assignee_id uuid, n int)
    WHERE d.n <> 0 ORDER BY d.org_id, d.assignee_id NULLS FIRST
    ON CONFLICT (org_id, assignee_id) DO UPDATE SET cases = c.cases + excluded.cases
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cases_after_insert() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    INSERT INTO case_search_keys (org_id, case_id, key)
      SELECT n.org_id, n.id, w FROM new_cases n, case_search_words(n.title, n.account) w;
    PERFORM case_open_counts_add(coalesce(jsonb_agg(d), '[]'))
      FROM (SELECT org_id, assignee_id, count(*) AS n FROM new_cases WHERE status <> 'closed' GROUP BY 1, 2) d;
    RETURN NULL;
  END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION cases_after_update() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    WITH renamed AS (
      SELECT n.org_id, n.id, n.title, n.account FROM new_cases n JOIN old_cases o ON o.id = n.id
      WHERE o.title IS DISTINCT FROM n.title OR o.account IS DISTINCT FROM n.account),
    dropped AS (DELETE FROM case_search_keys k USING renamed r WHERE k.case_id = r.id)
    INSERT INTO case_search_keys (org_id, case_id, key)
      SELECT r.org_id, r.id, w FROM renamed r, case_search_words(r.title, r.account) w;
    PERFORM case_open_counts_add(coalesce(jsonb_agg(d), '[]'))
      FROM (
        SELECT org_id, assignee_id, sum(n) AS n FROM (
          SELECT org_id, assignee_id, -1 AS n FROM old_cases WHERE status <> 'closed'
          UNION ALL
          SELECT org_id, assignee_id, 1 FROM new_cases WHERE status <> 'closed') changes
        GROUP BY 1, 2 HAVING sum(n) <> 0) d;
    RETURN NULL;
  END $$;
--> statement-breakpoint
-- Only decrements: an organization being deleted takes its counter rows with it (no upsert back).
CREATE OR REPLACE FUNCTION cases_after_delete() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    UPDATE case_open_counts c SET cases = c.cases - d.n
      FROM (SELECT org_id, assignee_id, count(*)::int AS n FROM old_cases WHERE status <> 'closed' GROUP BY 1, 2) d
      WHERE c.org_id = d.org_id AND c.assignee_id IS NOT DISTINCT FROM d.assignee_id;
    RETURN NULL;
  END $$;
--> statement-breakpoint
CREATE TRIGGER cases_search_and_counts_insert AFTER INSERT ON cases
  REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION cases_after_insert();
--> statement-breakpoint
CREATE TRIGGER cases_search_and_counts_update AFTER UPDATE ON cases
  REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION cases_after_update();
--> statement-breakpoint
CREATE TRIGGER cases_search_and_counts_delete AFTER DELETE ON cases
  REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION cases_after_delete();
--> statement-breakpoint
-- Cases stored before this migration. Row-level security is forced on cases, even for its owner: only a
-- migrating role that bypasses it (a superuser, or BYPASSRLS) sees them to fill these in.
INSERT INTO case_search_keys (org_id, case_id, key)
  SELECT c.org_id, c.id, w FROM cases c, case_search_words(c.title, c.account) w;
--> statement-breakpoint
INSERT INTO case_open_counts (org_id, assignee_id, cases)
  SELECT org_id, assignee_id, count(*) FROM cases WHERE status <> 'closed' GROUP BY 1, 2;
