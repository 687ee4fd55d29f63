/**
 * The benchmarks' server: the Worker's production bundle in workerd, through Miniflare, against
 * DATABASE_URL (or an embedded PGlite) with DEFAULT_PLAN=enterprise, on its own port, and a fresh
 * organization. Not `wrangler dev`: it puts a proxy Worker (a second workerd process) in front and
 * relays every console line through the DevTools protocol into Node.js, ~4.5 ms of CPU a request
 * on two cores that production does not spend (measured in BENCHMARKS.md).
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { convertV4MiniflareOptions, Miniflare, type WorkerdStructuredLog } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { applyMigrations } from '../db/migrate';
import { habitualFields } from './bench-habits';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

export type BenchServer = {
  base: string;
  token: string;
  orgId: string;
  databaseUrl: string;
  stop: () => Promise<void>;
};

/** `bindings` adds to or overrides the Worker's variables (bench:alerts lets alerts reach its local receiver). */
export async function startBenchServer(
  port = Number(process.env.BENCH_PORT ?? 8799),
  bindings: Record<string, string> = {},
): Promise<BenchServer> {
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
    databaseUrl = embedded.url;
  }
  await applyMigrations(databaseUrl);
  const worker = await startWorker(databaseUrl, port, bindings);
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await worker.dispose();
    await embedded?.stop();
  };
  try {
    const registered = await fetch(`${base}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        org_name: `Bench ${Date.now()}`,
        email: `bench-${Date.now()}@bench.local`,
        password: 'benchmark-password',
        full_name: 'Bench',
      }),
    });
    if (!registered.ok) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const session = (await registered.json()) as { access_token: string; organization: { id: string } };
    return { base, token: session.access_token, orgId: session.organization.id, databaseUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The bundle `wrangler deploy` would upload, with wrangler.toml's bindings (Durable Objects,
 * queues and their consumers, Hyperdrive, R2, assets), as Miniflare runs it in workerd.
 */
async function startWorker(
  databaseUrl: string,
  port: number,
  extraBindings: Record<string, string>,
): Promise<{ dispose: () => Promise<void> }> {
  // The benchmarks do not need the dashboard, but the assets binding needs its folder (a fresh clone has none).
  mkdirSync('web/dist', { recursive: true });
  return startBundledWorker('wrangler.toml', port, {
    name: 'nitilens',
    bindings: {
      DEFAULT_PLAN: 'enterprise',
      JWT_SECRET: randomBytes(32).toString('hex'),
      SOURCE_SECRET_KEY: randomBytes(32).toString('base64'),
      ...extraBindings,
    },
    // BENCH_HYPERDRIVE_URL: the Worker's database connections through a pooler (PgBouncer in
    // transaction mode stands in for Hyperdrive's warm pool); setup and migrations use DATABASE_URL.
    hyperdrives: { HYPERDRIVE: process.env.BENCH_HYPERDRIVE_URL ?? databaseUrl },
  });
}

/**
 * The Worker of a wrangler config as `wrangler deploy --dry-run` bundles it (frozen: nothing in
 * the tree can reload it mid-run), run by Miniflare in workerd with the config's bindings and
 * `worker`'s on top. `BENCH_INSPECTOR=<port>` opens the V8 inspector for a CPU profile.
 */
export async function startBundledWorker(
  config: string,
  port: number,
  worker: { name: string; bindings: Record<string, string>; hyperdrives?: Record<string, string> },
): Promise<{ dispose: () => Promise<void> }> {
  const bundle = mkdtempSync(`${tmpdir()}/nitilens-bench-bundle-`);
  execFileSync('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--config', config, '--outdir', bundle], {
    stdio: 'ignore',
  });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  // The bundle is one module and, for the product, the PDF font beside it (its Data rule); Miniflare 5
  // refuses to convert wrangler's module rules, so the bundle's files are listed as modules instead.
  const { modulesRules: _, ...options } = workerOptions;
  const files = readdirSync(bundle);
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      port,
      ...(process.env.BENCH_INSPECTOR ? { inspectorPort: Number(process.env.BENCH_INSPECTOR) } : {}),
      // The Worker still writes its log line per request; only errors are shown.
      handleStructuredLogs: (entry: WorkerdStructuredLog) => entry.level === 'error' && console.error(entry.message),
      workers: [
        {
          ...options,
          name: worker.name,
          modulesRoot: bundle,
          modules: [
            ...files
              .filter((name) => name.endsWith('.js'))
              .map((name) => ({ type: 'ESModule' as const, path: `${bundle}/${name}` })),
            ...files
              .filter((name) => name.endsWith('.ttf'))
              .map((name) => ({ type: 'Data' as const, path: `${bundle}/${name}` })),
          ],
          bindings: { ...(options.bindings as Record<string, string>), ...worker.bindings },
          ...(worker.hyperdrives ? { hyperdrives: worker.hyperdrives } : {}),
        },
      ],
    }),
  );
  await miniflare.ready;
  return {
    dispose: async () => {
      await miniflare.dispose();
      rmSync(bundle, { recursive: true, force: true });
    },
  };
}

/** Rows per request: ~190-byte rows keep each body under the 100 MB upload limit. */
const ROWS_PER_UPLOAD = 250_000;

/**
 * What a generated row holds: `full` is a realistic ERP row (~190 bytes: id, occurred_at, amount,
 * currency, account, counterparty, type, country, channel); `compact` only the required fields
 * (~100 bytes), so that 1,000,000 rows fit one 100 MB file; `habits` the fields of a `full` row
 * (and the counterparty's country) with accounts that keep habits (scripts/bench-habits.ts).
 */
export type RowShape = 'full' | 'compact' | 'habits';

function generatedRow(n: number, prefix: string, start: number, shape: RowShape): string {
  return JSON.stringify(generatedFields(n, prefix, start, shape));
}

/** Row `n`'s fields, as the NDJSON upload sends them (and the COPY ceiling loads them). */
export function generatedFields(n: number, prefix: string, start: number, shape: RowShape): Record<string, string> {
  if (shape === 'habits') return habitualFields(n, prefix, start);
  const occurredAt = new Date(start + n * 30_000).toISOString().replace('.000Z', 'Z');
  const amount = `${(n * 7919) % 20000}.${String(n % 100).padStart(2, '0')}`;
  // Short ids and accounts: the organization is new, so ids need only be unique within this file.
  if (shape === 'compact')
    return { id: n.toString(36), occurred_at: occurredAt, amount, currency: 'USD', account: `A${n % 1000}` };
  const types = ['wire', 'cash', 'card', 'ach'];
  return {
    id: `${prefix}-${n}`,
    occurred_at: occurredAt,
    amount,
    currency: 'USD',
    account: `ACC-${n % 1000}`,
    counterparty: `CP-${n % 5000}`,
    type: types[n % types.length]!,
    country: 'US',
    channel: 'bench',
  };
}

/** `count` NDJSON rows from row `first`, generated as the request body is read: 1,000 accounts, amounts with cents. */
export function ndjsonBody(
  first: number,
  count: number,
  prefix: string,
  shape: RowShape = 'full',
  start = Date.UTC(2026, 0, 1),
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const perChunk = 2000;
  let sent = first;
  const last = first + count;
  return new ReadableStream({
    pull(controller) {
      if (sent >= last) return controller.close();
      const lines: string[] = [];
      for (const end = Math.min(last, sent + perChunk); sent < end; sent++)
        lines.push(generatedRow(sent, prefix, start, shape));
      controller.enqueue(encoder.encode(`${lines.join('\n')}\n`));
    },
  });
}

type UploadReport = { accepted: number; duplicates: number; rejected: number };

/**
 * `count` rows from row `first` in consecutive uploads (`compact` rows all in one body, others
 * 250,000 to a body); the summed report and the wall time.
 */
export async function uploadNdjson(
  server: BenchServer,
  count: number,
  prefix: string,
  shape: RowShape = 'full',
  first = 0,
): Promise<{ seconds: number; report: UploadReport }> {
  const perUpload = shape === 'compact' ? count : ROWS_PER_UPLOAD;
  const started = performance.now();
  const total: UploadReport = { accepted: 0, duplicates: 0, rejected: 0 };
  for (let sent = 0; sent < count; sent += perUpload) {
    const response = await fetch(`${server.base}/api/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/x-ndjson' },
      body: ndjsonBody(first + sent, Math.min(perUpload, count - sent), prefix, shape),
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    if (!response.ok) throw new Error(`upload: ${response.status} ${text}`);
    const report = JSON.parse(text) as UploadReport;
    total.accepted += report.accepted;
    total.duplicates += report.duplicates;
    total.rejected += report.rejected;
  }
  return { seconds: (performance.now() - started) / 1000, report: total };
}

