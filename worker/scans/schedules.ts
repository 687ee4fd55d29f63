import { and, desc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { rules, scanSchedules, scans } from '../../db/schema';
import { databaseNow, type Tx, withSystem, withTenant } from '../../db/tenant';
import type { Env } from '../env';
import { runAsJob } from '../operations/jobs';
import { type Actor, type AuditOrigin, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import { toPage } from '../platform/pagination';
import { CronError, nextCronRun, parseCron, shortestIntervalMinutes } from './cron';
import type { FREQUENCIES } from './kinds';
import { startScan } from './service';

type Frequency = (typeof FREQUENCIES)[number];
type ScheduleRow = typeof scanSchedules.$inferSelect;
type ScheduleInput = {
  frequency: Frequency;
  cron_expression?: string | null;
  rule_ids?: string[] | null;
  enabled?: boolean;
};

/** hourly, daily and weekly as cron expressions (UTC): on the hour, at midnight, Monday at midnight. */
const PRESETS: Record<Exclude<Frequency, 'cron'>, string> = {
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
};
// Due schedules handled per Cron Trigger invocation; the rest wait a minute.
const DUE_BATCH = 50;
const CRON_ORIGIN: AuditOrigin = { ip: null, userAgent: 'cron-trigger' };
/** Schedules per organization: each one starts a scan every time it fires. */
export const MAX_SCHEDULES = 20;
/** The shortest time a schedule may leave between two scans. */
export const MIN_SCHEDULE_INTERVAL_MINUTES = 15;

/** When the schedule fires next after `after`; an invalid expression is a 400 on `cron_expression`. */
function nextRunAfter(input: { frequency: Frequency; cron_expression?: string | null }, after: Date): Date {
  if (input.frequency === 'cron' && !input.cron_expression) {
    throw invalidSchedule('cron_expression', 'A cron expression is required when frequency is cron.');
  }
  const expression = input.frequency === 'cron' ? input.cron_expression! : PRESETS[input.frequency];
  try {
    const schedule = parseCron(expression);
    if (shortestIntervalMinutes(schedule) < MIN_SCHEDULE_INTERVAL_MINUTES) {
      throw new CronError(
        `A schedule may run at most every ${MIN_SCHEDULE_INTERVAL_MINUTES} minutes; this expression runs ${shortestIntervalMinutes(schedule)} minutes apart.`,
      );
    }
    return nextCronRun(schedule, after)!;
  } catch (error) {
    if (error instanceof CronError) throw invalidSchedule('cron_expression', error.message);
    throw error;
  }
}

function invalidSchedule(path: string, message: string): ApiError {
  return new ApiError('validation_failed', 'The request has invalid fields.', { errors: [{ path, message }] });
}

async function assertRulesExist(tx: Tx, ruleIds: string[] | null | undefined): Promise<void> {
  if (!ruleIds) return;
  const found = new Set(
    (await tx.select({ id: rules.id }).from(rules).where(inArray(rules.id, ruleIds))).map((r) => r.id),
  );
  const missing = ruleIds.findIndex((id) => !found.has(id));
  if (missing >= 0) throw invalidSchedule(`rule_ids.${missing}`, `Rule ${ruleIds[missing]} does not exist.`);
}

export async function createSchedule(tx: Tx, actor: Actor, input: ScheduleInput): Promise<ScheduleRow> {
  const { orgId } = actor;
  // Serializes creations per organization so concurrent requests cannot all pass the count.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`schedules:${orgId}`}, 0))`);
  const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(scanSchedules);
  if (count >= MAX_SCHEDULES) {
    throw new ApiError(
      'conflict',
      `Your organization already has ${count} scan schedules, the most allowed. Delete or change one instead.`,
      { limit: MAX_SCHEDULES, used: count },
    );
  }
  await assertRulesExist(tx, input.rule_ids);
  const [row] = await tx
    .insert(scanSchedules)
    .values({
      orgId,
      frequency: input.frequency,
      cronExpression: input.frequency === 'cron' ? input.cron_expression! : null,
      ruleIds: input.rule_ids ?? null,
      enabled: input.enabled ?? true,
      nextRunAt: nextRunAfter(input, await databaseNow(tx)),
      createdBy: actor.userId,
    })
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId,
    actorId: actor.userId,
    action: 'schedule.created',
    targetType: 'scan_schedule',
    targetId: row!.id,
    details: { frequency: input.frequency, cron_expression: row!.cronExpression },
  });
  return row!;
}

export async function updateSchedule(
  tx: Tx,
  actor: Actor,
  id: string,
  patch: Partial<ScheduleInput>,
): Promise<ScheduleRow> {
  const current = await getSchedule(tx, id);
  const merged = {
    frequency: patch.frequency ?? (current.frequency as Frequency),
    cron_expression: patch.cron_expression === undefined ? current.cronExpression : patch.cron_expression,
  };
  await assertRulesExist(tx, patch.rule_ids);
  const [row] = await tx
    .update(scanSchedules)
    .set({
      frequency: merged.frequency,
      cronExpression: merged.frequency === 'cron' ? merged.cron_expression : null,
      nextRunAt: nextRunAfter(merged, await databaseNow(tx)),
      ...(patch.rule_ids !== undefined ? { ruleIds: patch.rule_ids } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
    })
    .where(eq(scanSchedules.id, id))
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'schedule.updated',
    targetType: 'scan_schedule',
    targetId: id,
    details: { changes: patch },
  });
  return row!;
}

