import { and, desc, eq, ne, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { organizations, reportSchedules, reports } from '../../db/schema';
import { type Tx, withTenant } from '../../db/tenant';
import { enqueueDelivery } from '../alerts/deliveries';
import { raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { raiseJobFailures } from '../operations/jobs';
import { type Actor, recordAudit } from '../platform/audit';
import { csvRow } from '../platform/csv';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import { toPage } from '../platform/pagination';
import { type Role, roleHas } from '../platform/permissions';
import { insertReportDelivery, reportReadyData } from './delivery';
import { CSV_EXPORTS, type Period } from './exports';
import { type CsvReportType, FORMAT_OF, type ReportFormat, type ReportStatus, type ReportType } from './kinds';
import { ReportFileWriter, reportFileName, reportObjectKey } from './storage';
import { complianceSummary, complianceSummaryPdf } from './summary';

type ReportRow = typeof reports.$inferSelect;

// Rows read per page of a CSV export: ~3 MB of text, one short transaction each.
const EXPORT_PAGE_ROWS = 10_000;
// Progress is written every this many rows (and at the end).
const PROGRESS_EVERY_ROWS = 50_000;
/** The longest period a compliance summary covers (its charts have a column per day). */
export const MAX_SUMMARY_DAYS = 366;

export function toReportView(row: ReportRow) {
  return {
    id: row.id,
    type: row.type as ReportType,
    format: row.format as ReportFormat,
    status: row.status as ReportStatus,
    from: row.rangeFrom.toISOString(),
    to: row.rangeTo.toISOString(),
    created_at: row.createdAt.toISOString(),
    started_at: row.startedAt?.toISOString() ?? null,
    finished_at: row.finishedAt?.toISOString() ?? null,
    size: row.size,
    sha256: row.sha256,
    file_name: reportFileName(row),
    progress: { done: row.rowsDone, total: row.rowsTotal },
    error: row.error,
    schedule_id: row.scheduleId,
  };
}

/** The audit trail is for those who may read it: its reports are hidden from everyone else. */
function visibleTo(role: Role) {
  return roleHas(role, 'audit:read') ? undefined : ne(reports.type, 'audit');
}

export function assertMayRequest(role: Role, type: ReportType): void {
  if (type === 'audit' && !roleHas(role, 'audit:read'))
    throw new ApiError('forbidden', `Your role (${role}) may not read the audit log.`);
}

function invalid(path: string, message: string): ApiError {
  return new ApiError('validation_failed', 'The request has invalid fields.', { errors: [{ path, message }] });
}

/** The format a type is made in; a type asked for in the other format is a 400 on `format`. */
export function checkRequest(type: ReportType, format: ReportFormat | undefined, period: Period): ReportFormat {
  const expected = FORMAT_OF[type];
  if (format !== undefined && format !== expected)
    throw invalid('format', `A ${type} report is made as ${expected}, not ${format}.`);
  if (period.from.getTime() > period.to.getTime()) throw invalid('to', '`to` must not be before `from`.');
  if (type === 'compliance_summary' && period.to.getTime() - period.from.getTime() > MAX_SUMMARY_DAYS * 86_400_000)
    throw invalid('to', `A compliance summary covers at most ${MAX_SUMMARY_DAYS} days.`);
  return expected;
}

/** Records a queued report (audited); the caller sends its queue message once the transaction has committed. */
export async function createReport(
  tx: Tx,
  actor: Actor,
  input: { type: ReportType; format: ReportFormat; period: Period; scheduleId?: string },
): Promise<ReportRow> {
  const [row] = await tx
    .insert(reports)
    .values({
      orgId: actor.orgId,
      type: input.type,
      format: input.format,
      rangeFrom: input.period.from,
      rangeTo: input.period.to,
      scheduleId: input.scheduleId ?? null,
      requestedBy: actor.userId,
    })
    .returning();
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'report.requested',
    targetType: 'report',
    targetId: row!.id,
    details: {
      type: input.type,
      format: input.format,
      from: input.period.from.toISOString(),
      to: input.period.to.toISOString(),
      ...(input.scheduleId ? { schedule_id: input.scheduleId } : {}),
    },
  });
  return row!;
}

export async function enqueueReport(env: Env, orgId: string, reportId: string): Promise<void> {
  await env.REPORTS_QUEUE.send({ kind: 'report.run', orgId, reportId });
}