const MEASURED_PROCESSES = ['workerd', 'postgres', 'node'];

/**
 * CPU seconds used so far by every live process of each measured kind (Linux /proc; empty
 * elsewhere). Where a benchmark's time goes on a machine whose cores it saturates.
 */
export function cpuSecondsByProcess(): Map<string, number> {
  const seconds = new Map<string, number>();
  if (!process.platform.startsWith('linux')) return seconds;
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!MEASURED_PROCESSES.includes(name)) continue;
      // Fields after the command's closing parenthesis: utime, stime, cutime, cstime are the 12th to
      // 15th, in clock ticks (1/100 s). cutime and cstime hold the children that ended (the
      // postmaster's backends, one per Worker connection), so their CPU is not lost when they exit.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 15).map(Number);
      seconds.set(name, (seconds.get(name) ?? 0) + fields.reduce((sum, ticks) => sum + ticks, 0) / 100);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return seconds;
}

/** "workerd 23.1 ms, postgres 8.3 ms, node 9.0 ms" per unit of work between two readings. */
export function cpuPerUnit(before: Map<string, number>, after: Map<string, number>, units: number): string {
  return MEASURED_PROCESSES.filter((name) => after.has(name))
    .map((name) => `${name} ${((1000 * ((after.get(name) ?? 0) - (before.get(name) ?? 0))) / units).toFixed(1)} ms`)
    .join(', ');
}

