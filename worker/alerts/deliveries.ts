import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { alertDeliveries } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import type { AlertQueueMessage } from '../../queues/messages';
import type { Env } from '../env';
import { type Actor, recordAudit } from '../platform/audit';
import { notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import { deliverAlerts } from './dispatch';
import { type AlertPayload, summarize } from './render';

type DeliveryRow = typeof alertDeliveries.$inferSelect;

/** Newest first, by channel and status when asked. */
export async function listDeliveries(
  tx: Tx,
  query: { limit: number; cursor?: string | undefined; channelId?: string | undefined; status?: string },
) {
  const after = olderThan(alertDeliveries.createdAt, alertDeliveries.id, query.cursor);
  return tx
    .select({ delivery: alertDeliveries, createdAtKey: sql<string>`${alertDeliveries.createdAt}::text` })
    .from(alertDeliveries)
    .where(
      and(
        after,
        query.channelId ? eq(alertDeliveries.channelId, query.channelId) : undefined,
        query.status ? eq(alertDeliveries.status, query.status) : undefined,
      ),
    )
    .orderBy(desc(alertDeliveries.createdAt), desc(alertDeliveries.id))
    .limit(query.limit + 1);
}

export async function findDelivery(tx: Tx, id: string): Promise<DeliveryRow> {
  const [row] = await tx.select().from(alertDeliveries).where(eq(alertDeliveries.id, id));
  if (!row) throw notFound('Alert delivery');
  return row;
}

/**
 * Sends a delivery again from its first attempt, with the same webhook-id, whatever its state. A
 * new round: a message still queued from the previous one is ignored when it arrives, so nothing
 * is sent twice. The caller enqueues it after commit.
 */
export async function redeliver(tx: Tx, actor: Actor, id: string): Promise<DeliveryRow> {
  const current = await findDelivery(tx, id);
  const [row] = await tx
    .update(alertDeliveries)
    .set({
      status: 'pending',
      round: sql`${alertDeliveries.round} + 1`,
      attempts: 0,
      leasedUntil: null,
      nextAttemptAt: sql`now()`,
      deliveredAt: null,
      finishedAt: null,
    })
    .where(eq(alertDeliveries.id, id))
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'alert_delivery.redelivered',
    targetType: 'alert_delivery',
    targetId: id,
    details: { previous_status: current.status, previous_attempts: current.attempts, round: row!.round },
  });
  return row!;
}

/** A committed delivery's queue message: there is no raising transaction to wait for. */
export function deliveryMessage(row: Pick<DeliveryRow, 'orgId' | 'id' | 'round'>): AlertQueueMessage {
  return { kind: 'alert.delivery', orgId: row.orgId, deliveryId: row.id, round: row.round, xid: null };
}

/** Queues a committed delivery; a failure is left to the sweeper, which finds it pending. */
export async function enqueueDelivery(env: Env, row: Pick<DeliveryRow, 'orgId' | 'id' | 'round'>): Promise<void> {
  try {
    await env.ALERTS_QUEUE.send(deliveryMessage(row));
  } catch (error) {
    log('warn', 'alert delivery not queued; the sweeper will', { delivery_id: row.id, error: String(error) });
  }
}

/** The first attempt now, in the request (a channel test); a retry goes through the queue like any other. */
export async function deliverNow(env: Env, db: Database, orgId: string, id: string): Promise<DeliveryRow> {
  const message: AlertQueueMessage = { kind: 'alert.delivery', orgId, deliveryId: id, round: 0, xid: null };
  const [decision] = await deliverAlerts(env, db, [message]);
  if (decision?.retryAfter) await env.ALERTS_QUEUE.send(message, { delaySeconds: decision.retryAfter });
  return withTenant(db, orgId, (tx) => findDelivery(tx, id));
}

export function toDeliveryView(row: DeliveryRow) {
  return {
    id: row.id,
    channel_id: row.channelId,
    route_id: row.routeId,
    event_type: row.eventType,
    summary: summarize(row.payload as AlertPayload),
    status: row.status as 'pending' | 'delivered' | 'failed',
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    next_attempt_at: row.status === 'pending' ? (row.nextAttemptAt?.toISOString() ?? null) : null,
    created_at: row.createdAt.toISOString(),
    delivered_at: row.deliveredAt?.toISOString() ?? null,
  };
}
