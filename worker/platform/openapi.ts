import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { requirePermission } from './auth';
import type { AppEnv } from './context';
import { validationError } from './errors';
import type { Permission } from './permissions';
import { problemOf } from './responses';

/** Every router validates through the same hook, so a bad field is always the same problem+json. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error.issues, result.target === 'json' ? '' : result.target);
    },
  });
}

/**
 * A further condition a route is offered under, declared by the module that owns it (a plan
 * feature: `planFeature` in subscription/features): its middleware runs after the permission
 * check, and the OpenAPI document gets its extension (`x-feature`...) and its refusal.
 */
export interface RouteGate {
  middleware: MiddlewareHandler<AppEnv>;
  extension: Record<`x-${string}`, string>;
  refusal: { status: 402 | 403 | 409; description: string };
}

type Access = { permission: Permission; gate?: RouteGate } | { public: true; reason: string };

/**
 * Declares a route with its access rule. Every route states one: a permission (checked by
 * `requirePermission`) or `public` with the reason (login, webhooks authenticated by signature...).
 * The rule is also published in the OpenAPI document as `x-permission`, which a test checks; a
 * gated route also with its gate's extension and refusal.
 */
export function defineRoute<R extends Omit<RouteConfig, 'middleware'>>(access: Access, config: R) {
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if ('permission' in access) middleware.push(requirePermission(access.permission));
  const gate = 'permission' in access ? access.gate : undefined;
  if (gate) middleware.push(gate.middleware);
  return createRoute({
    ...config,
    ...(gate
      ? {
          ...gate.extension,
          responses: { ...config.responses, [gate.refusal.status]: problemOf(gate.refusal.description) },
        }
      : {}),
    middleware,
    'x-permission': 'permission' in access ? access.permission : 'public',
    ...('permission' in access ? { security: [{ bearer: [] }] } : {}),
  } as R & { middleware: MiddlewareHandler<AppEnv>[] });
}
