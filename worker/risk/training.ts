import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { organizations, riskModels } from '../../db/schema';
import { type Tx, uuidLiteral, withSystem, withTenant } from '../../db/tenant';
import type { RiskQueueMessage, RiskScoreMessage, RiskTrainMessage } from '../../queues/messages';
import type { Env } from '../env';
import { raiseJobFailures } from '../operations/jobs';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import { log } from '../platform/log';
import { subscriptionPlan } from '../subscription/plan';
import { FEATURES, featureVector, HISTORY_SIZE, readStoredHistories } from './features';
import { compileForest, FOREST_OPTIONS, fitForest, forestScores } from './forest';
import { idsFilter, loadScoringModel, scoreTransactions } from './scoring';

export type RiskModelRow = typeof riskModels.$inferSelect;

/** Transactions a model is fitted on at most: a seeded sample of the stored ones, however many there are. */
export const TRAINING_SAMPLE = 8192;
/** Stored transactions per scoring message of a training run. */
export const SCORING_CHUNK_SIZE = 5000;
/** The weekly retraining covers organizations with at least this many transactions. */
export const RETRAIN_MIN_TRANSACTIONS = 1000;
// Histories are read this many sampled transactions per statement.
const HISTORY_BATCH = 1024;
const SEND_BATCH = 100;
// A scoring chunk's id range is read in this many slices.
const SCORING_SLICES = 5;

/**
 * Records a training run and queues it (202). While one is training, asking again answers that one:
 * a second run on the same data would only repeat it.
 */
export async function requestTraining(
  env: Env,
  db: Database,
  actor: Actor,
  trigger: 'manual' | 'schedule',
  timeZone?: string,
): Promise<RiskModelRow> {
  const { model, queued } = await withTenant(db, actor.orgId, async (tx) => {
    // One run at a time per organization: the advisory lock orders concurrent requests.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('risk-train:' || ${actor.orgId}))`);
    const [running] = await tx.select().from(riskModels).where(eq(riskModels.status, 'training')).limit(1);
    if (running) return { model: running, queued: false };
    const zone = await trainingTimeZone(tx, actor.orgId, timeZone);
    const [last] = await tx
      .select({ version: riskModels.version })
      .from(riskModels)
      .orderBy(desc(riskModels.version))
      .limit(1);
    const [created] = await tx
      .insert(riskModels)
      .values({
        orgId: actor.orgId,
        version: (last?.version ?? 0) + 1,
        trigger,
        requestedBy: actor.userId,
        features: [...FEATURES],
        statistics: { time_zone: zone },
      })
      .returning();
    await recordAudit(tx, actor.origin, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'risk.model.training_requested',
      targetType: 'risk_model',
      targetId: created!.id,
      details: { version: created!.version, trigger, time_zone: zone },
    });
    return { model: created!, queued: true };
  });
  if (queued) {
    try {
      await env.RISK_QUEUE.send({ kind: 'risk.train', orgId: actor.orgId, modelId: model.id });
    } catch (error) {
      log('error', 'risk training could not be queued', { model_id: model.id, error: String(error) });
      await failTraining(env, db, actor.orgId, model.id, 'The training could not be queued; ask again.');
      throw new ApiError('service_unavailable', 'The training could not be queued. Try again in a moment.');
    }
  }
  return model;
}

/** The zone hours and weekdays are read in: the one asked for (then kept as the organization's), else the organization's, else UTC. */
async function trainingTimeZone(tx: Tx, orgId: string, asked: string | undefined): Promise<string> {
  if (asked !== undefined) {
    await tx
      .update(organizations)
      .set({ settings: sql`${organizations.settings} || ${JSON.stringify({ time_zone: asked })}::jsonb` })
      .where(eq(organizations.id, orgId));
    return asked;
  }
  const [org] = await tx.select({ settings: organizations.settings }).from(organizations).limit(1);
  return org?.settings.time_zone ?? 'UTC';
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(value);
  } catch {
    return false;
  }
}

export async function consumeRiskMessage(env: Env, db: Database, message: RiskQueueMessage): Promise<void> {
  if (message.kind === 'risk.train') await trainModel(env, db, message);
  else await scoreChunk(db, message);
}