export async function listReports(tx: Tx, role: Role, query: { limit: number; cursor?: string }) {
  const rows = await tx
    .select({ report: reports, key: sql<string>`${reports.createdAt}::text` })
    .from(reports)
    .where(and(visibleTo(role), olderThan(reports.createdAt, reports.id, query.cursor)))
    .orderBy(desc(reports.createdAt), desc(reports.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => toReportView(r.report),
    (r) => [r.key, r.report.id],
  );
}

export async function getReport(tx: Tx, role: Role, id: string): Promise<ReportRow> {
  const [row] = await tx
    .select()
    .from(reports)
    .where(and(eq(reports.id, id), visibleTo(role)));
  if (!row) throw notFound('Report');
  return row;
}

/** The stored file, streamed from R2; a report not completed yet is a 409 saying where it stands. */
export async function reportFile(env: Env, row: ReportRow): Promise<R2ObjectBody> {
  if (row.status !== 'completed' || !row.objectKey)
    throw new ApiError(
      'conflict',
      row.status === 'failed'
        ? `This report failed: ${row.error ?? 'unknown error'}`
        : `This report is ${row.status}; its file is not ready yet.`,
      { status_of_report: row.status },
    );
  const object = await env.REPORT_FILES.get(row.objectKey);
  if (!object) throw new ApiError('not_found', 'The file of this report is no longer stored.');
  return object;
}

/**
 * The queue consumer's work for one report: claims it (a redelivered message for a report already
 * running or done changes nothing), writes the file to R2 and records its size and SHA-256, or
 * the failure. Returns the finished row, or null when there was nothing to do.
 */
export async function generateReport(
  env: Env,
  db: Database,
  orgId: string,
  reportId: string,
): Promise<ReportRow | null> {
  const claimed = await withTenant(db, orgId, async (tx) => {
    const [row] = await tx
      .update(reports)
      .set({ status: 'running', startedAt: sql`now()`, rowsDone: 0, error: null })
      // A report left `running` by a consumer that died is taken up again on redelivery.
      .where(and(eq(reports.id, reportId), or(eq(reports.status, 'queued'), eq(reports.status, 'running'))))
      .returning();
    const [org] = row ? await tx.select({ name: organizations.name }).from(organizations) : [];
    return row ? { row, organization: org?.name ?? '' } : null;
  });
  if (!claimed) return null;
  const { row, organization } = claimed;
  const period = { from: row.rangeFrom, to: row.rangeTo };
  const key = reportObjectKey(orgId, row.id, reportFileName(row));
  const writer = new ReportFileWriter(
    env.REPORT_FILES,
    key,
    row.format === 'pdf' ? 'application/pdf' : 'text/csv; charset=utf-8',
  );
  try {
    if (row.type === 'compliance_summary') {
      const summary = await withTenant(db, orgId, (tx) => complianceSummary(tx, period));
      await writer.writeBytes(await complianceSummaryPdf(summary, period, organization, new Date()));
      await setProgress(db, orgId, row.id, summary.violations, summary.violations);
    } else {
      await writeCsvExport(db, orgId, row.id, row.type as CsvReportType, period, writer);
    }
    const stored = await writer.finish();
    const { done, delivery } = await withTenant(db, orgId, async (tx) => {
      const [done] = await tx
        .update(reports)
        .set({ status: 'completed', finishedAt: sql`now()`, objectKey: key, size: stored.size, sha256: stored.sha256 })
        .where(eq(reports.id, row.id))
        .returning();
      return { done: done!, delivery: await announceReady(env, tx, done!) };
    });
    if (delivery) await enqueueDelivery(env, delivery);
    return done;
  } catch (error) {
    await writer.abort();
    const message = error instanceof Error ? error.message : String(error);
    log('error', 'report failed', { org_id: orgId, report_id: row.id, error: message });
    // The details (a statement, its parameters) are for the logs; the report says what to do.
    const shown = 'Generating this report failed; request it again, and tell your administrator if it fails again.';
    return withTenant(db, orgId, async (tx) => {
      const [failed] = await tx
        .update(reports)
        .set({ status: 'failed', finishedAt: sql`now()`, error: shown })
        .where(eq(reports.id, row.id))
        .returning();
      // A report run is a job (GET /api/jobs lists reports through the jobs view).
      await raiseJobFailures(env, tx, orgId, [
        { kind: 'report_run', id: row.id, error: failed!.error, subject: { report_id: row.id, report_type: row.type } },
      ]);
      return failed!;
    });
  }
}

async function setProgress(db: Database, orgId: string, id: string, done: number, total: number): Promise<void> {
  await withTenant(db, orgId, (tx) =>
    tx
      .update(reports)
      .set({ rowsDone: done, rowsTotal: Math.max(total, done) })
      .where(eq(reports.id, id)),
  );
}

/** Page after page into the file: never more than one page of rows and one R2 part in memory. */
async function writeCsvExport(
  db: Database,
  orgId: string,
  id: string,
  type: CsvReportType,
  period: Period,
  writer: ReportFileWriter,
): Promise<void> {
  const source = CSV_EXPORTS[type];
  const total = await withTenant(db, orgId, (tx) => source.count(tx, period));
  await setProgress(db, orgId, id, 0, total);
  await writer.write(csvRow(source.header));
  const read = (after: Awaited<ReturnType<typeof source.page>>['last']) =>
    withTenant(db, orgId, (tx) => source.page(tx, period, after, EXPORT_PAGE_ROWS));
  let done = 0;
  let reported = 0;
  let next = read(null);
  for (;;) {
    const page = await next;
    // The next page is read while this one is written: the database and the Worker work at the same time.
    const more = page.rows.length === EXPORT_PAGE_ROWS;
    if (more) {
      next = read(page.last);
      // Awaited on the next turn; a failure of this page's writing must not leave it unhandled meanwhile.
      next.catch(() => undefined);
    }
    let text = '';
    for (const cells of page.rows) text += csvRow(cells);
    await writer.write(text);
    done += page.rows.length;
    if (done - reported >= PROGRESS_EVERY_ROWS) {
      await setProgress(db, orgId, id, done, total);
      reported = done;
    }
    if (!more) break;
  }
  await setProgress(db, orgId, id, done, total);
}

/**
 * `report.ready`: a scheduled report goes to its schedule's channel (a delivery of its own); one
 * asked for by hand goes to the alert routes that take `report.ready`.
 */
async function announceReady(env: Env, tx: Tx, row: ReportRow) {
  const data = reportReadyData(row, env.APP_BASE_URL);
  if (row.scheduleId) {
    const [schedule] = await tx
      .select({ channelId: reportSchedules.channelId })
      .from(reportSchedules)
      .where(eq(reportSchedules.id, row.scheduleId));
    if (schedule) return insertReportDelivery(tx, row.orgId, schedule.channelId, data);
  }
  await raiseEvents(env, tx, row.orgId, [{ type: 'report.ready', data }]);
  return null;
}
