/**
 * `npm run bench:connectors`: 1,000,000 rows (BENCH_ROWS) pulled by a connector from a Postgres
 * table on the machine's server and from a MariaDB table, each in one run of 5,000-row pages,
 * stored through the upload path. Reports rows per second and the peak memory of the workerd
 * processes. The customer databases are created afresh: BENCH_CUSTOMER_PG (a server URL, default
 * postgres://postgres:postgres@127.0.0.1:5432/postgres) and MARIADB_URL (default root on 127.0.0.1:3306).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import postgres from 'postgres';
import { type BenchServer, call, cpuPerUnit, cpuSecondsByProcess, startBenchServer } from './bench-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PG_SERVER = process.env.BENCH_CUSTOMER_PG ?? 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
const MARIADB = new URL(process.env.MARIADB_URL ?? 'mysql://root@127.0.0.1:3306/');
const DATABASE = 'nitilens_bench_erp';
const QUERY_TAIL = 'order by id limit :limit';

/** Peak resident memory (VmHWM) of each live workerd process, in MiB. */
function workerdPeakMiB(): number[] {
  const peaks: number[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'workerd') continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) peaks.push(Math.round(Number(hwm[1]) / 1024));
    } catch {
      // ended meanwhile
    }
  }
  return peaks;
}

async function preparePostgres(): Promise<string> {
  const admin = postgres(PG_SERVER, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DATABASE} with (force)`);
  await admin.unsafe(`create database ${DATABASE}`);
  await admin.end();
  const url = new URL(PG_SERVER);
  url.pathname = `/${DATABASE}`;
  const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
  await db.unsafe(`create table payments (id bigint primary key, paid_at timestamptz not null,
    amount numeric(14,2) not null, currency text not null, account text not null, counterparty text, country text)`);
  await db.unsafe(`insert into payments select i, timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => i),
    (i % 9000) + 0.5, 'USD', 'ACC-' || (i % 5000), 'CP-' || (i % 700), 'US' from generate_series(1, ${ROWS}) as i`);
  await db.end();
  return url.toString();
}

async function prepareMariaDb(): Promise<string> {
  const connection = await createConnection({
    host: MARIADB.hostname,
    port: Number(MARIADB.port || 3306),
    user: decodeURIComponent(MARIADB.username),
    password: decodeURIComponent(MARIADB.password),
    multipleStatements: true,
  });
  await connection.query(`drop database if exists ${DATABASE}; create database ${DATABASE}; use ${DATABASE};
    set session max_recursive_iterations = ${ROWS + 10};
    create table payments (id bigint primary key, paid_at datetime not null, amount decimal(14,2) not null,
      currency char(3) not null, account varchar(32) not null, counterparty varchar(32), country char(2));
    insert into payments with recursive n(i) as (select 1 union all select i + 1 from n where i < ${ROWS})
      select i, timestamp '2026-01-01 00:00:00' + interval i second, (i % 9000) + 0.5, 'USD',
        concat('ACC-', i % 5000), concat('CP-', i % 700), 'US' from n;`);
  await connection.end();
  const url = new URL(MARIADB);
  url.pathname = `/${DATABASE}`;
  return url.toString();
}

type Run = { id: string; status: string; read: number; accepted: number; pages: number; error: string | null };

type PullFigures = { kind: string; rows: number; pages: number; seconds: number; rows_per_second: number };

async function pull(server: BenchServer, label: string, type: 'postgres' | 'mysql', url: string): Promise<PullFigures> {
  const cursor = type === 'postgres' ? 'coalesce(:cursor::bigint, 0)' : 'coalesce(:cursor, 0)';
  const connector = await call<{ id: string }>(server, 'POST', '/api/connectors', {
    name: `bench ${label}`,
    type,
    config: {
      url,
      query: `select concat('${label}-', id) as ref, paid_at, amount, currency, account, counterparty, country, id
        from payments where id > ${cursor} ${QUERY_TAIL}`,
      cursor_column: 'id',
      page_size: 5000,
    },
    mapping: {
      fields: { id: 'ref', occurred_at: 'paid_at' },
      unmapped_to_attributes: 'none',
      ...(type === 'mysql' ? { timestamp: { time_zone: 'UTC' } } : {}),
    },
  });
  const cpuBefore = cpuSecondsByProcess();
  const started = performance.now();
  const { run_id } = await call<{ run_id: string }>(server, 'POST', `/api/connectors/${connector.id}/run`);
  let run: Run | undefined;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const runs = await call<{ items: Run[] }>(server, 'GET', `/api/connectors/${connector.id}/runs`);
    run = runs.items.find((item) => item.id === run_id);
    if (run && run.status !== 'queued' && run.status !== 'running') break;
  }
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 'succeeded' || run.accepted !== ROWS)
    throw new Error(`${label}: ${JSON.stringify(run)} (expected ${ROWS} accepted)`);
  console.log(
    `bench:connectors ${label}: ${ROWS} rows in ${run.pages} pages, ${seconds.toFixed(1)} s, ` +
      `${Math.round(ROWS / seconds)} rows/s; CPU per 1,000 rows: ${cpuPerUnit(cpuBefore, cpuSecondsByProcess(), ROWS / 1000)}; ` +
      `workerd peak RSS (MiB): ${workerdPeakMiB().join(', ')}`,
  );
  const figures = { rows: ROWS, pages: run.pages, seconds: Number(seconds.toFixed(1)) };
  return { kind: label, ...figures, rows_per_second: Math.round(ROWS / seconds) };
}

async function main(): Promise<void> {
  console.log(`bench:connectors: preparing ${ROWS} rows in Postgres and MariaDB ...`);
  const [pgUrl, mysqlUrl] = await Promise.all([preparePostgres(), prepareMariaDb()]);
  const server = await startBenchServer(undefined, { CONNECTOR_ALLOW_PRIVATE_HOSTS: 'true' });
  try {
    const pulls = [await pull(server, 'postgres', 'postgres', pgUrl), await pull(server, 'mariadb', 'mysql', mysqlUrl)];
    // The last line of output is the figures as one JSON object (what tools read).
    console.log(JSON.stringify({ benchmark: 'connectors', pulls }));
  } finally {
    await server.stop();
  }
}

await main();
