import { desc, sql } from 'drizzle-orm';
import { scans } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { scanView } from '../scans/service';
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
): Promise<OverviewView> {
  const plan = await subscriptionPlan(tx, orgId);
  const [lastScan] = await tx.select().from(scans).orderBy(desc(scans.createdAt)).limit(1);
  return {
    period: metered.period,
    transactions: { this_month: metered.used, limit: plan.maxTransactionsPerMonth, plan: plan.id },
    open_violations: await openViolations(tx),
    compliance_rate: await complianceRate(tx, metered.period),
    last_scan: lastScan ? scanView(lastScan) : null,
    violations_by_day: await violationsByDay(tx),
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

async function violationsByDay(tx: Tx): Promise<OverviewView['violations_by_day']> {
  const rows = await tx.execute<{ date: string; severity: string | null; n: number }>(sql`
    with days as (
      select to_char(d, 'YYYY-MM-DD') as date
      from generate_series((now() at time zone 'UTC')::date - 29, (now() at time zone 'UTC')::date, interval '1 day') d)
    select days.date, v.severity, count(v.id)::int as n
    from days left join violations v on to_char(v.detected_at at time zone 'UTC', 'YYYY-MM-DD') = days.date
    group by days.date, v.severity order by days.date`);
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
