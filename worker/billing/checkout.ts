import type { Tx } from '../../db/tenant';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import { type Plan, type PlanId, planById, planRank } from '../subscription/catalogue';
import { subscriptionPlan } from '../subscription/plan';
import { downgradeRefused, exceededLimits, type Metered } from '../subscription/service';
import { stripeClient } from './stripe';

export type CheckoutTerms = { plan: Plan; customerId: string | null };

/**
 * What a Checkout session may sell the organization, checked in its tenant transaction before
 * Stripe is called: a paid plan it does not already pay for, whose limits its usage fits.
 */
export async function checkoutTerms(
  env: Env,
  tx: Tx,
  actor: Actor,
  input: { plan: PlanId; metered: Metered },
): Promise<CheckoutTerms> {
  stripeClient(env);
  const current = await subscriptionPlan(tx, actor.orgId);
  const target = planById(input.plan)!;
  if (target.price_monthly === 0) {
    throw new ApiError(
      'bad_request',
      `The ${target.name} plan is free: move to it with POST /api/subscription/change.`,
    );
  }
  if (target.id === current.id && current.stripeSubscriptionId) {
    throw new ApiError('conflict', `Stripe already bills this organization for the ${target.name} plan.`);
  }
  if (planRank(target.id) < planRank(current.id)) {
    const exceeded = await exceededLimits(tx, target, input.metered);
    if (exceeded.length > 0) throw downgradeRefused(target, exceeded);
  }
  return { plan: target, customerId: current.stripeCustomerId };
}

/** The session is recorded in the organization's audit trail once Stripe has made it. */
export async function recordCheckoutStarted(tx: Tx, actor: Actor, plan: PlanId, sessionId: string): Promise<void> {
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'subscription.checkout_started',
    targetType: 'organization',
    targetId: actor.orgId,
    details: { plan, stripe_session: sessionId },
  });
}
