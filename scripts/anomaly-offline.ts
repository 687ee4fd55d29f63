/**
 * The anomaly model's quality without a server: bench:anomaly's labelled set, each transaction's
 * history taken in memory (the account's last HISTORY_SIZE transactions strictly before it, as the
 * readers of worker/risk/features.ts give it), the features of that module, a forest fitted on a
 * seeded sample of TRAINING_SAMPLE of them. For trying features and forest settings in seconds;
 * `npm run bench:anomaly` (the real path: upload, train, stored scores) is what gets recorded.
 * `tsx scripts/anomaly-offline.ts`, same BENCH_* variables as bench:anomaly.
 */

import {
  byTime,
  featureVector,
  historyBefore,
  type Observation,
  observeTransaction,
  zoneClock,
} from '../worker/risk/features';
import {
  compileForest,
  FOREST_OPTIONS,
  featureContributions,
  fitForest,
  forestScore,
  seededRandom,
} from '../worker/risk/forest';
import { generateDataset, precisionAtK, rocAuc } from './anomaly-dataset';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 300);
const DAYS = Number(process.env.BENCH_DAYS ?? 60);
const SEED = Number(process.env.BENCH_SEED ?? 20261206);
// TRAINING_SAMPLE of worker/risk/training.ts (not imported: that module needs the Worker's bindings).
const TRAINING_SAMPLE = Number(process.env.TRAINING_SAMPLE ?? 8192);

const rows = generateDataset({ accounts: ACCOUNTS, days: DAYS, seed: SEED, anomalyRate: 0.01 });
const clock = zoneClock('UTC');
const observations = rows.map((row) => observeTransaction(clock, row));
const byAccount = new Map<string, Observation[]>();
rows.forEach((row, i) => {
  const list = byAccount.get(row.account) ?? [];
  list.push(observations[i]!);
  byAccount.set(row.account, list);
});
for (const list of byAccount.values()) list.sort(byTime);
// EXTRA (experiments): candidate features appended to the vector, e.g. EXTRA=gap2,last15m.
const EXTRA = (process.env.EXTRA ?? '').split(',').filter(Boolean);
const DROP = (process.env.DROP ?? '').split(',').filter(Boolean).map(Number);
const MINUTE = 60_000_000;
const extras: Record<string, (probe: Observation, history: Observation[]) => number> = {
  gap1: (p, h) => Math.log1p(Math.min(h.length >= 1 ? (p.at - h[h.length - 1]!.at) / MINUTE : 10080, 10080)),
  gap2: (p, h) => Math.log1p(Math.min(h.length >= 2 ? (p.at - h[h.length - 2]!.at) / MINUTE : 10080, 10080)),
  gap3: (p, h) => Math.log1p(Math.min(h.length >= 3 ? (p.at - h[h.length - 3]!.at) / MINUTE : 10080, 10080)),
  last10m: (p, h) => h.filter((x) => x.at > p.at - 10 * MINUTE).length,
  last15m: (p, h) => h.filter((x) => x.at > p.at - 15 * MINUTE).length,
  last20m: (p, h) => h.filter((x) => x.at > p.at - 20 * MINUTE).length,
  last30m: (p, h) => h.filter((x) => x.at > p.at - 30 * MINUTE).length,
};
const vectors = rows.map((row, i) => {
  const probe = observations[i]!;
  const history = historyBefore(byAccount.get(row.account)!, probe.at);
  const vector = featureVector({ probe, history }).filter((_, f) => !DROP.includes(f));
  return [...vector, ...EXTRA.map((name) => extras[name]!(probe, history))];
});
const random = seededRandom(1);
const sample = vectors.filter(() => random() < (TRAINING_SAMPLE * 1.0) / vectors.length);
const TREES = Number(process.env.TREES ?? FOREST_OPTIONS.trees);
const SAMPLES = Number(process.env.SAMPLES ?? FOREST_OPTIONS.sampleSize);
const forest = compileForest(fitForest(sample, { ...FOREST_OPTIONS, trees: TREES, sampleSize: SAMPLES }));
for (let warm = 0; warm < 2; warm++) for (const vector of vectors) forestScore(forest, vector);
const scoringStarted = performance.now();
const scored = vectors.map((vector, i) => ({
  score: forestScore(forest, vector),
  anomalous: rows[i]!.anomaly !== undefined,
}));
const scoringUs = ((performance.now() - scoringStarted) * 1000) / vectors.length;
const explainStarted = performance.now();
const explained = vectors.filter(
  (vector, i) => scored[i]!.score >= 0.5 && featureContributions(forest, vector, scored[i]!.score),
);
const explainUs = ((performance.now() - explainStarted) * 1000) / Math.max(explained.length, 1);
const k = scored.filter((row) => row.anomalous).length;
const top = new Set(
  scored
    .map((row, i) => ({ ...row, i }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((row) => row.i),
);
const recall = Object.fromEntries(
  ['amount', 'odd_hour', 'burst', 'new_counterparty_abroad'].map((kind) => {
    const planted = rows.map((row, i) => ({ row, i })).filter(({ row }) => row.anomaly === kind);
    return [kind, Math.round((1000 * planted.filter(({ i }) => top.has(i)).length) / planted.length) / 1000];
  }),
);
console.log(
  JSON.stringify({
    transactions: rows.length,
    planted: k,
    sample: sample.length,
    precision_at_k: Math.round(precisionAtK(scored) * 1000) / 1000,
    roc_auc: Math.round(rocAuc(scored) * 1000) / 1000,
    recall_at_k_by_kind: recall,
    share_explained: Math.round((1000 * explained.length) / vectors.length) / 1000,
    us_per_score: Math.round(scoringUs * 100) / 100,
    us_per_explanation: Math.round(explainUs * 100) / 100,
  }),
);

// SEEDS=n: the same over n other training samples and forest seeds, for a mean that is not one draw's luck.
const SEEDS = Number(process.env.SEEDS ?? 0);
if (SEEDS > 0) {
  const precisions: number[] = [];
  const aucs: number[] = [];
  for (let s = 1; s <= SEEDS; s++) {
    const draw = seededRandom(1000 + s);
    const drawn = vectors.filter(() => draw() < TRAINING_SAMPLE / vectors.length);
    const fitted = compileForest(fitForest(drawn, { trees: TREES, sampleSize: SAMPLES, seed: 7919 * s }));
    const again = vectors.map((vector, i) => ({
      score: forestScore(fitted, vector),
      anomalous: rows[i]!.anomaly !== undefined,
    }));
    precisions.push(precisionAtK(again));
    aucs.push(rocAuc(again));
  }
  const mean = (values: number[]) => Math.round((1000 * values.reduce((a, b) => a + b, 0)) / values.length) / 1000;
  console.log(
    JSON.stringify({
      seeds: SEEDS,
      precision_at_k_mean: mean(precisions),
      precision_at_k_min: Math.min(...precisions),
      precision_at_k_max: Math.max(...precisions),
      roc_auc_mean: mean(aucs),
    }),
  );
}
