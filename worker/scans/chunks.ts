import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { scanChunks, scans } from '../../db/schema';
import { afterCommit, type Tx, uuidArray, withTenant } from '../../db/tenant';
import type { ScanChunkMessage } from '../../queues/messages';
import { raiseEvents } from '../alerts/events';
import { settleCases } from '../cases/deadlines';
import { takeNewViolations } from '../cases/detection';
import { mergeFollowUps } from '../cases/service';
import type { Env } from '../env';
import { announce, violationCreated } from '../live/announce';
import { mapConcurrently } from '../platform/concurrency';
import { count } from '../platform/metrics';
import { type ActiveRuleVersion, detectViolations, isPlainRule } from '../rules/engine';
import { loadRuleVersions } from '../rules/versions';
import {
  advanceWatermark,
  completionEvent,
  failScan,
  progressEvent,
  type ScanRow,
  scanFinishedEvent,
  scanScope,
} from './service';

const ANNOUNCED_SEVERITIES = new Set(['high', 'critical']);
// Rule versions evaluated at once, each on its own connection: Postgres then uses more than one core.
const RULE_CONCURRENCY = 2;

type ChunkRow = typeof scanChunks.$inferSelect;

/**
 * Evaluates one chunk, then marks it done exactly once. Each rule version inserts its violations
 * in its own transaction (idempotently: one per rule version and transaction), and the final
 * transaction counts the scan's violations in the chunk's id range, so a retried or redelivered
 * chunk never counts twice. Windows see every stored transaction, not only the chunk's.
 */
export async function processScanChunk(env: Env, db: Database, message: ScanChunkMessage): Promise<void> {
  const pending = await withTenant(db, message.orgId, async (tx) => {
    const [row] = await tx
      .select({ chunk: scanChunks, scan: scans })
      .from(scanChunks)
      .innerJoin(scans, eq(scans.id, scanChunks.scanId))
      .where(and(eq(scanChunks.scanId, message.scanId), eq(scanChunks.chunk, message.chunk)));
    if (!row) throw new Error(`Scan ${message.scanId} has no chunk ${message.chunk}.`);
    if (row.chunk.status !== 'pending' || row.scan.status === 'failed' || row.scan.status === 'completed') return null;
    await tx
      .update(scans)
      .set({ status: 'running', startedAt: sql`coalesce(${scans.startedAt}, now())` })
      .where(and(eq(scans.id, message.scanId), eq(scans.status, 'queued')));
    return { ...row, versions: await loadRuleVersions(tx, row.scan.ruleVersionIds) };
  });
  if (!pending) return;
  const { scan, chunk, versions } = pending;
  const scope = scanScope(scan, chunk.firstId, chunk.lastId);
  const perVersion = await mapConcurrently(evaluationUnits(versions), RULE_CONCURRENCY, async (unit) => {
    // Only one unit's hits of one chunk are in memory per connection.
    const { detected, followUp } = await withTenant(db, scan.orgId, async (tx) => {
      const found = await detectViolations(tx, scan.orgId, scope, {
        ruleVersions: unit,
        scanId: scan.id,
        persist: true,
      });
      return { detected: found, followUp: await takeNewViolations(env, tx, scan.orgId, found) };
    });
    const announced = detected
      .filter(
        (v): v is typeof v & { id: string } =>
          v.isNew && v.id !== null && !v.suppressed && ANNOUNCED_SEVERITIES.has(v.severity),
      )
      .map(violationCreated);
    return { announced, followUp };
  });
  const cases = mergeFollowUps(perVersion.map((p) => p.followUp));
  const updated = await withTenant(db, scan.orgId, (tx) => completeChunk(env, tx, scan, chunk));
  await settleCases(env, scan.orgId, { ...cases, live: [] });
  if (!updated) return;
  const finished = updated.status === 'completed' ? [completionEvent(updated)] : [];
  await announce(env, scan.orgId, [
    progressEvent(updated),
    ...perVersion.flatMap((p) => p.announced),
    ...cases.live,
    ...finished,
  ]);
}

/**
 * The rule versions evaluated together: every version without aggregates in one unit (one pass
 * over the chunk decides them all), each windowed version on its own, so units run concurrently.
 */
