/**
 * `npm run bench:ingest`: 1,000,000 NDJSON rows streamed through POST /api/transactions (four
 * 250,000-row bodies: 1M rows of this shape are ~190 MB, over the 100 MB body limit); prints rows/s.
 */
import { startBenchServer, uploadNdjson } from './bench-server';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    console.log(`bench:ingest: ${ROWS.toLocaleString('en')} NDJSON rows -> ${server.base}/api/transactions (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PGlite'})`);
    const { seconds, report } = await uploadNdjson(server, ROWS, `ING-${Date.now()}`);
    console.log(JSON.stringify(report));
    console.log(`${ROWS.toLocaleString('en')} rows in ${seconds.toFixed(1)} s: ${Math.round(ROWS / seconds).toLocaleString('en')} rows/s`);
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
