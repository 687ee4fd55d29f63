import { z } from '@hono/zod-openapi';
import { desc, sql } from 'drizzle-orm';
import { type AnomalyFactor, riskModels } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { notFound } from '../platform/errors';
import { pastKey } from '../platform/keyset';
import { decodeCursor, type Page, toPage } from '../platform/pagination';
import { storedVector, withAnomalyFactors } from './explanations';
import type { RiskModelRow } from './training';

/** Violations still to deal with: not resolved, not a false positive, not suppressed. */
const OPEN_VIOLATION = sql.raw(`v.status in ('open', 'reviewed', 'escalated')`);

/**
 * An account's risk, 0 to 100, as the sum of three factors, each with its ceiling:
 * - `open_violations` (up to 50): 50 x (1 - e^(-sum of their risk scores / 200)), so one critical
 *   violation with no anomaly (70) gives 15 and many approach 50;
 * - `anomalous_transactions` (up to 30): 30 x how far its most anomalous transaction is above an
 *   ordinary 0.5, (max anomaly score - 0.5) / 0.5, never below 0;
 * - `open_cases` (up to 20): 10 per case not closed.
 * The score is the rounded sum; each contribution is a whole number and they add up to the score
 * exactly (largest remainders: the rounding goes to the factors closest to the next unit).
 */
export const ACCOUNT_FACTORS = ['open_violations', 'anomalous_transactions', 'open_cases'] as const;

export type AccountRisk = {
  account: string;
  score: number;
  factors: { name: (typeof ACCOUNT_FACTORS)[number]; contribution: number }[];
  open_violations: number;
  open_cases: number;
};

type AccountRow = {
  account: string;
  violation_risk: string | null;
  open_violations: number;
  max_anomaly: string | null;
  open_cases: number;
};

export function accountRisk(row: AccountRow): AccountRisk {
  const raw = [
    50 * (1 - Math.exp(-Number(row.violation_risk ?? 0) / 200)),
    30 * Math.max(0, (Number(row.max_anomaly ?? 0) - 0.5) / 0.5),
    Math.min(20, 10 * row.open_cases),
  ];
  const contributions = wholeParts(raw);
  return {
    account: row.account,
    score: contributions.reduce((sum, part) => sum + part, 0),
    factors: ACCOUNT_FACTORS.map((name, i) => ({ name, contribution: contributions[i]! })),
    open_violations: row.open_violations,
    open_cases: row.open_cases,
  };
}

/** Whole numbers with the rounded total of `parts`, each the floor of its part or one above. */
export function wholeParts(parts: number[]): number[] {
  const total = Math.round(parts.reduce((sum, part) => sum + part, 0));
  const floors = parts.map(Math.floor);
  let missing = total - floors.reduce((sum, part) => sum + part, 0);
  const byRemainder = parts
    .map((part, i) => ({ i, remainder: part - floors[i]! }))
    .sort((a, b) => b.remainder - a.remainder || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing <= 0) break;
    floors[i]!++;
    missing--;
  }
  return floors;
}

// Above this an account's transaction counts as anomalous enough to list the account for it alone.
const LISTED_ANOMALY = 0.5;

const accountCursor = z.tuple([z.number(), z.string()]);

/**
 * Accounts by descending risk, then by name. Only accounts with something to show are listed:
 * an open violation, a case not closed, or a transaction scored above 0.5.
 */
