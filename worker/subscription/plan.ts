import { type SQL, sql } from 'drizzle-orm';
import { subscriptions } from '../../db/schema';
import { type Tx, uuidLiteral } from '../../db/tenant';
import {
  FALLBACK_PLAN,
  type Feature,
  isPlanId,
  PAST_DUE_GRACE_DAYS,
  type Plan,
  type PlanId,
  planById,
} from './catalogue';

const DAY_MS = 86_400_000;

/** `none`: the organization has no subscription row; it is held to the fallback plan. */
export type StoredStatus = 'trialing' | 'active' | 'past_due' | 'canceled' | 'none';

/**
 * The organization's subscription and the plan it is held to now (`id`, its limits and features):
 * the subscribed plan, or the fallback plan once a trial has ended, a payment has been overdue
 * past the grace period, or the subscription is canceled.
 */
export type SubscriptionPlan = {
  /** The plan in force: what limits and features follow. */
  id: PlanId;
  name: string;
  /** The plan the organization subscribed to (equal to `id` unless the subscription has lapsed). */
  subscribed: PlanId;
  status: StoredStatus;
  maxUsers: number | null;
  maxPolicies: number | null;
  maxRules: number | null;
  maxTransactionsPerMonth: number | null;
  features: readonly Feature[];
  currentPeriodEnd: Date | null;
  pastDueSince: Date | null;
  /** While past due: when the grace period ends (features and limits keep working until then). */
  graceEndsAt: Date | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** The database's clock when this was read. */
  now: Date;
};

/**
 * The organization's plan and its limits (null: unlimited).
 * One statement without bind parameters on every request that checks a limit (docs/architecture.md, Round trips).
 * `org` is the organization's id, or a subquery that yields it.
 */
export async function subscriptionPlan(tx: Tx, org: string | SQL): Promise<SubscriptionPlan> {
  const orgId = typeof org === 'string' ? uuidLiteral(org) : org;
  const [row] = await tx
    .select({
      planId: sql<string | null>`${subscriptions.planId}`,
      status: sql<string>`coalesce(${subscriptions.status}, 'none')`,
      currentPeriodEnd: subscriptions.currentPeriodEnd,
      pastDueSince: subscriptions.pastDueSince,
      stripeCustomerId: subscriptions.stripeCustomerId,
      stripeSubscriptionId: subscriptions.stripeSubscriptionId,
      now: sql<Date>`now()`.mapWith(subscriptions.updatedAt),
    })
    // One row even without a subscription, so the database's clock is always read.
    .from(sql`(select 1) as one`)
    .leftJoin(subscriptions, sql`${subscriptions.orgId} = ${orgId}`);
  return planInForce({
    planId: row?.planId ?? null,
    status: (row?.status ?? 'none') as StoredStatus,
    currentPeriodEnd: row?.currentPeriodEnd ?? null,
    pastDueSince: row?.pastDueSince ?? null,
    stripeCustomerId: row?.stripeCustomerId ?? null,
    stripeSubscriptionId: row?.stripeSubscriptionId ?? null,
    now: row?.now ?? new Date(),
  });
}

type StoredSubscription = {
  planId: string | null;
  status: StoredStatus;
  currentPeriodEnd: Date | null;
  pastDueSince: Date | null;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  now: Date;
};

function planInForce(stored: StoredSubscription): SubscriptionPlan {
  const subscribed = isPlanId(stored.planId) ? stored.planId : FALLBACK_PLAN;
  const graceEndsAt =
    stored.status === 'past_due'
      ? new Date((stored.pastDueSince ?? stored.now).getTime() + PAST_DUE_GRACE_DAYS * DAY_MS)
      : null;
  const lapsed =
    stored.status === 'none' ||
    stored.status === 'canceled' ||
    (stored.status === 'trialing' && stored.currentPeriodEnd !== null && stored.currentPeriodEnd <= stored.now) ||
    (graceEndsAt !== null && graceEndsAt <= stored.now);
  const plan = planById(lapsed ? FALLBACK_PLAN : subscribed) as Plan;
  return {
    id: plan.id,
    name: plan.name,
    subscribed,
    status: stored.status,
    maxUsers: plan.limits.users,
    maxPolicies: plan.limits.policies,
    maxRules: plan.limits.rules,
    maxTransactionsPerMonth: plan.limits.transactions_per_month,
    features: plan.features,
    currentPeriodEnd: stored.currentPeriodEnd,
    pastDueSince: stored.pastDueSince,
    graceEndsAt,
    stripeCustomerId: stored.stripeCustomerId,
    stripeSubscriptionId: stored.stripeSubscriptionId,
    now: stored.now,
  };
}