/**
 * Fits the forest on a seeded sample of the stored transactions, stores it ready (from then on
 * every new transaction is scored with it), then queues the scoring of everything stored before, in
 * chunks. Every step reads a bounded amount: a count, a hashed sample of TRAINING_SAMPLE ids, their
 * histories, and the chunk boundaries; so it fits a Worker's limits at 10M transactions too.
 */
export async function trainModel(env: Env, db: Database, message: RiskTrainMessage): Promise<void> {
  const started = Date.now();
  const plan = await withTenant(db, message.orgId, async (tx) => {
    const [model] = await tx.select().from(riskModels).where(eq(riskModels.id, message.modelId));
    if (model?.status !== 'training') return null;
    const org = uuidLiteral(message.orgId);
    const [counted] = await tx.execute<{ total: number }>(
      sql`select count(*)::int as total from transactions t where t.org_id = ${org}`,
    );
    const total = counted!.total;
    if (total === 0) {
      await markFailed(
        env,
        tx,
        message.orgId,
        model.id,
        'There are no transactions to learn from yet: upload some, then train.',
      );
      return null;
    }
    // A seeded, order-free sample: a transaction is in it when its id hashes under the threshold.
    const threshold = Math.min(1, (TRAINING_SAMPLE * 1.1) / total);
    const sampled = await tx.execute<{ id: string }>(sql`
      select t.id from transactions t
      where t.org_id = ${org} and (hashint8(t.id)::bigint & 1048575) < ${sql.raw(String(Math.ceil(threshold * 1048576)))}
      order by t.id limit ${sql.raw(String(TRAINING_SAMPLE))}`);
    const ids = sampled.map((row) => Number(row.id));
    const zone = String(model.statistics.time_zone ?? 'UTC');
    const vectors: number[][] = [];
    for (let i = 0; i < ids.length; i += HISTORY_BATCH) {
      const rows = await readStoredHistories(tx, message.orgId, idsFilter(ids.slice(i, i + HISTORY_BATCH)), zone);
      vectors.push(...rows.map(featureVector));
    }
    const forest = fitForest(vectors);
    const compiled = compileForest(forest);
    const scores = Array.from(forestScores(compiled, vectors)).sort((a, b) => a - b);
    const statistics = {
      time_zone: zone,
      stored_transactions: total,
      sample_size: vectors.length,
      history_size: HISTORY_SIZE,
      trees: FOREST_OPTIONS.trees,
      samples_per_tree: forest.sampleSize,
      seed: FOREST_OPTIONS.seed,
      feature_statistics: Object.fromEntries(FEATURES.map((name, f) => [name, describe(vectors.map((v) => v[f]!))])),
      score_quantiles: { p50: quantile(scores, 0.5), p90: quantile(scores, 0.9), p99: quantile(scores, 0.99) },
      training_ms: Date.now() - started,
    };
    const chunks = await planScoringChunks(tx, message.orgId);
    await tx
      .update(riskModels)
      .set({
        status: 'ready',
        model: forest,
        transactions: vectors.length,
        statistics,
        trainedAt: sql`now()`,
        scoringTotal: total,
        scoringChunks: chunks.length,
        scoredAt: chunks.length === 0 ? sql`now()` : null,
      })
      .where(eq(riskModels.id, model.id));
    return { model, chunks };
  });
  if (!plan) return;
  const messages = plan.chunks.map((chunk, index): { body: RiskScoreMessage } => ({
    body: { kind: 'risk.score', orgId: message.orgId, modelId: message.modelId, chunk: index, ...chunk },
  }));
  for (let i = 0; i < messages.length; i += SEND_BATCH)
    await env.RISK_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
  log('info', 'risk model trained', { org_id: message.orgId, model_id: message.modelId, chunks: messages.length });
}

