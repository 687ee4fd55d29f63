import { sql } from 'drizzle-orm';
import { type Tx, uuidLiteral } from '../../db/tenant';
import { orgHub } from '../../durable-objects/org-hub';
import type { AlertQueueMessage } from '../../queues/messages';
import type { Env } from '../env';
import { log } from '../platform/log';
import type { RaisedViolation } from '../rules/engine';
import { SEVERITIES, type Severity } from '../rules/language';
import { EVENT_TYPES, type EventType } from './kinds';

export { EVENT_TYPES, type EventType };

/**
 * One thing that happened in an organization. `severity` and `ruleId` are what routes filter on
 * (`min_severity`, `rule_ids`); `data` is the event's payload as channels carry it.
 */
export type ProductEvent = {
  type: EventType;
  severity?: Severity;
  ruleId?: string;
  data: Record<string, unknown>;
};

export type RouteRow = {
  id: string;
  channel_id: string;
  events: string[] | string;
  min_severity: Severity | null;
  rule_ids: string[] | string | null;
  mode: 'immediate' | 'digest';
};

// Queue.sendBatch takes at most 100 messages.
const SEND_BATCH = 100;

/**
 * The one way to raise events: called inside the tenant transaction that made the change. The
 * matching routes' deliveries (immediate) and digest items are written in that transaction, so
 * they exist exactly when the change commits. Their queue messages are sent before the commit and
 * carry the transaction's id: the consumer waits for it to end and sends nothing if it rolled
 * back. A message or hub call that fails here is made up for by the sweeper (worker/alerts/sweeper.ts).
 */
export async function raiseEvents(
  env: Env,
  tx: Tx,
  orgId: string,
  events: ProductEvent[],
  /** The routes for these events' types, when the caller read them with another statement (`routesFor`). */
  readRoutes?: RouteRow[],
): Promise<void> {
  if (events.length === 0) return;
  const types = [...new Set(events.map((event) => event.type))];
  if (!types.every((type) => (EVENT_TYPES as readonly string[]).includes(type)))
    throw new Error(`raiseEvents: unknown event type in ${types.join(', ')}`);
  const routes =
    readRoutes ?? (await tx.execute<{ routes: RouteRow[] }>(sql`select ${routesFor(types)} as routes`))[0]!.routes;
  if (routes.length === 0) return;
  const matched = routes.flatMap((route) =>
    events.filter((event) => routeTakes(route, event)).map((event) => ({ route, event })),
  );
  if (matched.length === 0) return;
  const rows = matched.map(({ route, event }) => ({
    route_id: route.id,
    channel_id: route.channel_id,
    mode: route.mode,
    type: event.type,
    severity: event.severity ?? null,
    rule_id: event.ruleId ?? null,
    data: event.data,
  }));
  const org = uuidLiteral(orgId);
  const created = await tx.execute<{ id: string; xid: string }>(sql`
    with input as (
      select r.*, jsonb_build_object('type', r.type,
        'timestamp', to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', r.data) as payload
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(route_id uuid, channel_id uuid, mode text, type text, severity text, rule_id uuid, data jsonb)),
    digested as (
      insert into alert_digest_items (org_id, route_id, event_type, severity, rule_id, payload)
      select ${org}, route_id, type, severity, rule_id, payload from input where mode = 'digest')
    insert into alert_deliveries (org_id, channel_id, route_id, event_type, payload)
    select ${org}, channel_id, route_id, type, payload from input where mode = 'immediate'
    returning id, pg_current_xact_id()::text as xid`);
  const digestRoutes = [...new Set(matched.filter((m) => m.route.mode === 'digest').map((m) => m.route.id))];
  await Promise.all([enqueueDeliveries(env, orgId, created), gatherDigests(env, orgId, digestRoutes)]);
}

/**
 * The routes taking any of `types`, as one JSON array (a select-list item, so that a caller can
 * read them beside something else). Known event types are written into the statement: no parameters.
 */
export function routesFor(types: readonly EventType[]) {
  return sql<RouteRow[]>`(select coalesce(json_agg(r), '[]') from (
    select id, channel_id, events, min_severity, rule_ids, mode from alert_routes
    where events && ${sql.raw(`'{${types.join(',')}}'`)}::text[]) r)`;
}

/** A route takes an event of its types; severity and rule filters apply to events that carry them. */
function routeTakes(route: RouteRow, event: ProductEvent): boolean {
  if (!pgArray(route.events).includes(event.type)) return false;
  if (route.min_severity && event.severity && severityRank(event.severity) < severityRank(route.min_severity))
    return false;
  const ruleIds = route.rule_ids === null ? [] : pgArray(route.rule_ids);
  return ruleIds.length === 0 || !event.ruleId || ruleIds.includes(event.ruleId);
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** A Postgres array as postgres.js hands it over without type fetching: parsed, or as `{a,b}` text. */
export function pgArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map((item) => item.replace(/^"|"$/g, ''));
}

async function enqueueDeliveries(env: Env, orgId: string, created: { id: string; xid: string }[]): Promise<void> {
  const messages = created.map((row): { body: AlertQueueMessage } => ({
    body: { kind: 'alert.delivery', orgId, deliveryId: row.id, round: 0, xid: row.xid },
  }));
  try {
    for (let i = 0; i < messages.length; i += SEND_BATCH)
      await env.ALERTS_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
  } catch (error) {
    log('warn', 'alert deliveries not queued; the sweeper will', { org_id: orgId, error: String(error) });
  }
}

async function gatherDigests(env: Env, orgId: string, routeIds: string[]): Promise<void> {
  if (routeIds.length === 0) return;
  try {
    await orgHub(env, orgId).gatherAlertDigests(orgId, routeIds);
  } catch (error) {
    log('warn', 'alert digests not scheduled; the sweeper will', { org_id: orgId, error: String(error) });
  }
}

/** `violation.created` for each violation stored now (not those that already existed). */
export function violationCreatedEvents(detected: RaisedViolation[]): ProductEvent[] {
  return detected
    .filter((violation) => violation.isNew && violation.id !== null)
    .map((violation) => ({
      type: 'violation.created',
      severity: violation.severity,
      ruleId: violation.ruleId,
      data: {
        violation_id: violation.id,
        rule_id: violation.ruleId,
        rule_name: violation.ruleName,
        rule_version: violation.ruleVersion,
        severity: violation.severity,
        risk_score: violation.riskScore,
        transaction_id: violation.externalId,
        account: violation.account,
        amount: violation.amount,
        currency: violation.currency,
        explanation: violation.explanation,
      },
    }));
}
