import type { Deltas } from '../platform/metrics';

const REQUEST_SERIES = /^nitilens_http_requests_total\{method="([^"]*)",route="((?:[^"\\]|\\.)*)",status="(\d+)"\}$/;

/**
 * Each route's requests and 5xx answers from the summed `nitilens_http_requests_total` series,
 * routes with server errors first, then the busiest.
 */
export function requestErrorRates(series: Deltas) {
  const byRoute = new Map<string, { method: string; route: string; total: number; server_errors: number }>();
  for (const [key, value] of Object.entries(series)) {
    const match = REQUEST_SERIES.exec(key);
    if (!match) continue;
    const [, method, route, status] = match as unknown as [string, string, string, string];
    const id = `${method} ${route}`;
    const entry = byRoute.get(id) ?? { method, route, total: 0, server_errors: 0 };
    entry.total += value;
    if (Number(status) >= 500) entry.server_errors += value;
    byRoute.set(id, entry);
  }
  return [...byRoute.values()]
    .map((entry) => ({ ...entry, error_rate: entry.total === 0 ? 0 : entry.server_errors / entry.total }))
    .sort((a, b) => b.server_errors - a.server_errors || b.total - a.total)
    .slice(0, 100);
}
