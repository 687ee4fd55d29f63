CREATE TABLE "violation_search_values" (
	"org_id" uuid NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "violation_search_values" ADD CONSTRAINT "violation_search_values_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "violation_search_values_key_idx" ON "violation_search_values" USING btree ("org_id","key" text_pattern_ops,"kind","value");--> statement-breakpoint
-- Stores the accounts and counterparties of the inserted violations' transactions that are not
-- stored yet: one probe of the key index per value (its whole-text key) finds those, then every
-- suffix of each new one is a key. Keys are at most 32 characters (the search then checks the
-- value itself). No unique index, so concurrent transactions never wait on each other: a value
-- two of them store at once appears twice, and the search reads it once.
CREATE OR REPLACE FUNCTION violations_after_insert() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    -- Deduplicated under the C collation (a byte comparison: the sort is the statement's largest
    -- part); the keys are lowercased under the database's own, as the search lowercases its text.
    WITH seen AS MATERIALIZED (
      SELECT DISTINCT t.org_id, x.kind COLLATE "C" AS kind, x.value COLLATE "C" AS value
      FROM new_violations n
      JOIN transactions t ON t.id = n.transaction_id
      CROSS JOIN LATERAL (VALUES ('account', t.account), ('counterparty', t.counterparty)) AS x(kind, value)
      WHERE x.value <> ''),
    -- Materialized so that the probe below compares plain columns: under row-level security an
    -- index condition may hold only leakproof operators, and lower() is not one.
    heads AS MATERIALIZED (
      SELECT s.org_id, s.kind COLLATE "default" AS kind, s.value COLLATE "default" AS value,
        left(lower(s.value COLLATE "default"), 32) AS head
      FROM seen s),
    fresh AS MATERIALIZED (
      SELECT h.org_id, h.kind, h.value FROM heads h
      WHERE NOT EXISTS (SELECT 1 FROM violation_search_values v
        WHERE v.org_id = h.org_id AND v.key = h.head AND v.kind = h.kind AND v.value = h.value))
    INSERT INTO violation_search_values (org_id, key, kind, value)
    SELECT DISTINCT f.org_id, substr(lower(f.value), i, 32), f.kind, f.value
    FROM fresh f, generate_series(1, length(lower(f.value))) AS i;
    RETURN NULL;
  END $$;
--> statement-breakpoint
CREATE TRIGGER violations_search_values_insert AFTER INSERT ON violations
  REFERENCING NEW TABLE AS new_violations FOR EACH STATEMENT EXECUTE FUNCTION violations_after_insert();
--> statement-breakpoint
-- Violations stored before this migration (row-level security is forced: only a migrating role
-- that bypasses it sees them to fill these in). The trigger's statement over every violation.
INSERT INTO violation_search_values (org_id, key, kind, value)
SELECT DISTINCT f.org_id, substr(lower(f.value), i, 32), f.kind, f.value
FROM (
  SELECT DISTINCT t.org_id, x.kind, x.value
  FROM (SELECT DISTINCT transaction_id FROM violations) n
  JOIN transactions t ON t.id = n.transaction_id
  CROSS JOIN LATERAL (VALUES ('account', t.account), ('counterparty', t.counterparty)) AS x(kind, value)
  WHERE x.value <> '') f,
  generate_series(1, length(lower(f.value))) AS i;
