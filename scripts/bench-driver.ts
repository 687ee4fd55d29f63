/**
 * `npm run bench:driver`: what the Postgres driver costs a push-shaped transaction inside workerd,
 * with nothing else of the product around it (scripts/bench-driver/worker.ts). Each request opens
 * its own client, as the product's requests do, and runs begin, the tenant's setting, then reads,
 * inserts and updates by key (27 statements: a push that opens a case; 15: one that does not),
 * then commit, through:
 *
 * - `postgres.js described`: postgres.js's own way with unnamed statements: a statement with
 *   parameters is described first, then bound, two round trips;
 * - `postgres.js one flight`: the product's (db/client.ts, patches/postgres+3.4.9.patch): parse,
 *   describe, bind and execute sent together, one round trip;
 * - `postgres.js named`: the same with named statements: still described on a client's first use,
 *   and a client lives for one request;
 * - `node-postgres`: parse, bind, describe and execute sent together, one round trip.
 *
 * Against DATABASE_URL directly and, with BENCH_HYPERDRIVE_URL, through a pool (PgBouncer in
 * transaction mode stands in for Hyperdrive). Requests of each driver alternate in rounds, so a
 * change in the machine's load falls on all of them. The last line is one JSON object.
 */
import postgres from 'postgres';
import type { Driver } from './bench-driver/worker';
import { startBundledWorker } from './bench-server';
import { percentile } from './bench-stats';

const DRIVERS: Driver[] = ['postgres.js described', 'postgres.js one flight', 'postgres.js named', 'node-postgres'];
const SHAPES = [27, 15];
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 400);
const ROUND = 20;
const PORT = Number(process.env.BENCH_PORT ?? 8799);

type Row = {
  driver: Driver;
  target: 'direct' | 'pooled';
  statements: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
};

async function main(): Promise<void> {
  const direct = process.env.DATABASE_URL;
  if (!direct) {
    // The embedded database serves every client through one session: there are no round trips to compare.
    console.error('bench:driver needs DATABASE_URL (a Postgres server); BENCH_HYPERDRIVE_URL adds the pooled rows');
    process.exit(2);
  }
  const pooled = process.env.BENCH_HYPERDRIVE_URL;
  await seed(direct);
  const worker = await startBundledWorker('scripts/bench-driver/wrangler.toml', PORT, {
    name: 'bench-driver',
    bindings: { DIRECT_URL: direct, ...(pooled ? { POOLED_URL: pooled } : {}) },
  });
  try {
    const rows: Row[] = [];
    for (const target of pooled ? (['direct', 'pooled'] as const) : (['direct'] as const))
      for (const statements of SHAPES) rows.push(...(await measure(target, statements)));
    console.log('driver                  target  statements  p50 ms  p95 ms  p99 ms');
    for (const row of rows)
      console.log(
        `${row.driver.padEnd(23)} ${row.target.padEnd(7)} ${String(row.statements).padStart(10)}  ${fixed(row.p50_ms)}  ${fixed(row.p95_ms)}  ${fixed(row.p99_ms)}`,
      );
    console.log(JSON.stringify({ benchmark: 'driver', requests: REQUESTS, rows }));
  } finally {
    await worker.dispose();
  }
}

/** Every driver's requests for one target and shape, in alternating rounds after a warm-up. */
async function measure(target: 'direct' | 'pooled', statements: number): Promise<Row[]> {
  const latencies = new Map<Driver, number[]>(DRIVERS.map((driver) => [driver, []]));
  let key = 0;
  for (const driver of DRIVERS) for (let i = 0; i < ROUND; i++) await request(driver, target, statements, key++);
  for (let done = 0; done < REQUESTS; done += ROUND)
    for (const driver of DRIVERS)
      for (let i = 0; i < ROUND; i++) latencies.get(driver)!.push(await request(driver, target, statements, key++));
  return DRIVERS.map((driver) => {
    const sorted = latencies.get(driver)!.sort((a, b) => a - b);
    return {
      driver,
      target,
      statements,
      p50_ms: round(percentile(sorted, 50)),
      p95_ms: round(percentile(sorted, 95)),
      p99_ms: round(percentile(sorted, 99)),
    };
  });
}

async function request(driver: Driver, target: string, statements: number, key: number): Promise<number> {
  const started = performance.now();
  const query = new URLSearchParams({ driver, target, statements: String(statements), key: String(key) });
  const response = await fetch(`http://127.0.0.1:${PORT}/?${query}`);
  const body = await response.text();
  if (!response.ok) throw new Error(`${driver} ${target}: ${response.status} ${body.slice(0, 500)}`);
  return performance.now() - started;
}

/** The two tables the statements touch: 1,000 rows read and updated by key, and a log inserted into. */
async function seed(url: string): Promise<void> {
  const sql = postgres(url, { onnotice: () => {} });
  try {
    await sql`drop table if exists bench_driver_rows, bench_driver_log`;
    await sql`create table bench_driver_rows (org_id uuid, k text, v bigint not null, primary key (org_id, k))`;
    await sql`create table bench_driver_log (id bigserial primary key, org_id uuid not null, k text not null, v bigint not null)`;
    await sql`insert into bench_driver_rows select '00000000-0000-4000-8000-000000000001', 'K-' || n, 0 from generate_series(0, 999) n`;
    await sql`analyze bench_driver_rows`;
  } finally {
    await sql.end();
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function fixed(ms: number): string {
  return ms.toFixed(1).padStart(6);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
