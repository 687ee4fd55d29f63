import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { withSystem, withTenant } from '../../db/tenant';
import { type LiveEvent, orgHub } from '../../durable-objects/org-hub';
import { raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { announce } from '../live/announce';
import { log } from '../platform/log';
import { breachEvents, type CaseFollowUp, escalateDueCases, escalatedFollowUp, nextDeadline } from './service';

/**
 * After a change commits: the dashboards hear of it, and the organization's hub keeps its alarm
 * at the earliest case deadline. A hub that cannot be reached is made up for by the minute sweep.
 */
export async function settleCases(env: Env, orgId: string, followUp: CaseFollowUp): Promise<void> {
  await announce(env, orgId, followUp.live);
  if (followUp.earliestDue === null) return;
  try {
    await orgHub(env, orgId).scheduleCaseDeadline(orgId, followUp.earliestDue);
  } catch (error) {
    log('warn', 'case deadline not scheduled; the minute sweep will escalate', { org_id: orgId, error: String(error) });
  }
}

/**
 * Escalates the organization's cases due at `at` (see escalateDueCases); returns the live events
 * to announce and the next deadline to wake up for, if any. The hub calls it from its alarm and
 * broadcasts itself; the sweep announces through the hub.
 */
export async function escalateOrganization(
  env: Env,
  db: Database,
  orgId: string,
  at: Date,
): Promise<{ live: LiveEvent[]; next: number | null }> {
  const { rows, next } = await withTenant(db, orgId, async (tx) => {
    const escalated = await escalateDueCases(tx, orgId, at);
    await raiseEvents(env, tx, orgId, breachEvents(escalated));
    return { rows: escalated, next: await nextDeadline(tx) };
  });
  if (rows.length > 0) log('info', 'cases escalated', { org_id: orgId, cases: rows.length });
  return { live: escalatedFollowUp(rows).live, next };
}

const SWEEP_ORGANIZATIONS = 500;

/**
 * The minute cron's safety net behind the hubs' alarms: every organization with a running case
 * past its deadline and not escalated is escalated now. Returns how many organizations it handled.
 */
export async function sweepCaseDeadlines(env: Env, db: Database, at: Date): Promise<number> {
  const due = await withSystem(db, (tx) =>
    tx.execute<{ org_id: string }>(sql`
      select distinct org_id from cases
      where status in ('open', 'investigating') and not escalated and due_at <= ${at.toISOString()}::timestamptz
      limit ${sql.raw(String(SWEEP_ORGANIZATIONS))}`),
  );
  for (const { org_id: orgId } of due) {
    const { live } = await escalateOrganization(env, db, orgId, at);
    await announce(env, orgId, live);
  }
  return due.length;
}
