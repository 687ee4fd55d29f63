/**
 * The benchmarks' server: `wrangler dev` against DATABASE_URL (or an embedded PGlite) with
 * DEFAULT_PLAN=enterprise, on its own port and state directory, and a fresh organization.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { applyMigrations } from '../db/migrate';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { waitForHealth } from './wait-for-health';

export type BenchServer = { base: string; token: string; databaseUrl: string; stop: () => Promise<void> };

export async function startBenchServer(port = Number(process.env.BENCH_PORT ?? 8799)): Promise<BenchServer> {
  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
    databaseUrl = embedded.url;
  }
  await applyMigrations(databaseUrl);
  // A frozen bundle: `wrangler dev` restarts the Worker (killing the upload) whenever a source file changes.
  const bundle = mkdtempSync(`${tmpdir()}/nitilens-bench-bundle-`);
  execFileSync('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', bundle], { stdio: 'ignore' });
  // Its own process group, so stopping it also stops workerd.
  const wrangler: ChildProcess = spawn('node_modules/.bin/wrangler', [
    'dev', `${bundle}/index.js`, '--no-bundle', '--config', 'wrangler.toml', '--port', String(port), '--ip', '127.0.0.1', '--persist-to', mkdtempSync(`${tmpdir()}/nitilens-bench-`),
    '--show-interactive-dev-session=false', '--log-level', 'error',
    '--var', `JWT_SECRET:${randomBytes(32).toString('hex')}`, '--var', `SOURCE_SECRET_KEY:${randomBytes(32).toString('base64')}`,
    '--var', 'DEFAULT_PLAN:enterprise',
  ], { detached: true, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl } });
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const exited = new Promise((resolve) => wrangler.once('exit', resolve));
    process.kill(-wrangler.pid!, 'SIGTERM');
    await exited;
    await embedded?.stop();
  };
  try {
    await waitForHealth(`${base}/health`, 120_000);
    const registered = await fetch(`${base}/api/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ org_name: `Bench ${Date.now()}`, email: `bench-${Date.now()}@bench.local`, password: 'benchmark-password', full_name: 'Bench' }),
    });
    if (!registered.ok) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const { access_token: token } = (await registered.json()) as { access_token: string };
    return { base, token, databaseUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Rows per request: ~190-byte rows keep each body under the 100 MB upload limit. */
const ROWS_PER_UPLOAD = 250_000;

/** `count` NDJSON rows from row `first`, generated as the request body is read: 1,000 accounts, amounts with cents. */
export function ndjsonBody(first: number, count: number, prefix: string, start = Date.UTC(2026, 0, 1)): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const types = ['wire', 'cash', 'card', 'ach'];
  const perChunk = 2000;
  let sent = first;
  const last = first + count;
  return new ReadableStream({
    pull(controller) {
      if (sent >= last) return controller.close();
      const lines: string[] = [];
      for (const end = Math.min(last, sent + perChunk); sent < end; sent++) {
        lines.push(JSON.stringify({
          id: `${prefix}-${sent}`,
          occurred_at: new Date(start + sent * 30_000).toISOString(),
          amount: `${(sent * 7919) % 20000}.${String(sent % 100).padStart(2, '0')}`,
          currency: 'USD',
          account: `ACC-${sent % 1000}`,
          counterparty: `CP-${sent % 5000}`,
          type: types[sent % types.length],
          country: 'US',
          channel: 'bench',
        }));
      }
      controller.enqueue(encoder.encode(`${lines.join('\n')}\n`));
    },
  });
}

type UploadReport = { accepted: number; duplicates: number; rejected: number };

/** `count` rows in consecutive uploads of at most 250,000 rows; the summed report and the wall time. */
export async function uploadNdjson(server: BenchServer, count: number, prefix: string): Promise<{ seconds: number; report: UploadReport }> {
  const started = performance.now();
  const total: UploadReport = { accepted: 0, duplicates: 0, rejected: 0 };
  for (let first = 0; first < count; first += ROWS_PER_UPLOAD) {
    const response = await fetch(`${server.base}/api/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/x-ndjson' },
      body: ndjsonBody(first, Math.min(ROWS_PER_UPLOAD, count - first), prefix),
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
