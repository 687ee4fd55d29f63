/**
 * `npm run load`: a bounded open-loop load of signed webhook pushes against a local instance (the
 * benchmarks' server: the production bundle in workerd, DATABASE_URL or an embedded PGlite),
 * stepping the rate up (LOAD_RATES, default 25,50,100,200 per second, LOAD_STEP_SECONDS each,
 * default 30), with a mixed dashboard read load beside it (LOAD_READS per second: violations,
 * the overview, the jobs). Open loop: pushes start on schedule whether or not earlier ones have
 * answered, at most LOAD_IN_FLIGHT (2,000) at once; each has 10 s to answer.
 *
 * Per step: pushes accepted, refused with 503/429 (and whether each carried Retry-After),
 * answered 500 (or any other status), timed out; p50/p95/p99 of the answers. Then the ERP's part:
 * every refused or timed-out push is retried, honouring Retry-After, until accepted, and each
 * transaction must be stored exactly once. The last line is the JSON summary.
 */
import postgres from 'postgres';
import { type BenchServer, startBenchServer } from './bench-server';

const RATES = (process.env.LOAD_RATES ?? '25,50,100,200').split(',').map(Number);
const STEP_SECONDS = Number(process.env.LOAD_STEP_SECONDS ?? 30);
const READS_PER_SECOND = Number(process.env.LOAD_READS ?? 5);
const MAX_IN_FLIGHT = Number(process.env.LOAD_IN_FLIGHT ?? 2000);
const TIMEOUT_MS = 10_000;

type Outcome = { status: number; ms: number; retryAfter: boolean };
type Pending = { id: string; body: string };

async function signature(secret: string, body: string): Promise<string> {
  const t = Math.floor(Date.now() / 1000);
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${t}.${body}`)));
  return `t=${t},v1=${Buffer.from(mac).toString('hex')}`;
}

async function push(
  server: BenchServer,
  source: { id: string; signing_secret: string },
  body: string,
): Promise<Outcome> {
  const started = performance.now();
  try {
    const response = await fetch(`${server.base}/api/ingest/${source.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-nitilens-signature': await signature(source.signing_secret, body),
      },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.has('retry-after'),
    };
  } catch {
    return { status: 0, ms: performance.now() - started, retryAfter: false };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Dashboard reads beside the pushes, until `until`. */
async function readLoad(server: BenchServer, until: number, statuses: Map<number, number>): Promise<void> {
  const paths = ['/api/violations?limit=50', '/api/overview', '/api/jobs?limit=50'];
  let n = 0;
  const reads: Promise<void>[] = [];
  while (Date.now() < until) {
    const path = paths[n++ % paths.length]!;
    reads.push(
      fetch(`${server.base}${path}`, {
        headers: { authorization: `Bearer ${server.token}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
        .then(async (response) => {
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        })
        .catch(() => {
          statuses.set(0, (statuses.get(0) ?? 0) + 1);
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 / READS_PER_SECOND));
  }
  await Promise.all(reads);
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  const steps: Record<string, unknown>[] = [];
  const refused: Pending[] = [];
  const all: string[] = [];
  try {
    const sourceResponse = await fetch(`${server.base}/api/sources`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Load ERP' }),
    });
    const source = (await sourceResponse.json()) as { id: string; signing_secret: string };
    let sequence = 0;
    for (const rate of RATES) {
      const outcomes: Outcome[] = [];
      const reads = new Map<number, number>();
      let inFlight = 0;
      let skipped = 0;
      const started = Date.now();
      const until = started + STEP_SECONDS * 1000;
      const reading = readLoad(server, until, reads);
      const running: Promise<void>[] = [];
      for (let i = 0; i < rate * STEP_SECONDS; i++) {
        const due = started + (i * 1000) / rate;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped += 1;
          continue;
        }
        const id = `LOAD-${rate}-${++sequence}`;
        const body = JSON.stringify({
          id,
          occurred_at: new Date().toISOString(),
          amount: `${(sequence * 37) % 20000}.00`,
          currency: 'USD',
          account: `ACC-${sequence % 500}`,
        });
        all.push(id);
        inFlight += 1;
        running.push(
          push(server, source, body).then((outcome) => {
            inFlight -= 1;
            outcomes.push(outcome);
            if (outcome.status !== 200) refused.push({ id, body });
          }),
        );
      }
      await Promise.all([...running, reading]);
      const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      const count = (test: (o: Outcome) => boolean) => outcomes.filter(test).length;
      const step = {
        rate,
        pushes: outcomes.length,
        skipped_over_in_flight_bound: skipped,
        accepted: count((o) => o.status === 200),
        refused_503_or_429: count((o) => o.status === 503 || o.status === 429),
        refused_without_retry_after: count((o) => (o.status === 503 || o.status === 429) && !o.retryAfter),
        server_errors_500: count((o) => o.status === 500),
        other: count(
          (o) => o.status !== 0 && o.status !== 200 && o.status !== 503 && o.status !== 429 && o.status !== 500,
        ),
        timed_out: count((o) => o.status === 0),
        p50_ms: Math.round(percentile(ms, 50)),
        p95_ms: Math.round(percentile(ms, 95)),
        p99_ms: Math.round(percentile(ms, 99)),
        reads: Object.fromEntries(reads),
      };
      steps.push(step);
      console.log(JSON.stringify(step));
    }
    // The ERP's retries: every refused push again until accepted, honouring Retry-After.
    for (const pending of refused) {
      for (let attempt = 0; attempt < 30; attempt++) {
        const outcome = await push(server, source, pending.body);
        if (outcome.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    const [stored] = await sql<{ rows: number; distinct_ids: number }[]>`
      select count(*)::int as rows, count(distinct external_id)::int as distinct_ids
      from transactions where org_id = ${server.orgId}`;
    await sql.end();
    const summary = {
      steps,
      retried: refused.length,
      pushed_ids: all.length,
      stored_rows: stored!.rows,
      stored_distinct: stored!.distinct_ids,
      each_stored_once: stored!.rows === all.length && stored!.distinct_ids === all.length,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
  }
  process.exit(0);
}

await main();
