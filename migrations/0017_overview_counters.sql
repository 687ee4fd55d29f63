CREATE TABLE "flagged_transactions" (
	"transaction_id" bigint PRIMARY KEY NOT NULL,
	"org_id" uuid NOT NULL,
	"month" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "overview_buckets" (
	"org_id" uuid NOT NULL,
	"basis" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"shard" smallint NOT NULL,
	"low" integer DEFAULT 0 NOT NULL,
	"medium" integer DEFAULT 0 NOT NULL,
	"high" integer DEFAULT 0 NOT NULL,
	"critical" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_buckets_org_id_basis_bucket_shard_pk" PRIMARY KEY("org_id","basis","bucket","shard")
);
--> statement-breakpoint
CREATE TABLE "overview_month_transactions" (
	"org_id" uuid NOT NULL,
	"month" date NOT NULL,
	"shard" smallint NOT NULL,
	"transactions" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_month_transactions_org_id_month_shard_pk" PRIMARY KEY("org_id","month","shard")
);
--> statement-breakpoint
CREATE TABLE "overview_months" (
	"org_id" uuid NOT NULL,
	"month" date NOT NULL,
	"shard" smallint NOT NULL,
	"flagged" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_months_org_id_month_shard_pk" PRIMARY KEY("org_id","month","shard")
);
--> statement-breakpoint
CREATE TABLE "overview_open" (
	"org_id" uuid NOT NULL,
	"shard" smallint NOT NULL,
	"low" integer DEFAULT 0 NOT NULL,
	"medium" integer DEFAULT 0 NOT NULL,
	"high" integer DEFAULT 0 NOT NULL,
	"critical" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_open_org_id_shard_pk" PRIMARY KEY("org_id","shard")
);
--> statement-breakpoint
CREATE TABLE "overview_rule_days" (
	"org_id" uuid NOT NULL,
	"day" date NOT NULL,
	"rule_id" uuid NOT NULL,
	"shard" smallint NOT NULL,
	"violations" integer DEFAULT 0 NOT NULL,
	"open" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "overview_rule_days_org_id_day_rule_id_shard_pk" PRIMARY KEY("org_id","day","rule_id","shard")
);
--> statement-breakpoint
ALTER TABLE "overview_buckets" ADD CONSTRAINT "overview_buckets_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overview_month_transactions" ADD CONSTRAINT "overview_month_transactions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overview_months" ADD CONSTRAINT "overview_months_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overview_open" ADD CONSTRAINT "overview_open_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overview_rule_days" ADD CONSTRAINT "overview_rule_days_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "overview_rule_days" ADD CONSTRAINT "overview_rule_days_rule_id_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Counts an organization's overview counters from scratch (shard 0), replacing what was kept:
-- for data loaded around the writing statements (bench:api's seeding) and as the exactness
-- test's reference. The same expressions as worker/overview/counters.ts: quarter hours from
-- 2000-01-01 UTC, months and days in UTC, open = open or escalated.
CREATE OR REPLACE FUNCTION overview_recount(org uuid) RETURNS void LANGUAGE sql AS $$
  DELETE FROM overview_open WHERE org_id = org;
  DELETE FROM overview_month_transactions WHERE org_id = org;
  DELETE FROM overview_months WHERE org_id = org;
  DELETE FROM overview_buckets WHERE org_id = org;
  DELETE FROM overview_rule_days WHERE org_id = org;
  DELETE FROM flagged_transactions WHERE org_id = org;
  INSERT INTO overview_open (org_id, shard, low, medium, high, critical)
    SELECT org, 0, count(*) FILTER (WHERE severity = 'low'), count(*) FILTER (WHERE severity = 'medium'),
      count(*) FILTER (WHERE severity = 'high'), count(*) FILTER (WHERE severity = 'critical')
    FROM violations WHERE org_id = org AND status IN ('open', 'escalated');
  INSERT INTO flagged_transactions (transaction_id, org_id, month)
    SELECT t.id, org, date_trunc('month', t.occurred_at AT TIME ZONE 'UTC')::date
    FROM transactions t
    WHERE t.org_id = org
      AND t.id IN (SELECT transaction_id FROM violations WHERE org_id = org AND status <> 'false_positive');
  INSERT INTO overview_month_transactions (org_id, month, shard, transactions)
    SELECT org, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date, 0, count(*)
    FROM transactions WHERE org_id = org GROUP BY 2;
  INSERT INTO overview_months (org_id, month, shard, flagged)
    SELECT org, month, 0, count(*) FROM flagged_transactions WHERE org_id = org GROUP BY 2;
  INSERT INTO overview_buckets (org_id, basis, bucket, shard, low, medium, high, critical)
    SELECT org, 'detected', date_bin('15 minutes', detected_at, timestamptz '2000-01-01 00:00:00+00'), 0,
      count(*) FILTER (WHERE severity = 'low'), count(*) FILTER (WHERE severity = 'medium'),
      count(*) FILTER (WHERE severity = 'high'), count(*) FILTER (WHERE severity = 'critical')
    FROM violations WHERE org_id = org GROUP BY 3
    UNION ALL
    SELECT org, 'occurred', date_bin('15 minutes', t.occurred_at, timestamptz '2000-01-01 00:00:00+00'), 0,
      count(*) FILTER (WHERE v.severity = 'low'), count(*) FILTER (WHERE v.severity = 'medium'),
      count(*) FILTER (WHERE v.severity = 'high'), count(*) FILTER (WHERE v.severity = 'critical')
    FROM violations v JOIN transactions t ON t.id = v.transaction_id WHERE v.org_id = org GROUP BY 3;
  INSERT INTO overview_rule_days (org_id, day, rule_id, shard, violations, open)
    SELECT org, (detected_at AT TIME ZONE 'UTC')::date, rule_id, 0, count(*),
      count(*) FILTER (WHERE status IN ('open', 'escalated'))
    FROM violations WHERE org_id = org GROUP BY 2, 3;
$$;
--> statement-breakpoint
SELECT overview_recount(id) FROM organizations;
