import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { createDatabaseClient, type DatabaseClient } from '../../db/client';
import type { AppEnv } from './context';
import { log } from './log';
import { count, flushSoon, observe, routeTemplate } from './metrics';

const INCOMING_REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Propagates or generates X-Request-Id, writes one JSON log line per request (the contract's
 * fields: `{timestamp, level, method, path, status_code, duration, request_id, user_id, org_id}`,
 * duration in milliseconds) and counts it in the deployment's metrics.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && INCOMING_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    const duration = performance.now() - started;
    const caller = c.get('caller');
    const status = c.res.status;
    log(status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info', 'request', {
      method: c.req.method,
      path: c.req.path,
      status_code: status,
      duration: Math.round(duration * 10) / 10,
      request_id: requestId,
      user_id: caller?.userId ?? null,
      org_id: caller?.orgId ?? null,
    });
    countRequest(c, status, duration);
  };
}

function countRequest(c: Context<AppEnv>, status: number, durationMs: number): void {
  const route = templateOf(c);
  count('nitilens_http_requests_total', { method: c.req.method, route, status });
  observe('nitilens_http_request_duration_seconds', { method: c.req.method, route }, durationMs / 1000);
  try {
    flushSoon(c.env, (work) => c.executionCtx.waitUntil(work));
  } catch {
    // No execution context (a request made by a test harness straight to app.fetch): flushed by the next reader.
  }
}

/** The matched route's template: the last route that is not a middleware (`app.use` routes are method ALL). */
function templateOf(c: Context<AppEnv>): string {
  const route = matchedRoutes(c).findLast((one) => one.method !== 'ALL');
  return routeTemplate(route?.path, route !== undefined);
}

/** One database client per request, created lazily and closed before the handler returns. */
export function requestDatabase(): MiddlewareHandler<AppEnv> {
  return async function requestDatabase(c, next) {
    let client: DatabaseClient | undefined;
    c.set('database', () => {
      client ??= createDatabaseClient(c.env.HYPERDRIVE.connectionString, undefined, { requestId: c.get('requestId') });
      return client.db;
    });
    try {
      await next();
    } finally {
      await client?.close();
    }
  };
}
