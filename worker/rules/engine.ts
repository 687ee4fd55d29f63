import { type SQL, sql } from 'drizzle-orm';
import { afterCommit, type Tx, uuidArray } from '../../db/tenant';
import { countingViolations } from '../overview/counters';
import { log } from '../platform/log';
import { count } from '../platform/metrics';
import { prepareScreening } from '../screening/subjects';
import { canonicalColumns } from '../transactions/store';
import { keptSearchValues } from '../violations/search';
import { compiledForTransactions } from './compiled-versions';
import {
  type AggregateMeasure,
  type CanonicalTransaction,
  type CompiledCondition,
  type Condition,
  compileCondition,
  explain,
  listAggregates,
  riskScore,
  type ScreeningLookup,
  type Severity,
} from './language';
import { type SetBasedWindows, setBasedCandidates } from './language/compile-sql';
import { validatedWindowSeconds } from './language/schema';
import { type ActiveRuleVersion, loadActiveRuleVersions } from './versions';

export { type ActiveRuleVersion, loadActiveRuleVersions };

/** Which transactions to evaluate: given ones (webhooks), or an id range with optional filters (scans, backtests). */
export type EvaluationScope =
  | { kind: 'transactions'; ids: number[] }
  | { kind: 'range'; firstId: number; lastId: number; from?: Date; to?: Date; ingestedAfter?: Date };

export type DetectedViolation = {
  /** The violation's id; null when nothing was persisted. */
  id: string | null;
  ruleId: string;
  ruleName: string;
  ruleVersionId: string;
  ruleVersion: number;
  /** The transaction's account and amount, as alerts show them. */
  account: string;
  amount: string;
  currency: string;
  /** The internal transaction id. */
  transactionId: number;
  /** The transaction id as pushed. */
  externalId: string;
  severity: Severity;
  riskScore: number;
  explanation: string;
  evidence: Record<string, unknown>;
  policyId: string | null;
  clauseRef: string | null;
  /** False when the violation already existed (at most one per rule version and transaction). */
  isNew: boolean;
  /** Stored as suppressed: its rule is snoozed for the transaction's account (no case, no alert). */
  suppressed?: boolean;
};

/** A violation as cases, alerts and live events read it: all but its evidence. */
export type RaisedViolation = Omit<DetectedViolation, 'evidence'>;

export type DetectionOptions = {
  /** The versions to evaluate; every approved version when omitted. */
  ruleVersions?: ActiveRuleVersion[];
  scanId?: string;
  /** Insert the violations (idempotently); otherwise only report them (backtests). */
  persist: boolean;
  /** At most this many hits per rule version (backtest samples). */
  sampleLimit?: number;
};

// Hits are read, explained and inserted a page at a time, so memory is bounded by the page.
const HIT_PAGE = 1_000;
// Set-based windows pay for every row of the range's time span, correlated ones per probe: they
// win on a scan chunk's few thousand rows while the span's rows are at most a few times the probes.
const SET_BASED_MAX_PROBES = 20_000;
const SET_BASED_MAX_SPAN_RATIO = 4;

/**
 * The one evaluation entry point (scan chunks, webhook decisions, backtests). The decision runs
 * in Postgres, set-based: over a range one statement per rule version and page of hits, for given
 * transactions one statement for every version; each hit comes back with its aggregates'
 * measures, and the JavaScript evaluator names the predicates that held.
 */
export async function detectViolations(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  options: DetectionOptions,
): Promise<DetectedViolation[]> {
  const versions = options.ruleVersions ?? (await loadActiveRuleVersions(tx));
  // Values that `screen` predicates read are scored first, so both evaluators read the same results.
  const screenings = await prepareScreening(
    tx,
    orgId,
    scopeFilter(orgId, scope),
    versions.map((version) => version.condition as Condition),
  );
  if (scope.kind === 'transactions') return detectForTransactions(tx, orgId, scope, versions, options, screenings);
  // A sample limit is per version (backtests), which one shared pass cannot honour.
  const together = options.sampleLimit === undefined ? versions.filter(isPlainRule) : [];
  const apart = versions.filter((version) => !together.includes(version));
  const found = await Promise.all([
    detectPlainInOnePass(tx, orgId, scope, together, options, screenings),
    ...apart.map((version) => detectForVersion(tx, orgId, scope, version, options, screenings)),
  ]);
  return found.flat();
}

