import { desc, sql } from 'drizzle-orm';
import { scans } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { toScanView } from '../scans/service';
import { subscriptionPlan } from '../subscription/plan';
import type { OverviewView } from './schemas';

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
type SeverityCounts = Record<(typeof SEVERITIES)[number], number>;
const zeroCounts = (): SeverityCounts => ({ low: 0, medium: 0, high: 0, critical: 0 });

/** Everything the overview page shows, read in the organization's tenant transaction. */
export async function buildOverview(
  tx: Tx,
  orgId: string,
  metered: { period: string; used: number },
  timeZone: string,
): Promise<OverviewView> {
  // Independent reads, sent together: postgres.js pipelines them on the transaction's connection.
  const [plan, [lastScan], openCounts, rate, byDetection, byTransaction, rules] = await Promise.all([
    subscriptionPlan(tx, orgId),
    tx.select().from(scans).orderBy(desc(scans.createdAt)).limit(1),
    openViolations(tx),
    complianceRate(tx, metered.period),
    violationsByDay(tx, timeZone, 'detected'),
    violationsByDay(tx, timeZone, 'occurred'),
    topRules(tx),
  ]);
  return {
    period: metered.period,
    transactions: {
      this_month: metered.used,
      counted_by: 'ingestion',
      limit: plan.maxTransactionsPerMonth,
      plan: plan.id,
    },
    open_violations: openCounts,
    compliance_rate: rate,
    last_scan: lastScan ? toScanView(lastScan) : null,
    time_zone: timeZone,
    violations_by_day: byDetection,
    violations_by_transaction_day: byTransaction,
    top_rules: rules,
  };
}

async function openViolations(tx: Tx): Promise<SeverityCounts> {
  const rows = await tx.execute<{ severity: string; n: number }>(sql`
    select key as severity, n from overview_counts where kind = 'open' and n <> 0`);
  return Object.assign(zeroCounts(), Object.fromEntries(rows.map((row) => [row.severity, row.n])));
}

/** Transactions that occurred in the UTC month, and those with a violation other than a false positive, by the hour. */
async function complianceRate(tx: Tx, period: string): Promise<number | null> {
  const monthStart = `${period}-01T00:00:00Z`;
  const [row] = await tx.execute<{ total: number; flagged: number }>(sql`
    select coalesce(sum(n) filter (where kind = 'transactions'), 0)::int as total,
           coalesce(sum(n) filter (where kind = 'flagged'), 0)::int as flagged
    from overview_counts
    where kind in ('transactions', 'flagged')
      and at >= ${monthStart}::timestamptz and at < ${monthStart}::timestamptz + interval '1 month'`);
  if (!row || row.total === 0) return null;
  return Math.round(((row.total - row.flagged) / row.total) * 10_000) / 10_000;
}

/**
 * Violations per day of the last 30 in `timeZone`, by when they were detected or by when their
 * transaction occurred: a back-loaded month is one spike by detection, spread out by occurrence.
 * The counters are by quarter hour (UTC): every current zone's midnight starts one, so a day in
 * the zone is a sum of whole buckets.
 */
async function violationsByDay(
  tx: Tx,
  timeZone: string,
  by: 'detected' | 'occurred',
): Promise<OverviewView['violations_by_day']> {
  // The first of the 30 days, midnight in the zone, as an instant: both counts read only from there on.
  const since = sql`(((now() at time zone ${timeZone})::date - 29)::timestamp at time zone ${timeZone})`;
  const rows = await tx.execute<{ date: string; severity: string | null; n: number }>(sql`
    with days as (
      select d::date as day
      from generate_series((now() at time zone ${timeZone})::date - 29, (now() at time zone ${timeZone})::date, interval '1 day') d),
    -- Hourly buckets where every midnight of the 30 days is on the hour (most zones), else quarter hours.
    grain as (
      select case when exists (
        select 1 from days where extract(minute from (days.day::timestamp at time zone ${timeZone}) at time zone 'UTC') <> 0)
      then ${by} else ${`${by}_hour`} end as kind),
    counted as (
      select (c.at at time zone ${timeZone})::date as day, c.key as severity, sum(c.n)::int as n
      from overview_counts c where c.kind = (select kind from grain) and c.at >= ${since}
      group by 1, 2 having sum(c.n) <> 0)
    select to_char(days.day, 'YYYY-MM-DD') as date, counted.severity, coalesce(counted.n, 0)::int as n
    from days left join counted on counted.day = days.day
    order by days.day`);
  const byDate = new Map<string, SeverityCounts & { date: string }>();
  for (const row of rows) {
    const day = byDate.get(row.date) ?? { date: row.date, ...zeroCounts() };
    if (row.severity && row.severity in day) day[row.severity as keyof SeverityCounts] = row.n;
    byDate.set(row.date, day);
  }
  return [...byDate.values()];
}

/**
 * The rules with most violations detected in the last 30 days (an instant, not days in a zone):
 * whole days (UTC) from the daily counters, the rest of the first day from the hourly ones, and
 * the part of the first hour after the boundary from the violations themselves (an index range of
 * at most an hour).
 */
async function topRules(tx: Tx): Promise<OverviewView['top_rules']> {
  return tx.execute<{ rule_id: string; name: string; violations: number; open: number }>(sql`
    with bounds as (
      select now() - interval '30 days' as since,
        overview_hour(now() - interval '30 days') + interval '1 hour' as hours_from,
        overview_day(now() - interval '30 days') + interval '1 day' as days_from),
    counted as (
      select c.key::uuid as rule_id,
             coalesce(sum(c.n) filter (where c.kind in ('rule', 'rule_day')), 0) as violations,
             coalesce(sum(c.n) filter (where c.kind in ('rule_open', 'rule_open_day')), 0) as open
      from overview_counts c, bounds b
      where (c.kind in ('rule_day', 'rule_open_day') and c.at >= b.days_from)
         or (c.kind in ('rule', 'rule_open') and c.at >= b.hours_from and c.at < b.days_from)
      group by 1
      union all
      select v.rule_id, count(*), count(*) filter (where v.status in ('open', 'escalated'))
      from violations v, bounds b
      where v.detected_at >= b.since and v.detected_at < b.hours_from
      group by 1)
    select c.rule_id, rv.name, sum(c.violations)::int as violations, sum(c.open)::int as open
    from counted c
    join rules r on r.id = c.rule_id
    join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
    group by c.rule_id, rv.name
    having sum(c.violations) > 0
    order by violations desc, rv.name
    limit 5`);
}
