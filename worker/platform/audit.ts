import type { Context } from 'hono';
import { auditLog } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import type { AppEnv } from './context';

export type AuditOrigin = { ip: string | null; userAgent: string | null };

export type AuditEntry = {
  orgId: string;
  actorId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
};

/**
 * Who acts, in which organization, from where: what a service needs to act and audit it.
 * `userId` is null when the product itself acts (a cron, a queue consumer, an ERP's webhook).
 */
export type Actor = { orgId: string; userId: string | null; origin: AuditOrigin };

/** The product acting on its own in an organization: audited with no user and no address. */
export function systemActor(orgId: string): Actor {
  return { orgId, userId: null, origin: { ip: null, userAgent: null } };
}

/** The signed-in user acting through this request: in their organization, or an operator in `orgId` (audited in its trail). */
export function actorOf(c: Context<AppEnv>, orgId = c.var.caller.orgId): Actor & { userId: string } {
  return { orgId, userId: c.var.caller.userId, origin: auditOrigin(c) };
}

export function auditOrigin(c: Context): AuditOrigin {
  return { ip: c.req.header('cf-connecting-ip') ?? null, userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null };
}

/** Appends to the organization's hash-chained audit trail, inside the caller's tenant transaction. */
export async function recordAudit(tx: Tx, origin: AuditOrigin, entry: AuditEntry): Promise<void> {
  await recordAudits(tx, origin, [entry]);
}

/** Several entries in one statement (a bulk action's), chained in the order given. */
export async function recordAudits(tx: Tx, origin: AuditOrigin, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.insert(auditLog).values(
    entries.map((entry) => ({
      orgId: entry.orgId,
      actorId: entry.actorId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      ip: origin.ip,
      userAgent: origin.userAgent,
      details: entry.details ?? {},
    })),
  );
}
