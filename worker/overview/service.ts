import { desc, type SQL, sql } from 'drizzle-orm';
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
  const days = await violationsByDay(tx, orgId, timeZone);
  const counted = await totals(tx, orgId, metered.period);
  return {
    period: metered.period,
    transactions: {
      this_month: metered.used,
      counted_by: 'ingestion',
      limit: plan.maxTransactionsPerMonth,
      plan: plan.id,
    },
    open_violations: counted.open_violations,
    compliance_rate: counted.compliance_rate,
    last_scan: lastScan ? toScanView(lastScan) : null,
    time_zone: timeZone,
    violations_by_day: days.detected,
    violations_by_transaction_day: days.occurred,
    top_rules: counted.top_rules,
  };
}

/*
 * Every figure below is read from the overview's counters (worker/overview/counters.ts), a few
 * hundred rows at most whatever the organization's size; each counter row is split by writer
 * shard, so the reads sum them. The org_id conditions are RLS's own, written out for the indexes.
 */

/**
 * Open violations by severity, the month's (UTC) compliance rate (its transactions without a
 * violation other than false positives, as a share) and the top rules, in one round trip.
 */
async function totals(
  tx: Tx,
  orgId: string,
  period: string,
): Promise<Pick<OverviewView, 'open_violations' | 'compliance_rate' | 'top_rules'>> {
  const [row] = await tx.execute<{
    open: SeverityCounts;
    total: number;
    flagged: number;
    top_rules: OverviewView['top_rules'] | null;
  }>(sql`
    select
      (select json_build_object('low', coalesce(sum(low), 0), 'medium', coalesce(sum(medium), 0),
         'high', coalesce(sum(high), 0), 'critical', coalesce(sum(critical), 0))
       from overview_open where org_id = ${orgId}::uuid) as open,
      m.total, m.flagged, (${topRules(orgId)}) as top_rules
    from (select
            (select coalesce(sum(transactions), 0)::int from overview_month_transactions
             where org_id = ${orgId}::uuid and month = ${`${period}-01`}::date) as total,
            (select coalesce(sum(flagged), 0)::int from overview_months
             where org_id = ${orgId}::uuid and month = ${`${period}-01`}::date) as flagged) m`);
  const total = row?.total ?? 0;
  return {
    open_violations: row?.open ?? zeroCounts(),
    compliance_rate: total === 0 ? null : Math.round(((total - row!.flagged) / total) * 10_000) / 10_000,
    top_rules: row?.top_rules ?? [],
  };
}

type DayCounts = OverviewView['violations_by_day'];

/**
 * Violations per day of the last 30 in `timeZone`, by when they were detected and by when their
 * transaction occurred: a back-loaded month is one spike by detection, spread out by occurrence.
 * Each day is the sum of its quarter-hour buckets (every zone's offset is whole quarter hours).
 * One index range of both bases; each bucket's day is found by `width_bucket` among the days'
 * first instants, computed once: a day's bounds taken from a joined row would be a filter, not an
 * index condition (row-level security keeps `at time zone`, not leakproof, above the scan), and
 * converting each bucket to the zone costs more than the search.
 */
async function violationsByDay(
  tx: Tx,
  orgId: string,
  timeZone: string,
): Promise<{ detected: DayCounts; occurred: DayCounts }> {
  const firstDay = sql`((now() at time zone ${timeZone})::date - 29)`;
  const rows = await tx.execute<SeverityCounts & { basis: 'detected' | 'occurred'; date: string }>(sql`
    with starts as (
      select array_agg(((${firstDay} + i)::timestamp at time zone ${timeZone}) order by i) as instants
      from generate_series(0, 30) i),
    counted as (
      select basis, width_bucket(bucket, (select instants from starts)) as day, sum(low) as low,
        sum(medium) as medium, sum(high) as high, sum(critical) as critical
      from overview_buckets
      where org_id = ${orgId}::uuid and basis in ('detected', 'occurred')
        and bucket >= (${firstDay}::timestamp at time zone ${timeZone})
        and bucket < ((${firstDay} + 30)::timestamp at time zone ${timeZone})
      group by 1, 2)
    select k.basis, to_char(${firstDay} + d, 'YYYY-MM-DD') as date, coalesce(c.low, 0)::int as low,
      coalesce(c.medium, 0)::int as medium, coalesce(c.high, 0)::int as high, coalesce(c.critical, 0)::int as critical
    from generate_series(0, 29) d cross join (values ('detected'), ('occurred')) k(basis)
    left join counted c on c.basis = k.basis and c.day = d + 1
    order by k.basis, d`);
  const days = (basis: 'detected' | 'occurred') =>
    rows.filter((row) => row.basis === basis).map(({ basis: _, ...day }) => day);
  return { detected: days('detected'), occurred: days('occurred') };
}

/**
 * The rules with the most violations detected over the last 30 UTC days (today's included), with
 * how many of those are open, as a JSON array. Whole UTC days, not the caller's: one daily counter
 * per rule.
 */
function topRules(orgId: string): SQL {
  return sql`
    select json_agg(json_build_object('rule_id', t.rule_id, 'name', t.name, 'violations', t.violations, 'open', t.open)
      order by t.violations desc, t.name)
    from (
      select c.rule_id, rv.name, c.violations, c.open
      from (select rule_id, sum(violations)::int as violations, sum(open)::int as open
            from overview_rule_days
            where org_id = ${orgId}::uuid and day >= (now() at time zone 'UTC')::date - 29
            group by rule_id having sum(violations) > 0) c
      join rules r on r.id = c.rule_id
      join rule_versions rv on rv.rule_id = r.id and rv.version = r.latest_version
      order by c.violations desc, rv.name
      limit 5) t`;
}
