import { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { ApiError } from '../platform/errors';
import { log } from '../platform/log';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemOf } from '../platform/responses';

export const healthRoutes = createRouter();

// Contract section 17: the answer names no versions (they tell an attacker what to try).
export const healthView = z.object({ status: z.literal('ok'), database: z.literal('ok') }).openapi('Health');

const DATABASE_TIMEOUT_MS = 3000;

const health = defineRoute(
  { public: true, reason: 'liveness probe for load balancers and uptime checks' },
  {
    method: 'get',
    path: '/',
    tags: ['platform'],
    summary: 'Service and database health',
    responses: {
      200: jsonResponse(healthView, 'Healthy'),
      503: problemOf('The database is unreachable (`database: "unreachable"`, with Retry-After)'),
    },
  },
);

healthRoutes.openapi(health, async (c) => {
  try {
    await withTimeout(c.var.database().execute(sql`select 1`), DATABASE_TIMEOUT_MS);
  } catch (error) {
    log('error', 'health check: database unreachable', { request_id: c.get('requestId'), error: String(error) });
    throw new ApiError(
      'service_unavailable',
      'The database is unreachable.',
      { database: 'unreachable' },
      { 'Retry-After': '5' },
    );
  }
  return c.json({ status: 'ok' as const, database: 'ok' as const }, 200);
});

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
