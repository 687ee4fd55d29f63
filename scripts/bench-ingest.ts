/**
 * `npm run bench:ingest`: 1,000,000 NDJSON rows streamed through POST /api/transactions; prints
 * rows/s and the CPU each process used per 1,000 rows. Realistic ~190-byte rows go as four
 * 250,000-row bodies (1M of them are ~190 MB, over the 100 MB body limit); with `--one-file`,
 * compact rows (the required fields, ~100 bytes) go as a single 1,000,000-row file.
 */
import {
  cpuPerUnit,
  cpuSecondsByProcess,
  type RowShape,
  startBenchServer,
  trainAnomalyModel,
  uploadNdjson,
} from './bench-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SHAPE: RowShape = process.argv.includes('--one-file') ? 'compact' : 'full';
// `--with-model`: first 20,000 rows and a trained anomaly model, so every timed row is scored too.
const WITH_MODEL = process.argv.includes('--with-model');

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const layout = SHAPE === 'compact' ? 'one file of compact rows' : 'realistic rows, 250,000 to a body';
    console.log(
      `bench:ingest: ${ROWS.toLocaleString('en')} NDJSON rows (${layout}) -> ${server.base}/api/transactions (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite'})`,
    );
    if (WITH_MODEL) {
      await uploadNdjson(server, 20_000, `SEED-${Date.now()}`, SHAPE);
      const model = await trainAnomalyModel(server);
      console.log(
        `with anomaly model v${model.version} (trained on ${model.transactions} of 20,000 rows): every row below is scored`,
      );
    }
    const cpuBefore = cpuSecondsByProcess();
    const { seconds, report } = await uploadNdjson(server, ROWS, `ING-${Date.now()}`, SHAPE);
    console.log(JSON.stringify({ ...report, with_model: WITH_MODEL }));
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
