import { type SQL, sql } from 'drizzle-orm';
import type { AnomalyFactor } from '../../db/schema';
import { type Tx, uuidArray, uuidLiteral } from '../../db/tenant';
import {
  type AccountTails,
  type BatchTransaction,
  FEATURES,
  featureVector,
  readBatchHistories,
  readStoredHistories,
  type WithHistory,
} from './features';
import {
  type CompiledForest,
  compileForest,
  type Forest,
  featureContributions,
  forestScore,
  forestScores,
} from './forest';

/** A ready model as scoring and explaining use it; `features` names its vectors' entries. */
export type ScoringModel = {
  id: string;
  version: number;
  timeZone: string;
  features: string[];
  forest: CompiledForest;
};

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
  const [current] = await tx.execute<{ id: string }>(sql`
    select id from risk_models
    where status = 'ready' and features = ${sql.raw(`'${JSON.stringify(FEATURES)}'`)}::jsonb
    order by version desc limit 1`);
  if (!current) return null;
  return (await loadModels(tx, [current.id])).get(current.id) ?? null;
}

/**
 * Models by id, from the isolate's cache or (those not in it) read in one statement: scoring
 * reads the newest, explaining on read the one that scored each transaction.
 */
export async function loadModels(tx: Tx, ids: string[]): Promise<Map<string, ScoringModel>> {
  const models = new Map<string, ScoringModel>();
  for (const id of ids) {
    const cached = cache.get(id);
    if (!cached) continue;
    cache.delete(id);
    cache.set(id, cached);
    models.set(id, cached);
  }
  const missing = ids.filter((id) => !models.has(id));
  if (missing.length === 0) return models;
  const stored = await tx.execute<{
    id: string;
    version: number;
    time_zone: string | null;
    features: string[] | string;
    model: Forest | string;
  }>(sql`
    select id, version, statistics->>'time_zone' as time_zone, features, model from risk_models
    where status = 'ready' and id = any(${uuidArray(missing)})`);
  for (const row of stored) {
    const forest = compileForest((typeof row.model === 'string' ? JSON.parse(row.model) : row.model) as Forest);
    const model = {
      id: row.id,
      version: Number(row.version),
      timeZone: row.time_zone ?? 'UTC',
      features: (typeof row.features === 'string' ? JSON.parse(row.features) : row.features) as string[],
      forest,
    };
    cache.set(model.id, model);
    if (cache.size > MODEL_CACHE_SIZE) cache.delete(cache.keys().next().value!);
    models.set(model.id, model);
  }
  return models;
}

/**
 * A transaction's score as stored (4 decimals) and what explaining it needs: the feature vector
 * where the score is 0.5 or more, else null (nothing to explain). Explaining is left to reading
 * (explainScore): it costs a scoring per feature, 50-60 us a transaction, which ingestion need not pay.
 */
export type Score = { score: string; features: number[] | null };
export type Scored = Score & { id: number };

/** Transactions' scores from their histories: the forest walks them as a batch (forestScores). */
export function scoreHistories(forest: CompiledForest, transactions: WithHistory[]): Score[] {
  const vectors = transactions.map(featureVector);
  const raw = forestScores(forest, vectors);
  return vectors.map((vector, i) => scoreOf(raw[i]!, vector));
}

/** A transaction's score from its history. */
export function scoreHistory(forest: CompiledForest, transaction: WithHistory): Score {
  const vector = featureVector(transaction);
  return scoreOf(forestScore(forest, vector), vector);
}

function scoreOf(raw: number, vector: number[]): Score {
  return { score: Math.min(Math.max(raw, 0), 1).toFixed(4), features: raw < FACTORS_FROM ? null : vector };
}

/**
 * The factors of a score (the features that raised it most), from the vector it was computed from
 * and the model that computed it: the same numbers whenever they are read.
 */
export function explainScore(model: ScoringModel, vector: number[] | null): AnomalyFactor[] {
  if (vector === null) return [];
  const { forest } = model;
  const raw = forestScore(forest, vector);
  // An ordinary transaction (below 0.5) has nothing to explain.
  if (raw < FACTORS_FROM) return [];
  return featureContributions(forest, vector, raw)
    .map((contribution, f) => ({
      feature: model.features[f]!,
      value: round(vector[f]!, 4),
      contribution: round(contribution, 4),
    }))
    .filter((factor) => factor.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution || a.feature.localeCompare(b.feature))
    .slice(0, LISTED_FACTORS);
}

/**
 * Scores stored transactions, those `probes` selects (a filter on `t`), with the model and stores
 * each score with what explaining it needs: one statement reads their histories, one writes the
 * scores. The webhook's path (its rows are stored first, then scored, then evaluated) and the
 * training run's.
 */
export async function scoreTransactions(tx: Tx, orgId: string, model: ScoringModel, probes: SQL): Promise<number> {
  const rows = await readStoredHistories(tx, orgId, probes, model.timeZone);
  if (rows.length === 0) return 0;
  const scored: Scored[] = scoreHistories(model.forest, rows).map((score, i) => ({ id: rows[i]!.id, ...score }));
  // Factors stored by scorings before migration 0015 would be stale once the row is scored again.
  await tx.execute(sql`
    update transactions t set anomaly_score = s.score, anomaly_features = s.features,
      anomaly_model_id = ${uuidLiteral(model.id)}, anomaly_factors = null
    from json_to_recordset(${sql.raw(`'${JSON.stringify(scored).replaceAll("'", "''")}'`)}::json)
      as s(id bigint, score numeric, features float8[])
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
  return scoreHistories(model.forest, rows);
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
