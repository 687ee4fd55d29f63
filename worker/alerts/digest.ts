import { sql } from 'drizzle-orm';
import { BACKGROUND_LIMITS, withDatabase } from '../../db/client';
import { uuidLiteral, withTenant } from '../../db/tenant';
import type { Env } from '../env';
import { enqueueDelivery } from './deliveries';

/** Examples a digest carries; its counts cover every event it folds in. */
const DIGEST_EXAMPLES = 10;

/**
 * Sends each route's digest: the route's waiting events are deleted and folded, in the same
 * transaction, into one delivery (counts by type, severity and rule, the first 10 as examples),
 * queued after the commit. A route with no waiting events sends nothing. Returns the routes
 * that sent a digest. Called by the organization's hub (durable-objects/alert-digests.ts).
 */
export async function sendDigests(env: Env, orgId: string, routeIds: string[]): Promise<string[]> {
  const sent: string[] = [];
  await withDatabase(env.HYPERDRIVE.connectionString, BACKGROUND_LIMITS, async (db) => {
    for (const routeId of routeIds) {
      const delivery = await withTenant(db, orgId, async (tx) => {
        const [row] = await tx.execute<{ id: string; round: number } | Record<string, null>>(sql`
          with folded as (delete from alert_digest_items where route_id = ${uuidLiteral(routeId)} returning *),
          summary as (
            select count(*)::int as total,
              to_char(min(created_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as window_start,
              (select coalesce(jsonb_object_agg(event_type, n), '{}') from
                (select event_type, count(*)::int as n from folded group by 1) t) as by_type,
              (select coalesce(jsonb_object_agg(severity, n), '{}') from
                (select severity, count(*)::int as n from folded where severity is not null group by 1) s) as by_severity,
              (select coalesce(jsonb_agg(jsonb_build_object('rule_id', rule_id, 'rule_name', rule_name, 'count', n)
                  order by n desc), '[]') from
                (select rule_id, max(payload #>> '{data,rule_name}') as rule_name, count(*)::int as n
                 from folded where rule_id is not null group by 1) r) as by_rule,
              (select coalesce(jsonb_agg(payload order by created_at), '[]') from
                (select payload, created_at from folded order by created_at limit ${sql.raw(String(DIGEST_EXAMPLES))}) e)
                as examples
            from folded)
          insert into alert_deliveries (org_id, channel_id, route_id, event_type, payload)
          select r.org_id, r.channel_id, r.id, 'alert.digest', jsonb_build_object('type', 'alert.digest',
            'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
            'data', jsonb_build_object('route_id', r.id, 'window_start', s.window_start, 'total', s.total,
              'by_type', s.by_type, 'by_severity', s.by_severity, 'by_rule', s.by_rule, 'examples', s.examples))
          from summary s, alert_routes r
          where r.id = ${uuidLiteral(routeId)} and s.total > 0
          returning id, round`);
        return row?.id ? { id: row.id, round: row.round as number } : null;
      });
      if (!delivery) continue;
      await enqueueDelivery(env, { orgId, ...delivery });
      sent.push(routeId);
    }
  });
  return sent;
}
