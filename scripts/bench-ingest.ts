/**
 * `npm run bench:ingest`: 1,000,000 NDJSON rows streamed through POST /api/transactions, then the
 * machine's own ceiling for the same rows: `COPY` from `psql` into a scratch table with the
 * transactions table's columns, constraints and indexes, on the same database. Prints both rates,
 * their ratio and the CPU each process used per 1,000 rows. Realistic ~190-byte rows go as four
 * 250,000-row bodies (1M of them are ~190 MB, over the 100 MB body limit); with `--one-file`,
 * compact rows (the required fields, ~100 bytes) go as a single 1,000,000-row file.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import postgres from 'postgres';
import { HABITS_SEED_ROWS } from './bench-habits';
import {
  type BenchServer,
  cpuPerUnit,
  cpuSecondsByProcess,
  generatedFields,
  type RowShape,
  startBenchServer,
  trainAnomalyModel,
  uploadNdjson,
} from './bench-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
// `--with-model`: a trained anomaly model (on the seed below), so every timed row is scored too.
const WITH_MODEL = process.argv.includes('--with-model');
// `--habits` (implied by `--with-model`): rows of accounts with habits, after a seed of the same
// accounts' earlier rows (HABITS_SEED_ROWS); the pair with and without the model differs in the model alone.
const SHAPE: RowShape = process.argv.includes('--one-file')
  ? 'compact'
  : WITH_MODEL || process.argv.includes('--habits')
    ? 'habits'
    : 'full';
const SEED_ROWS = WITH_MODEL || SHAPE === 'habits' ? HABITS_SEED_ROWS : 0;
const SCRATCH = 'bench_copy_ceiling';
const COPIED_COLUMNS = [
  'external_id',
  'occurred_at',
  'amount',
  'currency',
  'account',
  'counterparty',
  'type',
  'country',
  'counterparty_country',
  'channel',
];

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const layout = SHAPE === 'compact' ? 'one file of compact rows' : 'realistic rows, 250,000 to a body';
    console.log(
      `bench:ingest: ${ROWS.toLocaleString('en')} NDJSON rows (${layout}) -> ${server.base}/api/transactions (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite'})`,
    );
    if (SEED_ROWS > 0) await uploadNdjson(server, SEED_ROWS, `SEED-${Date.now()}`, SHAPE);
    if (WITH_MODEL) {
      const model = await trainAnomalyModel(server);
      console.log(
        `with anomaly model v${model.version} (trained on ${model.transactions} of ${SEED_ROWS.toLocaleString('en')} rows; training scores ${JSON.stringify(model.statistics.score_quantiles)}): every row below is scored`,
      );
    }
    const prefix = `ING-${Date.now()}`;
    const cpuBefore = cpuSecondsByProcess();
    // The timed rows follow the seed's: with habits, row numbers are the accounts' transactions in time.
    const { seconds, report } = await uploadNdjson(server, ROWS, prefix, SHAPE, SEED_ROWS);
    console.log(JSON.stringify(report));
    const rate = ROWS / seconds;
    console.log(
      `${ROWS.toLocaleString('en')} rows in ${seconds.toFixed(1)} s: ${Math.round(rate).toLocaleString('en')} rows/s`,
    );
    console.log(`CPU per 1,000 rows: ${cpuPerUnit(cpuBefore, cpuSecondsByProcess(), ROWS / 1000)}`);
    const explained = WITH_MODEL && process.env.DATABASE_URL ? await explainedShare(server, prefix) : null;
    if (explained !== null) console.log(`timed rows scoring 0.5 or more (explained on read): ${explained}`);
    const copyRate = process.env.DATABASE_URL ? await copyCeiling(server, prefix) : null;
    if (copyRate === null) console.log('the COPY ceiling needs DATABASE_URL (psql against a Postgres server)');
    else console.log(`COPY from psql: ${Math.round(copyRate).toLocaleString('en')} rows/s`);
    // The last line of output is the figures as one JSON object (what tools read).
    console.log(
      JSON.stringify({
        benchmark: 'ingest',
        rows: ROWS,
        shape: SHAPE,
        with_model: WITH_MODEL,
        seed_rows: SEED_ROWS,
        explained_share: explained,
        accepted: report.accepted,
        seconds: Number(seconds.toFixed(2)),
        rows_per_second: Math.round(rate),
        copy_rows_per_second: copyRate === null ? null : Math.round(copyRate),
        ratio_to_copy: copyRate === null ? null : Number((rate / copyRate).toFixed(3)),
      }),
    );
  } finally {
    await server.stop();
  }
}

/** The share of the timed rows whose score is 0.5 or more: those whose factors reading computes. */
async function explainedShare(server: BenchServer, prefix: string): Promise<number> {
  const admin = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin<{ share: number }[]>`
      select (count(*) filter (where anomaly_features is not null))::float8 / greatest(count(*), 1) as share
      from transactions where external_id like ${`${prefix}-%`}`;
    return Number(row!.share.toFixed(4));
  } finally {
    await admin.end();
  }
}

/**
 * Rows per second `COPY` reaches for the same rows into a table shaped like `transactions`
 * (columns, defaults, identity, checks, indexes and foreign keys; not its row-level security,
 * which `COPY` as the owner skips): what this machine and database can take at best.
 */
async function copyCeiling(server: BenchServer, prefix: string): Promise<number> {
  const admin = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop table if exists ${SCRATCH};
      create table ${SCRATCH} (like transactions including all);
      alter table ${SCRATCH} add foreign key (org_id) references organizations (id) on delete cascade,
        add foreign key (source_id) references ingest_sources (id) on delete set null`);
    const started = performance.now();
    const psql = spawn(
      'psql',
      [
        server.databaseUrl,
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy ${SCRATCH} (org_id, ${COPIED_COLUMNS.join(', ')}) from stdin with (format csv)`,
      ],
      { stdio: ['pipe', 'inherit', 'inherit'] },
    );
    const exited = once(psql, 'exit');
    await pipeline(Readable.from(csvRows(server.orgId, prefix)), psql.stdin);
    const [code] = await exited;
    if (code !== 0) throw new Error(`psql \\copy exited with ${code}`);
    return ROWS / ((performance.now() - started) / 1000);
  } finally {
    await admin.unsafe(`drop table if exists ${SCRATCH}`);
    await admin.end();
  }
}

/** The uploaded rows as CSV, 2,000 to a chunk (no generated value holds a comma or a quote). */
function* csvRows(orgId: string, prefix: string): Generator<string> {
  const start = Date.UTC(2026, 0, 1);
  for (let first = 0; first < ROWS; first += 2000) {
    const lines: string[] = [];
    for (let n = first; n < Math.min(ROWS, first + 2000); n++) {
      const fields = generatedFields(SEED_ROWS + n, prefix, start, SHAPE);
      const values = COPIED_COLUMNS.map((column) => fields[column === 'external_id' ? 'id' : column] ?? '');
      lines.push(`${orgId},${values.join(',')}\n`);
    }
    yield lines.join('');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