/** A rule version without aggregates: deciding it reads only the transaction's own row. */
export function isPlainRule(version: ActiveRuleVersion): boolean {
  return listAggregates(version.condition as Condition).length === 0;
}

/**
 * Rule versions without aggregates over a range, in one pass: a page of the range's rows that
 * any of them flags, with a `hit_<n>` column per version. Reading a scan chunk once instead of
 * once per version is most of what these cheap rules cost (BENCHMARKS.md, Scans).
 */
async function detectPlainInOnePass(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  versions: ActiveRuleVersion[],
  options: DetectionOptions,
  screenings: ScreeningLookup | undefined,
): Promise<DetectedViolation[]> {
  if (versions.length === 0) return [];
  const holds = versions.map((version) => compileCondition(version.condition as Condition).holds);
  const decisions = holds.map((condition, n) => sql`${condition} as ${sql.raw(`hit_${n}`)}`);
  const detected: DetectedViolation[] = [];
  for (let after = 0; ; ) {
    const rows = await tx.execute<HitRow & Record<`hit_${number}`, boolean>>(sql`
      select ${canonicalColumns}, '[]'::jsonb as measures, ${sql.join(decisions, sql`, `)}
      from transactions t
      where ${scopeFilter(orgId, scope)} and t.id > ${after} and (${sql.join(holds, sql` or `)})
      order by t.id
      limit ${HIT_PAGE}`);
    const explained = versions.flatMap((version, n) =>
      rows.filter((row) => row[`hit_${n}`]).map((row) => explainHit(version, hitOf(withoutDecisions(row)), screenings)),
    );
    detected.push(...(options.persist ? await persistViolations(tx, orgId, explained, options.scanId) : explained));
    if (rows.length < HIT_PAGE) return detected;
    after = Number(rows[rows.length - 1]!.internal_id);
  }
}

/**
 * Given transactions (a webhook's few): every rule version decided in one statement, one
 * `hit_<n>` column per version holding its aggregates' statistics when it holds (null otherwise).
 * One statement instead of one per version is what keeps a push's latency low (docs/architecture.md,
 * Round trips). The evidence ids of windowed hits come from a second statement, run only when a
 * windowed rule hit: planning an ids subquery per window on every push cost more than that
 * statement does on a few.
 */
async function detectForTransactions(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  versions: ActiveRuleVersion[],
  options: DetectionOptions,
  screenings: ScreeningLookup | undefined,
): Promise<DetectedViolation[]> {
  if (versions.length === 0) return [];
  const compiled = versions.map(compiledForTransactions);
  const decisions = compiled.map(
    (condition, n) =>
      sql`case when ${condition.holds} then ${jsonbArray(condition.statistics)} end as ${sql.raw(`hit_${n}`)}`,
  );
  const rows = await tx.execute<HitRow & Record<`hit_${number}`, unknown>>(sql`
    select ${canonicalColumns}, ${sql.join(decisions, sql`, `)}
    from transactions t
    where ${scopeFilter(orgId, scope)}
    order by t.id`);
  const hits = versions.map((_, n) => rows.filter((row) => row[`hit_${n}`] !== null));
  const evidence = await evidenceIdsOfHits(tx, orgId, compiled, hits);
  const explained = versions.flatMap((version, n) =>
    hits[n]!.map((row) => {
      const statistics = jsonOf<Omit<AggregateMeasure, 'ids'>[]>(row[`hit_${n}`]);
      const ids = evidence.get(`${n}/${row.internal_id}`) ?? [];
      const measures = statistics.map((measure, k) => ({ ...measure, ids: ids[k] ?? [] }) as AggregateMeasure);
      return explainHit(version, hitOf({ ...withoutDecisions(row), measures }), screenings);
    }),
  );
  // Every version's violations in one insert, not one per version.
  return options.persist ? persistViolations(tx, orgId, explained, options.scanId) : explained;
}

/**
 * The contributing ids of each windowed hit's aggregates, by `<version index>/<internal id>`, in
 * one statement: an `ev_<n>` column per version that hit, for the transactions it hit.
 */
