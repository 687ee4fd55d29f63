CREATE TABLE "overview_count_changes" (
	"xid" bigint NOT NULL,
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"key" text NOT NULL,
	"n" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "overview_counts" (
	"org_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"key" text NOT NULL,
	"n" integer NOT NULL,
	CONSTRAINT "overview_counts_org_id_kind_at_key_pk" PRIMARY KEY("org_id","kind","at","key")
);
--> statement-breakpoint
ALTER TABLE "overview_counts" ADD CONSTRAINT "overview_counts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "overview_count_changes_xid_idx" ON "overview_count_changes" USING btree ("xid");--> statement-breakpoint
-- The overview's counters (db/schema/overview.ts): each writing statement of `transactions` and
-- `violations` appends its changes to overview_count_changes (no lock taken); one deferred
-- trigger applies the transaction's changes at commit, in one statement in (org, kind, at, key)
-- order, so writers lock counter rows only while they commit, always in the same order.
-- Each trigger is one statement (planned once per connection): its changes, and the one `apply`
-- row per transaction that queues the deferred trigger (the first statement with changes adds it).
-- Buckets: hours and quarter hours counted from 2000-01-01 UTC (date_bin ignores the session's zone).
CREATE OR REPLACE FUNCTION overview_hour(instant timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_bin('1 hour', instant, timestamptz '2000-01-01 00:00:00+00') $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION overview_quarter(instant timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_bin('15 minutes', instant, timestamptz '2000-01-01 00:00:00+00') $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION overview_day(instant timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_bin('1 day', instant, timestamptz '2000-01-01 00:00:00+00') $$;
--> statement-breakpoint
-- What one violation counts for, signed (-1: as it was, 1: as it is): by detection and by its
-- transaction's date per severity, by rule, open ones, and its transaction's violations other than
-- false positives (`nonfp`, resolved into `flagged` at commit).
CREATE OR REPLACE FUNCTION overview_violation_counts(
  sign int, status text, severity text, detected_at timestamptz, rule_id uuid, transaction_id bigint,
  occurred_at timestamptz
) RETURNS TABLE (kind text, at timestamptz, key text, n int)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT d.kind, d.at, d.key, d.n FROM (VALUES
      ('detected', overview_quarter(detected_at), severity, sign),
      ('occurred', overview_quarter(occurred_at), severity, sign),
      ('detected_hour', overview_hour(detected_at), severity, sign),
      ('occurred_hour', overview_hour(occurred_at), severity, sign),
      ('rule', overview_hour(detected_at), rule_id::text, sign),
      ('rule_open', overview_hour(detected_at), rule_id::text, CASE WHEN status IN ('open', 'escalated') THEN sign ELSE 0 END),
      ('rule_day', overview_day(detected_at), rule_id::text, sign),
      ('rule_open_day', overview_day(detected_at), rule_id::text, CASE WHEN status IN ('open', 'escalated') THEN sign ELSE 0 END),
      ('open', timestamptz '-infinity', severity, CASE WHEN status IN ('open', 'escalated') THEN sign ELSE 0 END),
      ('nonfp', overview_hour(occurred_at), transaction_id::text, CASE WHEN status <> 'false_positive' THEN sign ELSE 0 END)
    ) AS d(kind, at, key, n)
    WHERE d.n <> 0
  $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION overview_transactions_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    WITH appended AS (
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT txid_current(), org_id, 'transactions', overview_hour(occurred_at), '',
        count(*)::int * CASE TG_OP WHEN 'DELETE' THEN -1 ELSE 1 END
      FROM changed_transactions GROUP BY org_id, overview_hour(occurred_at)
      RETURNING org_id)
    INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
    SELECT txid_current(), a.org_id, 'apply', '-infinity', '', 0 FROM (SELECT org_id FROM appended LIMIT 1) a
    WHERE NOT EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = txid_current() AND kind = 'apply');
    IF TG_OP = 'DELETE' THEN
      -- When each deleted transaction occurred (`gone`), for the violations the cascade deleted with
      -- it (resolved at commit: their trigger may run after this one). Not for an organization
      -- being deleted: its counters go with it.
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT txid_current(), t.org_id, 'gone', t.occurred_at, t.id::text, 0 FROM changed_transactions t
      WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = t.org_id);
    END IF;
    RETURN NULL;
  END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION overview_violations_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      WITH appended AS (
        INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
        SELECT txid_current(), v.org_id, d.kind, d.at, d.key, sum(d.n)::int
        FROM new_violations v JOIN transactions t ON t.id = v.transaction_id AND t.org_id = v.org_id,
          overview_violation_counts(1, v.status, v.severity, v.detected_at, v.rule_id, v.transaction_id, t.occurred_at) d
        GROUP BY v.org_id, d.kind, d.at, d.key HAVING sum(d.n) <> 0
        RETURNING org_id)
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT txid_current(), a.org_id, 'apply', '-infinity', '', 0 FROM (SELECT org_id FROM appended LIMIT 1) a
      WHERE NOT EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = txid_current() AND kind = 'apply');
    ELSIF TG_OP = 'UPDATE' THEN
      -- Only rows whose counted columns changed: linking a case, or a snooze that suppressed
      -- nothing, changes none (and a short statement is all a new connection then plans).
      IF NOT EXISTS (SELECT 1 FROM old_violations o JOIN new_violations n ON n.id = o.id
        WHERE (o.status, o.severity, o.detected_at, o.rule_id, o.transaction_id)
          IS DISTINCT FROM (n.status, n.severity, n.detected_at, n.rule_id, n.transaction_id)) THEN
        RETURN NULL;
      END IF;
      WITH changed AS (
        SELECT -1 AS sign, o.org_id, o.status, o.severity, o.detected_at, o.rule_id, o.transaction_id
        FROM old_violations o JOIN new_violations n ON n.id = o.id
        WHERE (o.status, o.severity, o.detected_at, o.rule_id, o.transaction_id)
          IS DISTINCT FROM (n.status, n.severity, n.detected_at, n.rule_id, n.transaction_id)
        UNION ALL
        SELECT 1, n.org_id, n.status, n.severity, n.detected_at, n.rule_id, n.transaction_id
        FROM old_violations o JOIN new_violations n ON n.id = o.id
        WHERE (o.status, o.severity, o.detected_at, o.rule_id, o.transaction_id)
          IS DISTINCT FROM (n.status, n.severity, n.detected_at, n.rule_id, n.transaction_id)),
      appended AS (
        INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
        SELECT txid_current(), v.org_id, d.kind, d.at, d.key, sum(d.n)::int
        FROM changed v JOIN transactions t ON t.id = v.transaction_id AND t.org_id = v.org_id,
          overview_violation_counts(v.sign, v.status, v.severity, v.detected_at, v.rule_id, v.transaction_id, t.occurred_at) d
        GROUP BY v.org_id, d.kind, d.at, d.key HAVING sum(d.n) <> 0
        RETURNING org_id)
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT txid_current(), a.org_id, 'apply', '-infinity', '', 0 FROM (SELECT org_id FROM appended LIMIT 1) a
      WHERE NOT EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = txid_current() AND kind = 'apply');
    ELSE
      -- Violations deleted with their transaction (the foreign key's cascade) no longer see it: what
      -- needs its date waits as `occurred?` (key: severity and transaction id) and `nonfp?`, dated
      -- at commit by the transaction's `gone` row, which its own delete trigger writes.
      WITH appended AS (
        INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
        SELECT txid_current(), v.org_id,
          CASE WHEN d.at IS NULL THEN d.kind || '?' ELSE d.kind END,
          coalesce(d.at, '-infinity'),
          CASE WHEN d.at IS NULL AND d.kind = 'occurred' THEN d.key || ' ' || v.transaction_id ELSE d.key END,
          sum(d.n)::int
        FROM old_violations v LEFT JOIN transactions t ON t.id = v.transaction_id AND t.org_id = v.org_id,
          overview_violation_counts(-1, v.status, v.severity, v.detected_at, v.rule_id, v.transaction_id, t.occurred_at) d
        -- `occurred?` stands for both of its buckets.
        WHERE d.at IS NOT NULL OR d.kind <> 'occurred_hour'
        GROUP BY 2, 3, 4, 5 HAVING sum(d.n) <> 0
        RETURNING org_id)
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT txid_current(), a.org_id, 'apply', '-infinity', '', 0 FROM (SELECT org_id FROM appended LIMIT 1) a
      WHERE NOT EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = txid_current() AND kind = 'apply');
    END IF;
    RETURN NULL;
  END $$;
--> statement-breakpoint
-- At commit: the transaction's changes, summed, applied in one ordered statement (the hours whose
-- `flagged` count may change are locked by it too, with +0); then, in a statement whose snapshot
-- is taken after those locks (so no concurrent writer's violations of the same transaction go
-- unseen), each touched transaction's violations other than false positives are counted: it is
-- flagged when that count went from none to some, unflagged when back to none.
CREATE OR REPLACE FUNCTION overview_counts_apply() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    me bigint := txid_current();
  BEGIN
    -- Violations deleted with their transaction, dated by it. Each step runs (and a new connection
    -- plans it) only when there is something for it: a push without violations plans neither.
    IF EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = me AND kind = 'gone') THEN
      INSERT INTO overview_count_changes (xid, org_id, kind, at, key, n)
      SELECT me, w.org_id, r.kind, r.at,
        CASE w.kind WHEN 'occurred?' THEN split_part(w.key, ' ', 1) ELSE w.key END, w.n
      FROM overview_count_changes w JOIN overview_count_changes g ON g.xid = me AND g.kind = 'gone'
        AND g.key = CASE w.kind WHEN 'occurred?' THEN split_part(w.key, ' ', 2) ELSE w.key END,
        LATERAL (VALUES ('occurred', overview_quarter(g.at)), ('occurred_hour', overview_hour(g.at)), ('nonfp', overview_hour(g.at))) r(kind, at)
      WHERE w.xid = me AND w.kind IN ('occurred?', 'nonfp?') AND r.kind LIKE rtrim(w.kind, '?') || '%'
        AND (w.kind = 'occurred?') = (r.kind <> 'nonfp');
    END IF;

    INSERT INTO overview_counts AS c (org_id, kind, at, key, n)
    SELECT d.org_id, d.kind, d.at, d.key, sum(d.n)::int FROM (
      SELECT org_id, kind, at, key, n FROM overview_count_changes
      WHERE xid = me AND kind NOT IN ('apply', 'nonfp', 'gone', 'occurred?', 'nonfp?')
      UNION ALL
      SELECT DISTINCT org_id, 'flagged', at, '', 0 FROM overview_count_changes WHERE xid = me AND kind = 'nonfp') d
    -- An organization deleted in this transaction takes its counters with it.
    WHERE EXISTS (SELECT 1 FROM organizations o WHERE o.id = d.org_id)
    GROUP BY d.org_id, d.kind, d.at, d.key
    HAVING sum(d.n) <> 0 OR d.kind = 'flagged'
    ORDER BY d.org_id, d.kind, d.at, d.key
    ON CONFLICT (org_id, kind, at, key) DO UPDATE SET n = c.n + excluded.n;

    IF EXISTS (SELECT 1 FROM overview_count_changes WHERE xid = me AND kind = 'nonfp') THEN
      UPDATE overview_counts c SET n = c.n + f.n
      FROM (
        SELECT org_id, at, sum((now_count > 0)::int - (now_count - delta > 0)::int)::int AS n
        FROM (
          SELECT p.org_id, p.at, p.delta,
            (SELECT count(*) FROM violations v
             WHERE v.org_id = p.org_id AND v.transaction_id = p.transaction_id AND v.status <> 'false_positive') AS now_count
          FROM (
            SELECT org_id, at, key::bigint AS transaction_id, sum(n) AS delta FROM overview_count_changes
            WHERE xid = me AND kind = 'nonfp' GROUP BY 1, 2, 3 HAVING sum(n) <> 0) p) counted
        GROUP BY 1, 2) f
      WHERE c.org_id = f.org_id AND c.kind = 'flagged' AND c.at = f.at AND c.key = '' AND f.n <> 0;
    END IF;

    DELETE FROM overview_count_changes WHERE xid = me;
    RETURN NULL;
  END $$;
