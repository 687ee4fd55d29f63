/**
 * `npm run bench:scan [-- --transactions N]`: scan throughput through the real queue path.
 *
 * Starts the real Worker in workerd (the benchmarks' server: API, queue consumer and Durable
 * Objects) against the database, generates a synthetic organization with N transactions (default
 * 1,000,000) in SQL, creates and approves a 10-rule set through the API, POSTs /api/scans and
 * polls it to completion. Prints transactions per second, wall time, violations found and the
 * peak memory of the workerd process. Honours DATABASE_URL; without it, an embedded Postgres
 * (PGlite) is started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import postgres from 'postgres';
import { generateTransactions } from './bench-data';
import { BENCH_RULES } from './bench-rules';
import { startBenchServer } from './bench-server';

const transactionCount = Number(argument('--transactions') ?? 1_000_000);
const port = Number(process.env.PORT ?? 8812);
const base = `http://127.0.0.1:${port}`;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

/** What the benchmark reads of a scan (GET /api/scans/{id}). */
type ScanState = { status: string; processed: number; violations_found: number; error?: string };

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The workerd process this script started (other workerd processes may run on the machine). */
function workerdPid(parentPid: number): string | undefined {
  const parents = new Map<string, string>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      parents.set(pid, readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]!);
    } catch {
      // the process ended while being read
    }
  }
  const descendsFromParent = (pid: string): boolean => {
    for (
      let current = parents.get(pid);
      current && current !== '0' && current !== '1';
      current = parents.get(current)
    ) {
      if (current === String(parentPid)) return true;
    }
    return false;
  };
  return [...parents.keys()].find(
    (pid) => descendsFromParent(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd'),
  );
}

/** Peak resident memory (VmHWM) and current RSS of a process, in MiB. */
function memoryOf(pid: string | undefined): { peakMiB: number; rssMiB: number } | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { peakMiB: Math.round(kib('VmHWM') / 1024), rssMiB: Math.round(kib('VmRSS') / 1024) };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  if (
    await fetch(`${base}/health`).then(
      () => true,
      () => false,
    )
  )
    throw new Error(`port ${port} is taken; set PORT to a free one`);
  const server = await startBenchServer(port);
  const embedded = !process.env.DATABASE_URL;
  if (embedded) console.log('embedded Postgres (PGlite, in memory)');
  const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const { token, orgId } = server;

    let started = Date.now();
    await generateTransactions(sql, orgId, transactionCount);
    console.log(
      `generated ${transactionCount.toLocaleString('en-US')} transactions in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const rule of BENCH_RULES) {
      const created = await call<{ id: string }>('POST', '/api/rules', rule, token);
      await call('POST', `/api/rules/${created.id}/approve`, {}, token);
    }

    const workerd = workerdPid(process.pid);
    const before = memoryOf(workerd);
    started = Date.now();
    const { id } = await call<{ id: string }>('POST', '/api/scans', {}, token);
    let scan: ScanState;
    let peakRss = 0;
    for (;;) {
      scan = await call<ScanState>('GET', `/api/scans/${id}`, undefined, token);
      peakRss = Math.max(peakRss, memoryOf(workerd)?.rssMiB ?? 0);
      if (scan.status === 'completed' || scan.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const seconds = (Date.now() - started) / 1000;
    const after = memoryOf(workerd);
    if (scan.status !== 'completed') throw new Error(`the scan ended ${scan.status}: ${scan.error}`);
    // The last line of output is the figures as one JSON object (what tools read).
    console.log(
      JSON.stringify({
        benchmark: 'scan',
        transactions: scan.processed,
        rules: BENCH_RULES.length,
        wall_seconds: Number(seconds.toFixed(2)),
        transactions_per_second: Math.round(scan.processed / seconds),
        violations_found: scan.violations_found,
        workerd_rss_mib: {
          before_scan: before?.rssMiB ?? null,
          peak_during_scan: peakRss,
          process_peak_vmhwm: after?.peakMiB ?? null,
        },
        machine: {
          cpus: os.cpus().length,
          memory_gib: Math.round(os.totalmem() / 2 ** 30),
          database: embedded ? 'PGlite (embedded)' : 'Postgres (DATABASE_URL)',
        },
      }),
    );
  } finally {
    await sql.end();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
