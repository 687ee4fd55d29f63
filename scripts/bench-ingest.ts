/**
 * `npm run bench:ingest`: 1,000,000 NDJSON rows streamed through POST /api/transactions; prints
 * rows/s and the CPU each process used per 1,000 rows. Realistic ~190-byte rows go as four
 * 250,000-row bodies (1M of them are ~190 MB, over the 100 MB body limit); with `--one-file`,
 * compact rows (the required fields, ~100 bytes) go as a single 1,000,000-row file.
 */
import { cpuPerUnit, cpuSecondsByProcess, type RowShape, startBenchServer, uploadNdjson } from './bench-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SHAPE: RowShape = process.argv.includes('--one-file') ? 'compact' : 'full';

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const layout = SHAPE === 'compact' ? 'one file of compact rows' : 'realistic rows, 250,000 to a body';
    console.log(
      `bench:ingest: ${ROWS.toLocaleString('en')} NDJSON rows (${layout}) -> ${server.base}/api/transactions (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite'})`,
    );
    const cpuBefore = cpuSecondsByProcess();
    const { seconds, report } = await uploadNdjson(server, ROWS, `ING-${Date.now()}`, SHAPE);
    console.log(JSON.stringify(report));
    console.log(
      `${ROWS.toLocaleString('en')} rows in ${seconds.toFixed(1)} s: ${Math.round(ROWS / seconds).toLocaleString('en')} rows/s`,
    );
    console.log(`CPU per 1,000 rows: ${cpuPerUnit(cpuBefore, cpuSecondsByProcess(), ROWS / 1000)}`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
