import { createRoute, OpenAPIHono, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Feature } from '../subscription/catalogue';
import { requireFeature } from '../subscription/features';
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

/** `feature`: the route is part of that feature, offered only on the plans that include it (402 elsewhere). */
type Access = { permission: Permission; feature?: Feature } | { public: true; reason: string };

/**
 * Declares a route with its access rule. Every route states one: a permission (checked by
 * `requirePermission`) or `public` with the reason (login, webhooks authenticated by signature...).
 * The rule is also published in the OpenAPI document as `x-permission`, which a test checks; a
 * route of a plan feature also as `x-feature`, with its 402 answer.
 */
export function defineRoute<R extends Omit<RouteConfig, 'middleware'>>(access: Access, config: R) {
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if ('permission' in access) middleware.push(requirePermission(access.permission));
  const feature = 'permission' in access ? access.feature : undefined;
  if (feature) middleware.push(requireFeature(feature));
  return createRoute({
    ...config,
    ...(feature
      ? {
          'x-feature': feature,
          responses: { ...config.responses, 402: problemOf(`The ${feature} feature is not part of the plan in force`) },
        }
      : {}),
    middleware,
    'x-permission': 'permission' in access ? access.permission : 'public',
    ...('permission' in access ? { security: [{ bearer: [] }] } : {}),
  } as R & { middleware: MiddlewareHandler<AppEnv>[] });
}
