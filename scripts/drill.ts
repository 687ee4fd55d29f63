/**
 * `npm run drill`: the failure drills of docs/operations.md, against a throwaway Postgres cluster
 * of its own (initdb under /tmp, on another port: never the machine's shared server), which it
 * stops and starts. The Worker runs as in the benchmarks (scripts/bench-server.ts: the production
 * bundle in workerd, with its queues and Durable Objects).
 *
 * 1. A scan with Postgres stopped for DRILL_OUTAGE_SECONDS (20) in the middle completes with
 *    exactly the violations of an undisturbed scan; during the outage the API (the scan, the jobs,
 *    /health) answers 503 problem+json with Retry-After, never 500.
 * 2. Webhook pushes while Postgres is unreachable answer 503 problem+json with Retry-After; the ERP
 *    retries each after recovery, and every transaction is stored exactly once.
 *
 * Each check is printed; the last line is a JSON summary. Exits 1 when a check fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import postgres from 'postgres';
import { type BenchServer, signatureHeader, startBenchServer, uploadNdjson } from './bench-server';

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const TRANSACTIONS = Number(process.env.DRILL_TRANSACTIONS ?? 100_000);
const OUTAGE_MS = Number(process.env.DRILL_OUTAGE_SECONDS ?? 20) * 1000;
const PUSHES = 20;

type Check = { name: string; ok: boolean; detail: string };
const checks: Check[] = [];

function check(name: string, ok: boolean, detail: string): void {
  checks.push({ name, ok, detail });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}: ${detail}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A Postgres cluster in a temporary folder: initdb refuses root, so as the postgres user when root. */
class ThrowawayPostgres {
  readonly dir = mkdtempSync('/tmp/nitilens-drill-pg-');
  constructor(readonly port: number) {}

  private run(tool: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [command, commandArgs] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', `${PG_BIN}/${tool}`, ...args]]
      : [`${PG_BIN}/${tool}`, args];
    execFileSync(command, commandArgs as string[], { stdio: 'ignore' });
  }

