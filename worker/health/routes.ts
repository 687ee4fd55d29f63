import { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import packageJson from '../../package.json';
import { ApiError } from '../platform/errors';
import { log } from '../platform/log';
import { createRouter, defineRoute } from '../platform/openapi';
import { jsonResponse, problemOf } from '../platform/responses';

export const healthRoutes = createRouter();

const healthView = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    database: z.object({ reachable: z.literal(true), version: z.string(), latency_ms: z.number() }),
  })
  .openapi('Health');

const DATABASE_TIMEOUT_MS = 3000;

const health = defineRoute(
  { public: true, reason: 'liveness probe for load balancers and uptime checks' },
  {
    method: 'get',
    path: '/',
    tags: ['platform'],
    summary: 'Service and database health',
    responses: { 200: jsonResponse(healthView, 'Healthy'), 503: problemOf('The database is unreachable') },
  },
);

healthRoutes.openapi(health, async (c) => {
  const started = Date.now();
  try {
    const rows = await withTimeout(
      c.var.database().execute<{ version: string }>(sql`select version() as version`),
      DATABASE_TIMEOUT_MS,
    );
    const version = rows[0]?.version ?? 'unknown';
    return c.json(
      {
        status: 'ok' as const,
        version: packageJson.version,
        database: { reachable: true as const, version, latency_ms: Date.now() - started },
      },
      200,
    );
  } catch (error) {
    log('error', 'health check: database unreachable', { error: String(error) });
    throw new ApiError('service_unavailable', 'The database is unreachable.', { database: { reachable: false } });
  }
});

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
