import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Env } from '../env';
import { count, flushSoon, observe, routeTemplate } from './metrics';

/**
 * A request's share of the deployment's metrics: its count by method, route template and status,
 * its duration, and the hand-over scheduled after the response. What it costs a request is
 * measured by `npm run bench:metrics` (BENCHMARKS.md).
 */
export function countRequest(c: Context<{ Bindings: Env }>, status: number, durationMs: number): void {
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
function templateOf(c: Context<{ Bindings: Env }>): string {
  const route = matchedRoutes(c).findLast((one) => one.method !== 'ALL');
  return routeTemplate(route?.path, route !== undefined);
}
