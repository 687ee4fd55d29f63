/**
 * `npm run bench:metrics`: what the deployment-wide metrics add to a request (goal: <= 0.2 ms at
 * p50). The same Hono version as the Worker, with as many routes, serves GET /api/rules/{id}
 * through a middleware that does, or does not, call the Worker's own `countRequest`
 * (worker/platform/request-metrics.ts: the route template lookup, the counter and histogram
 * updates, the hand-over scheduled after the response). Both variants run interleaved in rounds
 * of 2,000 requests, so a busy machine slows both alike; p50 and p95 of each, and the difference.
 * The hand-over itself (one Durable Object call per isolate per second, after the response) is
 * not on a request's path; its shard is a stand-in that answers at once. In Node, not workerd:
 * V8 runs the same JavaScript, and nothing here does I/O.
 */

import { Hono } from 'hono';
import type { Env } from '../worker/env';
import { countRequest } from '../worker/platform/request-metrics';
import { percentile } from './bench-stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PER_ROUND = 2000;

const handedOver = { batches: 0 };
const env = {
  METRICS: {
    idFromName: (name: string) => name,
    get: () => ({
      add: async () => {
        handedOver.batches += 1;
        return true;
      },
    }),
  },
} as unknown as Env;
const executionCtx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };

function buildApp(withMetrics: boolean) {
  const app = new Hono<{ Bindings: Env }>();
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    if (withMetrics) countRequest(c, c.res.status, performance.now() - started);
  });
  // As many routes as the Worker has (~150), so the router's match is as costly as there.
  for (let i = 0; i < 150; i++) app.get(`/api/area-${i}/:id`, (c) => c.json({ id: c.req.param('id') }));
  app.get('/api/rules/:id', (c) => c.json({ id: c.req.param('id') }));
  return app;
}

async function timeRound(app: ReturnType<typeof buildApp>, into: number[]): Promise<void> {
  for (let i = 0; i < PER_ROUND; i++) {
    const request = new Request(`http://bench.test/api/rules/${crypto.randomUUID()}`);
    const started = performance.now();
    const response = await app.fetch(request, env, executionCtx);
    into.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`unexpected ${response.status}`);
  }
}

async function main(): Promise<void> {
  const plain = buildApp(false);
  const counted = buildApp(true);
  const without: number[] = [];
  const withMetrics: number[] = [];
  // Warm-up: both variants compiled and optimised before anything is recorded.
  await timeRound(plain, []);
  await timeRound(counted, []);
  for (let round = 0; round < ROUNDS; round++) {
    await timeRound(plain, without);
    await timeRound(counted, withMetrics);
  }
  without.sort((a, b) => a - b);
  withMetrics.sort((a, b) => a - b);
  const ms = (value: number) => Math.round(value * 1000) / 1000;
  const result = {
    requests_each: without.length,
    p50_without_ms: ms(percentile(without, 50)),
    p50_with_ms: ms(percentile(withMetrics, 50)),
    p95_without_ms: ms(percentile(without, 95)),
    p95_with_ms: ms(percentile(withMetrics, 95)),
    p50_added_ms: ms(percentile(withMetrics, 50) - percentile(without, 50)),
    p95_added_ms: ms(percentile(withMetrics, 95) - percentile(without, 95)),
  };
  console.log(`requests each: ${result.requests_each}; p50 added: ${result.p50_added_ms} ms (goal <= 0.2 ms)`);
  console.log(JSON.stringify(result));
  process.exit(0);
}

await main();
