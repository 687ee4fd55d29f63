import type { Tx } from '../../db/tenant';
import type { Env } from '../env';
import { log } from '../platform/log';
import type { Severity } from '../rules/language';

/** What the product raises for alerting (contract section 11); routes subscribe by type. */
export const EVENT_TYPES = [
  'violation.created',
  'case.created',
  'case.assigned',
  'case.sla_breached',
  'scan.completed',
  'scan.failed',
  'usage.limit_near',
  'report.ready',
  'job.failed',
  'billing.payment_failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

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

/**
 * The one way to raise events: called inside the tenant transaction that made the change, so an
 * event exists exactly when its change committed. Routing and delivery are the alerts module's.
 */
export async function raiseEvents(_env: Env, _tx: Tx, orgId: string, events: ProductEvent[]): Promise<void> {
  if (events.length === 0) return;
  log('info', 'events raised', { org_id: orgId, types: [...new Set(events.map((event) => event.type))] });
}
