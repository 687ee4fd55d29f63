import { sql } from 'drizzle-orm';
import { plans, subscriptions } from '../../db/schema';
import { uuidLiteral, type Tx } from '../../db/tenant';

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
 * One statement without bind parameters: a round trip on every request that checks a limit.
 */
export async function subscriptionPlan(tx: Tx, orgId: string): Promise<SubscriptionPlan> {
  const [plan] = await tx.select({
    id: plans.id,
    name: plans.name,
    status: sql<string>`coalesce(${subscriptions.status}, 'none')`,
    maxUsers: plans.maxUsers,
    maxPolicies: plans.maxPolicies,
    maxTransactionsPerMonth: plans.maxTransactionsPerMonth,
  }).from(plans)
    .leftJoin(subscriptions, sql`${subscriptions.orgId} = ${uuidLiteral(orgId)}`)
    .where(sql`${plans.id} = coalesce(${subscriptions.planId}, ${sql.raw(`'${FALLBACK_PLAN}'`)})`);
  return plan!;
}