async function evidenceIdsOfHits(
  tx: Tx,
  orgId: string,
  compiled: CompiledCondition[],
  hits: HitRow[][],
): Promise<Map<string, string[][]>> {
  const windowed = compiled.flatMap((condition, n) =>
    condition.evidenceIds.length > 0 && hits[n]!.length > 0 ? [n] : [],
  );
  if (windowed.length === 0) return new Map();
  const idsOf = (n: number) => hits[n]!.map((row) => Number(row.internal_id));
  const columns = windowed.map(
    (n) => sql`case when t.id = any(${`{${idsOf(n).join(',')}}`}::bigint[])
    then ${jsonbArray(compiled[n]!.evidenceIds)} end as ${sql.raw(`ev_${n}`)}`,
  );
  const rows = await tx.execute<Record<string, unknown> & { internal_id: string }>(sql`
    select t.id as internal_id, ${sql.join(columns, sql`, `)}
    from transactions t
    where ${scopeFilter(orgId, { kind: 'transactions', ids: [...new Set(windowed.flatMap(idsOf))] })}`);
  const evidence = new Map<string, string[][]>();
  for (const row of rows) {
    for (const n of windowed) {
      const ids = row[`ev_${n}`];
      if (ids !== null && ids !== undefined) evidence.set(`${n}/${row.internal_id}`, jsonOf<string[][]>(ids));
    }
  }
  return evidence;
}

async function detectForVersion(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  version: ActiveRuleVersion,
  options: DetectionOptions,
  screenings: ScreeningLookup | undefined,
): Promise<DetectedViolation[]> {
  const condition = version.condition as Condition;
  const compiled = compileCondition(condition, await setBasedWindows(tx, orgId, scope, condition));
  const limit = options.sampleLimit ?? Number.POSITIVE_INFINITY;
  const detected: DetectedViolation[] = [];
  let after = 0;
  for (let found = 0; found < limit; ) {
    const hits = await selectHits(tx, orgId, scope, compiled, after, Math.min(HIT_PAGE, limit - found));
    if (hits.length === 0) break;
    const explained = hits.map((hit) => explainHit(version, hit, screenings));
    detected.push(...(options.persist ? await persistViolations(tx, orgId, explained, options.scanId) : explained));
    found += hits.length;
    after = hits[hits.length - 1]!.id;
    if (hits.length < HIT_PAGE) break;
  }
  return detected;
}

/**
 * The aggregates to compute set-based for a range scope: the compiler's candidates whose pass
 * (every row of the organization from the first probe's window start to the last probe) stays
 * within a few times the probes. Counted through the time index, stopping at the cap.
 */
async function setBasedWindows(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  condition: Condition,
): Promise<SetBasedWindows | undefined> {
  const candidates = setBasedCandidates(condition);
  if (scope.kind !== 'range' || candidates.length === 0) return undefined;
  const probes = scopeFilter(orgId, scope);
  const windows = [...new Set(candidates.map((node) => validatedWindowSeconds(node.aggregate.window)))];
  const cap = SET_BASED_MAX_PROBES * SET_BASED_MAX_SPAN_RATIO + 1;
  const rows = await tx.execute<{ probes: number; seconds: number; span: number }>(sql`
    select s.probes, d.seconds, (select count(*)::int from (
        select 1 from (select s.first - make_interval(secs => d.seconds) as since offset 0) b, transactions u
        where u.org_id = ${orgId} and u.occurred_at > b.since and u.occurred_at <= s.last limit ${cap}) x) as span
    from (select count(*)::int as probes, min(p.occurred_at) as first, max(p.occurred_at) as last
          from (select t.occurred_at from transactions t where ${probes} offset 0) p) s,
      unnest(${`{${windows.join(',')}}`}::int[]) as d(seconds)`);
  const fitting = new Set(
    rows
      .filter(
        (row) =>
          row.probes > 0 && row.probes <= SET_BASED_MAX_PROBES && row.span <= row.probes * SET_BASED_MAX_SPAN_RATIO,
      )
      .map((row) => row.seconds),
  );
  const aggregates = candidates.filter((node) => fitting.has(validatedWindowSeconds(node.aggregate.window)));
  return aggregates.length === 0 ? undefined : { orgId, probes, aggregates };
}

