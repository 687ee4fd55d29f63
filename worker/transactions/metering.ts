import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { usage } from '../../db/schema';
import { type Tx, withSystem } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import { type RecordedUsage, usagePeriod } from '../../durable-objects/usage-counter';
import type { Env } from '../env';
import type { ApiError, FieldError } from '../platform/errors';
import { log } from '../platform/log';
import { nearThreshold, type PlanId } from '../subscription/catalogue';
import { noteUsage, planLimitError } from '../subscription/limits';
import { subscriptionPlan } from '../subscription/plan';

/** The organization's plan and its monthly transaction limit (null: unlimited). */
export type PlanAllowance = { plan: PlanId; limit: number | null };

export async function planAllowance(tx: Tx, org: string | SQL): Promise<PlanAllowance> {
  const plan = await subscriptionPlan(tx, org);
  return { plan: plan.id, limit: plan.maxTransactionsPerMonth };
}

/** Reservations against the organization's monthly allowance, held by its OrgHub. */
export type UsageMeter = {
  allowance: PlanAllowance;
  /** How many of `count` rows may be stored; the rest are over the plan's limit. */
  reserve(count: number): Promise<number>;
  release(count: number): Promise<void>;
  /** The month's count after the last reservation. */
  used(): number;
  /** How many more rows the plan allows as of the last reservation (none known before the first). */
  headroom(): number;
  /** Raises `usage.limit_near` in `tx` when a reservation brought the count to 80% of the limit. */
  noteNearLimit(tx: Tx): Promise<void>;
};

/** `recorded`: the month's count as the caller read it from Postgres, if it did (see RecordedUsage). */
export function usageMeter(env: Env, orgId: string, allowance: PlanAllowance, recorded?: RecordedUsage): UsageMeter {
  const hub = orgHub(env, orgId);
  let used = 0;
  let reserved = false;
  // The count at which a reservation crossed 80% of the limit, until a transaction raises the
  // notice. The hub serializes reservations, so exactly one of them crosses it.
  let crossedAt: number | undefined;
  return {
    allowance,
    async reserve(count) {
      if (count === 0) return 0;
      const result = await hub.reserveTransactions(orgId, count, allowance.limit, recorded);
      used = result.used;
      reserved = true;
      const threshold = allowance.limit === null ? null : nearThreshold(allowance.limit);
      if (threshold !== null && result.used - result.granted < threshold && result.used >= threshold)
        crossedAt = result.used;
      return result.granted;
    },
    async noteNearLimit(tx) {
      if (crossedAt === undefined || allowance.limit === null) return;
      const at = crossedAt;
      crossedAt = undefined;
      await noteUsage(env, tx, {
        orgId,
        plan: allowance.plan,
        name: 'transactions_per_month',
        used: at,
        limit: allowance.limit,
      });
    },
    async release(count) {
      if (count > 0) used = (await hub.releaseTransactions(orgId, count)).used;
    },
    used: () => used,
    headroom: () => (allowance.limit === null ? Number.POSITIVE_INFINITY : reserved ? allowance.limit - used : 0),
  };
}

export function planLimitReached(meter: UsageMeter): ApiError {
  const { plan, limit } = meter.allowance;
  return planLimitError(
    plan,
    'transactions_per_month',
    { limit: limit ?? 0, used: meter.used() },
    'upgrade the plan or wait for next month (calendar months, UTC).',
  );
}

export function planLimitRowError(meter: UsageMeter): FieldError {
  return {
    path: '',
    message: `plan limit reached: the ${meter.allowance.plan} plan allows ${meter.allowance.limit} transactions per month`,
  };
}

/**
 * The monthly cron ("0 0 1 * *"): every organization that ingested last month starts the new
 * month in its OrgHub, which flushes the final count of the old one to Postgres.
 */
export async function rolloverUsage(env: Env, db: Database, now = new Date()): Promise<number> {
  const previous = usagePeriod(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));
  const orgIds = await withSystem(db, (tx) =>
    tx.selectDistinct({ orgId: usage.orgId }).from(usage).where(sql`${usage.period} >= ${previous}`),
  );
  for (const { orgId } of orgIds) {
    try {
      await orgHub(env, orgId).rolloverUsage(orgId);
    } catch (error) {
      log('error', 'usage rollover failed', { org_id: orgId, error: String(error) });
    }
  }
  return orgIds.length;
}
