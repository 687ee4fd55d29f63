import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { isUniqueViolation } from '../../db/errors';
import { organizations, refreshTokens, subscriptions, users } from '../../db/schema';
import { type Tx, withSystem, withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import type { Env } from '../env';
import { type Actor, type AuditOrigin, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import type { Role } from '../platform/permissions';
import {
  ACCESS_TOKEN_SECONDS,
  hashRefreshToken,
  issueAccessToken,
  newRefreshToken,
  REFRESH_TOKEN_SECONDS,
} from '../platform/tokens';
import { newSubscription } from '../subscription/service';
import { hashPassword, passwordCost, verifyAgainstNothing, verifyPassword } from './passwords';
import type { SessionView } from './schemas';
import { reserveLoginAttempt, reserveRegistration } from './throttle';

type SessionUser = {
  id: string;
  orgId: string;
  email: string;
  role: string;
  fullName: string;
  timeZone: string | null;
};

const invalidCredentials = () => new ApiError('unauthorized', 'The email or password is incorrect.');
const invalidRefresh = () => new ApiError('unauthorized', 'The refresh token is invalid, expired or revoked.');

export async function registerOrganization(
  env: Env,
  db: Database,
  origin: AuditOrigin,
  input: { org_name: string; email: string; password: string; full_name: string },
): Promise<SessionView> {
  await reserveRegistration(env, origin.ip);
  const orgId = crypto.randomUUID();
  const passwordHash = await hashPassword(input.password, passwordCost(env.PASSWORD_COST));
  try {
    return await withTenant(db, orgId, async (tx) => {
      const [organization] = await tx.insert(organizations).values({ id: orgId, name: input.org_name }).returning();
      await tx.insert(subscriptions).values(newSubscription(env, orgId));
      const [user] = await tx
        .insert(users)
        .values({ orgId, email: input.email, fullName: input.full_name, role: 'compliance_admin', passwordHash })
        .returning();
      await recordAudit(tx, origin, {
        orgId,
        actorId: user!.id,
        action: 'organization.registered',
        targetType: 'organization',
        targetId: orgId,
        details: { plan: env.DEFAULT_PLAN, email: input.email },
      });
      return startSession(env, tx, user!, organization!.name, crypto.randomUUID());
    });
  } catch (error) {
    if (isUniqueViolation(error, 'users_email_unique')) {
      throw new ApiError('conflict', 'An account with this email already exists.');
    }
    throw error;
  }
}

export async function login(
  env: Env,
  db: Database,
  origin: AuditOrigin,
  email: string,
  password: string,
): Promise<SessionView> {
  const cost = passwordCost(env.PASSWORD_COST);
  // Reserved before the password is hashed: concurrent guesses cannot all pass a check made
  // before any of them counted, and a refused attempt learns nothing, even with the right password.
  const [throttle, found] = await Promise.all([reserveLoginAttempt(env, email, origin.ip), findUserByEmail(db, email)]);
  if (throttle.refused) {
    if (found && (await throttle.refusalWorthAuditing())) {
      await auditUser(db, origin, found, 'auth.login_throttled', {
        retry_after: Number(throttle.refused.headers['Retry-After']),
      });
    }
    throw throttle.refused;
  }
  if (!found) {
    await verifyAgainstNothing(password, cost);
    throw invalidCredentials();
  }
  const check = await verifyPassword(password, found.passwordHash, cost);
  if (!check.valid || !found.isActive) {
    await auditUser(db, origin, found, 'auth.login_failed', { reason: check.valid ? 'deactivated' : 'wrong_password' });
    throw invalidCredentials();
  }
  const session = await withTenant(db, found.orgId, async (tx) => {
    const rehashed = check.needsRehash ? { passwordHash: await hashPassword(password, cost) } : {};
    await tx
      .update(users)
      .set({ lastLoginAt: sql`now()`, ...rehashed })
      .where(eq(users.id, found.id));
    await recordAudit(tx, origin, {
      orgId: found.orgId,
      actorId: found.id,
      action: 'auth.login_succeeded',
      targetType: 'user',
      targetId: found.id,
    });
    return startSession(env, tx, found, await organizationName(tx, found.orgId), crypto.randomUUID());
  });
  await throttle.succeeded();
  return session;
}

async function findUserByEmail(db: Database, email: string) {
  return withSystem(db, async (tx) => {
    const [row] = await tx.select().from(users).where(sql`lower(${users.email}) = ${email}`).limit(1);
    return row;
  });
}

/** An audit row about a sign-in attempt on `user`, in its own transaction (nothing else changes). */
async function auditUser(
  db: Database,
  origin: AuditOrigin,
  user: { id: string; orgId: string },
  action: string,
  details: Record<string, unknown>,
) {
  await withTenant(db, user.orgId, (tx) =>
    recordAudit(tx, origin, {
      orgId: user.orgId,
      actorId: user.id,
      action,
      targetType: 'user',
      targetId: user.id,
      details,
    }),
  );
}

/** Rotates a refresh token. Presenting an already-rotated token revokes its whole family. */
export async function refreshSession(env: Env, db: Database, origin: AuditOrigin, token: string): Promise<SessionView> {
  const stored = await findRefreshToken(db, token);
  if (!stored) throw invalidRefresh();
  const outcome = await withTenant(db, stored.orgId, async (tx) => {
    if (stored.revokedAt || stored.expiresAt <= new Date()) return { error: invalidRefresh() };
    // Conditional update: of two concurrent uses of one token, exactly one wins.
    const claimed = await tx
      .update(refreshTokens)
      .set({ usedAt: sql`now()` })
      .where(and(eq(refreshTokens.id, stored.id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
      .returning({ id: refreshTokens.id });
    if (claimed.length === 0) {
      await revokeFamily(tx, stored.familyId);
      await recordAudit(tx, origin, {
        orgId: stored.orgId,
        actorId: stored.userId,
        action: 'auth.token_reuse_detected',
        targetType: 'user',
        targetId: stored.userId,
        details: { family_id: stored.familyId },
      });
      return { error: invalidRefresh() };
    }
    const [user] = await tx.select().from(users).where(eq(users.id, stored.userId)).limit(1);
    if (!user?.isActive) return { error: invalidRefresh() };
    return { session: await startSession(env, tx, user, await organizationName(tx, user.orgId), stored.familyId) };
  });
  if ('error' in outcome) throw outcome.error;
  return outcome.session;
}

/** Revokes the session's refresh token family and closes the user's live sockets (other signed-in tabs reconnect). */
export async function logout(env: Env, db: Database, origin: AuditOrigin, token: string): Promise<void> {
  const stored = await findRefreshToken(db, token);
  if (!stored) return;
  await withTenant(db, stored.orgId, async (tx) => {
    await revokeFamily(tx, stored.familyId);
    await recordAudit(tx, origin, {
      orgId: stored.orgId,
      actorId: stored.userId,
      action: 'auth.logout',
      targetType: 'user',
      targetId: stored.userId,
    });
  });
  await orgHub(env, stored.orgId).closeUserSockets(stored.userId);
}

export async function organizationName(tx: Tx, orgId: string): Promise<string> {
  const [row] = await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId));
  return row?.name ?? '';
}

async function findRefreshToken(db: Database, token: string) {
  return withSystem(db, async (tx) => {
    const [row] = await tx
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashRefreshToken(token)))
      .limit(1);
    return row;
  });
}

async function revokeFamily(tx: Tx, familyId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

async function startSession(
  env: Env,
  tx: Tx,
  user: SessionUser,
  orgName: string,
  familyId: string,
): Promise<SessionView> {
  const refresh = newRefreshToken();
  await tx.insert(refreshTokens).values({
    orgId: user.orgId,
    userId: user.id,
    familyId,
    tokenHash: refresh.hash,
    expiresAt: sql`now() + make_interval(secs => ${REFRESH_TOKEN_SECONDS})`,
  });
  const role = user.role as Role;
  return {
    access_token: await issueAccessToken(env, { sub: user.id, org: user.orgId, role }),
    refresh_token: refresh.token,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_SECONDS,
    user: { id: user.id, email: user.email, role, full_name: user.fullName, time_zone: user.timeZone },
    organization: { id: user.orgId, name: orgName },
  };
}

/** Ends every session of a user at once (deactivation): no refresh token of theirs works again. */
export async function revokeUserSessions(tx: Tx, userId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}

/** The caller's own preferences (the time zone the dashboard shows times in). */
export async function updateOwnPreferences(
  tx: Tx,
  actor: Actor & { userId: string },
  changes: { time_zone: string | null },
): Promise<void> {
  await tx.update(users).set({ timeZone: changes.time_zone, updatedAt: sql`now()` }).where(eq(users.id, actor.userId));
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'user.preferences_changed',
    targetType: 'user',
    targetId: actor.userId,
    details: { time_zone: changes.time_zone },
  });
}
