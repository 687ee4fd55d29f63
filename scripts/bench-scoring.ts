/**
 * The Worker's CPU for scoring an upload, without a server: bench:ingest's `--with-model` rows
 * (scripts/bench-habits.ts: a seed of HABITS_SEED_ROWS, the model fitted on a sample of their vectors as the
 * training run fits it, then the timed rows in batches of 5,000), each batch through the upload's
 * own functions (readBatchHistories with a stand-in for the database that answers the seed's
 * tails, featureVector, the forest), timed part by part. For iterating on scoring's cost in
 * seconds; bench:ingest's pair is what gets recorded. `npm run bench:scoring`
 * (BENCH_ROWS timed rows, 200,000 by default).
 */
import type { Tx } from '../db/tenant';
import {
  AccountTails,
  type BatchTransaction,
  byTime,
  featureVector,
  HISTORY_SIZE,
  historyBefore,
  type Observation,
  observeTransaction,
  readBatchHistories,
  zoneClock,
} from '../worker/risk/features';
import { compileForest, fitForest, forestScore, forestScores, seededRandom } from '../worker/risk/forest';
import { HABITS_SEED_ROWS, habitualFields } from './bench-habits';

const SEED_ROWS = HABITS_SEED_ROWS;
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCH = 5000;
// TRAINING_SAMPLE of worker/risk/training.ts (not imported: that module needs the Worker's bindings).
const TRAINING_SAMPLE = 8192;
const ORG = '00000000-0000-4000-8000-000000000000';
const start = Date.UTC(2026, 0, 1);

const toBatch = (fields: Record<string, string>): BatchTransaction => ({
  id: fields.id!,
  occurred_at: fields.occurred_at!,
  amount: String(Number(fields.amount)),
  account: fields.account!,
  counterparty: fields.counterparty ?? null,
  counterparty_country: fields.counterparty_country ?? null,
});

// The seed, stored: each account's rows ascending, its tail as the history statement sends it.
const clock = zoneClock('UTC');
const seed = Array.from({ length: SEED_ROWS }, (_, n) => toBatch(habitualFields(n, 'SEED', start)));
const byAccount = new Map<string, Observation[]>();
const seedObservations = seed.map((row) => {
  const observation = observeTransaction(clock, row);
  const list = byAccount.get(row.account) ?? [];
  list.push(observation);
  byAccount.set(row.account, list);
  return observation;
});
for (const list of byAccount.values()) list.sort(byTime);
const tailText = new Map(
  [...byAccount].map(([account, rows]) => [
    account,
    JSON.stringify(
      rows
        .slice(-HISTORY_SIZE)
        .reverse()
        .map((o) => [o.key, o.at, Math.round(Math.expm1(o.logAmount) * 100) / 100, o.counterparty, o.country]),
    ),
  ]),
);

// The model, as the training run fits it: a sample of the seed's vectors.
const seedVectors = seed.map((row, i) =>
  featureVector({
    probe: seedObservations[i]!,
    history: historyBefore(byAccount.get(row.account)!, seedObservations[i]!.at),
  }),
);
const draw = seededRandom(1);
const forest = compileForest(fitForest(seedVectors.filter(() => draw() < TRAINING_SAMPLE / SEED_ROWS)));

/** The history statement's answer: each account of the batch (first-seen order) with its stored tail, nothing since. */
function standIn(batch: BatchTransaction[]): Tx {
  const accounts = [...new Set(batch.map((row) => row.account))];
  const rows = accounts.map((account, n) => ({ n, tail: tailText.get(account) ?? '[]', span: '[]' }));
  return { execute: async () => rows } as unknown as Tx;
}

const timed = Array.from({ length: ROWS }, (_, n) => toBatch(habitualFields(SEED_ROWS + n, 'ING', start)));
const batches = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) => timed.slice(b * BATCH, (b + 1) * BATCH));

type Parts = { histories: number; vectors: number; single: number; batch: number; fixed: number };

async function pass(): Promise<Parts> {
  const parts: Parts = { histories: 0, vectors: 0, single: 0, batch: 0, fixed: 0 };
  const tails = new AccountTails();
  let mismatches = 0;
  for (const batch of batches) {
    let t = performance.now();
    const histories = await readBatchHistories(standIn(batch), ORG, batch, 'UTC', { tails });
    parts.histories += performance.now() - t;
    t = performance.now();
    const vectors = histories.map(featureVector);
    parts.vectors += performance.now() - t;
    t = performance.now();
    const single = vectors.map((vector) => forestScore(forest, vector));
    parts.single += performance.now() - t;
    t = performance.now();
    const batched = forestScores(forest, vectors);
    parts.batch += performance.now() - t;
    t = performance.now();
    let sum = 0;
    for (const score of batched) sum += Number(Math.min(Math.max(score, 0), 1).toFixed(4));
    parts.fixed += performance.now() - t + sum * 0;
    single.forEach((score, i) => {
      if (!Object.is(score, batched[i])) mismatches++;
    });
  }
  if (mismatches > 0) throw new Error(`forestScores differs from forestScore on ${mismatches} rows`);
  return parts;
}

async function main(): Promise<void> {
  await pass();
  const runs: Parts[] = [];
  for (let i = 0; i < 3; i++) runs.push(await pass());
  const us = (key: keyof Parts) => Math.round((Math.min(...runs.map((run) => run[key])) * 1000 * 100) / ROWS) / 100;
  console.log(
    JSON.stringify({
      benchmark: 'scoring',
      rows: ROWS,
      nodes: forest.first.length,
      depth: forest.depth,
      us_per_row: {
        histories: us('histories'),
        feature_vectors: us('vectors'),
        forest_single: us('single'),
        forest_batch: us('batch'),
        to_fixed: us('fixed'),
      },
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
