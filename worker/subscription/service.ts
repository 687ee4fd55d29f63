import { desc, sql } from 'drizzle-orm';
import { subscriptions, usage } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { cancelStripeSubscription, stripeBilling } from '../billing/stripe';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import {
  countOf,
  LIMIT_NAMES,
  type LimitName,
  type Plan,
  type PlanId,
  planById,
  planRank,
  type SubscriptionStatus,
} from './catalogue';
import { countedUsage, planLimits } from './limits';
import { type SubscriptionPlan, subscriptionPlan } from './plan';
import type { SubscriptionView } from './schemas';

/** This month's transactions as the OrgHub counts them (read before the tenant transaction opens). */
export type Metered = { period: string; used: number };

/** The organization's subscription as GET /api/subscription shows it. */
export async function toSubscriptionView(env: Env, tx: Tx, orgId: string, metered: Metered): Promise<SubscriptionView> {
  const plan = await subscriptionPlan(tx, orgId);
  const counted = await countedUsage(tx);
  const history = await tx
    .select({ period: usage.period, transactions: usage.transactions })
    .from(usage)
    .orderBy(desc(usage.period))
    .limit(12);
  return {
    plan: plan.subscribed,
    plan_in_force: plan.id,
    status: plan.status,
    current_period_end: periodEnd(plan).toISOString(),
    grace_period_ends_at: plan.graceEndsAt?.toISOString() ?? null,
    period: metered.period,
    usage: { ...counted, transactions_per_month: metered.used },
    limits: planLimits(plan),
    features: [...plan.features],
    checkout_available: stripeBilling(env),
    stripe_customer: plan.stripeCustomerId !== null,
    history,
  };
}

/** A trial's or Stripe's period end; otherwise the end of the calendar month (UTC) usage is counted in. */
function periodEnd(plan: SubscriptionPlan): Date {
  if (plan.currentPeriodEnd) return plan.currentPeriodEnd;
  return new Date(Date.UTC(plan.now.getUTCFullYear(), plan.now.getUTCMonth() + 1, 1));
}

export type ExceededLimit = { limit: LimitName; used: number; allowed: number };

/** The limits of `target` that the organization's current usage exceeds. */
export async function exceededLimits(tx: Tx, target: Plan, metered: Metered): Promise<ExceededLimit[]> {
  const used = { ...(await countedUsage(tx)), transactions_per_month: metered.used };
  return LIMIT_NAMES.flatMap((name) => {
    const allowed = target.limits[name];
    return allowed !== null && used[name] > allowed ? [{ limit: name, used: used[name], allowed }] : [];
  });
}

export function downgradeRefused(target: Plan, exceeded: ExceededLimit[]): ApiError {
  const reasons = exceeded.map((e) => `${countOf(e.limit, e.allowed)} (you have ${e.used.toLocaleString('en-US')})`);
  return new ApiError(
    'conflict',
    `The ${target.name} plan allows at most ${reasons.join(', ')}. Reduce your usage below these limits, then change the plan.`,
    { plan: target.id, exceeded },
  );
}

/**
 * The organization's own plan change: an upgrade applies at once; a downgrade only when the
 * current usage fits the new plan (409 naming each exceeded limit). With Stripe billing on,
 * paid plans are bought through Checkout (402), and moving to the free plan ends the Stripe
 * subscription.
 */
export async function changePlan(env: Env, tx: Tx, actor: Actor, input: { plan: PlanId; metered: Metered }) {
  const current = await lockedSubscription(tx, actor.orgId);
  const target = planById(input.plan)!;
  const unchanged = target.id === current.subscribed && current.id === current.subscribed;
  if (unchanged) return;
  if (planRank(target.id) < planRank(current.id)) {
    const exceeded = await exceededLimits(tx, target, input.metered);
    if (exceeded.length > 0) throw downgradeRefused(target, exceeded);
  }
  if (stripeBilling(env) && target.price_monthly > 0) {
    throw new ApiError(
      'checkout_required',
      `The ${target.name} plan is paid: buy it through Stripe Checkout (POST /api/subscription/checkout).`,
      { plan: current.id, checkout: '/api/subscription/checkout' },
    );
  }
  if (current.stripeSubscriptionId && stripeBilling(env))
    await cancelStripeSubscription(env, current.stripeSubscriptionId);
  await applySubscription(tx, actor, current, {
    plan: target.id,
    // Unpaid stays unpaid; anything else is an active subscription to the new plan.
    status: current.status === 'past_due' ? 'past_due' : 'active',
    via: 'api',
    clear: { stripeSubscription: true, period: true },
  });
}

