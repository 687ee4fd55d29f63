import { eq } from 'drizzle-orm';
import { plans, subscriptions } from '../../db/schema';
import type { Tx } from '../../db/tenant';

type SubscriptionPlan = {
  id: string;
  name: string;
  status: string;
  maxUsers: number | null;
  maxPolicies: number | null;
  maxTransactionsPerMonth: number | null;
};

const FALLBACK_PLAN = 'basic';

/**
 * The organization's plan and its limits (null: unlimited). An organization without a
 * subscription (the platform operators' own) is held to the most restrictive plan, status `none`.
 */
export async function subscriptionPlan(tx: Tx, orgId: string): Promise<SubscriptionPlan> {
  const [plan] = await tx.select({
    id: plans.id,
    name: plans.name,
    status: subscriptions.status,
    maxUsers: plans.maxUsers,
    maxPolicies: plans.maxPolicies,
    maxTransactionsPerMonth: plans.maxTransactionsPerMonth,
  }).from(subscriptions).innerJoin(plans, eq(plans.id, subscriptions.planId)).where(eq(subscriptions.orgId, orgId));
  if (plan) return plan;
  const [fallback] = await tx.select({
    id: plans.id, name: plans.name, maxUsers: plans.maxUsers, maxPolicies: plans.maxPolicies, maxTransactionsPerMonth: plans.maxTransactionsPerMonth,
  }).from(plans).where(eq(plans.id, FALLBACK_PLAN));
  return { ...fallback!, status: 'none' };
}