function evaluationUnits(versions: ActiveRuleVersion[]): ActiveRuleVersion[][] {
  const plain = versions.filter(isPlainRule);
  const windowed = versions.filter((version) => !isPlainRule(version)).map((version) => [version]);
  return plain.length > 0 ? [plain, ...windowed] : windowed;
}

/** Marks the chunk done and adds it to the scan's progress; null when another delivery already did. */
async function completeChunk(env: Env, tx: Tx, scan: ScanRow, chunk: ChunkRow): Promise<ScanRow | null> {
  const [locked] = await tx
    .select({ status: scanChunks.status })
    .from(scanChunks)
    .where(and(eq(scanChunks.scanId, scan.id), eq(scanChunks.chunk, chunk.chunk)))
    .for('update');
  if (locked?.status !== 'pending') return null;
  // Served by the (rule_version_id, transaction_id) unique index: exact however often the chunk ran.
  const [counted] = await tx.execute<{ found: number }>(sql`
    select count(*)::int as found from violations
    where rule_version_id = any(${uuidArray(scan.ruleVersionIds)})
      and transaction_id between ${chunk.firstId} and ${chunk.lastId} and scan_id = ${scan.id}`);
  const found = counted!.found;
  await tx
    .update(scanChunks)
    .set({
      status: 'done',
      processed: chunk.size,
      violationsFound: found,
      attempts: sql`${scanChunks.attempts} + 1`,
      error: null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(scanChunks.scanId, scan.id), eq(scanChunks.chunk, chunk.chunk)));
  const [updated] = await tx
    .update(scans)
    .set({
      processed: sql`${scans.processed} + ${chunk.size}`,
      violationsFound: sql`${scans.violationsFound} + ${found}`,
      chunksDone: sql`${scans.chunksDone} + 1`,
      // A scan failed meanwhile (another chunk dead-lettered) stays failed.
      status: sql`case when ${scans.status} = 'failed' then 'failed' when ${scans.chunksDone} + 1 >= ${scans.chunksTotal} then 'completed' else 'running' end`,
      finishedAt: sql`case when ${scans.status} = 'failed' then ${scans.finishedAt} when ${scans.chunksDone} + 1 >= ${scans.chunksTotal} then now() end`,
    })
    .where(eq(scans.id, scan.id))
    .returning();
  if (updated!.status === 'completed') {
    await advanceWatermark(tx, updated!);
    await raiseEvents(env, tx, scan.orgId, [scanFinishedEvent(updated!)]);
    afterCommit(tx, () => count('nitilens_scans_total', { status: 'completed' }));
  }
  return updated!;
}

/** Remembers why a delivery failed, so the scan can say why once the chunk is dead-lettered. */
export async function recordChunkFailure(db: Database, message: ScanChunkMessage, error: unknown): Promise<void> {
  await withTenant(db, message.orgId, (tx) =>
    tx
      .update(scanChunks)
      .set({ attempts: sql`${scanChunks.attempts} + 1`, error: describeError(error), updatedAt: sql`now()` })
      .where(
        and(
          eq(scanChunks.scanId, message.scanId),
          eq(scanChunks.chunk, message.chunk),
          eq(scanChunks.status, 'pending'),
        ),
      ),
  );
}

/** A chunk that exhausted its retries ends its scan `failed` with the last error seen. */
export async function failDeadLetteredChunk(env: Env, db: Database, message: ScanChunkMessage): Promise<void> {
  const chunk = await withTenant(db, message.orgId, async (tx) => {
    const [row] = await tx
      .update(scanChunks)
      .set({ status: 'failed', updatedAt: sql`now()` })
      .where(
        and(
          eq(scanChunks.scanId, message.scanId),
          eq(scanChunks.chunk, message.chunk),
          eq(scanChunks.status, 'pending'),
        ),
      )
      .returning();
    return row;
  });
  const cause = chunk?.error ?? 'the chunk could not be processed';
  const attempts = chunk ? ` after ${chunk.attempts} attempts` : '';
  await failScan(env, db, message.orgId, message.scanId, `Chunk ${message.chunk + 1} failed${attempts}: ${cause}`);
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const text = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return text.slice(0, 500);
}
