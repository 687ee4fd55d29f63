import type { MiddlewareHandler } from 'hono';
import { type Tx, withTenant } from '../../db/tenant';
import type { AppEnv } from '../platform/context';
import { ApiError } from '../platform/errors';
import type { RouteGate } from '../platform/openapi';
import { FEATURE_NAMES, type Feature, PLANS } from './catalogue';
import { type SubscriptionPlan, subscriptionPlan } from './plan';

/** The 402 for a feature outside the plan in force: `feature` and `plan` in the body. */
export function featureUnavailable(plan: SubscriptionPlan, feature: Feature): ApiError {
  const offering = PLANS.filter((candidate) => candidate.features.includes(feature));
  const lapsed = plan.id !== plan.subscribed ? ` (your ${plan.subscribed} subscription is ${plan.status})` : '';
  return new ApiError(
    'feature_unavailable',
    `${FEATURE_NAMES[feature]} is not part of the ${plan.name} plan${lapsed}; it comes with ${offering.map((p) => p.name).join(' and ')}. Upgrade on the Subscription page.`,
    { feature, plan: plan.id, available_on: offering.map((p) => p.id) },
  );
}

/** For services and jobs: refuses (402) when the organization's plan in force lacks `feature`. */
export async function assertFeature(tx: Tx, orgId: string, feature: Feature): Promise<void> {
  const plan = await subscriptionPlan(tx, orgId);
  if (!plan.features.includes(feature)) throw featureUnavailable(plan, feature);
}

/**
 * The gate of every route that offers a feature: after `requirePermission` (which sets the
 * caller), refuses (402) when the plan in force lacks `feature`. Usable on its own in a plain Hono route.
 */
export function requireFeature(feature: Feature): MiddlewareHandler<AppEnv> {
  return async function requireFeatureMiddleware(c, next) {
    const { orgId } = c.var.caller;
    await withTenant(c.var.database(), orgId, (tx) => assertFeature(tx, orgId, feature));
    await next();
  };
}

/** A route's declaration that it is part of `feature`: `defineRoute({ permission, gate: planFeature('risk') }, ...)`. */
export function planFeature(feature: Feature): RouteGate {
  return {
    middleware: requireFeature(feature),
    extension: { 'x-feature': feature },
    refusal: { status: 402, description: `The ${feature} feature is not part of the plan in force` },
  };
}