/** A platform operator's override: any plan and status, no usage check; audited in the organization's trail. */
export async function overrideSubscription(
  tx: Tx,
  actor: Actor,
  input: { plan?: PlanId; status?: SubscriptionStatus },
): Promise<void> {
  const current = await lockedSubscription(tx, actor.orgId);
  await applySubscription(tx, actor, current, {
    plan: input.plan ?? current.subscribed,
    status: input.status ?? (current.status === 'none' ? 'active' : current.status),
    via: 'operator',
  });
}

export type SubscriptionChange = {
  plan: PlanId;
  status: SubscriptionStatus;
  via: 'api' | 'operator' | 'stripe';
  /** Stripe's ids and period end, when Stripe says so. */
  stripe?: { customerId?: string | null; subscriptionId?: string | null; currentPeriodEnd?: Date | null };
  clear?: { stripeSubscription?: boolean; period?: boolean };
  eventId?: string;
};

/**
 * Writes a subscription change and audits each part that changed (`subscription.plan_changed`,
 * `subscription.status_changed`). The past-due clock starts when the status becomes past_due
 * and stops when it leaves it.
 */
export async function applySubscription(
  tx: Tx,
  actor: Actor,
  current: SubscriptionPlan,
  change: SubscriptionChange,
): Promise<void> {
  const values = {
    planId: change.plan,
    status: change.status,
    pastDueSince:
      change.status !== 'past_due' ? null : current.status === 'past_due' ? current.pastDueSince : sql`now()`,
    updatedAt: sql`now()`,
    ...(change.stripe?.customerId !== undefined && { stripeCustomerId: change.stripe.customerId }),
    ...(change.stripe?.subscriptionId !== undefined && { stripeSubscriptionId: change.stripe.subscriptionId }),
    ...(change.stripe?.currentPeriodEnd !== undefined && { currentPeriodEnd: change.stripe.currentPeriodEnd }),
    ...(change.clear?.stripeSubscription && { stripeSubscriptionId: null }),
    ...(change.clear?.period && { currentPeriodEnd: null }),
  };
  await tx
    .insert(subscriptions)
    .values({ orgId: actor.orgId, ...values })
    .onConflictDoUpdate({ target: subscriptions.orgId, set: values });
  const audit = (action: string, from: string, to: string) =>
    recordAudit(tx, actor.origin, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action,
      targetType: 'organization',
      targetId: actor.orgId,
      details: { from, to, via: change.via, ...(change.eventId && { stripe_event: change.eventId }) },
    });
  if (change.plan !== current.subscribed || current.status === 'none')
    await audit('subscription.plan_changed', current.subscribed, change.plan);
  if (change.status !== current.status) await audit('subscription.status_changed', current.status, change.status);
}

/** The subscription, locked until the transaction ends: changes to one organization's plan go one at a time. */
export async function lockedSubscription(tx: Tx, orgId: string): Promise<SubscriptionPlan> {
  await tx.execute(sql`select 1 from ${subscriptions} where ${subscriptions.orgId} = ${orgId} for update`);
  return subscriptionPlan(tx, orgId);
}

/** A new organization's terms: DEFAULT_PLAN, as a trial of TRIAL_DAYS when that is set. */
export function newSubscription(env: Env, orgId: string) {
  const trialDays = Number(env.TRIAL_DAYS || 0);
  return {
    orgId,
    planId: env.DEFAULT_PLAN,
    ...(trialDays > 0 && {
      status: 'trialing',
      currentPeriodEnd: sql`now() + make_interval(days => ${sql.raw(String(trialDays))})`,
    }),
  };
}
