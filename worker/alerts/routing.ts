import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { alertChannels, alertRoutes, rules } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import type { Severity } from '../rules/language';
import { type EventType, pgArray } from './events';
import type { CreateRouteInput } from './schemas';

type RouteWithChannel = typeof alertRoutes.$inferSelect & { channelName: string; channelType: string };

/** A route sends the events it names (at or above `min_severity`, of `rule_ids` when given) to one channel. */
export async function createRoute(tx: Tx, actor: Actor, input: CreateRouteInput) {
  const [channel] = await tx
    .select({ id: alertChannels.id })
    .from(alertChannels)
    .where(eq(alertChannels.id, input.channel_id));
  const errors = channel ? [] : [{ path: 'channel_id', message: 'No such alert channel.' }];
  const ruleIds = input.rule_ids?.length ? [...new Set(input.rule_ids)] : null;
  if (ruleIds) {
    const found = new Set(
      (await tx.select({ id: rules.id }).from(rules).where(inArray(rules.id, ruleIds))).map((row) => row.id),
    );
    input.rule_ids!.forEach((id, index) => {
      if (!found.has(id)) errors.push({ path: `rule_ids.${index}`, message: 'No such rule.' });
    });
  }
  if (errors.length > 0) throw new ApiError('validation_failed', 'The request has invalid fields.', { errors });
  const [row] = await tx
    .insert(alertRoutes)
    .values({
      orgId: actor.orgId,
      channelId: input.channel_id,
      events: [...new Set(input.events)],
      minSeverity: input.min_severity ?? null,
      ruleIds,
      mode: input.mode,
      createdBy: actor.userId,
    })
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'alert_route.created',
    targetType: 'alert_route',
    targetId: row!.id,
    details: { channel_id: input.channel_id, events: row!.events, mode: input.mode },
  });
  return (await listRoutes(tx, { id: row!.id, limit: 1 }))[0]!;
}

/** Newest first, each with its channel's name and type. */
export async function listRoutes(
  tx: Tx,
  query: { limit: number; cursor?: string | undefined; id?: string },
): Promise<(RouteWithChannel & { createdAtKey: string })[]> {
  const after = olderThan(alertRoutes.createdAt, alertRoutes.id, query.cursor);
  const rows = await tx
    .select({
      route: alertRoutes,
      channelName: alertChannels.name,
      channelType: alertChannels.type,
      createdAtKey: sql<string>`${alertRoutes.createdAt}::text`,
    })
    .from(alertRoutes)
    .innerJoin(alertChannels, eq(alertChannels.id, alertRoutes.channelId))
    .where(and(after, query.id ? eq(alertRoutes.id, query.id) : undefined))
    .orderBy(desc(alertRoutes.createdAt), desc(alertRoutes.id))
    .limit(query.limit + 1);
  return rows.map((row) => ({
    ...row.route,
    channelName: row.channelName,
    channelType: row.channelType,
    createdAtKey: row.createdAtKey,
  }));
}

export async function deleteRoute(tx: Tx, actor: Actor, id: string): Promise<void> {
  const [row] = await tx.delete(alertRoutes).where(eq(alertRoutes.id, id)).returning();
  if (!row) throw notFound('Alert route');
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'alert_route.deleted',
    targetType: 'alert_route',
    targetId: id,
    details: { channel_id: row.channelId, events: row.events, mode: row.mode },
  });
}

export function toRouteView(row: RouteWithChannel) {
  return {
    id: row.id,
    channel_id: row.channelId,
    channel: { name: row.channelName, type: row.channelType as 'slack' | 'email' | 'webhook' },
    events: pgArray(row.events) as EventType[],
    min_severity: row.minSeverity as Severity | null,
    rule_ids: row.ruleIds === null ? null : pgArray(row.ruleIds),
    mode: row.mode as 'immediate' | 'digest',
    created_at: row.createdAt.toISOString(),
  };
}