export async function listAccountRisk(
  tx: Tx,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<AccountRisk>> {
  const after = decodeCursor(query.cursor, accountCursor);
  const rows = await tx.execute<AccountRow>(sql`
    with violated as (
      select t.account, sum(v.risk_score) as violation_risk, count(*)::int as open_violations
      from violations v join transactions t on t.id = v.transaction_id
      where ${OPEN_VIOLATION} group by t.account),
    anomalous as (
      select t.account, max(t.anomaly_score) as max_anomaly from transactions t
      where t.anomaly_score > ${sql.raw(String(LISTED_ANOMALY))} group by t.account),
    cased as (
      select c.account, count(*)::int as open_cases from cases c
      where c.account is not null and c.status <> 'closed' group by c.account)
    select a.account, v.violation_risk::text, coalesce(v.open_violations, 0) as open_violations,
      n.max_anomaly::text, coalesce(c.open_cases, 0) as open_cases
    from (select account from violated union select account from anomalous union select account from cased) a
    left join violated v using (account) left join anomalous n using (account) left join cased c using (account)`);
  const ranked = rows
    .map(accountRisk)
    .filter((risk) => risk.score > 0 || risk.open_violations > 0 || risk.open_cases > 0)
    .sort((a, b) => b.score - a.score || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const start = after
    ? ranked.findIndex((r) => r.score < after[0] || (r.score === after[0] && r.account > after[1]))
    : 0;
  const rest = start < 0 ? [] : ranked.slice(start, start + query.limit + 1);
  return toPage(
    rest,
    query.limit,
    (r) => r,
    (r) => [r.score, r.account],
  );
}

export type RiskSummary = {
  score: number;
  open_violations: number;
  trend: { week_start: string; score: number; violations: number }[];
  counts: { rule_id: string; rule_name: string; severity: string; count: number }[];
  model: ReturnType<typeof toModelView> | null;
};

const TREND_WEEKS = 12;

/**
 * The organization's score: the mean risk score of its open violations (0 when none). The trend:
 * the same mean over the violations detected in each of the last 12 weeks (Monday to Sunday, UTC;
 * false positives left out), oldest first. Counts: open violations by rule and severity.
 */
export async function riskSummary(tx: Tx): Promise<RiskSummary> {
  const [current, trend, counts, [model]] = await Promise.all([
    tx.execute<{ score: string | null; open: number }>(sql`
      select avg(v.risk_score)::text as score, count(*)::int as open from violations v where ${OPEN_VIOLATION}`),
    tx.execute<{ week_start: string; score: string | null; violations: number }>(sql`
      select to_char(w.week_start, 'YYYY-MM-DD') as week_start, avg(v.risk_score)::text as score,
        count(v.id)::int as violations
      from generate_series(date_trunc('week', now() at time zone 'UTC') - interval '${sql.raw(String(TREND_WEEKS - 1))} weeks',
        date_trunc('week', now() at time zone 'UTC'), interval '1 week') as w(week_start)
      left join violations v on v.detected_at at time zone 'UTC' >= w.week_start
        and v.detected_at at time zone 'UTC' < w.week_start + interval '1 week' and v.status <> 'false_positive'
      group by w.week_start order by w.week_start`),
    tx.execute<{ rule_id: string; rule_name: string; severity: string; count: number }>(sql`
      select v.rule_id, (select rv.name from rule_versions rv where rv.rule_id = v.rule_id order by rv.version desc limit 1) as rule_name,
        v.severity, count(*)::int as count
      from violations v where ${OPEN_VIOLATION}
      group by v.rule_id, v.severity order by count(*) desc, v.rule_id, v.severity`),
    tx.select().from(riskModels).orderBy(desc(riskModels.version)).limit(1),
  ]);
  return {
    score: Math.round(Number(current[0]?.score ?? 0)),
    open_violations: current[0]?.open ?? 0,
    trend: trend.map((week) => ({
      week_start: week.week_start,
      score: Math.round(Number(week.score ?? 0)),
      violations: week.violations,
    })),
    counts: counts.map((row) => ({ ...row })),
    model: model ? toModelView(model) : null,
  };
}

export async function currentModel(tx: Tx): Promise<RiskModelRow> {
  const [model] = await tx.select().from(riskModels).orderBy(desc(riskModels.version)).limit(1);
  if (!model) throw notFound('Risk model');
  return model;
}

/** Contract section 12's shape, plus what the dashboard shows of the run. */
export function toModelView(model: RiskModelRow) {
  return {
    id: model.id,
    version: model.version,
    status: model.status as 'training' | 'ready' | 'failed',
    trained_at: model.trainedAt?.toISOString() ?? null,
    transactions: model.transactions,
    features: model.features,
    statistics: model.statistics,
    trigger: model.trigger,
    requested_at: model.requestedAt.toISOString(),
    scoring: {
      total: model.scoringTotal,
      chunks: model.scoringChunks,
      chunks_done: model.scoringChunksDone,
      finished_at: model.scoredAt?.toISOString() ?? null,
    },
    error: model.error,
  };
}

const anomalyCursor = z.tuple([z.string(), z.string()]);

/** The most anomalous transactions, highest score first (ties by id as pushed). */
export async function listAnomalies(tx: Tx, query: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(query.cursor, anomalyCursor);
  const rows = await tx.execute<{
    id: string;
    account: string;
    occurred_at: string;
    amount: string;
    currency: string;
    counterparty: string | null;
    anomaly_score: string;
    anomaly_factors: AnomalyFactor[] | string | null;
    anomaly_features: string | null;
    anomaly_model_id: string | null;
  }>(sql`
    select t.external_id as id, t.account, to_char(t.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as occurred_at,
      trim_scale(t.amount)::text as amount, t.currency, t.counterparty, t.anomaly_score::text as anomaly_score, t.anomaly_factors,
      t.anomaly_features, t.anomaly_model_id
    from transactions t
    where t.anomaly_score is not null
      ${after ? sql`and ${pastKey('desc', [sql`t.anomaly_score`, sql`t.external_id`], [sql`${after[0]}::numeric`, after[1]])}` : sql``}
    order by t.anomaly_score desc, t.external_id desc
    limit ${query.limit + 1}`);
  const explained = await withAnomalyFactors(
    tx,
    rows.map((row) => ({
      ...row,
      anomalyFactors: typeof row.anomaly_factors === 'string' ? JSON.parse(row.anomaly_factors) : row.anomaly_factors,
      anomalyFeatures: storedVector(row.anomaly_features),
      anomalyModelId: row.anomaly_model_id,
    })),
  );
  return toPage(
    explained,
    query.limit,
    (row) => ({
      id: row.id,
      account: row.account,
      occurred_at: row.occurred_at,
      amount: row.amount,
      currency: row.currency,
      counterparty: row.counterparty,
      anomaly_score: Number(row.anomaly_score),
      anomaly_factors: row.anomalyFactors,
    }),
    (row) => [row.anomaly_score, row.id],
  );
}