/** How many transactions the scope holds and how many of them the rule version flags. */
export async function countHits(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  version: ActiveRuleVersion,
): Promise<{ scanned: number; hits: number }> {
  await prepareScreening(tx, orgId, scopeFilter(orgId, scope), [version.condition as Condition]);
  const { holds } = compileCondition(version.condition as Condition);
  const [row] = await tx.execute<{ scanned: string; hits: string }>(sql`
    select count(*) as scanned, count(*) filter (where ${holds}) as hits
    from transactions t where ${scopeFilter(orgId, scope)}`);
  return { scanned: Number(row!.scanned), hits: Number(row!.hits) };
}

/** The scope as a filter on transaction `t`; the explicit org_id lets the indexes serve it. */
export function scopeFilter(orgId: string, scope: EvaluationScope): SQL {
  if (scope.kind === 'transactions') {
    if (!scope.ids.every(Number.isSafeInteger)) throw new Error('detectViolations: transaction ids must be integers');
    return sql`t.org_id = ${orgId} and t.id = any(${`{${scope.ids.join(',')}}`}::bigint[])`;
  }
  return sql.join(
    [
      sql`t.org_id = ${orgId} and t.id between ${scope.firstId} and ${scope.lastId}`,
      ...(scope.from ? [sql`t.occurred_at >= ${scope.from.toISOString()}::timestamptz`] : []),
      ...(scope.to ? [sql`t.occurred_at <= ${scope.to.toISOString()}::timestamptz`] : []),
      ...(scope.ingestedAfter ? [sql`t.ingested_at > ${scope.ingestedAfter.toISOString()}::timestamptz`] : []),
    ],
    sql` and `,
  );
}

type HitRow = Record<string, unknown> &
  CanonicalTransaction & { internal_id: string; measures: AggregateMeasure[] | string };
type Hit = { id: number; transaction: CanonicalTransaction; measures: AggregateMeasure[] };

/** Each aggregate's measure for a hit, in the order of the condition's aggregates. */
const measuresOf = (compiled: CompiledCondition) => jsonbArray(compiled.measures);

const jsonbArray = (items: SQL[]) =>
  items.length === 0 ? sql`'[]'::jsonb` : sql`jsonb_build_array(${sql.join(items, sql`, `)})`;

/** A jsonb column as postgres.js hands it over: parsed, or as text. */
const jsonOf = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;

async function selectHits(
  tx: Tx,
  orgId: string,
  scope: EvaluationScope,
  compiled: CompiledCondition,
  afterId: number,
  limit: number,
): Promise<Hit[]> {
  const rows = await tx.execute<HitRow>(sql`
    select ${canonicalColumns}, ${measuresOf(compiled)} as measures
    from ${compiled.from}
    where ${scopeFilter(orgId, scope)} and t.id > ${afterId} and ${compiled.holds}
    order by t.id
    limit ${limit}`);
  return rows.map(hitOf);
}

const withoutDecisions = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).filter(([column]) => !column.startsWith('hit_'))) as HitRow;

function hitOf({ internal_id, measures, ...transaction }: HitRow): Hit {
  return {
    id: Number(internal_id),
    transaction: transaction as CanonicalTransaction,
    measures: jsonOf<AggregateMeasure[]>(measures),
  };
}

function explainHit(version: ActiveRuleVersion, hit: Hit, screenings: ScreeningLookup | undefined): DetectedViolation {
  const { holds, explanation, evidence } = explain(
    version.condition as Condition,
    hit.transaction,
    hit.measures,
    screenings,
  );
  // The SQL decided; a disagreement would be a bug in one of the two evaluators, worth an alarm.
  if (!holds) {
    log('error', 'the SQL and JavaScript evaluators disagree', {
      rule_version_id: version.id,
      transaction_id: hit.transaction.id,
    });
  }
  return {
    id: null,
    ruleId: version.ruleId,
    ruleName: version.name,
    ruleVersionId: version.id,
    ruleVersion: version.version,
    account: hit.transaction.account,
    amount: String(hit.transaction.amount),
    currency: hit.transaction.currency,
    transactionId: hit.id,
    externalId: hit.transaction.id,
    severity: version.severity,
    riskScore: riskScore(version.severity, anomalyOf(hit.transaction)),
    explanation,
    evidence: evidence as unknown as Record<string, unknown>,
    policyId: version.policyId,
    clauseRef: version.clauseRef,
    isNew: false,
  };
}

