import { z } from '@hono/zod-openapi';
import { and, asc, count, eq, gt, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { isUniqueViolation } from '../../db/errors';
import { users } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import { hashPassword, passwordCost } from '../auth/passwords';
import { revokeUserSessions } from '../auth/service';
import { unassignCasesOf } from '../cases/service';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { decodeCursor, type Page, toPage } from '../platform/pagination';
import { type Role, roleHas } from '../platform/permissions';
import { assertWithinLimit } from '../subscription/limits';
import { subscriptionPlan } from '../subscription/plan';
import type { CreateUserInput, ManagedUserView, UpdateUserInput } from './schemas';

type UserRow = typeof users.$inferSelect;

function toUserView(row: UserRow): ManagedUserView {
  return {
    id: row.id,
    email: row.email,
    full_name: row.fullName,
    role: row.role as Role,
    is_active: row.isActive,
    last_login_at: row.lastLoginAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

export async function createUser(
  env: Env,
  db: Database,
  actor: Actor,
  input: CreateUserInput,
): Promise<ManagedUserView> {
  const { orgId } = actor;
  const passwordHash = await hashPassword(input.password, passwordCost(env.PASSWORD_COST));
  try {
    return await withTenant(db, orgId, async (tx) => {
      await lockOrganizationUsers(tx, orgId);
      await assertSeatAvailable(env, tx, orgId);
      const [row] = await tx
        .insert(users)
        .values({ orgId, email: input.email, fullName: input.full_name, role: input.role, passwordHash })
        .returning();
      await recordAudit(tx, actor.origin, {
        orgId,
        actorId: actor.userId,
        action: 'user.created',
        targetType: 'user',
        targetId: row!.id,
        details: { email: row!.email, role: row!.role },
      });
      return toUserView(row!);
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_unique'))
      throw new ApiError('conflict', 'An account with this email already exists.');
    throw error;
  }
}

/** The organization's users in email order; the cursor is the last email seen. */
export async function listUsers(
  db: Database,
  orgId: string,
  limit: number,
  cursor: string | undefined,
): Promise<Page<ManagedUserView>> {
  const after = decodeCursor(cursor, z.tuple([z.string()]))?.[0];
  const rows = await withTenant(db, orgId, (tx) =>
    tx
      .select()
      .from(users)
      .where(and(eq(users.orgId, orgId), after === undefined ? undefined : gt(users.email, after)))
      .orderBy(asc(users.email))
      .limit(limit + 1),
  );
  return toPage(rows, limit, toUserView, (row) => [row.email]);
}

export async function getUser(db: Database, orgId: string, id: string): Promise<ManagedUserView> {
  const row = await withTenant(db, orgId, (tx) => findUser(tx, id));
  if (!row) throw notFound('User');
  return toUserView(row);
}

/**
 * Changes role and/or active flag; each change is audited, deactivation ends every session, and a
 * deactivation or role change closes the user's live sockets (they reconnect only if still allowed).
 */
export async function updateUser(
  env: Env,
  db: Database,
  actor: Actor,
  id: string,
  input: UpdateUserInput,
): Promise<ManagedUserView> {
  const { orgId } = actor;
  const { view, accessChanged } = await withTenant(db, orgId, async (tx) => {
    await lockOrganizationUsers(tx, orgId);
    const current = await findUser(tx, id);
    if (!current) throw notFound('User');
    if (current.role === 'super_admin')
      throw new ApiError('forbidden', 'Platform operators are managed from the command line.');
    const role = input.role ?? current.role;
    const isActive = input.is_active ?? current.isActive;
    const losesAdmin =
      current.role === 'compliance_admin' && current.isActive && (role !== 'compliance_admin' || !isActive);
    if (losesAdmin) await assertAnotherActiveAdmin(tx, orgId, id);
    if (isActive && !current.isActive) await assertSeatAvailable(env, tx, orgId);
    const [row] = await tx
      .update(users)
      .set({ role, isActive, updatedAt: sql`now()` })
      .where(eq(users.id, id))
      .returning();
    if (!isActive && current.isActive) await revokeUserSessions(tx, id);
    // Deactivated, or no longer allowed to work cases: their open cases return to the unassigned queue.
    const couldWorkCases = current.isActive && roleHas(current.role as Role, 'cases:update');
    if (couldWorkCases && (!isActive || !roleHas(role as Role, 'cases:update'))) await unassignCasesOf(tx, actor, id);
    const audit = (action: string, details: Record<string, unknown> = {}) =>
      recordAudit(tx, actor.origin, {
        orgId,
        actorId: actor.userId,
        action,
        targetType: 'user',
        targetId: id,
        details,
      });
    if (role !== current.role) await audit('user.role_changed', { from: current.role, to: role });
    if (isActive !== current.isActive) await audit(isActive ? 'user.reactivated' : 'user.deactivated');
    return { view: toUserView(row!), accessChanged: role !== current.role || (!isActive && current.isActive) };
  });
  if (accessChanged) await orgHub(env, orgId).closeUserSockets(id);
  return view;
}

/** Row-level security scopes the lookup: another organization's user is simply not found. */
async function findUser(tx: Tx, id: string): Promise<UserRow | undefined> {
  const [row] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

/** Serializes user changes within an organization, so the seat limit and the last-admin rule hold under concurrency. */
async function lockOrganizationUsers(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`users:${orgId}`}, 0))`);
}

/** Active users count against the plan's user limit; a deactivated user frees a seat. */
async function assertSeatAvailable(env: Env, tx: Tx, orgId: string): Promise<void> {
  const plan = await subscriptionPlan(tx, orgId);
  if (plan.maxUsers === null) return;
  const [active] = await tx
    .select({ used: count() })
    .from(users)
    .where(and(eq(users.orgId, orgId), eq(users.isActive, true)));
  await assertWithinLimit(env, tx, plan, {
    orgId,
    name: 'users',
    used: active?.used ?? 0,
    advice: 'deactivate a user or upgrade the plan on the Subscription page.',
  });
}

async function assertAnotherActiveAdmin(tx: Tx, orgId: string, userId: string): Promise<void> {
  const [others] = await tx
    .select({ n: count() })
    .from(users)
    .where(
      and(eq(users.orgId, orgId), eq(users.role, 'compliance_admin'), eq(users.isActive, true), ne(users.id, userId)),
    );
  if (!others?.n) {
    throw new ApiError(
      'conflict',
      'This is the last active compliance_admin of the organization; make another user compliance_admin first.',
    );
  }
}