/** Id ranges of at most SCORING_CHUNK_SIZE stored transactions each, covering all of them. */
async function planScoringChunks(tx: Tx, orgId: string): Promise<{ firstId: number; lastId: number }[]> {
  const starts = await tx.execute<{ first_id: string; last_id: string }>(sql`
    select id as first_id, last_id from (
      select id, row_number() over (order by id) as n, max(id) over () as last_id
      from transactions t where t.org_id = ${uuidLiteral(orgId)}
    ) numbered
    where (n - 1) % ${sql.raw(String(SCORING_CHUNK_SIZE))} = 0
    order by id`);
  return starts.map((row, index) => ({
    firstId: Number(row.first_id),
    lastId: index + 1 < starts.length ? Number(starts[index + 1]!.first_id) - 1 : Number(row.last_id),
  }));
}

/** Scores one chunk of what was stored before the model; a chunk of a model since replaced is skipped. */
export async function scoreChunk(db: Database, message: RiskScoreMessage): Promise<void> {
  await withTenant(db, message.orgId, async (tx) => {
    const model = await loadScoringModel(tx);
    if (model && model.id === message.modelId) {
      // In a few id ranges: each statement returns its rows' histories (50 rows each), not aggregates.
      const first = Math.trunc(message.firstId);
      const last = Math.trunc(message.lastId);
      const step = Math.max(1, Math.ceil((last - first + 1) / SCORING_SLICES));
      for (let from = first; from <= last; from += step)
        await scoreTransactions(
          tx,
          message.orgId,
          model,
          sql.raw(`t.id between ${from} and ${Math.min(last, from + step - 1)}`),
        );
    }
    await tx
      .update(riskModels)
      .set({
        scoringChunksDone: sql`least(${riskModels.scoringChunks}, ${riskModels.scoringChunksDone} + 1)`,
        scoredAt: sql`case when ${riskModels.scoringChunksDone} + 1 >= ${riskModels.scoringChunks} then now() end`,
      })
      .where(eq(riskModels.id, message.modelId));
  });
}

export async function failTraining(
  env: Env,
  db: Database,
  orgId: string,
  modelId: string,
  reason: string,
): Promise<void> {
  await withTenant(db, orgId, (tx) => markFailed(env, tx, orgId, modelId, reason));
}

/** A training run is a job (the jobs view lists models): failing raises `job.failed`, once. */
async function markFailed(env: Env, tx: Tx, orgId: string, modelId: string, reason: string): Promise<void> {
  const failed = await tx
    .update(riskModels)
    .set({ status: 'failed', error: reason })
    .where(and(eq(riskModels.id, modelId), eq(riskModels.status, 'training')))
    .returning({ id: riskModels.id });
  if (failed.length > 0)
    await raiseJobFailures(env, tx, orgId, [
      { kind: 'model_training', id: modelId, error: reason, subject: { model_id: modelId } },
    ]);
}

/**
 * The weekly Cron Trigger: a new model for every organization whose plan has risk and that holds at
 * least RETRAIN_MIN_TRANSACTIONS transactions.
 */
export async function retrainModels(env: Env, db: Database, _at: Date): Promise<number> {
  const orgs = await withSystem(db, (tx) => tx.select({ id: organizations.id }).from(organizations));
  let queued = 0;
  for (const { id } of orgs) {
    try {
      const eligible = await withTenant(db, id, async (tx) => {
        if (!(await subscriptionPlan(tx, id)).features.includes('risk')) return false;
        const [row] = await tx.execute<{ n: number }>(sql`
          select count(*)::int as n from (select 1 from transactions t where t.org_id = ${uuidLiteral(id)}
          limit ${sql.raw(String(RETRAIN_MIN_TRANSACTIONS))}) enough`);
        return row!.n >= RETRAIN_MIN_TRANSACTIONS;
      });
      if (!eligible) continue;
      await requestTraining(env, db, { orgId: id, userId: null, origin: { ip: null, userAgent: 'cron' } }, 'schedule');
      queued++;
    } catch (error) {
      log('error', 'weekly retraining could not be queued', { org_id: id, error: String(error) });
    }
  }
  return queued;
}

function describe(values: number[]): { mean: number; sd: number; min: number; max: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  return {
    mean: round(mean),
    sd: round(sd),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
  };
}

function quantile(sorted: number[], q: number): number {
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;
