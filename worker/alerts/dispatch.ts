import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { afterCommit, type Tx, uuidArray, withTenant } from '../../db/tenant';
import type { AlertQueueMessage } from '../../queues/messages';
import type { Env } from '../env';
import { announce } from '../live/announce';
import { raiseJobFailures } from '../operations/jobs';
import { mapConcurrently } from '../platform/concurrency';
import { log } from '../platform/log';
import { count } from '../platform/metrics';
import { reportAttachments } from '../reports/delivery';
import { secretKeysOf } from '../sources/secrets';
import { channelTarget } from './channels';
import type { AlertPayload } from './render';
import { type AttemptOutcome, attemptDelivery } from './senders';

/**
 * Seconds before the next attempt after attempt n failed: the first retry within a minute, the
 * second within five, six attempts over 1 h 42 min in all; then the delivery has failed.
 */
export const RETRY_DELAYS = [20, 120, 600, 1800, 3600];
export const MAX_ATTEMPTS = RETRY_DELAYS.length + 1;
/** A message that arrives while the raising transaction is still open looks again this much later. */
const OPEN_TRANSACTION_DELAY = 2;
// Long enough for the 10 s attempt and its bookkeeping; a consumer that died lets go by then.
const LEASE_SECONDS = 60;
const CONCURRENT_ATTEMPTS = 16;

/** What to do with each queue message: done, or again after `retryAfter` seconds. */
export type Decision = { retryAfter?: number };

type Claimed = {
  id: string;
  round: number;
  attempts: number;
  event_type: string;
  payload: AlertPayload | string;
  channel_id: string;
  channel_name: string;
  type: string;
  config: Record<string, unknown> | string;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_valid: boolean | null;
};

type Recorded = {
  id: string;
  status: 'pending' | 'delivered' | 'failed';
  outcome: AttemptOutcome;
  delay: number | null;
};

/**
 * One attempt for each message's delivery, organization by organization: claimed in one
 * statement (a lease, so a duplicate message does not send twice), attempted concurrently,
 * recorded in one statement. Messages of an earlier round (redelivered since) or of a delivery
 * already settled are done; those whose raising transaction is still open wait for it.
 */
export async function deliverAlerts(env: Env, db: Database, messages: AlertQueueMessage[]): Promise<Decision[]> {
  const decisions: Decision[] = messages.map(() => ({}));
  const byOrg = new Map<string, number[]>();
  for (const [index, message] of messages.entries())
    byOrg.set(message.orgId, [...(byOrg.get(message.orgId) ?? []), index]);
  for (const [orgId, indexes] of byOrg) {
    const mine = indexes.map((index) => messages[index]!);
    const claimed = await withTenant(db, orgId, (tx) => claim(tx, mine));
    const unclaimed = mine.filter((message) => !claimed.some((row) => row.id === message.deliveryId));
    const waiting = unclaimed.length === 0 ? new Set<string>() : await stillRaising(db, orgId, unclaimed);
    const recorded = await mapConcurrently(claimed, CONCURRENT_ATTEMPTS, (row) => attempt(env, orgId, row));
    if (recorded.length > 0) await withTenant(db, orgId, (tx) => record(env, tx, orgId, recorded, claimed));
    for (const index of indexes) {
      const { deliveryId } = messages[index]!;
      const settled = recorded.find((row) => row.id === deliveryId);
      if (settled?.delay) decisions[index] = { retryAfter: settled.delay };
      if (waiting.has(deliveryId)) decisions[index] = { retryAfter: OPEN_TRANSACTION_DELAY };
    }
    await announceFailures(env, orgId, recorded, claimed);
  }
  return decisions;
}

async function claim(tx: Tx, messages: AlertQueueMessage[]): Promise<Claimed[]> {
  const wanted = JSON.stringify(messages.map((message) => ({ id: message.deliveryId, round: message.round })));
  return tx.execute<Claimed>(sql`
    update alert_deliveries d
    set attempts = d.attempts + 1, leased_until = now() + make_interval(secs => ${LEASE_SECONDS})
    from jsonb_to_recordset(${wanted}::jsonb) as m(id uuid, round int), alert_channels c
    where d.id = m.id and d.id = any(${uuidArray(messages.map((message) => message.deliveryId))})
      and d.round = m.round and d.status = 'pending' and c.id = d.channel_id and (d.leased_until is null or d.leased_until < now())
    returning d.id, d.round, d.attempts, d.event_type, d.payload, d.channel_id, c.name as channel_name, c.type, c.config,
      c.secret_ciphertext, c.previous_secret_ciphertext, c.previous_secret_expires_at > now() as previous_valid`);
}

/** The deliveries not found because the transaction that raised them has not ended yet. */
async function stillRaising(db: Database, orgId: string, messages: AlertQueueMessage[]): Promise<Set<string>> {
  const raised = messages.filter((message) => message.xid !== null);
  if (raised.length === 0) return new Set();
  const wanted = JSON.stringify(raised.map((message) => ({ id: message.deliveryId, xid: message.xid })));
  const rows = await withTenant(db, orgId, (tx) =>
    tx.execute<{ id: string }>(sql`
      select m.id from jsonb_to_recordset(${wanted}::jsonb) as m(id uuid, xid text)
      where pg_xact_status(m.xid::xid8) = 'in progress'
        and not exists (select 1 from alert_deliveries d where d.id = m.id)`),
  );
  return new Set(rows.map((row) => row.id));
}

