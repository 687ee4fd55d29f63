import { type SQL, sql } from 'drizzle-orm';

/*
 * The overview's counters (db/schema/overview.ts, docs/dashboard.md), kept by the very statements
 * that write transactions and violations: each writer wraps its insert or update in a CTE and adds
 * the counting CTEs below, so the counts commit (or roll back) with the rows, with no trigger to
 * compile on a new connection and nothing deferred to commit. `overview_recount` (migration 0017)
 * counts the same from scratch, with the same expressions.
 */

/** The writer's counter rows: concurrent writers mostly touch different rows instead of waiting. */
const SHARD = sql.raw('(pg_backend_pid() % 4)::smallint');
const OPEN = sql.raw(`('open', 'escalated')`);
const quarterHour = (at: SQL) => sql`date_bin('15 minutes', ${at}, timestamptz '2000-01-01 00:00:00+00')`;
const utcMonth = (at: SQL) => sql`date_trunc('month', ${at} at time zone 'UTC')::date`;
const utcDay = (at: SQL) => sql`(${at} at time zone 'UTC')::date`;
const bySeverity = (weight: SQL) => sql`
  coalesce(sum(${weight}) filter (where severity = 'low'), 0)::int,
  coalesce(sum(${weight}) filter (where severity = 'medium'), 0)::int,
  coalesce(sum(${weight}) filter (where severity = 'high'), 0)::int,
  coalesce(sum(${weight}) filter (where severity = 'critical'), 0)::int`;

/**
 * `insert` (a transactions insert, without its RETURNING) wrapped so that it also counts its rows
 * in their UTC months; the statement returns `result`, a select from `stored` (the inserted rows'
 * id, external_id, org_id, occurred_at).
 */
export function countingTransactions(insert: SQL, result: SQL): SQL {
  return sql`
    with stored as (${insert} returning id, external_id, org_id, occurred_at),
    months_counted as (
      insert into overview_month_transactions (org_id, month, shard, transactions)
      select org_id, ${utcMonth(sql`occurred_at`)}, ${SHARD}, count(*) from stored group by 1, 2 order by 2
      on conflict (org_id, month, shard) do update
        set transactions = overview_month_transactions.transactions + excluded.transactions)
    ${result}`;
}

/**
 * `insert` (a violations insert, without its RETURNING) wrapped so that it also counts what it
 * stored, and keeps what `alsoKeeping` adds (CTEs over the new violations with their transaction's
 * occurred_at, account and counterparty: the violations search's values); the statement returns
 * `returning` (columns of `stored`, the inserted rows).
 */
export function countingViolations(insert: SQL, returning: SQL, alsoKeeping: (from: string) => SQL): SQL {
  return sql`
    with stored as (${insert} returning id, org_id, rule_id, rule_version_id, transaction_id, severity, status, detected_at),
    counted as (
      select s.*, t.occurred_at, t.account, t.counterparty from stored s join transactions t on t.id = s.transaction_id),
    ${insertedCounters('counted')},
    ${alsoKeeping('counted')}
    select ${returning} from stored`;
}

/** The counting CTEs for new violations in `counted` (a CTE with the transaction's occurred_at). */
function insertedCounters(counted: string): SQL {
  const from = sql.raw(counted);
  const isOpen = sql`(status in ${OPEN})::int`;
  return sql`
    open_counted as (
      insert into overview_open (org_id, shard, low, medium, high, critical)
      select org_id, ${SHARD}, ${bySeverity(isOpen)} from ${from} group by org_id having sum(${isOpen}) > 0
      on conflict (org_id, shard) do update set low = overview_open.low + excluded.low,
        medium = overview_open.medium + excluded.medium, high = overview_open.high + excluded.high,
        critical = overview_open.critical + excluded.critical),
    buckets_counted as (
      insert into overview_buckets (org_id, basis, bucket, shard, low, medium, high, critical)
      select org_id, basis, bucket, ${SHARD}, ${bySeverity(sql`1`)}
      from (select org_id, 'detected' as basis, ${quarterHour(sql`detected_at`)} as bucket, severity from ${from}
            union all
            select org_id, 'occurred', ${quarterHour(sql`occurred_at`)}, severity from ${from}) b
      group by org_id, basis, bucket order by basis, bucket
      on conflict (org_id, basis, bucket, shard) do update set low = overview_buckets.low + excluded.low,
        medium = overview_buckets.medium + excluded.medium, high = overview_buckets.high + excluded.high,
        critical = overview_buckets.critical + excluded.critical),
    rules_counted as (
      insert into overview_rule_days (org_id, day, rule_id, shard, violations, open)
      select org_id, ${utcDay(sql`detected_at`)}, rule_id, ${SHARD}, count(*), sum(${isOpen})
      from ${from} group by 1, 2, 3 order by 2, 3
      on conflict (org_id, day, rule_id, shard) do update set
        violations = overview_rule_days.violations + excluded.violations, open = overview_rule_days.open + excluded.open),
    flagged as (
      insert into flagged_transactions (transaction_id, org_id, month)
      select distinct transaction_id, org_id, ${utcMonth(sql`occurred_at`)} from ${from}
      where status <> 'false_positive' order by 1
      on conflict (transaction_id) do nothing
      returning org_id, month),
    flagged_counted as (
      insert into overview_months (org_id, month, shard, flagged)
      select org_id, month, ${SHARD}, count(*) from flagged group by 1, 2 order by 2
      on conflict (org_id, month, shard) do update set flagged = overview_months.flagged + excluded.flagged)`;
}

