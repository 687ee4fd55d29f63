import type { MiddlewareHandler } from 'hono';
import { createDatabaseClient, type DatabaseClient } from '../../db/client';
import type { AppEnv } from './context';
import { log } from './log';

const INCOMING_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Propagates or generates X-Request-Id and writes one JSON log line per request. */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async function requestContext(c, next) {
    const started = Date.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && INCOMING_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    await next();
    c.res.headers.set('X-Request-Id', requestId);
    const caller = c.get('caller');
    log(c.res.status >= 500 ? 'error' : c.res.status >= 400 ? 'warn' : 'info', 'request', {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      request_id: requestId,
      user_id: caller?.userId ?? null,
      org_id: caller?.orgId ?? null,
    });
  };
}

/** One database client per request, created lazily and closed before the handler returns. */
export function requestDatabase(): MiddlewareHandler<AppEnv> {
  return async function requestDatabase(c, next) {
    let client: DatabaseClient | undefined;
    c.set('database', () => {
      client ??= createDatabaseClient(c.env.HYPERDRIVE.connectionString);
      return client.db;
    });
    try {
      await next();
    } finally {
      await client?.close();
    }
  };
}
