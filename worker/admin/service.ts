import { z } from '@hono/zod-openapi';
import { and, asc, count, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { organizations, policies, subscriptions, usage, users } from '../../db/schema';
import { withSystem } from '../../db/tenant';
import { usagePeriod } from '../../durable-objects/usage-counter';
import { notFound } from '../platform/errors';
import { pastKey } from '../platform/keyset';
import { decodeCursor, type Page, toPage } from '../platform/pagination';
import { subscriptionPlan } from '../subscription/plan';
import type { OrganizationSummaryView, OrganizationUsageView } from './schemas';

/** Every organization by name, with its plan, active users and this month's transactions. */
export async function listOrganizations(
  db: Database,
  limit: number,
  cursor: string | undefined,
): Promise<Page<OrganizationSummaryView>> {
  const after = decodeCursor(cursor, z.tuple([z.string(), z.uuid()]));
  const period = usagePeriod(new Date());
  const rows = await withSystem(db, (tx) =>
    tx
      .select({
        id: organizations.id,
        name: organizations.name,
        createdAt: organizations.createdAt,
        plan: subscriptions.planId,
        status: subscriptions.status,
        activeUsers: sql<number>`(select count(*) from ${users} where ${users.orgId} = ${organizations.id} and ${users.isActive})::int`,
        transactions: sql<number>`coalesce((select ${usage.transactions} from ${usage} where ${usage.orgId} = ${organizations.id} and ${usage.period} = ${period}), 0)::float8`,
      })
      .from(organizations)
      .leftJoin(subscriptions, eq(subscriptions.orgId, organizations.id))
      .where(
        after && pastKey('asc', [organizations.name, organizations.id], [sql`${after[0]}`, sql`${after[1]}::uuid`]),
      )
      .orderBy(asc(organizations.name), asc(organizations.id))
      .limit(limit + 1),
  );
  return toPage(
    rows,
    limit,
    (row) => ({
      id: row.id,
      name: row.name,
      created_at: row.createdAt.toISOString(),
      plan: row.plan,
      subscription_status: row.status,
      active_users: row.activeUsers,
      transactions_this_month: Number(row.transactions),
    }),
    (row) => [row.name, row.id],
  );
}

/** One organization's consumption against its plan's limits. */
export async function organizationUsage(db: Database, orgId: string): Promise<OrganizationUsageView> {
  const period = usagePeriod(new Date());
  return withSystem(db, async (tx) => {
    const [organization] = await tx.select().from(organizations).where(eq(organizations.id, orgId));
    if (!organization) throw notFound('Organization');
    const plan = await subscriptionPlan(tx, orgId);
    const [activeUsers] = await tx
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.orgId, orgId), eq(users.isActive, true)));
    const [policyCount] = await tx.select({ n: count() }).from(policies).where(eq(policies.orgId, orgId));
    const history = await tx
      .select({ period: usage.period, transactions: usage.transactions })
      .from(usage)
      .where(eq(usage.orgId, orgId))
      .orderBy(desc(usage.period))
      .limit(12);
    return {
      organization: { id: organization.id, name: organization.name, created_at: organization.createdAt.toISOString() },
      plan: { id: plan.id, name: plan.name, status: plan.status },
      period,
      users: { used: activeUsers?.n ?? 0, limit: plan.maxUsers },
      policies: { used: policyCount?.n ?? 0, limit: plan.maxPolicies },
      transactions: {
        used: history.find((month) => month.period === period)?.transactions ?? 0,
        limit: plan.maxTransactionsPerMonth,
      },
      history,
    };
  });
}

/** For operators acting on an organization by id: an unknown one is a 404. */
export async function assertOrganizationExists(db: Database, orgId: string): Promise<void> {
  const [found] = await withSystem(db, (tx) =>
    tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)),
  );
  if (!found) throw notFound('Organization');
}
