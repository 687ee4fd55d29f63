/**
 * `npm run bench:isolation`: one organization cannot starve another. Organization A keeps eight
 * heavy rule tests in flight (eight yearly `count_distinct` aggregates over its whole history)
 * while organization B measures `GET /api/rules` and a signed webhook push, sequentially. The
 * acceptance bound (issue 12): B's p95 stays under 2 s. Prints B's latencies with and without the
 * load, and what A's heavy tests were answered (200, 422 too expensive, 429 over the limit).
 */
import { type BenchServer, signatureHeader, startBenchServer, uploadNdjson } from './bench-server';

const HEAVY_ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const IN_FLIGHT = 8;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 45);

const heavyCondition = {
  all: ['account', 'counterparty', 'type', 'amount', 'country', 'channel', 'occurred_at', 'counterparty_country'].map(
    (field) => ({
      aggregate: { fn: 'count_distinct', field, group_by: ['currency'], window: '366d' },
      op: 'gt',
      value: 0,
    }),
  ),
};

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

type Other = { token: string; sourceId: string; secret: string };

/** Organization B: a few rules, a source, a little history. */
async function otherOrganization(server: BenchServer): Promise<Other> {
  const registered = await fetch(`${server.base}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      org_name: 'Bench neighbour',
      email: `neighbour-${Date.now()}@bench.local`,
      password: 'benchmark-password',
      full_name: 'Neighbour',
    }),
  });
  const session = (await registered.json()) as { access_token: string };
  const token = session.access_token;
  for (let i = 0; i < 5; i++) {
    const rule = await call<{ id: string }>(server.base, token, 'POST', '/api/rules', {
      name: `Large wire ${i}`,
      severity: 'high',
      condition: {
        all: [
          { field: 'amount', op: 'gt', value: 10_000 + i * 1000 },
          { aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '7d' }, op: 'gt', value: 50_000 },
        ],
      },
    });
    await call(server.base, token, 'POST', `/api/rules/${rule.id}/approve`, {});
  }
  const source = await call<{ id: string; signing_secret: string }>(server.base, token, 'POST', '/api/sources', {
    name: 'neighbour ERP',
  });
  return { token, sourceId: source.id, secret: source.signing_secret };
}

/** B's two requests, one after the other, for `seconds`; each one's latency in ms. */
async function measureOther(server: BenchServer, other: Other, seconds: number, tag: string) {
  const rules: number[] = [];
  const pushes: number[] = [];
  const failures: string[] = [];
  const until = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < until; i++) {
    let started = performance.now();
    const listed = await fetch(`${server.base}/api/rules`, { headers: { authorization: `Bearer ${other.token}` } });
    await listed.arrayBuffer();
    rules.push(performance.now() - started);
    if (!listed.ok) failures.push(`rules ${listed.status}`);

    const body = JSON.stringify({
      id: `${tag}-${i}`,
      occurred_at: new Date(Date.UTC(2026, 5, 1) + i * 60_000).toISOString(),
      amount: `${5000 + (i % 7) * 2500}.00`,
      currency: 'USD',
      account: `ACC-${i % 20}`,
    });
    started = performance.now();
    const pushed = await fetch(`${server.base}/api/ingest/${other.sourceId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nitilens-signature': signatureHeader(other.secret, body) },
      body,
    });
    await pushed.arrayBuffer();
    pushes.push(performance.now() - started);
    if (!pushed.ok) failures.push(`push ${pushed.status}`);
  }
  const summary = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return { n: sorted.length, p50_ms: Math.round(percentile(sorted, 50)), p95_ms: Math.round(percentile(sorted, 95)) };
  };
  return { rules: summary(rules), push: summary(pushes), failures: failures.length };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    console.log(`bench:isolation: storing ${HEAVY_ROWS.toLocaleString('en')} transactions in organization A ...`);
    await uploadNdjson(server, HEAVY_ROWS, 'HEAVY');
    const heavyRule = await call<{ id: string }>(server.base, server.token, 'POST', '/api/rules', {
      name: 'Eight yearly distinct counts',
      severity: 'low',
      condition: heavyCondition,
    });
    const other = await otherOrganization(server);
    console.log(`organization B alone for ${SECONDS} s ...`);
    const alone = await measureOther(server, other, SECONDS, 'ALONE');

    console.log(`organization A keeps ${IN_FLIGHT} heavy rule tests in flight; organization B for ${SECONDS} s ...`);
    const statuses: Record<string, number> = {};
    let running = true;
    const heavyLoop = async () => {
      while (running) {
        const response = await fetch(`${server.base}/api/rules/${heavyRule.id}/test`, {
          method: 'POST',
          headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        // A refused client waits as told, as the dashboard does.
        if (response.status === 429)
          await new Promise((r) => setTimeout(r, Number(response.headers.get('retry-after') ?? 1) * 1000));
      }
    };
    const load = Array.from({ length: IN_FLIGHT }, heavyLoop);
    await new Promise((r) => setTimeout(r, 2000));
    const loaded = await measureOther(server, other, SECONDS, 'LOADED');
    running = false;
    await Promise.all(load);

    console.log(
      `B alone:  rules p50 ${alone.rules.p50_ms} ms p95 ${alone.rules.p95_ms} ms; push p50 ${alone.push.p50_ms} ms p95 ${alone.push.p95_ms} ms`,
    );
    console.log(
      `B loaded: rules p50 ${loaded.rules.p50_ms} ms p95 ${loaded.rules.p95_ms} ms; push p50 ${loaded.push.p50_ms} ms p95 ${loaded.push.p95_ms} ms`,
    );
    console.log(`A's heavy tests answered: ${JSON.stringify(statuses)}`);
    const pass = loaded.rules.p95_ms < 2000 && loaded.push.p95_ms < 2000 && loaded.failures === 0;
    console.log(
      JSON.stringify({
        bench: 'isolation',
        heavy_rows: HEAVY_ROWS,
        heavy_in_flight: IN_FLIGHT,
        seconds: SECONDS,
        alone,
        loaded,
        heavy_statuses: statuses,
        p95_under_2s: pass,
      }),
    );
    if (!pass) process.exitCode = 1;
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
