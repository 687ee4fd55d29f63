/**
 * `npm run load`: a bounded open-loop load of signed webhook pushes against a local instance (the
 * benchmarks' server: the production bundle in workerd, DATABASE_URL or an embedded PGlite),
 * stepping the rate up (LOAD_RATES, default 25,50,100,200 per second, LOAD_STEP_SECONDS each,
 * default 30), with a mixed dashboard read load beside it (LOAD_READS per second: violations,
 * the overview, the jobs). Open loop: pushes start on schedule whether or not earlier ones have
 * answered, at most LOAD_IN_FLIGHT (2,000) at once; each has 10 s to answer.
 *
 * Per step: pushes accepted (and per second), refused with 503/429 (whether each carried
 * Retry-After, and how fast the slowest refusal came), answered 500 (or any other status), timed
 * out; p50/p95/p99 of the answers. Then the ERP's part: every refused or timed-out push is sent
 * again by RETRIERS (LOAD_RETRIERS, default 8) concurrent senders, each waiting Retry-After
 * seconds between attempts (1 s after a timeout), until it is accepted; then each transaction
 * must be stored exactly once.
 *
 * The last line is one JSON object to compare runs by: `capacity_per_s` (the highest step whose
 * pushes were all accepted, with no error), `max_accepted_per_s` (the most accepted a second in
 * any step), totals over every step, `slowest_refusal_ms`, the retry phase's outcome, whether
 * each transaction was stored once, and the load average before and after (the machine is shared).
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { type BenchServer, signatureHeader, startBenchServer } from './bench-server';

const RATES = (process.env.LOAD_RATES ?? '25,50,100,200').split(',').map(Number);
const STEP_SECONDS = Number(process.env.LOAD_STEP_SECONDS ?? 30);
const READS_PER_SECOND = Number(process.env.LOAD_READS ?? 5);
const MAX_IN_FLIGHT = Number(process.env.LOAD_IN_FLIGHT ?? 2000);
const RETRIERS = Number(process.env.LOAD_RETRIERS ?? 8);
const TIMEOUT_MS = 10_000;
/** The ERP gives a transaction up after this many attempts in the retry phase (reported, never silently). */
const MAX_ATTEMPTS = 60;

type Outcome = { status: number; ms: number; retryAfter: boolean; retryAfterSeconds: number | null };
type Pending = { id: string; body: string };

/**
 * `fetch` given TIMEOUT_MS to answer, body included. The timer is held here and also races the
 * request: in the first run a push whose `AbortSignal.timeout` never fired (no socket left open,
 * the promise never settled) stalled the whole step, so a lost answer now counts as timed out.
 */