/** The transaction's anomaly score as the risk blend reads it: 0 without one. */
function anomalyOf(transaction: CanonicalTransaction): number {
  const score = Number(transaction.anomaly_score ?? 0);
  return Number.isFinite(score) ? score : 0;
}

/**
 * Inserts violations (of one or several rule versions) in one statement; an existing one (same
 * rule version and transaction) is kept and reported as not new.
 */
async function persistViolations(
  tx: Tx,
  orgId: string,
  found: DetectedViolation[],
  scanId?: string,
): Promise<DetectedViolation[]> {
  if (found.length === 0) return [];
  const rows = found.map((v) => ({
    rule_id: v.ruleId,
    rule_version_id: v.ruleVersionId,
    rule_version: v.ruleVersion,
    policy_id: v.policyId,
    clause_ref: v.clauseRef,
    transaction_id: v.transactionId,
    severity: v.severity,
    risk_score: v.riskScore,
    explanation: v.explanation,
    evidence: v.evidence,
  }));
  // The overview's counters and the search's values are kept by the same statement
  // (worker/overview/counters.ts, worker/violations/search.ts).
  const inserted = await tx.execute<{ id: string; rule_version_id: string; transaction_id: string }>(
    countingViolations(
      sql`
    insert into violations (org_id, rule_id, rule_version_id, rule_version, policy_id, clause_ref, transaction_id, scan_id, severity, risk_score, explanation, evidence)
    select ${orgId}, r.rule_id, r.rule_version_id, r.rule_version, r.policy_id, r.clause_ref, r.transaction_id, ${scanId ?? null}, r.severity, r.risk_score, r.explanation, r.evidence
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(rule_id uuid, rule_version_id uuid, rule_version integer, policy_id uuid,
      clause_ref text, transaction_id bigint, severity text, risk_score numeric, explanation text, evidence jsonb)
    on conflict (rule_version_id, transaction_id) do nothing`,
      sql`id, rule_version_id, transaction_id`,
      keptSearchValues,
    ),
  );
  const key = (ruleVersionId: string, transactionId: number | string) => `${ruleVersionId}/${transactionId}`;
  countNewViolations(tx, found, inserted);
  const newIds = new Map(inserted.map((row) => [key(row.rule_version_id, row.transaction_id), row.id]));
  const existing = found.filter((v) => !newIds.has(key(v.ruleVersionId, v.transactionId)));
  const existingIds =
    existing.length === 0
      ? new Map<string, string>()
      : new Map(
          (
            await tx.execute<{ id: string; rule_version_id: string; transaction_id: string }>(sql`
    select v.id, v.rule_version_id, v.transaction_id from violations v
    join jsonb_to_recordset(${JSON.stringify(existing.map((e) => ({ rule_version_id: e.ruleVersionId, transaction_id: e.transactionId })))}::jsonb)
      as e(rule_version_id uuid, transaction_id bigint) using (rule_version_id, transaction_id)
    where v.rule_version_id = any(${uuidArray([...new Set(existing.map((e) => e.ruleVersionId))])})
      and v.transaction_id = any(${`{${existing.map((e) => e.transactionId).join(',')}}`}::bigint[])`)
          ).map((row) => [key(row.rule_version_id, row.transaction_id), row.id]),
        );
  return found.map((v) => {
    const newId = newIds.get(key(v.ruleVersionId, v.transactionId));
    return {
      ...v,
      id: newId ?? existingIds.get(key(v.ruleVersionId, v.transactionId)) ?? null,
      isNew: newId !== undefined,
    };
  });
}

/** `nitilens_violations_total{severity}`: the violations this insert stored, once its transaction commits. */
function countNewViolations(
  tx: Tx,
  found: DetectedViolation[],
  inserted: readonly { rule_version_id: string; transaction_id: string }[],
): void {
  if (inserted.length === 0) return;
  const severityOf = new Map(found.map((v) => [`${v.ruleVersionId}/${v.transactionId}`, v.severity]));
  const bySeverity = new Map<string, number>();
  for (const row of inserted) {
    const severity = severityOf.get(`${row.rule_version_id}/${row.transaction_id}`) ?? 'unknown';
    bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + 1);
  }
  afterCommit(tx, () => {
    for (const [severity, stored] of bySeverity) count('nitilens_violations_total', { severity }, stored);
  });
}
