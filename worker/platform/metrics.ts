import type { Env } from '../env';

/**
 * Metrics of the whole deployment (docs/operations.md). Each isolate, Worker or Durable Object,
 * adds to an in-memory buffer (a Map update: microseconds, nothing on the request's path) and
 * hands the buffer to one of the `MetricsAggregator` shards at most once a second, after the
 * response (`waitUntil`). `GET /metrics` sums the shards. A hand-over carries the isolate's id
 * and a sequence number, and is retried unchanged until it is acknowledged: the shard applies
 * each sequence once, so a retry after a lost answer never counts twice.
 */

type Labels = Record<string, string | number>;
export type Deltas = Record<string, number>;

/** A statement slower than SLOW_STATEMENT_MS, as the operations page lists it. */
export type SlowStatement = { digest: string; statement: string; duration_ms: number; at: string };
export type Batch = { source: string; seq: number; deltas: Deltas; slow: SlowStatement[] };

export const SHARDS = 4;
const FLUSH_INTERVAL_MS = 1000;
/** Seconds; the last bucket is +Inf. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What /metrics publishes: each metric's type and help, in the order it prints them. */
export const METRICS = {
  nitilens_http_requests_total: { type: 'counter', help: 'HTTP requests by method, route template and status.' },
  nitilens_http_request_duration_seconds: { type: 'histogram', help: 'HTTP request duration.' },
  nitilens_transactions_ingested_total: {
    type: 'counter',
    help: 'Transactions stored (webhooks, uploads, connectors).',
  },
  nitilens_violations_total: { type: 'counter', help: 'Violations stored, by severity.' },
  nitilens_scans_total: { type: 'counter', help: 'Scans started (queued) and finished (completed, failed).' },
  nitilens_alert_deliveries_total: {
    type: 'counter',
    help: 'Alert delivery attempts by channel type and outcome (delivered, retry, failed).',
  },
  nitilens_db_slow_queries_total: { type: 'counter', help: 'Database statements slower than 200 ms.' },
  nitilens_jobs_failed_total: { type: 'counter', help: 'Background jobs that failed, by kind.' },
  nitilens_admission_refused_total: {
    type: 'counter',
    help: 'Pushes and uploads refused with 503 at the isolate bound, by lane and reason (queue_full, wait_expired).',
  },
} as const;
export type MetricName = keyof typeof METRICS;

/** This isolate's id and shard, chosen at its first hand-over (random values are refused at module load). */
let isolate: { source: string; shard: number } | undefined;
let buffer: Deltas = {};
let slowBuffer: SlowStatement[] = [];
let seq = 0;
/** A batch sent but not acknowledged: sent again, unchanged, before anything newer. */
let unacknowledged: Batch | undefined;
let flushScheduled = false;
let flushing: Promise<void> | undefined;

/** `name{a="x",b="y"}` with labels in a fixed order: the key of one series. */
function seriesKey(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((key) => `${key}="${escapeLabel(String(labels[key]))}"`).join(',')}}`;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** Adds `by` to a counter of this isolate's buffer. */
export function count(name: MetricName, labels: Labels = {}, by = 1): void {
  if (by === 0) return;
  const key = seriesKey(name, labels);
  buffer[key] = (buffer[key] ?? 0) + by;
}

/** One observation of a histogram, in seconds. */
export function observe(name: MetricName, labels: Labels, seconds: number): void {
  for (const le of DURATION_BUCKETS) if (seconds <= le) count(name, { ...labels, le }, 1);
  const base = name as string;
  const bucket = seriesKey(`${base}_bucket`, { ...labels, le: '+Inf' });
  buffer[bucket] = (buffer[bucket] ?? 0) + 1;
  const sum = seriesKey(`${base}_sum`, labels);
  buffer[sum] = (buffer[sum] ?? 0) + seconds;
  const total = seriesKey(`${base}_count`, labels);
  buffer[total] = (buffer[total] ?? 0) + 1;
}

/** Keeps a slow statement for the operations page (the shards keep the latest ones). */
export function noteSlowStatement(statement: SlowStatement): void {
  count('nitilens_db_slow_queries_total');
  if (slowBuffer.length < 50) slowBuffer.push(statement);
}

/**
 * Hands the buffer over within a second, after the response: the first call of a window schedules
 * it, later ones in that window only add to the buffer.
 */
export function flushSoon(env: Env, waitUntil: (work: Promise<unknown>) => void): void {
  if (flushScheduled || !env.METRICS) return;
  flushScheduled = true;
  waitUntil(
    new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS)).then(() => {
      flushScheduled = false;
      return flushMetrics(env);
    }),
  );
}

/** Hands this isolate's buffer to its shard now (queue consumers at the end of a batch, /metrics before reading). */
export async function flushMetrics(env: Env): Promise<void> {
  if (!env.METRICS) return;
  // One hand-over at a time: sequence numbers must reach the shard in order.
  while (flushing) await flushing;
  flushing = handOver(env).finally(() => {
    flushing = undefined;
  });
  return flushing;
}

async function handOver(env: Env): Promise<void> {
  isolate ??= { source: crypto.randomUUID(), shard: Math.floor(Math.random() * SHARDS) };
  const { source, shard } = isolate;
  try {
    if (unacknowledged) {
      await shardStub(env, shard).add(unacknowledged);
      unacknowledged = undefined;
    }
    if (Object.keys(buffer).length === 0 && slowBuffer.length === 0) return;
    unacknowledged = { source, seq: ++seq, deltas: buffer, slow: slowBuffer };
    buffer = {};
    slowBuffer = [];
    await shardStub(env, shard).add(unacknowledged);
    unacknowledged = undefined;
  } catch {
    // Kept in `unacknowledged` and sent again, unchanged, by the next hand-over.
  }
}

export function shardStub(env: Env, index: number) {
  return env.METRICS!.get(env.METRICS!.idFromName(`metrics-${index}`));
}

/** Every shard's series, summed, and the slowest recent statements. */
export async function readMetrics(env: Env): Promise<{ series: Deltas; slow: SlowStatement[] }> {
  await flushMetrics(env);
  const shards = await Promise.all(Array.from({ length: SHARDS }, (_, index) => shardStub(env, index).read()));
  const series: Deltas = {};
  for (const one of shards)
    for (const [key, value] of Object.entries(one.series)) series[key] = (series[key] ?? 0) + value;
  const slow = shards
    .flatMap((one) => one.slow)
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, 50);
  return { series, slow };
}

/** The Prometheus text exposition format (version 0.0.4) of summed series. */
export function renderPrometheus(series: Deltas): string {
  const lines: string[] = [];
  for (const [name, { type, help }] of Object.entries(METRICS)) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const own = Object.keys(series)
      .filter((key) => metricOf(key) === name)
      .sort();
    for (const key of own) lines.push(`${key} ${formatValue(series[key]!)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The metric a series belongs to: its name without labels and without a histogram's suffix. */
function metricOf(key: string): string {
  const name = key.split('{')[0]!;
  return name.replace(/_(bucket|sum|count)$/, '') in METRICS && !(name in METRICS)
    ? name.replace(/_(bucket|sum|count)$/, '')
    : name;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(6);
}

/** A route template as Prometheus shows it: `/api/rules/{id}`, never a raw path. */
export function routeTemplate(routePath: string | undefined, matched: boolean): string {
  if (!matched || !routePath) return 'unmatched';
  return routePath.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}');
}
