import { type SQL, sql } from 'drizzle-orm';
import type { AnomalyFactor } from '../../db/schema';
import { type Tx, uuidLiteral } from '../../db/tenant';
import {
  type AccountTails,
  type BatchTransaction,
  FEATURES,
  featureVector,
  readBatchHistories,
  readStoredHistories,
  type WithHistory,
} from './features';
import { type CompiledForest, compileForest, type Forest, featureContributions, forestScore } from './forest';

/** A ready model as scoring uses it. */
export type ScoringModel = { id: string; version: number; timeZone: string; forest: CompiledForest };

// Compiled forests by model id, most recently used last: a megabyte or two each (840 KB of JSON
// on bench:anomaly), so the isolate keeps a bounded number (one per organization it serves, at
// most this many; 128 MB is the limit).
const MODEL_CACHE_SIZE = 8;
const cache = new Map<string, ScoringModel>();

/** How many factors a transaction lists: the features that raised its score most. */
const LISTED_FACTORS = 3;
/** The score from which a transaction's factors are listed. */
const FACTORS_FROM = 0.5;

/**
 * The organization's newest ready model, or null before the first one (a model of another feature
 * list, trained before an upgrade, is not used: train again). One small statement
 * without parameters (it shares a round trip with others sent beside it); the forest itself is
 * read once per isolate and model.
 */
export async function loadScoringModel(tx: Tx): Promise<ScoringModel | null> {
  const [current] = await tx.execute<{ id: string; version: number; time_zone: string | null }>(sql`
    select id, version, statistics->>'time_zone' as time_zone from risk_models
    where status = 'ready' and features = ${sql.raw(`'${JSON.stringify(FEATURES)}'`)}::jsonb
    order by version desc limit 1`);
  if (!current) return null;
  const cached = cache.get(current.id);
  if (cached) {
    cache.delete(current.id);
    cache.set(current.id, cached);
    return cached;
  }
  const [stored] = await tx.execute<{ model: Forest | string }>(
    sql`select model from risk_models where id = ${uuidLiteral(current.id)}`,
  );
  const forest = compileForest(
    (typeof stored!.model === 'string' ? JSON.parse(stored!.model) : stored!.model) as Forest,
  );
  const model = { id: current.id, version: Number(current.version), timeZone: current.time_zone ?? 'UTC', forest };
  cache.set(model.id, model);
  if (cache.size > MODEL_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return model;
}

export type Score = { score: string; factors: AnomalyFactor[] };
export type Scored = Score & { id: number };

/** A transaction's score (4 decimals, as stored) and its factors, from its history. */
export function scoreHistory(forest: CompiledForest, transaction: WithHistory): Score {
  const vector = featureVector(transaction);
  const raw = forestScore(forest, vector);
  // Explaining costs a scoring per feature: an ordinary transaction (below 0.5) has nothing to explain.
  const contributions = raw < FACTORS_FROM ? [] : featureContributions(forest, vector, raw);
  const factors = contributions
    .map((contribution, f) => ({
      feature: FEATURES[f]!,
      value: round(vector[f]!, 4),
      contribution: round(contribution, 4),
    }))
    .filter((factor) => factor.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.feature.localeCompare(b.feature))
    .slice(0, LISTED_FACTORS);
  return { score: Math.min(Math.max(raw, 0), 1).toFixed(4), factors };
}

/**
 * Scores stored transactions, those `probes` selects (a filter on `t`), with the model and stores
 * each score and its factors: one statement reads their histories, one writes the scores. The
 * webhook's path (its rows are stored first, then scored, then evaluated) and the training run's.
 */
export async function scoreTransactions(tx: Tx, orgId: string, model: ScoringModel, probes: SQL): Promise<number> {
  const rows = await readStoredHistories(tx, orgId, probes, model.timeZone);
  if (rows.length === 0) return 0;
  const scored: Scored[] = rows.map((row) => ({ id: row.id, ...scoreHistory(model.forest, row) }));
  await tx.execute(sql`
    update transactions t set anomaly_score = s.score, anomaly_factors = s.factors
    from json_to_recordset(${sql.raw(`'${JSON.stringify(scored).replaceAll("'", "''")}'`)}::json)
      as s(id bigint, score numeric, factors jsonb)
    where t.org_id = ${uuidLiteral(orgId)} and t.id = s.id`);
  return scored.length;
}

/**
 * Scores a batch before it is stored (an upload's or a connector run's), by position: the caller
 * writes each score with its row, so no row is written twice. `tails`: what the upload's earlier
 * batches learnt of their accounts (features.ts).
 */
export async function scoreBatch(
  tx: Tx,
  orgId: string,
  model: ScoringModel,
  batch: BatchTransaction[],
  tails?: AccountTails,
): Promise<Score[]> {
  const rows = await readBatchHistories(tx, orgId, batch, model.timeZone, tails ? { tails } : {});
  return rows.map((row) => scoreHistory(model.forest, row));
}

/** Given internal ids (a push, an upload batch) as a filter on `t`. */
export function idsFilter(ids: number[]): SQL {
  if (!ids.every(Number.isSafeInteger)) throw new Error('idsFilter: transaction ids must be integers');
  return sql.raw(`t.id = any('{${ids.join(',')}}'::bigint[])`);
}

function round(value: number, places: number): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}
