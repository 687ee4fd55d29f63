import type { MiddlewareHandler } from 'hono';
import { CONNECTION_SLOTS } from '../../db/cloudflare-socket';
import { Semaphore } from '../../db/semaphore';
import type { AppEnv } from './context';
import { ApiError } from './errors';
import { count } from './metrics';

/**
 * Admission control for the machine-to-machine writes (docs/operations.md, "Admission control").
 *
 * Past capacity, a push must be refused at once with 503 and Retry-After, not queued until the
 * client gives up. Without a bound, every push an ERP sends starts at once: each parses, checks its
 * signature and waits up to 5 s for one of the isolate's 20 connections (db/cloudflare-socket.ts)
 * while the ones holding connections slow down under the same CPU; at 100 and 200 pushes a second
 * the first load run (BENCHMARKS.md, "Load") saw every push time out at 10 s.
 *
 * So each isolate admits at most `slots` pushes (or uploads) at once; a few more may wait, at
 * most `waitMs`; the rest are refused before they touch the database or the Durable Objects. The
 * numbers (per isolate; Cloudflare runs many isolates, and Hyperdrive's pool is the global bound):
 *
 * - A push costs ~11 ms of Worker CPU and ~19 ms of Postgres CPU with a fresh backend (bench:webhook
 *   on this project's 2-core machines; ~7 ms and ~4 ms behind a warm pool), and answers in 20-30 ms
 *   alone. An isolate is one thread: it cannot finish more than ~90 pushes a second, and Little's
 *   law gives ~2-3 in flight at that rate. 8 covers a database answering in ~100 ms under load;
 *   more in flight adds no throughput, only waiting inside Postgres and the CPU, for every push.
 * - 8 pushes hold at most 8 of the 20 connections (one transaction each), and 2 uploads at most
 *   6 (their first read, then 2 batches at a time): 14, so dashboard reads, the Durable Objects
 *   sharing the isolate in local runs (the OrgHub reads Postgres on a cold start), queue consumers
 *   and cron always find a connection. A push admitted therefore rarely waits for one, and when
 *   it does, it waits at most `connectionWaitMs` (not the 5 s others get) before a 503.
 * - A push waits at most 1 s for a slot, and at most 16 wait: `npm run load` on the shared 2-core
 *   machine accepted 25-52 pushes a second past capacity, so 16 waiters drain in 0.3-0.6 s, within
 *   the second; a push past the 16th would not be served within it anyway and is refused at once.
 *   With 32 waiters 1,802 of 8,592 refusals came only after a full second of waiting and the
 *   slowest took 2.4 s; with 16, 113 of 6,083 and 1.15 s (BENCHMARKS.md, "Load"). The worst
 *   refusal answers in ~1 s, the worst accepted push in ~1 s plus its own time.
 * - Retry-After: 1 to 3 s for a push (picked at random, so a burst's retries arrive spread over
 *   three seconds instead of together); 5 s for an upload, which holds its slot for seconds.
 *
 * The answer is 503 (the service is over capacity), not 429 (this client sent too much): the
 * refusal says nothing about the caller's own rate. Plan and per-organization limits stay 402/429.
 */
export type Lane = {
  name: 'push' | 'upload';
  /** At most this many admitted at once in one isolate. */
  slots: number;
  /** At most this many waiting for a slot; one more is refused at once. */
  queue: number;
  /** How long a waiter waits for a slot before it is refused. */
  waitMs: number;
  /** How long an admitted request waits for a database connection before a 503. */
  connectionWaitMs: number;
  /** Retry-After of a refusal, seconds: `[least, most]`, picked at random between. */
  retryAfter: [number, number];
};

export const PUSH_LANE: Lane = {
  name: 'push',
  slots: 8,
  queue: 16,
  waitMs: 1_000,
  connectionWaitMs: 1_000,
  retryAfter: [1, 3],
};

export const UPLOAD_LANE: Lane = {
  name: 'upload',
  slots: 2,
  queue: 4,
  waitMs: 1_000,
  // Longer than a push's: a later batch refused mid-file leaves the file partly stored (safe to
  // re-send, but the client has to).
  connectionWaitMs: 2_000,
  retryAfter: [5, 5],
};

/** Connections the two lanes can hold at most (an upload: its first read, then 2 batches). */
const LANE_CONNECTIONS = PUSH_LANE.slots + UPLOAD_LANE.slots * 3;
if (LANE_CONNECTIONS >= CONNECTION_SLOTS) throw new Error('the admission lanes would take every database connection');

type Refusal = 'queue_full' | 'wait_expired';

/** One lane's bound in this isolate. */
export class AdmissionGate {
  private readonly semaphore: Semaphore;
  private waiters = 0;

  constructor(readonly lane: Lane) {
    this.semaphore = new Semaphore(lane.slots);
  }

  get inFlight(): number {
    return this.semaphore.inUse;
  }

  get waiting(): number {
    return this.waiters;
  }

  /** The most admitted at once since the last call (what the tests check the bound with). */
  takePeak(): number {
    return this.semaphore.takePeak();
  }

  /** The release function (idempotent), or why the request is refused. */
  async enter(): Promise<{ release: () => void } | { refused: Refusal }> {
    if (this.semaphore.inUse < this.lane.slots) return { release: await this.semaphore.acquire(0) };
    if (this.waiters >= this.lane.queue) return { refused: 'queue_full' };
    this.waiters++;
    try {
      return { release: await this.semaphore.acquire(this.lane.waitMs) };
    } catch {
      return { refused: 'wait_expired' };
    } finally {
      this.waiters--;
    }
  }
}

export const pushGate = new AdmissionGate(PUSH_LANE);
export const uploadGate = new AdmissionGate(UPLOAD_LANE);

/** The gate of a request, if it is one of the bounded writes. */
function gateOf(method: string, path: string): AdmissionGate | undefined {
  if (method !== 'POST') return undefined;
  if (path.startsWith('/api/ingest/')) return pushGate;
  if (path === '/api/transactions' || path === '/api/transactions/') return uploadGate;
  return undefined;
}

function overCapacity(lane: Lane): ApiError {
  const [least, most] = lane.retryAfter;
  const retryAfter = least + Math.floor(Math.random() * (most - least + 1));
  const what = lane.name === 'push' ? 'pushes' : 'uploads';
  return new ApiError(
    'service_unavailable',
    `The server is at capacity for ${what}; nothing from this request was stored. Send it again after Retry-After seconds.`,
    { retry_after: retryAfter },
    { 'Retry-After': String(retryAfter) },
  );
}

/**
 * Runs before the request reads its body or the database: pushes and uploads within their lane's
 * bound go on (with the lane's short connection wait); the others are answered 503 problem+json
 * with Retry-After, and counted in `nitilens_admission_refused_total{lane,reason}`.
 */
export function admissionControl(): MiddlewareHandler<AppEnv> {
  return async function admissionControl(c, next) {
    const gate = gateOf(c.req.method, c.req.path);
    if (!gate) return next();
    const entry = await gate.enter();
    if ('refused' in entry) {
      count('nitilens_admission_refused_total', { lane: gate.lane.name, reason: entry.refused });
      throw overCapacity(gate.lane);
    }
    c.set('connectionWaitMs', gate.lane.connectionWaitMs);
    try {
      await next();
    } finally {
      entry.release();
    }
  };
}
