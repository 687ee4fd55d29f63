/**
 * `npm run bench:webhook`: p50/p95/p99 latency of single-transaction signed pushes, evaluated
 * against the 10-rule benchmark set over 1,000,000 stored transactions.
 */

import { BENCH_RULES } from './bench-rules';
import {
  call,
  cpuPerUnit,
  cpuSecondsByProcess,
  signatureHeader,
  startBenchServer,
  trainAnomalyModel,
  uploadNdjson,
} from './bench-server';
import { percentile } from './bench-stats';

const STORED = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PUSHES = Number(process.env.BENCH_PUSHES ?? 500);
// `--with-model`: a trained anomaly model scores every push before its rules run.
const WITH_MODEL = process.argv.includes('--with-model');

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    console.log(`bench:webhook: storing ${STORED.toLocaleString('en')} transactions ...`);
    await uploadNdjson(server, STORED, 'HIST');
    if (WITH_MODEL) {
      const model = await trainAnomalyModel(server);
      console.log(`with anomaly model v${model.version}: every push is scored`);
    }
    for (const rule of BENCH_RULES) {
      const created = await call<{ id: string }>(server, 'POST', '/api/rules', rule);
      await call(server, 'POST', `/api/rules/${created.id}/approve`, {});
    }
    const source = await call<{ id: string; signing_secret: string }>(server, 'POST', '/api/sources', {
      name: 'bench ERP',
    });
    const cpuBefore = cpuSecondsByProcess();
    const latencies: number[] = [];
    let violations = 0;
    for (let i = 0; i < PUSHES; i++) {
      const body = JSON.stringify({
        id: `PUSH-${i}`,
        occurred_at: new Date(Date.UTC(2026, 0, 1) + ((i * 60_000) % (STORED * 30_000))).toISOString(),
        // Amounts up to 27,000, every 50th counterparty a shell, every 40th abroad in a sanctioned
        // country: some pushes raise violations, as real traffic does.
        amount: `${9000 + (i % 13) * 1500}.00`,
        currency: 'USD',
        account: `ACC-${i % 1000}`,
        counterparty: i % 50 === 0 ? `SHELL-${100 + (i % 900)}` : `CP-${i % 5000}`,
        type: ['cash', 'wire', 'card'][i % 3],
        country: 'US',
        counterparty_country: i % 40 === 0 ? 'IR' : 'US',
      });
      const started = performance.now();
      const response = await fetch(`${server.base}/api/ingest/${source.id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-nitilens-signature': signatureHeader(source.signing_secret, body),
        },
        body,
      });
      const answer = (await response.json()) as { results: { status: string; violations: unknown[] }[] };
      latencies.push(performance.now() - started);
      if (answer.results?.[0]?.status !== 'accepted')
        throw new Error(`push ${i}: ${response.status} ${JSON.stringify(answer)}`);
      violations += answer.results[0].violations.length;
    }
    console.log(`CPU per push: ${cpuPerUnit(cpuBefore, cpuSecondsByProcess(), PUSHES)}`);
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `${PUSHES} pushes over ${STORED.toLocaleString('en')} stored transactions, ${BENCH_RULES.length} approved rules, ${violations} violations raised`,
    );
    const ms = (p: number) => Number(percentile(sorted, p).toFixed(1));
    // The last line of output is the figures as one JSON object (what tools read).
    console.log(
      JSON.stringify({
        benchmark: 'webhook',
        stored: STORED,
        pushes: PUSHES,
        rules: BENCH_RULES.length,
        violations,
        p50_ms: ms(50),
        p95_ms: ms(95),
        p99_ms: ms(99),
        pooled: Boolean(process.env.BENCH_HYPERDRIVE_URL),
      }),
    );
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
