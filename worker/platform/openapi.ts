import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePermission } from './auth';
import type { AppEnv } from './context';
import { validationError } from './errors';
import type { Permission } from './permissions';

/** Every router validates through the same hook, so a bad field is always the same problem+json. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues, result.target === 'json' ? '' : result.target);
    },
  });
}

type Access = { permission: Permission } | { public: true; reason: string };

/**
 * Declares a route with its access rule. Every route states one: a permission (checked by
 * `requirePermission`) or `public` with the reason (login, webhooks authenticated by signature...).
 * The rule is also published in the OpenAPI document as `x-permission`, which a test checks.
 */
export function defineRoute<R extends Omit<RouteConfig, 'middleware'>>(access: Access, config: R) {
  const middleware: MiddlewareHandler<AppEnv>[] = 'permission' in access ? [requirePermission(access.permission)] : [];
  return createRoute({
    ...config,
    middleware,
    'x-permission': 'permission' in access ? access.permission : 'public',
    ...('permission' in access ? { security: [{ bearer: [] }] } : {}),
  } as R & { middleware: MiddlewareHandler<AppEnv>[] });
}
