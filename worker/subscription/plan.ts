import { type SQL, sql } from 'drizzle-orm';
import { plans, subscriptions } from '../../db/schema';
import { type Tx, uuidLiteral } from '../../db/tenant';

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
 * subscription is held to the most restrictive plan, status `none`.
 * One statement without bind parameters: a round trip on every request that checks a limit.
 * `org` is the organization's id, or a subquery that yields it.
 */
export async function subscriptionPlan(tx: Tx, org: string | SQL): Promise<SubscriptionPlan> {
  const orgId = typeof org === 'string' ? uuidLiteral(org) : org;
  const [plan] = await tx
    .select({
      id: plans.id,
      name: plans.name,
      status: sql<string>`coalesce(${subscriptions.status}, 'none')`,
      maxUsers: plans.maxUsers,
      maxPolicies: plans.maxPolicies,
      maxTransactionsPerMonth: plans.maxTransactionsPerMonth,
    })
    .from(plans)
    .leftJoin(subscriptions, sql`${subscriptions.orgId} = ${orgId}`)
    .where(sql`${plans.id} = coalesce(${subscriptions.planId}, ${sql.raw(`'${FALLBACK_PLAN}'`)})`);
  return plan!;
}
