import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { uuidArray, withSystem, withTenant } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import type { Env } from '../env';
import { log } from '../platform/log';
import { deliveryMessage } from './deliveries';

// The queue holds a message at most a few seconds past its delay; two minutes late means it is lost.
const LOST_AFTER = sql.raw(`interval '2 minutes'`);
// A digest window is 5 minutes; events waiting twice that long belong to no open window.
const ORPHANED_AFTER = sql.raw(`interval '10 minutes'`);
const SWEEP_LIMIT = 1000;
const SEND_BATCH = 100;

type Lost = { org_id: string; id: string; round: number };

/**
 * The minute cron's safety net for what raiseEvents could not hand over: deliveries still pending
 * well past their attempt time (their queue message was never sent or got lost) are queued again,
 * and digest routes with events waiting longer than any window are handed to their hub. A
 * duplicate message is harmless: the consumer's lease and the delivery's status keep it from
 * sending twice. Returns how many deliveries and routes it handed over.
 */
export async function sweepAlerts(env: Env, db: Database): Promise<number> {
  const [lost, orphaned] = await withSystem(db, (tx) =>
    Promise.all([
      tx.execute<Lost>(sql`
        select org_id, id, round from alert_deliveries
        where status = 'pending' and next_attempt_at < now() - ${LOST_AFTER}
          and (leased_until is null or leased_until < now())
        order by next_attempt_at limit ${sql.raw(String(SWEEP_LIMIT))}`),
      tx.execute<{ org_id: string; route_ids: string[] | string }>(sql`
        select org_id, json_agg(distinct route_id) as route_ids from alert_digest_items
        where created_at < now() - ${ORPHANED_AFTER} group by org_id`),
    ]),
  );
  for (const [orgId, rows] of groupByOrg(lost)) {
    // Marked as due now, so that the next sweep does not queue them again while they wait their turn.
    const ids = uuidArray(rows.map((row) => row.id));
    await withTenant(db, orgId, (tx) =>
      tx.execute(sql`update alert_deliveries set next_attempt_at = now()
        where id = any(${ids}) and status = 'pending'`),
    );
    const messages = rows.map((row) => ({ body: deliveryMessage({ orgId, id: row.id, round: row.round }) }));
    for (let i = 0; i < messages.length; i += SEND_BATCH)
      await env.ALERTS_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
  }
  let routes = 0;
  for (const { org_id: orgId, route_ids } of orphaned) {
    const routeIds = typeof route_ids === 'string' ? (JSON.parse(route_ids) as string[]) : route_ids;
    await orgHub(env, orgId).gatherAlertDigests(orgId, routeIds);
    routes += routeIds.length;
  }
  if (lost.length > 0 || routes > 0) log('warn', 'alerts swept', { deliveries: lost.length, digest_routes: routes });
  return lost.length + routes;
}

function groupByOrg(rows: Lost[]): Map<string, Lost[]> {
  const groups = new Map<string, Lost[]>();
  for (const row of rows) groups.set(row.org_id, [...(groups.get(row.org_id) ?? []), row]);
  return groups;
}
