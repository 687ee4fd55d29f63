import { type LiveEvent, orgHub } from '../../durable-objects/org-hub';
import type { Env } from '../env';
import { log } from '../platform/log';
import type { RaisedViolation } from '../rules/engine';

/**
 * Sends events to the organization's dashboards in one RPC. Stored data is the record: a hub that
 * is briefly unreachable must not fail the scan or the push that produced them.
 */
export async function announce(env: Env, orgId: string, events: LiveEvent[]): Promise<void> {
  if (events.length === 0) return;
  try {
    await orgHub(env, orgId).broadcastAll(events);
  } catch (error) {
    log('warn', 'live events were not delivered', { org_id: orgId, events: events.length, error: String(error) });
  }
}

/** The dashboard's event for a newly stored violation. */
export function violationCreated(violation: RaisedViolation & { id: string }): LiveEvent {
  const { id, ruleId, externalId, severity, explanation } = violation;
  return {
    type: 'violation.created',
    violation: { id, rule_id: ruleId, transaction_id: externalId, severity, explanation },
  };
}
