import { and, asc, eq, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { reportSchedules } from '../../db/schema';
import { type Tx, withSystem, withTenant } from '../../db/tenant';
import { findChannel } from '../alerts/channels';
import type { Env } from '../env';
import { type Actor, recordAudit, systemActor } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { log } from '../platform/log';
import type { Period } from './exports';
import { type Cadence, FORMAT_OF, type ReportFormat, type ReportType } from './kinds';
import { checkRequest, createReport, enqueueReport } from './service';

type ScheduleRow = typeof reportSchedules.$inferSelect;

/** Report schedules per organization. */
export const MAX_REPORT_SCHEDULES = 20;
// Due schedules handled per Cron Trigger invocation; the rest wait a minute.
const DUE_BATCH = 50;
const DAY_MS = 86_400_000;

/** Daily: the next UTC midnight. Weekly: the next Monday, 00:00 UTC. */
export function nextRunAfter(cadence: Cadence, after: Date): Date {
  const midnight = Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate()) + DAY_MS;
  if (cadence === 'daily') return new Date(midnight);
  const weekday = new Date(midnight).getUTCDay(); // 1 is Monday
  return new Date(midnight + ((8 - weekday) % 7) * DAY_MS);
}

/** The period a run at `at` reports on: the whole UTC day, or the seven days, that ended at the last midnight. */
export function periodOfRun(cadence: Cadence, at: Date): Period {
  const end = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return { from: new Date(end - (cadence === 'daily' ? 1 : 7) * DAY_MS), to: new Date(end - 1) };
}

export function toScheduleView(row: ScheduleRow) {
  return {
    id: row.id,
    type: row.type as ReportType,
    format: row.format as ReportFormat,
    cadence: row.cadence as Cadence,
    channel_id: row.channelId,
    next_run_at: row.nextRunAt.toISOString(),
    last_run_at: row.lastRunAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  };
}

export async function createReportSchedule(
  tx: Tx,
  actor: Actor,
  input: { type: ReportType; format?: ReportFormat; cadence: Cadence; channel_id: string },
): Promise<ScheduleRow> {
  const now = new Date();
  const format = checkRequest(input.type, input.format, periodOfRun(input.cadence, now));
  // A channel of another organization is not found: a 400 on the field, as for any unknown reference.
  await findChannel(tx, input.channel_id).catch((error) => {
    if (error instanceof ApiError && error.status === 404)
      throw new ApiError('validation_failed', 'The request has invalid fields.', {
        errors: [{ path: 'channel_id', message: `Alert channel ${input.channel_id} does not exist.` }],
      });
    throw error;
  });
  // Serializes creations per organization so concurrent requests cannot all pass the count.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`report-schedules:${actor.orgId}`}, 0))`);
  const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(reportSchedules);
  if (count >= MAX_REPORT_SCHEDULES)
    throw new ApiError(
      'conflict',
      `Your organization already has ${count} report schedules, the most allowed. Delete one first.`,
      { limit: MAX_REPORT_SCHEDULES, used: count },
    );
  const [row] = await tx
    .insert(reportSchedules)
    .values({
      orgId: actor.orgId,
      type: input.type,
      format,
      cadence: input.cadence,
      channelId: input.channel_id,
      nextRunAt: nextRunAfter(input.cadence, now),
      createdBy: actor.userId,
    })
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'report_schedule.created',
    targetType: 'report_schedule',
    targetId: row!.id,
    details: { type: input.type, format, cadence: input.cadence, channel_id: input.channel_id },
  });
  return row!;
}

export async function listReportSchedules(tx: Tx): Promise<ScheduleRow[]> {
  return tx.select().from(reportSchedules).orderBy(asc(reportSchedules.createdAt), asc(reportSchedules.id));
}

export async function deleteReportSchedule(tx: Tx, actor: Actor, id: string): Promise<void> {
  const [row] = await tx.delete(reportSchedules).where(eq(reportSchedules.id, id)).returning();
  if (!row) throw notFound('Report schedule');
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'report_schedule.deleted',
    targetType: 'report_schedule',
    targetId: id,
    details: { type: row.type, cadence: row.cadence },
  });
}

/** Cron Trigger: each due schedule queues one report of its last period and moves to its next run. */
export async function runDueReportSchedules(env: Env, db: Database, now: Date): Promise<number> {
  const due = await withSystem(db, (tx) =>
    tx
      .select({ id: reportSchedules.id, orgId: reportSchedules.orgId })
      .from(reportSchedules)
      .where(lte(reportSchedules.nextRunAt, now))
      .orderBy(reportSchedules.nextRunAt)
      .limit(DUE_BATCH),
  );
  let queued = 0;
  for (const { id, orgId } of due) {
    try {
      const reportId = await withTenant(db, orgId, async (tx) => {
        // The row lock and the re-checked due time make overlapping trigger invocations run it once.
        const [schedule] = await tx
          .select()
          .from(reportSchedules)
          .where(and(eq(reportSchedules.id, id), lte(reportSchedules.nextRunAt, now)))
          .for('update', { skipLocked: true });
        if (!schedule) return null;
        const cadence = schedule.cadence as Cadence;
        await tx
          .update(reportSchedules)
          .set({ nextRunAt: nextRunAfter(cadence, now), lastRunAt: now })
          .where(eq(reportSchedules.id, id));
        const report = await createReport(tx, systemActor(orgId), {
          type: schedule.type as ReportType,
          format: FORMAT_OF[schedule.type as ReportType],
          period: periodOfRun(cadence, now),
          scheduleId: id,
        });
        return report.id;
      });
      if (reportId) {
        await enqueueReport(env, orgId, reportId);
        queued += 1;
      }
    } catch (error) {
      log('error', 'scheduled report did not start', { org_id: orgId, schedule_id: id, error: String(error) });
    }
  }
  return queued;
}
