import { count, eq, isNotNull, sql } from 'drizzle-orm';
import { policies, rules, usageNotices, users } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { ApiError } from '../platform/errors';
import { countOf, type LimitName, nearThreshold, type PlanId, type PlanLimits, planById } from './catalogue';
import type { SubscriptionPlan } from './plan';

/** The plan's limit for `name` (null: unlimited). */
export function limitOf(plan: SubscriptionPlan, name: LimitName): number | null {
  return planLimits(plan)[name];
}

export function planLimits(plan: SubscriptionPlan): PlanLimits {
  return {
    users: plan.maxUsers,
    policies: plan.maxPolicies,
    rules: plan.maxRules,
    transactions_per_month: plan.maxTransactionsPerMonth,
  };
}

/** What the organization uses of each limit counted in Postgres (transactions are the OrgHub's). */
export async function countedUsage(tx: Tx): Promise<Record<Exclude<LimitName, 'transactions_per_month'>, number>> {
  // Row-level security scopes each count to the transaction's organization.
  const [[activeUsers], [policyCount], [rulesInForce]] = await Promise.all([
    tx.select({ n: count() }).from(users).where(eq(users.isActive, true)),
    tx.select({ n: count() }).from(policies),
    tx.select({ n: count() }).from(rules).where(isNotNull(rules.activeVersion)),
  ]);
  return { users: activeUsers?.n ?? 0, policies: policyCount?.n ?? 0, rules: rulesInForce?.n ?? 0 };
}

/** The one 402 a request past a plan limit answers: `limit`, `used`, `plan` and `limit_name` in the body. */
export function planLimitError(
  planId: PlanId,
  name: LimitName,
  usage: { limit: number; used: number },
  advice: string,
): ApiError {
  const { limit, used } = usage;
  const planName = planById(planId)?.name ?? planId;
  return new ApiError(
    'payment_required',
    `The ${planName} plan allows ${countOf(name, limit)} and ${used.toLocaleString('en-US')} ${used === 1 ? 'is' : 'are'} in use; ${advice}`,
    { limit, used, plan: planId, limit_name: name },
  );
}

/**
 * Refuses (402) what would take `name` past the plan's limit, and raises `usage.limit_near` when
 * it brings usage to 80% of it. `used` is the count before the change; call it inside the
 * tenant transaction that makes the change, after taking the lock that serializes such changes.
 */
export async function assertWithinLimit(
  env: Env,
  tx: Tx,
  plan: SubscriptionPlan,
  check: { orgId: string; name: LimitName; used: number; adding?: number; advice: string },
): Promise<void> {
  const limit = limitOf(plan, check.name);
  if (limit === null) return;
  const after = check.used + (check.adding ?? 1);
  if (after > limit) throw planLimitError(plan.id, check.name, { limit, used: check.used }, check.advice);
  await noteUsage(env, tx, { orgId: check.orgId, plan: plan.id, name: check.name, used: after, limit });
}

/**
 * Raises `usage.limit_near` when `used` has reached 80% of the plan's limit for `name`, once per
 * calendar month (UTC) and limit: the notice row is what makes it once, and it commits or rolls
 * back with the change that reached the threshold.
 */
export async function noteUsage(
  env: Env,
  tx: Tx,
  usage: { orgId: string; plan: PlanId; name: LimitName; used: number; limit: number },
): Promise<void> {
  const { limit } = usage;
  if (usage.used < nearThreshold(limit)) return;
  const [notice] = await tx
    .insert(usageNotices)
    .values({
      orgId: usage.orgId,
      period: sql`to_char(now() at time zone 'UTC', 'YYYY-MM')`,
      limitName: usage.name,
      used: usage.used,
      allowed: limit,
    })
    .onConflictDoNothing()
    .returning({ period: usageNotices.period });
  if (!notice) return;
  await raiseEvents(env, tx, usage.orgId, [
    {
      type: 'usage.limit_near',
      severity: 'medium',
      data: {
        limit_name: usage.name,
        used: usage.used,
        limit,
        plan: usage.plan,
        period: notice.period,
        message: `${countOf(usage.name, usage.used)} of the ${planById(usage.plan)?.name} plan's ${limit.toLocaleString('en-US')}.`,
      },
    },
  ]);
}
