import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { log } from '../worker/platform/log';
import { noteSlowStatement } from '../worker/platform/metrics';
import { openWorkerdSocket } from './cloudflare-socket';
import { statementDigest, type TimedStatement, timeStatements } from './statement-timing';

export type Database = PostgresJsDatabase;

/**
 * How long one transaction may make Postgres work for it: a statement's run time, a wait for a
 * lock, and idle time inside the transaction (a Worker that died mid-transaction). Postgres stops
 * the work itself, so a request the Worker gave up on cannot keep running for minutes.
 */
export type TransactionLimits = { statementMs: number; lockMs: number; idleMs: number };

/** API requests: every statement of a request is an index lookup or a bounded window. */
export const API_LIMITS: TransactionLimits = { statementMs: 8_000, lockMs: 3_000, idleMs: 15_000 };
/** Rule tests and policy impact: a rule over the whole history, still answered while the user waits. */
export const BACKTEST_LIMITS: TransactionLimits = { statementMs: 15_000, lockMs: 2_000, idleMs: 20_000 };
/** Scan chunks, schedules and sweeps in queue consumers and cron: nobody waits on the answer. */
export const BACKGROUND_LIMITS: TransactionLimits = { statementMs: 60_000, lockMs: 10_000, idleMs: 60_000 };

/** Each client's default limits, for the transactions of db/tenant.ts. */
const clientLimits = new WeakMap<Database, TransactionLimits>();

export function transactionLimitsOf(db: Database): TransactionLimits {
  return clientLimits.get(db) ?? API_LIMITS;
}

export type DatabaseClient = {
  db: Database;
  /** Must be awaited before the handler returns: a late end() leaves cancelled streams behind. */
  close: () => Promise<void>;
};

/**
 * One client per request or queue message, through Hyperdrive's pooled connection string; its
 * transactions get `limits` unless one asks for others. `connectionWaitMs`: how long a new
 * connection waits for one of the isolate's slots before a 503 (default CONNECTION_WAIT_MS;
 * admitted pushes and uploads wait less, worker/platform/admission.ts).
 */
export function createDatabaseClient(
  connectionString: string,
  limits = API_LIMITS,
  context: { requestId?: string; connectionWaitMs?: number } = {},
): DatabaseClient {
  const { connectionWaitMs } = context;
  const options = {
    max: 5,
    // Unnamed statements: Hyperdrive pools per transaction and PGlite multiplexes one session.
    prepare: false,
    fetch_types: false,
    onnotice: () => {},
    // Supported by postgres.js but missing from its type definitions.
    socket:
      connectionWaitMs === undefined
        ? openWorkerdSocket
        : (target: { host: string[]; port: number[] }) => openWorkerdSocket(target, connectionWaitMs),
  };
  const client = postgres(connectionString, options as postgres.Options<Record<string, postgres.PostgresType>>);
  // One round trip per statement: drizzle hands postgres.js values already in Postgres's text form,
  // so describing a statement before binding it (postgres.js's way) bought nothing and cost a round
  // trip per statement with parameters, 4-5 ms on 27 of them (`npm run bench:driver`; the option is
  // patches/postgres+3.4.9.patch; docs/architecture.md, "Round trips").
  (client.options as { one_flight?: boolean }).one_flight = true;
  // No schema: the relational query API is not used, and building its config cost ~0.3 ms a request.
  const db = drizzle(timeStatements(client, (slow) => reportSlowStatement(slow, context)));
  clientLimits.set(db, limits);
  return { db, close: () => client.end({ timeout: 5 }) };
}

/** `work` with a client of its own (queue messages, cron, alarms), closed before this returns. */
export async function withDatabase<T>(
  connectionString: string,
  limits: TransactionLimits,
  work: (db: Database) => Promise<T>,
): Promise<T> {
  const client = createDatabaseClient(connectionString, limits);
  try {
    return await work(client.db);
  } finally {
    await client.close();
  }
}

/** A statement over 200 ms: a warn log line with its duration and digest, counted in the metrics. */
function reportSlowStatement(slow: TimedStatement, context: { requestId?: string }): void {
  const { digest, normalized } = statementDigest(slow.text);
  const durationMs = Math.round(slow.durationMs);
  log('warn', 'slow statement', {
    duration_ms: durationMs,
    digest,
    statement: normalized.slice(0, 300),
    request_id: context.requestId ?? null,
  });
  noteSlowStatement({
    digest,
    statement: normalized.slice(0, 300),
    duration_ms: durationMs,
    at: new Date().toISOString(),
  });
}
