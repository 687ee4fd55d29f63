import type { MiddlewareHandler } from 'hono';
import { createDatabaseClient, type DatabaseClient } from '../../db/client';
import type { AppEnv } from './context';
import { log } from './log';
import { countRequest } from './request-metrics';

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

/** One database client per request, created lazily and closed before the handler returns. */
export function requestDatabase(): MiddlewareHandler<AppEnv> {
  return async function requestDatabase(c, next) {
    let client: DatabaseClient | undefined;
    c.set('database', () => {
      client ??= createDatabaseClient(c.env.HYPERDRIVE.connectionString, undefined, {
        requestId: c.get('requestId'),
        connectionWaitMs: c.get('connectionWaitMs'),
      });
      return client.db;
    });
    try {
      await next();
    } finally {
      await client?.close();
    }
  };
}
