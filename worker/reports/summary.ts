import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/tenant';
import { SEVERITIES } from '../rules/language';
import type { Period } from './exports';
import { PdfReport, SEVERITY_COLORS } from './pdf';

export type RiskyAccount = { account: string; risk: number; violations: number };

/**
 * The accounts at most risk in the period. Today: by the highest violation risk score, then by the
 * number of violations. Account risk scores (issue 18) are to replace this one function.
 */
export async function riskiestAccounts(tx: Tx, { from, to }: Period, limit: number): Promise<RiskyAccount[]> {
  const rows = await tx.execute<{ account: string; risk: string; violations: number }>(sql`
    select t.account, max(v.risk_score)::text as risk, count(*)::int as violations
    from violations v join transactions t on t.id = v.transaction_id
    where v.detected_at >= ${from.toISOString()}::timestamptz and v.detected_at <= ${to.toISOString()}::timestamptz
    group by t.account
    order by max(v.risk_score) desc, count(*) desc, t.account
    limit ${limit}`);
  return rows.map((r) => ({ account: r.account, risk: Number(r.risk), violations: r.violations }));
}

export type ComplianceSummary = {
  transactions: number;
  violations: number;
  accountsWithViolations: number;
  bySeverity: Record<string, number>;
  byRule: { rule: string; version: number; clause: string | null; policy: string | null; count: number }[];
  byPolicy: { policy: string; clauses: string[]; count: number }[];
  perDay: { day: string; count: number }[];
  cases: {
    opened: number;
    closed: number;
    byOutcome: Record<string, number>;
    breached: number;
    medianHoursToClose: number | null;
  };
  riskiest: RiskyAccount[];
  rulesChanged: { rule: string; version: number; status: string; at: string; clause: string | null }[];
};

/** Everything the compliance summary states for the period, read in one transaction. */
export async function complianceSummary(tx: Tx, period: Period): Promise<ComplianceSummary> {
  const from = sql`${period.from.toISOString()}::timestamptz`;
  const to = sql`${period.to.toISOString()}::timestamptz`;
  const [counts] = await tx.execute<{ transactions: number; violations: number; accounts: number }>(sql`
    select (select count(*)::int from transactions where occurred_at >= ${from} and occurred_at <= ${to}) as transactions,
      (select count(*)::int from violations where detected_at >= ${from} and detected_at <= ${to}) as violations,
      (select count(distinct t.account)::int from violations v join transactions t on t.id = v.transaction_id
        where v.detected_at >= ${from} and v.detected_at <= ${to}) as accounts`);
  const severities = await tx.execute<{ severity: string; n: number }>(sql`
    select severity, count(*)::int as n from violations where detected_at >= ${from} and detected_at <= ${to} group by severity`);
  const byRule = await tx.execute<{
    rule: string;
    version: number;
    clause: string | null;
    policy: string | null;
    n: number;
  }>(sql`
    select rv.name as rule, v.rule_version as version, v.clause_ref as clause, p.name as policy, count(*)::int as n
    from violations v
    join rule_versions rv on rv.id = v.rule_version_id
    left join policies p on p.id = v.policy_id
    where v.detected_at >= ${from} and v.detected_at <= ${to}
    group by rv.name, v.rule_version, v.clause_ref, p.name
    order by n desc, rule
    limit 25`);
  const byPolicy = await tx.execute<{ policy: string | null; clauses: string[] | string; n: number }>(sql`
    select p.name as policy, coalesce(array_agg(distinct v.clause_ref) filter (where v.clause_ref is not null), '{}') as clauses,
      count(*)::int as n
    from violations v left join policies p on p.id = v.policy_id
    where v.detected_at >= ${from} and v.detected_at <= ${to}
    group by p.name
    order by n desc`);
  const perDay = await tx.execute<{ day: string; n: number }>(sql`
    select to_char(d.day, 'YYYY-MM-DD') as day, count(v.id)::int as n
    from generate_series(date_trunc('day', ${from} at time zone 'UTC'), ${to} at time zone 'UTC', interval '1 day') as d(day)
    left join violations v on date_trunc('day', v.detected_at at time zone 'UTC') = d.day
      and v.detected_at >= ${from} and v.detected_at <= ${to}
    group by d.day order by d.day`);
  const [cases] = await tx.execute<{
    opened: number;
    closed: number;
    confirmed: number;
    false_positive: number;
    inconclusive: number;
    breached: number;
    median_hours: string | null;
  }>(sql`
    select
      (select count(*)::int from cases where created_at >= ${from} and created_at <= ${to}) as opened,
      count(*)::int as closed,
      (count(*) filter (where outcome = 'confirmed'))::int as confirmed,
      (count(*) filter (where outcome = 'false_positive'))::int as false_positive,
      (count(*) filter (where outcome = 'inconclusive'))::int as inconclusive,
      (select count(*)::int from cases where escalated_at >= ${from} and escalated_at <= ${to}) as breached,
      (percentile_cont(0.5) within group (order by extract(epoch from closed_at - created_at)) / 3600)::text as median_hours
    from cases where closed_at >= ${from} and closed_at <= ${to}`);
  const rulesChanged = await tx.execute<{
    rule: string;
    version: number;
    status: string;
    at: string;
    clause: string | null;
  }>(sql`
    select name as rule, version, status, clause_ref as clause,
      to_char(coalesce(decided_at, created_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as at
    from rule_versions
    where (created_at >= ${from} and created_at <= ${to}) or (decided_at >= ${from} and decided_at <= ${to})
    order by coalesce(decided_at, created_at), name
    limit 50`);
  return {
    transactions: counts?.transactions ?? 0,
    violations: counts?.violations ?? 0,
    accountsWithViolations: counts?.accounts ?? 0,
    bySeverity: Object.fromEntries(SEVERITIES.map((s) => [s, severities.find((r) => r.severity === s)?.n ?? 0])),
    byRule: byRule.map((r) => ({ rule: r.rule, version: r.version, clause: r.clause, policy: r.policy, count: r.n })),
    byPolicy: byPolicy.map((r) => ({
      policy: r.policy ?? 'No policy (rules written by hand)',
      clauses: Array.isArray(r.clauses) ? r.clauses : pgTextArray(r.clauses),
      count: r.n,
    })),
    perDay: perDay.map((r) => ({ day: r.day, count: r.n })),
    cases: {
      opened: cases?.opened ?? 0,
      closed: cases?.closed ?? 0,
      byOutcome: {
        confirmed: cases?.confirmed ?? 0,
        false_positive: cases?.false_positive ?? 0,
        inconclusive: cases?.inconclusive ?? 0,
      },
      breached: cases?.breached ?? 0,
      medianHoursToClose: cases?.median_hours == null ? null : Number(cases.median_hours),
    },
    riskiest: await riskiestAccounts(tx, period, 10),
    rulesChanged: [...rulesChanged],
  };
}