--> statement-breakpoint
CREATE TRIGGER overview_transactions_insert AFTER INSERT ON transactions
  REFERENCING NEW TABLE AS changed_transactions FOR EACH STATEMENT EXECUTE FUNCTION overview_transactions_changed();
--> statement-breakpoint
CREATE TRIGGER overview_transactions_delete AFTER DELETE ON transactions
  REFERENCING OLD TABLE AS changed_transactions FOR EACH STATEMENT EXECUTE FUNCTION overview_transactions_changed();
--> statement-breakpoint
CREATE TRIGGER overview_violations_insert AFTER INSERT ON violations
  REFERENCING NEW TABLE AS new_violations FOR EACH STATEMENT EXECUTE FUNCTION overview_violations_changed();
--> statement-breakpoint
CREATE TRIGGER overview_violations_update AFTER UPDATE ON violations
  REFERENCING OLD TABLE AS old_violations NEW TABLE AS new_violations FOR EACH STATEMENT EXECUTE FUNCTION overview_violations_changed();
--> statement-breakpoint
CREATE TRIGGER overview_violations_delete AFTER DELETE ON violations
  REFERENCING OLD TABLE AS old_violations FOR EACH STATEMENT EXECUTE FUNCTION overview_violations_changed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER overview_counts_apply AFTER INSERT ON overview_count_changes
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.kind = 'apply') EXECUTE FUNCTION overview_counts_apply();
--> statement-breakpoint
-- What is stored already. Row-level security is forced on these tables, even for their owner: only a
-- migrating role that bypasses it (a superuser, or BYPASSRLS) sees the rows to count.
INSERT INTO overview_counts (org_id, kind, at, key, n)
  SELECT org_id, 'transactions', overview_hour(occurred_at), '', count(*) FROM transactions GROUP BY 1, 3
  UNION ALL
  SELECT t.org_id, 'flagged', overview_hour(t.occurred_at), '', count(*) FROM transactions t
  WHERE EXISTS (SELECT 1 FROM violations v
    WHERE v.org_id = t.org_id AND v.transaction_id = t.id AND v.status <> 'false_positive')
  GROUP BY 1, 3
  UNION ALL
  SELECT v.org_id, d.kind, d.at, d.key, sum(d.n) FROM violations v JOIN transactions t ON t.id = v.transaction_id,
    overview_violation_counts(1, v.status, v.severity, v.detected_at, v.rule_id, v.transaction_id, t.occurred_at) d
  WHERE d.kind <> 'nonfp' GROUP BY 1, 2, 3, 4;