  init(): void {
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', this.dir]);
    this.run('initdb', ['-D', this.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    this.start();
  }

  start(): void {
    this.run('pg_ctl', [
      '-D',
      this.dir,
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      '-l',
      `${this.dir}/server.log`,
      '-w',
      'start',
    ]);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', this.dir, '-m', 'fast', '-w', 'stop']);
  }

  url(database = 'postgres'): string {
    // Trust authentication ignores the password; Hyperdrive refuses a URL without one.
    return `postgres://postgres:drill@127.0.0.1:${this.port}/${database}`;
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function call(server: BenchServer, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
}

async function json<T>(server: BenchServer, method: string, path: string, body?: unknown): Promise<T> {
  const response = await call(server, method, path, body);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

type Scan = { id: string; status: string; processed: number; total: number; violations_found: number };

async function waitForScan(server: BenchServer, id: string, timeoutMs: number): Promise<Scan> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await call(server, 'GET', `/api/scans/${id}`).catch(() => undefined);
    if (response?.ok) {
      const scan = (await response.json()) as Scan;
      if (scan.status === 'completed' || scan.status === 'failed') return scan;
    }
    if (Date.now() > deadline) throw new Error(`scan ${id} did not finish within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** What one request answered while the database was down: its status, and whether it was a proper 503. */
async function probe(server: BenchServer, path: string): Promise<{ path: string; status: number; proper: boolean }> {
  try {
    const response = await call(server, 'GET', path);
    const text = await response.text();
    const proper =
      response.status === 503 &&
      response.headers.get('content-type') === 'application/problem+json' &&
      Number(response.headers.get('retry-after')) > 0 &&
      !/stack|at .*\.ts/.test(text);
    return { path, status: response.status, proper };
  } catch {
    return { path, status: 0, proper: false };
  }
}

async function push(server: BenchServer, source: { id: string; signing_secret: string }, transaction: unknown) {
  const body = JSON.stringify(transaction);
  const started = performance.now();
  const response = await fetch(`${server.base}/api/ingest/${source.id}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-nitilens-signature': signatureHeader(source.signing_secret, body),
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    seconds: (performance.now() - started) / 1000,
    retryAfter: Number(response.headers.get('retry-after')),
    problem: response.headers.get('content-type') === 'application/problem+json',
    text,
  };
}

/** Drill 1: Postgres stopped in the middle of a scan. */
async function scanDrill(server: BenchServer, pg: ThrowawayPostgres): Promise<void> {
  // Two rules alike: the undisturbed scan runs one, the disturbed scan the other, so each stores its own violations.
  const [calm, stormy] = (await Promise.all(
    ['Drill: large amount (undisturbed)', 'Drill: large amount (disturbed)'].map(async (name) => {
      const rule = await json<{ id: string }>(server, 'POST', '/api/rules', {
        name,
        severity: 'high',
        condition: { field: 'amount', op: 'gt', value: 15000 },
      });
      await json(server, 'POST', `/api/rules/${rule.id}/approve`, {});
      return rule.id;
    }),
  )) as [string, string];
  const { report } = await uploadNdjson(server, TRANSACTIONS, 'drill');
  console.log(`uploaded ${report.accepted} transactions`);

  const undisturbed = await waitForScan(
    server,
    (await json<{ id: string }>(server, 'POST', '/api/scans', { rule_ids: [calm] })).id,
    600_000,
  );
  console.log(`undisturbed scan: ${undisturbed.violations_found} violations`);

  const disturbed = await json<{ id: string }>(server, 'POST', '/api/scans', { rule_ids: [stormy] });
  // Stopped once the scan is under way, so chunks fail mid-scan.
  for (;;) {
    const scan = await json<Scan>(server, 'GET', `/api/scans/${disturbed.id}`);
    if (scan.processed > 0 || scan.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const before = await json<Scan>(server, 'GET', `/api/scans/${disturbed.id}`);
  pg.stop();
  console.log(`Postgres stopped with the scan at ${before.processed}/${before.total}`);
  const answers: Awaited<ReturnType<typeof probe>>[] = [];
  const outageEnds = Date.now() + OUTAGE_MS;
  while (Date.now() < outageEnds) {
    answers.push(
      ...(await Promise.all([
        probe(server, `/api/scans/${disturbed.id}`),
        probe(server, '/api/jobs?kind=scan'),
        probe(server, '/health'),
      ])),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  pg.start();
  console.log('Postgres started again');
  const improper = answers.filter((answer) => !answer.proper);
  check(
    'API while the database is down: 503 problem+json with Retry-After, never 500',
    improper.length === 0,
    `${answers.length} requests, ${improper.length} otherwise (${[...new Set(improper.map((a) => `${a.path} ${a.status}`))].join(', ') || 'none'})`,
  );
  check(
    'the scan was stopped mid-way',
    before.processed < before.total,
    `${before.processed} of ${before.total} processed when Postgres stopped`,
  );
  const finished = await waitForScan(server, disturbed.id, 600_000);
  check(
    'the disturbed scan completes with exactly the undisturbed violations',
    finished.status === 'completed' &&
      finished.violations_found === undisturbed.violations_found &&
      finished.processed === finished.total,
    `status ${finished.status}, ${finished.violations_found} violations (undisturbed ${undisturbed.violations_found}), ${finished.processed}/${finished.total}`,
  );
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<
      { calm: number; stormy: number; differing: number; distinct_pairs: number; stored: number }[]
    >`
      with found as (select rule_id, transaction_id from violations where org_id = ${server.orgId})
      select count(*) filter (where rule_id = ${calm})::int as calm,
        count(*) filter (where rule_id = ${stormy})::int as stormy,
        (select count(*)::int from (
          (select transaction_id from found where rule_id = ${calm} except all select transaction_id from found where rule_id = ${stormy})
          union all
          (select transaction_id from found where rule_id = ${stormy} except all select transaction_id from found where rule_id = ${calm})
        ) d) as differing,
        (select count(distinct (rule_id, transaction_id))::int from found) as distinct_pairs,
        count(*)::int as stored
      from found`;
    check(
      'the same transactions flagged, none stored twice',
      row!.calm === row!.stormy && row!.differing === 0 && row!.distinct_pairs === row!.stored,
      `undisturbed ${row!.calm}, disturbed ${row!.stormy}, differing ${row!.differing}, ${row!.stored} stored / ${row!.distinct_pairs} distinct`,
    );
  } finally {
    await sql.end();
  }
  const jobs = await json<{ items: { id: string; status: string }[] }>(server, 'GET', '/api/jobs?kind=scan');
  check(
    'the jobs list shows the disturbed scan succeeded',
    jobs.items.find((job) => job.id === disturbed.id)?.status === 'succeeded',
    JSON.stringify(jobs.items.find((job) => job.id === disturbed.id)),
  );
}

/** Drill 2: webhook pushes while Postgres is unreachable, then the ERP's retries. */
async function webhookDrill(server: BenchServer, pg: ThrowawayPostgres): Promise<void> {
  const source = await json<{ id: string; signing_secret: string }>(server, 'POST', '/api/sources', {
    name: 'Drill ERP',
  });
  const transactions = Array.from({ length: PUSHES }, (_, i) => ({
    id: `DRILL-PUSH-${Date.now()}-${i}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '100.00',
    currency: 'USD',
    account: `ACC-${i}`,
  }));
  // The first two are stored before the outage: their retries must stay duplicates.
  for (const transaction of transactions.slice(0, 2)) await push(server, source, transaction);
  pg.stop();
  const refused: Awaited<ReturnType<typeof push>>[] = [];
  for (const transaction of transactions) refused.push(await push(server, source, transaction));
  const improper = refused.filter(
    (answer) => answer.status !== 503 || !answer.problem || !(answer.retryAfter > 0) || answer.seconds > 10,
  );
  check(
    'pushes while Postgres is unreachable: 503 problem+json with Retry-After within 10 s',
    improper.length === 0,
    `${refused.length} pushes: ${[...new Set(refused.map((a) => a.status))].join(', ')}; slowest ${Math.max(...refused.map((a) => a.seconds)).toFixed(2)} s`,
  );
  pg.start();
  // The ERP retries each refused push, honouring Retry-After, until it is accepted.
  for (const transaction of transactions) {
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await push(server, source, transaction);
      if (answer.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, (answer.retryAfter || 1) * 1000));
    }
  }
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ external_id: string; copies: number }[]>`
      select external_id, count(*)::int as copies from transactions
      where org_id = ${server.orgId} and external_id = any(${transactions.map((t) => t.id)})
      group by external_id`;
    check(
      'after recovery every pushed transaction is stored exactly once',
      rows.length === PUSHES && rows.every((row) => row.copies === 1),
      `${rows.length} of ${PUSHES} stored, copies: ${[...new Set(rows.map((row) => row.copies))].join(', ')}`,
    );
  } finally {
    await sql.end();
  }
}

async function main(): Promise<void> {
  const pg = new ThrowawayPostgres(await freePort());
  let server: BenchServer | undefined;
  try {
    pg.init();
    const admin = postgres(pg.url(), { max: 1, onnotice: () => {} });
    await admin.unsafe('create database nitilens_drill');
    await admin.end();
    process.env.DATABASE_URL = pg.url('nitilens_drill');
    server = await startBenchServer(await freePort());
    await scanDrill(server, pg);
    await webhookDrill(server, pg);
  } catch (error) {
    check('the drill ran to its end', false, error instanceof Error ? error.message : String(error));
  } finally {
    await server?.stop().catch(() => undefined);
    pg.remove();
  }
  const failed = checks.filter((one) => !one.ok).length;
  console.log(
    JSON.stringify({ checks: checks.length, failed, transactions: TRANSACTIONS, outage_s: OUTAGE_MS / 1000 }),
  );
  process.exit(failed === 0 ? 0 : 1);
}

await main();