export async function deleteSchedule(tx: Tx, actor: Actor, id: string): Promise<void> {
  await getSchedule(tx, id);
  await tx.delete(scanSchedules).where(eq(scanSchedules.id, id));
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'schedule.deleted',
    targetType: 'scan_schedule',
    targetId: id,
  });
}

export async function getSchedule(tx: Tx, id: string): Promise<ScheduleRow> {
  const [row] = await tx.select().from(scanSchedules).where(eq(scanSchedules.id, id));
  if (!row) throw notFound('Scan schedule');
  return row;
}

type LastScan = {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  violations_found: number;
  created_at: string;
  finished_at: string | null;
};

/** The schedule's latest scan, as JSON with ISO instants (what the list shows as its last result). */
const lastScanOf = sql<LastScan | null>`(
  select json_build_object(
    'id', s.id, 'status', s.status, 'violations_found', s.violations_found,
    'created_at', to_char(s.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'finished_at', to_char(s.finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  from scans s where s.schedule_id = scan_schedules.id
  order by s.created_at desc limit 1)`;

export async function listSchedules(tx: Tx, query: { limit: number; cursor?: string }) {
  const rows = await tx
    .select({ schedule: scanSchedules, sortAt: sql<string>`${scanSchedules.createdAt}::text`, lastScan: lastScanOf })
    .from(scanSchedules)
    .where(olderThan(scanSchedules.createdAt, scanSchedules.id, query.cursor))
    .orderBy(desc(scanSchedules.createdAt), desc(scanSchedules.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => ({ ...toScheduleView(r.schedule), last_scan: r.lastScan }),
    (r) => [r.sortAt, r.schedule.id],
  );
}

export function toScheduleView(row: ScheduleRow) {
  return {
    id: row.id,
    frequency: row.frequency as Frequency,
    cron_expression: row.cronExpression,
    rule_ids: row.ruleIds,
    enabled: row.enabled,
    next_run_at: row.nextRunAt.toISOString(),
    last_run_at: row.lastRunAt?.toISOString() ?? null,
    watermark: row.watermark?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * The Cron Trigger's work: every due schedule starts an incremental scan (transactions ingested
 * since the start of its last completed scan) and moves to its next run. A schedule whose previous
 * scan is still running skips this run rather than piling scans up.
 */
export async function runDueSchedules(env: Env, db: Database, now: Date): Promise<number> {
  const due = await withSystem(db, (tx) =>
    tx
      .select({ id: scanSchedules.id, orgId: scanSchedules.orgId })
      .from(scanSchedules)
      .where(and(eq(scanSchedules.enabled, true), lte(scanSchedules.nextRunAt, now)))
      .orderBy(scanSchedules.nextRunAt)
      .limit(DUE_BATCH),
  );
  let started = 0;
  for (const { id, orgId } of due) {
    try {
      if (await runSchedule(env, db, orgId, id, now)) started += 1;
    } catch (error) {
      log('error', 'scheduled scan did not start', { org_id: orgId, schedule_id: id, error: String(error) });
    }
  }
  return started;
}

async function runSchedule(env: Env, db: Database, orgId: string, scheduleId: string, now: Date): Promise<boolean> {
  const claimed = await withTenant(db, orgId, async (tx) => {
    // The row lock and the re-checked due time make overlapping trigger invocations run it once.
    const [schedule] = await tx
      .select()
      .from(scanSchedules)
      .where(and(eq(scanSchedules.id, scheduleId), lte(scanSchedules.nextRunAt, now)))
      .for('update', { skipLocked: true });
    if (!schedule) return null;
    const nextRunAt = nextRunAfter(
      { frequency: schedule.frequency as Frequency, cron_expression: schedule.cronExpression },
      now,
    );
    await tx.update(scanSchedules).set({ nextRunAt, lastRunAt: now }).where(eq(scanSchedules.id, scheduleId));
    const [busy] = await tx
      .select({ id: scans.id })
      .from(scans)
      .where(and(eq(scans.scheduleId, scheduleId), inArray(scans.status, ['queued', 'running'])))
      .limit(1);
    return busy ? null : schedule;
  });
  if (!claimed) return false;
  // A schedule run is a job of its own: starting its scan can fail before there is a scan to show.
  await runAsJob(env, db, orgId, 'schedule_run', scheduleId, () =>
    startScan(
      env,
      db,
      { orgId, userId: null, origin: CRON_ORIGIN },
      {
        trigger: 'schedule',
        scheduleId,
        ruleIds: claimed.ruleIds ?? undefined,
        ingestedAfter: claimed.watermark ?? undefined,
      },
    ),
  );
  return true;
}