async function timedFetch(url: string, init: RequestInit): Promise<{ response: Response; body: ArrayBuffer }> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error('timed out'));
    }, TIMEOUT_MS);
  });
  try {
    return await Promise.race([
      (async () => {
        const response = await fetch(url, { ...init, signal: controller.signal });
        return { response, body: await response.arrayBuffer() };
      })(),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function push(
  server: BenchServer,
  source: { id: string; signing_secret: string },
  body: string,
): Promise<Outcome> {
  const started = performance.now();
  try {
    const { response } = await timedFetch(`${server.base}/api/ingest/${source.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-nitilens-signature': signatureHeader(source.signing_secret, body),
      },
      body,
    });
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.has('retry-after'),
      retryAfterSeconds: response.headers.has('retry-after') ? Number(response.headers.get('retry-after')) : null,
    };
  } catch {
    return { status: 0, ms: performance.now() - started, retryAfter: false, retryAfterSeconds: null };
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
      timedFetch(`${server.base}${path}`, { headers: { authorization: `Bearer ${server.token}` } })
        .then(({ response }) => {
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

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Step = {
  rate: number;
  pushes: number;
  skipped_over_in_flight_bound: number;
  accepted: number;
  accepted_per_s: number;
  refused_503_or_429: number;
  refused_without_retry_after: number;
  slowest_refusal_ms: number;
  server_errors_500: number;
  other: number;
  timed_out: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  reads: Record<string, number>;
  load_average: string;
};

/** The ERP's retries: `RETRIERS` senders, each honouring Retry-After, until every push is accepted. */
async function retryRefused(
  server: BenchServer,
  source: { id: string; signing_secret: string },
  refused: Pending[],
): Promise<Record<string, number>> {
  const started = Date.now();
  let next = 0;
  let attempts = 0;
  let refusedAgain = 0;
  let errors = 0;
  let gaveUp = 0;
  const sender = async () => {
    while (next < refused.length) {
      const pending = refused[next++]!;
      for (let attempt = 1; ; attempt++) {
        attempts += 1;
        const outcome = await push(server, source, pending.body);
        if (outcome.status === 200) break;
        if (outcome.status === 503 || outcome.status === 429) refusedAgain += 1;
        else errors += 1;
        if (attempt === MAX_ATTEMPTS) {
          gaveUp += 1;
          break;
        }
        await sleep((outcome.retryAfterSeconds ?? 1) * 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RETRIERS, refused.length) }, sender));
  return {
    retried: refused.length,
    attempts,
    refused_again: refusedAgain,
    errors,
    gave_up: gaveUp,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const server = await startBenchServer();
  const steps: Step[] = [];
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
        if (wait > 0) await sleep(wait);
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
      const elapsed = (Date.now() - started) / 1000;
      const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
      const count = (test: (o: Outcome) => boolean) => outcomes.filter(test).length;
      const isRefusal = (o: Outcome) => o.status === 503 || o.status === 429;
      const accepted = count((o) => o.status === 200);
      const step: Step = {
        rate,
        pushes: outcomes.length,
        skipped_over_in_flight_bound: skipped,
        accepted,
        // Over the step and the wait for its last answers.
        accepted_per_s: Math.round((accepted / Math.max(elapsed, STEP_SECONDS)) * 10) / 10,
        refused_503_or_429: count(isRefusal),
        refused_without_retry_after: count((o) => isRefusal(o) && !o.retryAfter),
        slowest_refusal_ms: Math.round(Math.max(0, ...outcomes.filter(isRefusal).map((o) => o.ms))),
        server_errors_500: count((o) => o.status === 500),
        other: count((o) => o.status !== 0 && o.status !== 200 && !isRefusal(o) && o.status !== 500),
        timed_out: count((o) => o.status === 0),
        p50_ms: Math.round(percentile(ms, 50)),
        p95_ms: Math.round(percentile(ms, 95)),
        p99_ms: Math.round(percentile(ms, 99)),
        reads: Object.fromEntries(reads),
        load_average: loadAverage(),
      };
      steps.push(step);
      console.log(JSON.stringify(step));
    }
    const retry = await retryRefused(server, source, refused);
    console.log(JSON.stringify({ retry }));
    const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    const [stored] = await sql<{ rows: number; distinct_ids: number }[]>`
      select count(*)::int as rows, count(distinct external_id)::int as distinct_ids
      from transactions where org_id = ${server.orgId}`;
    await sql.end();
    const sum = (key: keyof Step) => steps.reduce((total, step) => total + (step[key] as number), 0);
    const clean = (step: Step) =>
      step.skipped_over_in_flight_bound === 0 &&
      step.accepted === step.pushes &&
      step.server_errors_500 + step.other + step.timed_out + step.refused_503_or_429 === 0;
    const summary = {
      capacity_per_s: Math.max(0, ...steps.filter(clean).map((step) => step.rate)),
      max_accepted_per_s: Math.max(0, ...steps.map((step) => step.accepted_per_s)),
      rates: steps.map((step) => step.rate),
      step_seconds: STEP_SECONDS,
      reads_per_s: READS_PER_SECOND,
      pushes: sum('pushes'),
      skipped_over_in_flight_bound: sum('skipped_over_in_flight_bound'),
      accepted: sum('accepted'),
      refused_503_or_429: sum('refused_503_or_429'),
      refused_without_retry_after: sum('refused_without_retry_after'),
      slowest_refusal_ms: Math.max(0, ...steps.map((step) => step.slowest_refusal_ms)),
      server_errors_500: sum('server_errors_500'),
      other: sum('other'),
      timed_out: sum('timed_out'),
      retry,
      pushed_ids: all.length,
      stored_rows: stored!.rows,
      stored_distinct: stored!.distinct_ids,
      each_stored_once: stored!.rows === all.length && stored!.distinct_ids === all.length,
      load_average_before: loadBefore,
      load_average_after: loadAverage(),
      steps,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await server.stop();
  }
  process.exit(0);
}

await main();
