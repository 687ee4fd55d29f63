import { SATURATED } from '../../db/semaphore';
import { ApiError } from './errors';

/** The SQLSTATE (or postgres.js connection code) of a database failure, through drizzle's wrapper. */
export function databaseCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

/** A statement stopped by `statement_timeout` (or cancelled for the same reason). */
export function isStatementTimeout(error: unknown): boolean {
  return databaseCode(error) === '57014';
}

const BUSY: Record<string, { detail: string; retryAfter: number }> = {
  '57014': { detail: 'The database took too long to answer this request. Try again shortly.', retryAfter: 5 },
  '55P03': { detail: 'The data is being changed by another request. Try again shortly.', retryAfter: 1 },
  '25P03': { detail: 'The request held the database too long. Try again shortly.', retryAfter: 1 },
  '53300': { detail: 'The database has no free connection. Try again shortly.', retryAfter: 2 },
  // This isolate's connection bound (db/cloudflare-socket.ts): no connection freed up in time.
  [SATURATED]: { detail: 'The database is busy with other requests. Try again shortly.', retryAfter: 1 },
  '53400': { detail: 'The database has no free connection. Try again shortly.', retryAfter: 2 },
  '57P01': { detail: 'The database is restarting. Try again shortly.', retryAfter: 5 },
  '57P03': { detail: 'The database is starting. Try again shortly.', retryAfter: 5 },
  '40001': { detail: 'The request conflicted with another one. Try again.', retryAfter: 1 },
  '40P01': { detail: 'The request conflicted with another one. Try again.', retryAfter: 1 },
  CONNECT_TIMEOUT: { detail: 'The database could not be reached. Try again shortly.', retryAfter: 5 },
  CONNECTION_CLOSED: { detail: 'The database connection was lost. Try again shortly.', retryAfter: 2 },
  CONNECTION_DESTROYED: { detail: 'The database connection was lost. Try again shortly.', retryAfter: 2 },
  CONNECTION_ENDED: { detail: 'The database connection was lost. Try again shortly.', retryAfter: 2 },
  ECONNREFUSED: { detail: 'The database could not be reached. Try again shortly.', retryAfter: 5 },
  ECONNRESET: { detail: 'The database connection was lost. Try again shortly.', retryAfter: 2 },
};

/**
 * A database that is saturated, slow or out of reach is the server's temporary state, not a bug:
 * 503 with Retry-After, never 500. So is a Durable Object that refuses a call: the runtime marks
 * its errors `overloaded` (too many calls queued for one object: back off) or `retryable` (a
 * transient failure, e.g. the object was reset). Undefined for any other failure.
 */
export function databaseUnavailable(error: unknown): ApiError | undefined {
  const durableObject = durableObjectUnavailable(error);
  if (durableObject) return durableObject;
  const code = databaseCode(error);
  const busy =
    code === undefined ? undefined : (BUSY[code] ?? (code.startsWith('08') ? BUSY.CONNECTION_CLOSED : undefined));
  if (!busy) return undefined;
  return new ApiError('service_unavailable', busy.detail, {}, { 'Retry-After': String(busy.retryAfter) });
}

function durableObjectUnavailable(error: unknown): ApiError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const flags = current as Error & { overloaded?: unknown; retryable?: unknown };
    if (flags.overloaded === true)
      return new ApiError(
        'service_unavailable',
        'The server is overloaded. Try again shortly.',
        {},
        { 'Retry-After': '5' },
      );
    if (flags.retryable === true)
      return new ApiError(
        'service_unavailable',
        'The server was briefly unavailable. Try again.',
        {},
        { 'Retry-After': '1' },
      );
    current = current.cause;
  }
  return undefined;
}
