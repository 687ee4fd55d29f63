/**
 * `npm run bench:anomaly`: the anomaly model's quality on a realistic labelled set
 * (scripts/anomaly-dataset.ts: accounts with their own habits, 1% planted anomalies of four kinds).
 * Uploads it through POST /api/transactions, trains through POST /api/risk/models/train, waits for
 * the training run to score everything, then prints precision at k (k = planted) and ROC AUC, with
 * the same figures for a plain z-score of the amount within each account as the baseline.
 */
import postgres from 'postgres';
import { type AnomalyKind, generateDataset, precisionAtK, rocAuc } from './anomaly-dataset';
import { type BenchServer, startBenchServer, trainAnomalyModel } from './bench-server';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 300);
const DAYS = Number(process.env.BENCH_DAYS ?? 60);
const SEED = Number(process.env.BENCH_SEED ?? 20261206);

async function main(): Promise<void> {
  const rows = generateDataset({ accounts: ACCOUNTS, days: DAYS, seed: SEED, anomalyRate: 0.01 });
  const planted = rows.filter((row) => row.anomaly).length;
  const server = await startBenchServer();
  try {
    console.log(
      `bench:anomaly: ${rows.length.toLocaleString('en')} transactions of ${ACCOUNTS} accounts over ${DAYS} days, ${planted} planted anomalies (seed ${SEED})`,
    );
    const uploadStarted = performance.now();
    const body = rows.map(({ anomaly: _anomaly, ...row }) => JSON.stringify(row)).join('\n');
    await upload(server, body);
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const trainStarted = performance.now();
    const model = await trainAnomalyModel(server);
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    const scores = await storedScores(server);
    const model_ = rows.map((row) => ({ score: scores.get(row.id) ?? 0, anomalous: row.anomaly !== undefined }));
    const baseline = zScoreBaseline(rows);
    const result = {
      transactions: rows.length,
      planted,
      model_version: model.version,
      trained_on: model.transactions,
      precision_at_k: round(precisionAtK(model_)),
      roc_auc: round(rocAuc(model_)),
      baseline_precision_at_k: round(precisionAtK(baseline)),
      baseline_roc_auc: round(rocAuc(baseline)),
      recall_at_k_by_kind: recallByKind(rows, scores, planted),
      upload_s: round(uploadSeconds),
      train_and_score_s: round(trainSeconds),
    };
    console.log(
      `isolation forest: precision@${planted} ${result.precision_at_k}, ROC AUC ${result.roc_auc}; z-score baseline: precision@${planted} ${result.baseline_precision_at_k}, ROC AUC ${result.baseline_roc_auc}`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await server.stop();
  }
}

/** The data set as one NDJSON upload; anything but 2xx throws with the answer. */
async function upload(server: BenchServer, body: string): Promise<void> {
  const response = await fetch(`${server.base}/api/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
}

/** Every transaction's stored score, read as the database owner. */
async function storedScores(server: BenchServer): Promise<Map<string, number>> {
  const sql = postgres(server.databaseUrl, { max: 1 });
  try {
    const stored = await sql<{ external_id: string; anomaly_score: string | null }[]>`
      select external_id, anomaly_score::text from transactions where org_id = ${server.orgId}`;
    return new Map(stored.map((row) => [row.external_id, Number(row.anomaly_score ?? 0)]));
  } finally {
    await sql.end();
  }
}

/** |z| of the log amount against the account's own mean and deviation: the plain baseline. */
function zScoreBaseline(rows: ReturnType<typeof generateDataset>): { score: number; anomalous: boolean }[] {
  const byAccount = new Map<string, number[]>();
  for (const row of rows)
    byAccount.set(row.account, [...(byAccount.get(row.account) ?? []), Math.log1p(Number(row.amount))]);
  const stats = new Map(
    [...byAccount].map(([account, values]) => {
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) || 1;
      return [account, { mean, sd }];
    }),
  );
  return rows.map((row) => {
    const { mean, sd } = stats.get(row.account)!;
    return { score: Math.abs((Math.log1p(Number(row.amount)) - mean) / sd), anomalous: row.anomaly !== undefined };
  });
}

function recallByKind(rows: ReturnType<typeof generateDataset>, scores: Map<string, number>, k: number) {
  const top = new Set(
    [...rows]
      .sort((a, b) => (scores.get(b.id) ?? 0) - (scores.get(a.id) ?? 0))
      .slice(0, k)
      .map((row) => row.id),
  );
  const kinds: AnomalyKind[] = ['amount', 'odd_hour', 'burst', 'new_counterparty_abroad'];
  return Object.fromEntries(
    kinds.map((kind) => {
      const planted = rows.filter((row) => row.anomaly === kind);
      return [kind, round(planted.filter((row) => top.has(row.id)).length / Math.max(planted.length, 1))];
    }),
  );
}

const round = (value: number) => Math.round(value * 1000) / 1000;

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
