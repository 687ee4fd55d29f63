import { describe, expect, it } from 'vitest';
import { app } from '../worker/app';
import { PERMISSIONS } from '../worker/platform/permissions';
import { apiJson } from './helpers';

/** The documentation itself: served as plain routes, not operations of the API. */
const UNDOCUMENTED = new Set([
  'GET /api/openapi.json',
  'GET /api/docs',
  'GET /api/docs/init.js',
  'GET /api/docs/assets/{file}',
]);

/**
 * Every route reachable without a bearer token, reviewed one by one. A new public route fails
 * this test until it is added here, deliberately. Path parameters are written `{}`.
 */
const PUBLIC = new Set([
  'GET /health',
  'GET /metrics',
  'POST /api/auth/register',
  'POST /api/auth/login',
  'POST /api/auth/refresh',
  'POST /api/auth/logout',
  'POST /api/ingest/{}',
  'GET /api/ws',
  'GET /api/plans',
  'POST /api/billing/stripe/webhook',
]);

const anyParams = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
const openApiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');

const doc = await apiJson('GET', '/api/openapi.json', 200);
const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
  Object.entries(operations).map(([method, operation]) => ({
    route: `${method.toUpperCase()} ${path}`,
    permission: operation['x-permission'],
  })),
);
// Hono lists each handler and middleware of a route separately, and `app.use` middleware as ALL.
const registered = [
  ...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`)),
];

describe('security', () => {
  it.each(registered.filter((route) => !UNDOCUMENTED.has(route)))('%s is in the OpenAPI document', (route) => {
    expect(documented.map((operation) => operation.route)).toContain(route);
  });

  it.each(documented)('$route declares a known permission or is public', ({ permission }) => {
    expect(permission === 'public' || (permission !== undefined && permission in PERMISSIONS)).toBe(true);
  });

  it.each(documented.filter((operation) => operation.permission === 'public'))(
    'public $route is on the reviewed list',
    ({ route }) => {
      expect([...PUBLIC]).toContain(anyParams(route));
    },
  );

  it('finds the routes it checks (the tables above are not empty)', () => {
    expect(registered.length).toBeGreaterThanOrEqual(15);
    expect(documented.length).toBe(registered.filter((route) => !UNDOCUMENTED.has(route)).length);
  });
});