/** What the benchmarks read of a trained model (GET /api/risk/models/current). */
type TrainedModel = { version: number; transactions: number; statistics: { score_quantiles?: Record<string, number> } };

/**
 * Trains the organization's anomaly model and waits until its run has scored every stored
 * transaction: the `--with-model` runs of bench:ingest and bench:webhook measure scoring's cost.
 */
export async function trainAnomalyModel(server: BenchServer): Promise<TrainedModel> {
  const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
  const queued = await fetch(`${server.base}/api/risk/models/train`, { method: 'POST', headers, body: '{}' });
  if (queued.status !== 202) throw new Error(`train: ${queued.status} ${await queued.text()}`);
  for (;;) {
    const response = await fetch(`${server.base}/api/risk/models/current`, { headers });
    const model = (await response.json()) as TrainedModel & {
      status: 'training' | 'ready' | 'failed';
      error?: string;
      scoring: { finished_at: string | null };
    };
    if (model.status === 'failed') throw new Error(`training failed: ${model.error}`);
    if (model.status === 'ready' && model.scoring.finished_at) return model;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A JSON request to the benchmarks' server as its organization's admin; anything but 2xx throws with the answer. */
export async function call<T>(server: BenchServer, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The `X-NitiLens-Signature` value an ERP sends with `body`: `t=<unix seconds>,v1=<HMAC-SHA256 hex of "t.body">`. */
export function signatureHeader(secret: string, body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}
