import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { scanChunks, scanSchedules, scans } from '../../db/schema';
import { afterCommit, type Tx, withTenant } from '../../db/tenant';
import type { LiveEvent } from '../../durable-objects/org-hub';
import type { ScanChunkMessage } from '../../queues/messages';
import { type ProductEvent, raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { announce } from '../live/announce';
import { raiseJobFailures } from '../operations/jobs';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import { count } from '../platform/metrics';
import { toPage } from '../platform/pagination';
import { type EvaluationScope, loadActiveRuleVersions, scopeFilter } from '../rules/engine';

/** At most this many transactions per queue message. */
export const SCAN_CHUNK_SIZE = 10_000;
// Queue.sendBatch takes at most 100 messages.
const SEND_BATCH = 100;

export type ScanRow = typeof scans.$inferSelect;

/** Newest first; the cursor holds created_at at full (microsecond) precision. */
export async function listScans(tx: Tx, query: { limit: number; cursor?: string; status?: string }) {
  const rows = await tx
    .select({ scan: scans, sortAt: sql<string>`${scans.createdAt}::text` })
    .from(scans)
    .where(
      and(
        query.status ? eq(scans.status, query.status) : undefined,
        olderThan(scans.createdAt, scans.id, query.cursor),
      ),
    )
    .orderBy(desc(scans.createdAt), desc(scans.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (r) => toScanView(r.scan),
    (r) => [r.sortAt, r.scan.id],
  );
}

export async function getScan(tx: Tx, id: string): Promise<ScanRow> {
  const [scan] = await tx.select().from(scans).where(eq(scans.id, id));
  if (!scan) throw notFound('Scan');
  return scan;
}

type ScanRequest = {
  ruleIds?: string[];
  from?: Date;
  to?: Date;
  /** Incremental scans: only transactions ingested after this instant. */
  ingestedAfter?: Date;
  trigger: 'manual' | 'schedule';
  scheduleId?: string;
};

type ChunkPlan = { chunk: number; firstId: number; lastId: number; size: number };

/**
 * Writes the scan and its chunk rows, then enqueues one message per chunk. The scan pins the
 * rule versions approved now, so approving a new version mid-scan does not change its answer.
 */
export async function startScan(
  env: Env,
  db: Database,
  actor: Actor,
  request: ScanRequest,
  chunkSize = SCAN_CHUNK_SIZE,
): Promise<ScanRow> {
  const { orgId } = actor;
  const { scan, chunks } = await withTenant(db, orgId, async (tx) => {
    if (request.trigger === 'manual') await assertScanCapacity(tx, orgId);
    const versions = await loadActiveRuleVersions(tx, request.ruleIds);
    if (request.trigger === 'manual')
      assertEveryRuleApproved(
        request.ruleIds,
        versions.map((v) => v.ruleId),
      );
    const [created] = await tx
      .insert(scans)
      .values({
        orgId,
        trigger: request.trigger,
        scheduleId: request.scheduleId ?? null,
        requestedBy: actor.userId,
        ruleVersionIds: versions.map((v) => v.id),
        rangeFrom: request.from ?? null,
        rangeTo: request.to ?? null,
        ingestedAfter: request.ingestedAfter ?? null,
      })
      .returning();
    const chunks = versions.length === 0 ? [] : await planChunks(tx, orgId, created!, chunkSize);
    if (chunks.length > 0)
      await tx.insert(scanChunks).values(chunks.map((c) => ({ orgId, scanId: created!.id, ...c })));
    const total = chunks.reduce((sum, c) => sum + c.size, 0);
    // Nothing to scan: the scan is complete the moment it starts.
    const done = chunks.length === 0 ? { status: 'completed', startedAt: sql`now()`, finishedAt: sql`now()` } : {};
    const [scan] = await tx
      .update(scans)
      .set({ total, chunksTotal: chunks.length, ...done })
      .where(eq(scans.id, created!.id))
      .returning();
    if (chunks.length === 0 && versions.length > 0) await advanceWatermark(tx, scan!);
    if (chunks.length === 0) await raiseEvents(env, tx, orgId, [scanFinishedEvent(scan!)]);
    afterCommit(tx, () => {
      count('nitilens_scans_total', { status: 'queued' });
      if (chunks.length === 0) count('nitilens_scans_total', { status: 'completed' });
    });
    await recordAudit(tx, actor.origin, {
      orgId,
      actorId: actor.userId,
      action: 'scan.started',
      targetType: 'scan',
      targetId: scan!.id,
      details: { trigger: request.trigger, rule_version_ids: scan!.ruleVersionIds, total, chunks: chunks.length },
    });
    return { scan: scan!, chunks };
  });
  if (chunks.length === 0) {
    await announce(env, orgId, [completionEvent(scan)]);
    return scan;
  }
  await enqueueChunks(env, db, scan, chunks);
  return scan;
}

/** Manual scans queued or running at once, per organization: each holds database time until it ends. */
export const MAX_ACTIVE_SCANS = 3;

/**
 * 409 naming the running scans when the organization already has MAX_ACTIVE_SCANS. The advisory
 * lock (released at commit) makes count-then-insert one step: concurrent requests queue behind it.
 */
async function assertScanCapacity(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`scans:${orgId}`}, 0))`);
  const active = await tx
    .select({ id: scans.id })
    .from(scans)
    .where(inArray(scans.status, ['queued', 'running']))
    .orderBy(scans.createdAt)
    .limit(MAX_ACTIVE_SCANS);
  if (active.length < MAX_ACTIVE_SCANS) return;
  throw new ApiError(
    'conflict',
    `Your organization already has ${active.length} scans queued or running (${active.map((row) => row.id).join(', ')}), the most allowed at once. Start this one when one of them finishes.`,
    { limit: MAX_ACTIVE_SCANS, running: active.map((row) => row.id) },
  );
}

/** A completed scheduled scan: the schedule's next scan covers what was ingested since this one started. */
export async function advanceWatermark(tx: Tx, scan: ScanRow): Promise<void> {
  if (!scan.scheduleId) return;
  // Set in SQL: the scan's start keeps its microseconds, which a JavaScript Date would drop.
  const started = sql`(select created_at from scans where id = ${scan.id})`;
  await tx
    .update(scanSchedules)
    .set({ watermark: started })
    .where(
      and(
        eq(scanSchedules.id, scan.scheduleId),
        sql`(${scanSchedules.watermark} is null or ${scanSchedules.watermark} < ${started})`,
      ),
    );
}

function assertEveryRuleApproved(requested: string[] | undefined, found: string[]): void {
  if (!requested) {
    if (found.length === 0)
      throw invalidRules([{ path: 'rule_ids', message: 'There is no approved rule to evaluate.' }]);
    return;
  }
  const errors = requested.flatMap((id, index) =>
    found.includes(id)
      ? []
      : [{ path: `rule_ids.${index}`, message: `Rule ${id} does not exist or has no approved version.` }],
  );
  if (errors.length > 0) throw invalidRules(errors);
}

function invalidRules(errors: { path: string; message: string }[]): ApiError {
  return new ApiError('validation_failed', 'The request has invalid fields.', { errors });
}

/** Splits the selected transactions into id ranges of at most `chunkSize` rows each. */
async function planChunks(tx: Tx, orgId: string, scan: ScanRow, chunkSize: number): Promise<ChunkPlan[]> {
  const starts = await tx.execute<{ first_id: string; total: string; last_id: string }>(sql`
    select id as first_id, total, last_id from (
      select id, row_number() over (order by id) as n, count(*) over () as total, max(id) over () as last_id
      from transactions t
      where ${scopeFilter(orgId, scanScope(scan, 0, Number.MAX_SAFE_INTEGER))}
    ) selected
    where (n - 1) % ${chunkSize} = 0
    order by id`);
  return starts.map((row, index) => {
    const next = starts[index + 1];
    const total = Number(row.total);
    return {
      chunk: index,
      firstId: Number(row.first_id),
      lastId: next ? Number(next.first_id) - 1 : Number(row.last_id),
      size: Math.min(chunkSize, total - index * chunkSize),
    };
  });
}

/** What a scan covers, as an evaluation scope over the id range `firstId..lastId`. */
export function scanScope(scan: ScanRow, firstId: number, lastId: number): EvaluationScope {
  return {
    kind: 'range',
    firstId,
    lastId,
    from: scan.rangeFrom ?? undefined,
    to: scan.rangeTo ?? undefined,
    ingestedAfter: scan.ingestedAfter ?? undefined,
  };
}

async function enqueueChunks(env: Env, db: Database, scan: ScanRow, chunks: ChunkPlan[]): Promise<void> {
  const messages = chunks.map((c): { body: ScanChunkMessage } => ({
    body: {
      kind: 'scan.chunk',
      orgId: scan.orgId,
      scanId: scan.id,
      chunk: c.chunk,
      firstId: c.firstId,
      lastId: c.lastId,
    },
  }));
  try {
    for (let i = 0; i < messages.length; i += SEND_BATCH)
      await env.SCANS_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
  } catch (error) {
    log('error', 'scan could not be enqueued', { scan_id: scan.id, error: String(error) });
    await failScan(env, db, scan.orgId, scan.id, 'The scan could not be queued; start it again.');
    throw new ApiError('service_unavailable', 'The scan could not be queued. Try again in a moment.');
  }
}

/** Ends a queued or running scan as failed (a finished scan keeps its outcome) and tells the dashboard. */
export async function failScan(env: Env, db: Database, orgId: string, scanId: string, reason: string): Promise<void> {
  const failed = await withTenant(db, orgId, async (tx) => {
    const [row] = await tx
      .update(scans)
      .set({ status: 'failed', error: reason, finishedAt: sql`now()` })
      .where(and(eq(scans.id, scanId), sql`${scans.status} in ('queued', 'running')`))
      .returning();
    if (row) {
      await raiseEvents(env, tx, orgId, [scanFinishedEvent(row)]);
      await raiseJobFailures(env, tx, orgId, [{ kind: 'scan', id: row.id, error: reason }]);
      afterCommit(tx, () => count('nitilens_scans_total', { status: 'failed' }));
    }
    return row;
  });
  if (failed) await announce(env, orgId, [completionEvent(failed)]);
}

export function progressEvent(scan: ScanRow): LiveEvent {
  return {
    type: 'scan.progress',
    scan_id: scan.id,
    processed: scan.processed,
    total: scan.total,
    violations_found: scan.violationsFound,
  };
}

export function completionEvent(scan: ScanRow): LiveEvent {
  return {
    type: 'scan.completed',
    scan_id: scan.id,
    status: scan.status === 'failed' ? 'failed' : 'completed',
    processed: scan.processed,
    total: scan.total,
    violations_found: scan.violationsFound,
    ...(scan.error ? { error: scan.error } : {}),
  };
}

/** `scan.completed` or `scan.failed` for alert routes. */
export function scanFinishedEvent(scan: ScanRow): ProductEvent {
  return {
    type: scan.status === 'failed' ? 'scan.failed' : 'scan.completed',
    data: {
      scan_id: scan.id,
      status: scan.status,
      trigger: scan.trigger,
      total: scan.total,
      processed: scan.processed,
      violations_found: scan.violationsFound,
      ...(scan.error ? { error: scan.error } : {}),
    },
  };
}

export function toScanView(scan: ScanRow) {
  return {
    id: scan.id,
    status: scan.status as 'queued' | 'running' | 'completed' | 'failed',
    trigger: scan.trigger as 'manual' | 'schedule',
    schedule_id: scan.scheduleId,
    rule_version_ids: scan.ruleVersionIds,
    from: scan.rangeFrom?.toISOString() ?? null,
    to: scan.rangeTo?.toISOString() ?? null,
    ingested_after: scan.ingestedAfter?.toISOString() ?? null,
    total: scan.total,
    processed: scan.processed,
    violations_found: scan.violationsFound,
    created_at: scan.createdAt.toISOString(),
    started_at: scan.startedAt?.toISOString() ?? null,
    finished_at: scan.finishedAt?.toISOString() ?? null,
    ...(scan.error ? { error: scan.error } : {}),
  };
}
