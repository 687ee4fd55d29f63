import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { scanChunks, scans } from '../../db/schema';
import { afterCommit, type Tx, uuidArray, withTenant } from '../../db/tenant';
import type { LiveEvent } from '../../durable-objects/org-hub';
import type { ScanChunkMessage } from '../../queues/messages';
import { raiseEvents } from '../alerts/events';
import { settleCases } from '../cases/deadlines';
import { takeNewViolations } from '../cases/detection';
import type { CaseFollowUp } from '../cases/service';
import type { Env } from '../env';
import { announce, violationCreated } from '../live/announce';
import { mapConcurrently } from '../platform/concurrency';
import { count } from '../platform/metrics';
import { type ActiveRuleVersion, detectViolations, isPlainRule, type RaisedViolation } from '../rules/engine';
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
 * Evaluates one chunk, then marks it done exactly once. Each unit of rule versions inserts its
 * violations in its own transaction (idempotently: one per rule version and transaction); the
 * final transaction takes the chunk's violations of this scan, whichever delivery stored them,
 * opens their cases and counts them, so a retried or redelivered chunk never opens or counts
 * twice. Windows see every stored transaction, not only the chunk's.
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
  const units = evaluationUnits(versions);
  await mapConcurrently(units, RULE_CONCURRENCY, async (unit) => {
    // Only one unit's hits of one chunk are in memory per connection.
    await withTenant(db, scan.orgId, (tx) =>
      detectViolations(tx, scan.orgId, scope, { ruleVersions: unit, scanId: scan.id, persist: true }),
    );
  });
  const completed = await withTenant(db, scan.orgId, (tx) => completeChunk(env, tx, scan, chunk, units));
  if (!completed) return;
  const { updated, cases, announced } = completed;
  await settleCases(env, scan.orgId, { ...cases, live: [] });
  const finished = updated.status === 'completed' ? [completionEvent(updated)] : [];
  await announce(env, scan.orgId, [progressEvent(updated), ...announced, ...cases.live, ...finished]);
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

type CompletedChunk = { updated: ScanRow; cases: CaseFollowUp; announced: LiveEvent[] };

/**
 * Marks the chunk done, after opening the cases of its violations: once, and not in the units'
 * transactions, where two units opening cases at once waited on the organization's cases lock
 * (BENCHMARKS.md, issue 23's third session). Null when another delivery already did.
 */
async function completeChunk(
  env: Env,
  tx: Tx,
  scan: ScanRow,
  chunk: ChunkRow,
  units: ActiveRuleVersion[][],
): Promise<CompletedChunk | null> {
  const [locked] = await tx
    .select({ status: scanChunks.status })
    .from(scanChunks)
    .where(and(eq(scanChunks.scanId, scan.id), eq(scanChunks.chunk, chunk.chunk)))
    .for('update');
  if (locked?.status !== 'pending') return null;
  const { found, cases, announced } = await takeChunkViolations(env, tx, scan, chunk, units);
  const updated = await recordChunkDone(env, tx, scan, chunk, found);
  return { updated, cases, announced };
}

/** The chunk's stored violations taken: snoozes applied, alerts raised, cases opened; their count and live events. */
async function takeChunkViolations(
  env: Env,
  tx: Tx,
  scan: ScanRow,
  chunk: ChunkRow,
  units: ActiveRuleVersion[][],
): Promise<{ found: number; cases: CaseFollowUp; announced: LiveEvent[] }> {
  const stored = await storedViolationsByUnit(tx, scan, chunk, units);
  const cases = await takeNewViolations(env, tx, scan.orgId, stored);
  const announced = stored
    .flat()
    .filter((v) => !v.suppressed && ANNOUNCED_SEVERITIES.has(v.severity))
    .map((v) => violationCreated({ ...v, id: v.id! }));
  return { found: stored.flat().length, cases, announced };
}

/**
 * The chunk's violations stored for this scan, as new, by evaluation unit: in a unit by rule
 * version, then by transaction, the order in which the unit stored them. Served by the
 * (rule_version_id, transaction_id) unique index: exact however often the chunk ran.
 */
async function storedViolationsByUnit(
  tx: Tx,
  scan: ScanRow,
  chunk: ChunkRow,
  units: ActiveRuleVersion[][],
): Promise<RaisedViolation[][]> {
  const versions = units.flat();
  const rows = await tx.execute<StoredRow>(sql`
    select v.id, v.rule_version_id, v.transaction_id, v.risk_score, v.explanation,
      t.external_id, t.account, trim_scale(t.amount)::text as amount, t.currency
    from violations v join transactions t on t.id = v.transaction_id
    where v.rule_version_id = any(${uuidArray(versions.map((version) => version.id))})
      and v.transaction_id between ${chunk.firstId} and ${chunk.lastId} and v.scan_id = ${scan.id}
    order by v.transaction_id`);
  return units.map((unit) =>
    unit.flatMap((version) =>
      rows.filter((row) => row.rule_version_id === version.id).map((row) => raisedViolation(version, row)),
    ),
  );
}

type StoredRow = {
  id: string;
  rule_version_id: string;
  transaction_id: string;
  risk_score: string;
  explanation: string;
  external_id: string;
  account: string;
  amount: string;
  currency: string;
};

function raisedViolation(version: ActiveRuleVersion, row: StoredRow): RaisedViolation {
  return {
    id: row.id,
    ruleId: version.ruleId,
    ruleName: version.name,
    ruleVersionId: version.id,
    ruleVersion: version.version,
    account: row.account,
    amount: row.amount,
    currency: row.currency,
    transactionId: Number(row.transaction_id),
    externalId: row.external_id,
    severity: version.severity,
    riskScore: Number(row.risk_score),
    explanation: row.explanation,
    policyId: version.policyId,
    clauseRef: version.clauseRef,
    isNew: true,
  };
}

/** Marks the chunk done and adds its size and `found` violations to the scan's progress. */
async function recordChunkDone(env: Env, tx: Tx, scan: ScanRow, chunk: ChunkRow, found: number): Promise<ScanRow> {
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

/**
 * A chunk that exhausted its retries ends its scan `failed` with the last error seen. What its
 * units did store (the failing unit is often one heavy rule) still gets its alerts and cases,
 * taken once with the chunk's move to `failed`, as a completed chunk's would.
 */
export async function failDeadLetteredChunk(env: Env, db: Database, message: ScanChunkMessage): Promise<void> {
  const failed = await withTenant(db, message.orgId, async (tx) => {
    const [chunk] = await tx
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
    if (!chunk) return undefined;
    const [scan] = await tx.select().from(scans).where(eq(scans.id, message.scanId));
    const units = evaluationUnits(await loadRuleVersions(tx, scan!.ruleVersionIds));
    return { chunk, taken: await takeChunkViolations(env, tx, scan!, chunk, units) };
  });
  if (failed) {
    const { cases, announced } = failed.taken;
    await settleCases(env, message.orgId, { ...cases, live: [] });
    await announce(env, message.orgId, [...announced, ...cases.live]);
  }
  const cause = failed?.chunk.error ?? 'the chunk could not be processed';
  const attempts = failed ? ` after ${failed.chunk.attempts} attempts` : '';
  await failScan(env, db, message.orgId, message.scanId, `Chunk ${message.chunk + 1} failed${attempts}: ${cause}`);
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const text = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
  return text.slice(0, 500);
}
