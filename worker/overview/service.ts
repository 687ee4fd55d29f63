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
  const plan = await subscriptionPlan(tx, orgId);
  const [lastScan] = await tx.select().from(scans).orderBy(desc(scans.createdAt)).limit(1);
  return {
    period: metered.period,
    transactions: {
      this_month: metered.used,
      counted_by: 'ingestion',
      limit: plan.maxTransactionsPerMonth,
      plan: plan.id,
    },
    open_violations: await openViolations(tx),
    compliance_rate: await complianceRate(tx, metered.period),
    last_scan: lastScan ? toScanView(lastScan) : null,
    time_zone: timeZone,
    violations_by_day: await violationsByDay(tx, timeZone, 'detected'),
    violations_by_transaction_day: await violationsByDay(tx, timeZone, 'occurred'),
    top_rules: await topRules(tx),
  };
}

async function openViolations(tx: Tx): Promise<SeverityCounts> {
  const rows = await tx.execute<{ severity: string; n: number }>(sql`
    select severity, count(*)::int as n from violations where status in ('open', 'escalated') group by severity`);
  return Object.assign(zeroCounts(), Object.fromEntries(rows.map((row) => [row.severity, row.n])));
}

async function complianceRate(tx: Tx, period: string): Promise<number | null> {
  const monthStart = `${period}-01T00:00:00Z`;
  const [row] = await tx.execute<{ total: number; flagged: number }>(sql`
    select count(*)::int as total,
           count(*) filter (where exists (
             select 1 from violations v where v.transaction_id = t.id and v.status <> 'false_positive'))::int as flagged
    from transactions t
    where t.occurred_at >= ${monthStart}::timestamptz and t.occurred_at < ${monthStart}::timestamptz + interval '1 month'`);
  if (!row || row.total === 0) return null;
  return Math.round(((row.total - row.flagged) / row.total) * 10_000) / 10_000;
}

/**
 * Violations per day of the last 30 in `timeZone`, by when they were detected or by when their
 * transaction occurred: a back-loaded month is one spike by detection, spread out by occurrence.
 */
async function violationsByDay(
  tx: Tx,
  timeZone: string,
  by: 'detected' | 'occurred',
): Promise<OverviewView['violations_by_day']> {
  // The first of the 30 days, midnight in the zone, as an instant: both counts read only from there on.
  const since = sql`(((now() at time zone ${timeZone})::date - 29)::timestamp at time zone ${timeZone})`;
  const counted =
    by === 'detected'
      ? sql`select (v.detected_at at time zone ${timeZone})::date as day, v.severity, count(*)::int as n
            from violations v where v.detected_at >= ${since} group by 1, 2`
      : sql`select (t.occurred_at at time zone ${timeZone})::date as day, v.severity, count(*)::int as n
            from transactions t join violations v on v.transaction_id = t.id
            where t.occurred_at >= ${since} group by 1, 2`;
  const rows = await tx.execute<{ date: string; severity: string | null; n: number }>(sql`
    with days as (
      select d::date as day
      from generate_series((now() at time zone ${timeZone})::date - 29, (now() at time zone ${timeZone})::date, interval '1 day') d),
    counted as (${counted})
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

async function topRules(tx: Tx): Promise<OverviewView['top_rules']> {
  return tx.execute<{ rule_id: string; name: string; violations: number; open: number }>(sql`
    select v.rule_id, rv.name, count(*)::int as violations,
           count(*) filter (where v.status in ('open', 'escalated'))::int as open
    from violations v
    join rules r on r.id = v.rule_id
    join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
    where v.detected_at >= now() - interval '30 days'
    group by v.rule_id, rv.name
    order by violations desc, rv.name
    limit 5`);
}