/** A text[] as postgres.js hands it over without type fetching: `{a,"b c"}`. */
function pgTextArray(value: string): string[] {
  const inner = value.slice(1, -1);
  if (inner === '') return [];
  return (inner.match(/"((?:[^"\\]|\\.)*)"|[^,]+/g) ?? []).map((item) =>
    item.startsWith('"') ? item.slice(1, -1).replace(/\\(.)/g, '$1') : item,
  );
}

const count = (n: number) => n.toLocaleString('en-US');
const day = (d: Date) => d.toISOString().slice(0, 10);

export function durationText(hours: number | null): string {
  if (hours === null) return '—';
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/** The compliance summary as a PDF: figures, charts and tables of the period. */
export async function complianceSummaryPdf(
  summary: ComplianceSummary,
  period: Period,
  organization: string,
  generatedAt: Date,
): Promise<Uint8Array> {
  const pdf = await PdfReport.create(`Compliance summary ${day(period.from)} to ${day(period.to)}`, {
    organization,
    generatedAt,
  });
  pdf.title('Compliance summary', `${organization} · ${day(period.from)} to ${day(period.to)} (UTC)`);
  pdf.figures([
    { label: 'Transactions checked', value: count(summary.transactions) },
    { label: 'Violations', value: count(summary.violations) },
    { label: 'Accounts with violations', value: count(summary.accountsWithViolations) },
    { label: 'Cases opened', value: count(summary.cases.opened) },
    { label: 'Cases closed', value: count(summary.cases.closed) },
    { label: 'Median time to close', value: durationText(summary.cases.medianHoursToClose) },
  ]);

  pdf.heading('Violations by severity');
  pdf.barChart(
    SEVERITIES.slice()
      .reverse()
      .map((s) => ({
        label: s[0]!.toUpperCase() + s.slice(1),
        value: summary.bySeverity[s] ?? 0,
        color: SEVERITY_COLORS[s],
      })),
  );
  if (summary.perDay.length > 1) {
    pdf.heading('Violations per day');
    pdf.columnChart(summary.perDay.map((p) => ({ label: p.day, value: p.count })));
  }

  pdf.heading('Violations by rule');
  pdf.table(
    [
      { heading: 'Rule', width: 0.34 },
      { heading: 'Version', width: 0.09, align: 'right' },
      { heading: 'Clause', width: 0.16 },
      { heading: 'Policy', width: 0.29 },
      { heading: 'Violations', width: 0.12, align: 'right' },
    ],
    summary.byRule.map((r) => [r.rule, `v${r.version}`, r.clause ?? '—', r.policy ?? '—', count(r.count)]),
  );

  pdf.heading('Violations by policy');
  pdf.table(
    [
      { heading: 'Policy', width: 0.36 },
      { heading: 'Clauses cited', width: 0.5 },
      { heading: 'Violations', width: 0.14, align: 'right' },
    ],
    summary.byPolicy.map((p) => [p.policy, p.clauses.join(', ') || '—', count(p.count)]),
  );

  pdf.heading('Cases');
  pdf.barChart([
    { label: 'Opened', value: summary.cases.opened },
    { label: 'Closed: confirmed', value: summary.cases.byOutcome.confirmed ?? 0 },
    { label: 'Closed: false positive', value: summary.cases.byOutcome.false_positive ?? 0 },
    { label: 'Closed: inconclusive', value: summary.cases.byOutcome.inconclusive ?? 0 },
    { label: 'Breached their SLA', value: summary.cases.breached, color: SEVERITY_COLORS.critical },
  ]);
  pdf.paragraph(`Median time from opening to closing: ${durationText(summary.cases.medianHoursToClose)}.`);

  pdf.heading('Accounts at most risk');
  pdf.table(
    [
      { heading: 'Account', width: 0.5 },
      { heading: 'Highest risk score', width: 0.25, align: 'right' },
      { heading: 'Violations', width: 0.25, align: 'right' },
    ],
    summary.riskiest.map((a) => [a.account, a.risk.toFixed(2), count(a.violations)]),
  );

  pdf.heading('Rules changed');
  pdf.table(
    [
      { heading: 'Rule', width: 0.42 },
      { heading: 'Version', width: 0.1, align: 'right' },
      { heading: 'Status', width: 0.14 },
      { heading: 'Clause', width: 0.14 },
      { heading: 'When (UTC)', width: 0.2 },
    ],
    summary.rulesChanged.map((r) => [r.rule, `v${r.version}`, r.status, r.clause ?? '—', r.at]),
    'No rule was written, approved or rejected in this period.',
  );
  return pdf.finish();
}