/**
 * What a status change's update returns for `statusCounters` (`v` the updated violation, `old` its
 * row as read under its lock): the columns the counting CTEs read.
 */
export const CHANGED_STATUS = sql.raw(
  'v.id, v.org_id, v.rule_id, v.transaction_id, v.severity, v.detected_at, old.status as from_status, v.status as to_status',
);

/**
 * The counting CTEs for a status change, to put after a CTE named `changed` that returns the
 * changed violations' `CHANGED_STATUS` (from_status read under the row's lock: `select ... for
 * update`, or rows this transaction already locked). Starts with a comma: `with changed as (...) ${statusCounters()}`.
 *
 * Open counts move when a violation crosses open|escalated; a transaction stops being flagged when
 * its last violation that is not a false positive becomes one, and is flagged again when one of its
 * violations leaves false_positive. The statement's other CTEs see the violations as they were, so
 * the check for "another violation not a false positive" leaves out the ones changed here.
 */
export function statusCounters(): SQL {
  const delta = sql`((to_status in ${OPEN})::int - (from_status in ${OPEN})::int)`;
  return sql`,
    crossed as (select * from changed where (to_status in ${OPEN}) <> (from_status in ${OPEN})),
    open_moved as (
      insert into overview_open (org_id, shard, low, medium, high, critical)
      select org_id, ${SHARD}, ${bySeverity(delta)} from crossed group by org_id
      on conflict (org_id, shard) do update set low = overview_open.low + excluded.low,
        medium = overview_open.medium + excluded.medium, high = overview_open.high + excluded.high,
        critical = overview_open.critical + excluded.critical),
    rules_moved as (
      insert into overview_rule_days (org_id, day, rule_id, shard, open)
      select org_id, ${utcDay(sql`detected_at`)}, rule_id, ${SHARD}, sum(${delta}) from crossed group by 1, 2, 3 order by 2, 3
      on conflict (org_id, day, rule_id, shard) do update set open = overview_rule_days.open + excluded.open),
    unflagged as (
      delete from flagged_transactions f
      where f.transaction_id in (select transaction_id from changed
          where to_status = 'false_positive' and from_status <> 'false_positive')
        and not exists (select 1 from violations v
          where v.org_id = f.org_id and v.transaction_id = f.transaction_id and v.status <> 'false_positive'
            and v.id not in (select id from changed where to_status = 'false_positive'))
      returning f.org_id, f.month),
    reflagged as (
      insert into flagged_transactions (transaction_id, org_id, month)
      select distinct c.transaction_id, c.org_id, ${utcMonth(sql`t.occurred_at`)}
      from changed c join transactions t on t.id = c.transaction_id
      where c.from_status = 'false_positive' and c.to_status <> 'false_positive' order by 1
      on conflict (transaction_id) do nothing
      returning org_id, month),
    flags_moved as (
      insert into overview_months (org_id, month, shard, flagged)
      select org_id, month, ${SHARD}, sum(n)
      from (select org_id, month, -1 as n from unflagged union all select org_id, month, 1 from reflagged) m
      group by 1, 2 order by 2
      on conflict (org_id, month, shard) do update set flagged = overview_months.flagged + excluded.flagged)`;
}