async function attempt(env: Env, orgId: string, row: Claimed): Promise<Recorded> {
  const payload = jsonOf<AlertPayload>(row.payload);
  let outcome: AttemptOutcome;
  try {
    const target = await channelTarget(secretKeysOf(env), {
      id: row.channel_id,
      type: row.type,
      config: jsonOf(row.config),
      secretCiphertext: row.secret_ciphertext,
      previousSecretCiphertext: row.previous_secret_ciphertext,
      previousSecretValid: row.previous_valid === true,
    });
    // An email carries a ready report's file; Slack and webhooks carry its link.
    const attachments = target.type === 'email' ? await reportAttachments(env, orgId, payload) : [];
    outcome = await attemptDelivery(env, target, row.id, payload, attachments);
  } catch (error) {
    outcome = { result: 'failed', statusCode: null, error: `The channel could not be used: ${String(error)}` };
  }
  if (outcome.result === 'delivered') return { id: row.id, status: 'delivered', outcome, delay: null };
  if (outcome.result === 'retry' && row.attempts < MAX_ATTEMPTS)
    return { id: row.id, status: 'pending', outcome, delay: RETRY_DELAYS[row.attempts - 1]! };
  return { id: row.id, status: 'failed', outcome, delay: null };
}

/**
 * The attempts' outcomes in one statement; each delivery that failed for good is a failed job
 * (`job.failed`), except a delivery of a `job.failed` event itself, which would raise another
 * failure on a broken channel forever.
 */
async function record(env: Env, tx: Tx, orgId: string, recorded: Recorded[], claimed: Claimed[]): Promise<void> {
  const rows = recorded.map(({ id, status, outcome, delay }) => ({
    id,
    status,
    code: outcome.statusCode,
    error: outcome.error,
    delay,
  }));
  await tx.execute(sql`
    update alert_deliveries d
    set status = o.status, last_status_code = o.code, last_error = o.error, leased_until = null,
      next_attempt_at = case when o.status = 'pending' then now() + make_interval(secs => o.delay) end,
      delivered_at = case when o.status = 'delivered' then now() end,
      finished_at = case when o.status <> 'pending' then now() end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as o(id uuid, status text, code int, error text, delay int)
    where d.id = o.id and d.id = any(${uuidArray(rows.map((row) => row.id))})`);
  const claimedById = new Map(claimed.map((row) => [row.id, row]));
  const failures = recorded.filter(
    (row) => row.status === 'failed' && claimedById.get(row.id)?.event_type !== 'job.failed',
  );
  await raiseJobFailures(
    env,
    tx,
    orgId,
    failures.map((row) => ({
      kind: 'alert_delivery',
      id: row.id,
      error: row.outcome.error,
      subject: { channel_id: claimedById.get(row.id)?.channel_id },
    })),
  );
  afterCommit(tx, () => {
    for (const row of recorded) {
      const outcome = row.status === 'pending' ? 'retry' : row.status;
      count('nitilens_alert_deliveries_total', {
        channel_type: claimedById.get(row.id)?.type ?? 'unknown',
        status: outcome,
      });
    }
  });
}

/** A delivery that failed for good is announced on the dashboard's live socket (its toast). */
async function announceFailures(env: Env, orgId: string, recorded: Recorded[], claimed: Claimed[]): Promise<void> {
  const failed = recorded.filter((row) => row.status === 'failed');
  if (failed.length === 0) return;
  log('warn', 'alert deliveries failed', { org_id: orgId, deliveries: failed.map((row) => row.id) });
  await announce(
    env,
    orgId,
    failed.map((row) => ({
      type: 'alert' as const,
      severity: 'high',
      title: `An alert could not be delivered to ${claimed.find((c) => c.id === row.id)?.channel_name ?? 'a channel'}`,
      detail: row.outcome.error ?? 'See the delivery log.',
    })),
  );
}

/**
 * Deliveries whose messages the queue dead-lettered (the consumer kept failing, e.g. with the
 * database unreachable) have failed, unless they settled meanwhile.
 */
export async function failDeadLettered(env: Env, db: Database, messages: AlertQueueMessage[]): Promise<void> {
  const byOrg = new Map<string, AlertQueueMessage[]>();
  for (const message of messages) byOrg.set(message.orgId, [...(byOrg.get(message.orgId) ?? []), message]);
  for (const [orgId, mine] of byOrg) {
    const wanted = JSON.stringify(mine.map((message) => ({ id: message.deliveryId, round: message.round })));
    await withTenant(db, orgId, async (tx) => {
      const failed = await tx.execute<{ id: string; event_type: string; channel_id: string; last_error: string }>(sql`
        update alert_deliveries d
        set status = 'failed', leased_until = null, next_attempt_at = null, finished_at = now(),
          last_error = coalesce(d.last_error || ' ', '') || '(the queue gave up on this delivery)'
        from jsonb_to_recordset(${wanted}::jsonb) as m(id uuid, round int)
        where d.id = m.id and d.id = any(${uuidArray(mine.map((message) => message.deliveryId))})
          and d.round = m.round and d.status = 'pending'
        returning d.id, d.event_type, d.channel_id, d.last_error`);
      await raiseJobFailures(
        env,
        tx,
        orgId,
        failed
          .filter((row) => row.event_type !== 'job.failed')
          .map((row) => ({
            kind: 'alert_delivery' as const,
            id: row.id,
            error: row.last_error,
            subject: { channel_id: row.channel_id },
          })),
      );
    });
  }
}

/** A jsonb column as postgres.js hands it over: parsed, or as text. */
function jsonOf<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
