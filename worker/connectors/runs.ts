import { and, desc, eq, gt, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { connectorRuns, connectors } from '../../db/schema';
import { type Tx, withSystem, withTenant } from '../../db/tenant';
import type { Env } from '../env';
import { raiseJobFailures } from '../operations/jobs';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError } from '../platform/errors';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import type { SourceMapping } from '../sources/mapping';
import { secretKeysOf } from '../sources/secrets';
import { subscriptionPlan } from '../subscription/plan';
import { recordValidator } from '../transactions/intake';
import { planAllowance, usageMeter } from '../transactions/metering';
import type { UploadRecord } from '../transactions/readers';
import { ingestRecords } from '../transactions/upload';
import { openReader } from './readers';
import { type ConnectorReader, SourceError, type SourceRow } from './readers/reader';
import type { ConnectorType } from './schemas';
import { type ConnectorRow, connectorPolicy, connectorSecret, findConnector, nextRunAt } from './service';

/** A run queued or running longer than this is taken as lost (its Worker died): it no longer blocks new runs. */
const STALE_RUN_MINUTES = 30;
/** Row errors kept on a run, the first ones. */
const KEPT_ROW_ERRORS = 20;
/** Due schedules started per Cron Trigger invocation; the rest wait a minute. */
const DUE_BATCH = 50;

type Trigger = 'manual' | 'schedule';

/**
 * Records a queued run in the caller's tenant transaction, unless one of the connector's runs is
 * still queued or running (a 409). The connector row is locked so two requests cannot both pass.
 */
async function queueRun(tx: Tx, connector: ConnectorRow, trigger: Trigger): Promise<string> {
  await tx.select({ id: connectors.id }).from(connectors).where(eq(connectors.id, connector.id)).for('update');
  const [busy] = await tx
    .select({ id: connectorRuns.id })
    .from(connectorRuns)
    .where(
      and(
        eq(connectorRuns.connectorId, connector.id),
        inArray(connectorRuns.status, ['queued', 'running']),
        gt(connectorRuns.createdAt, sql`now() - make_interval(mins => ${STALE_RUN_MINUTES})`),
      ),
    )
    .limit(1);
  if (busy)
    throw new ApiError('conflict', 'A run of this connector is already queued or running.', { run_id: busy.id });
  const [run] = await tx
    .insert(connectorRuns)
    .values({ orgId: connector.orgId, connectorId: connector.id, trigger, cursorBefore: connector.cursor })
    .returning({ id: connectorRuns.id });
  return run!.id;
}

/** Run now: queues a run and its message; the queue consumer does the work. */
export async function startRun(env: Env, db: Database, actor: Actor, connectorId: string): Promise<string> {
  const runId = await withTenant(db, actor.orgId, async (tx) => {
    const connector = await findConnector(tx, connectorId);
    if (!connector.isActive) throw new ApiError('conflict', 'The connector is paused; activate it first.');
    const id = await queueRun(tx, connector, 'manual');
    await recordAudit(tx, actor.origin, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'connector.run_started',
      targetType: 'connector',
      targetId: connectorId,
      details: { run_id: id },
    });
    return id;
  });
  await env.CONNECTORS_QUEUE.send({ kind: 'connector.run', orgId: actor.orgId, runId });
  return runId;
}

/**
 * The Cron Trigger's work: every active connector whose schedule is due gets a queued run (when
 * its plan still includes connectors and no run of it is in progress) and moves to its next time.
 */
export async function runDueConnectors(env: Env, db: Database, now: Date): Promise<number> {
  const due = await withSystem(db, (tx) =>
    tx
      .select({ id: connectors.id, orgId: connectors.orgId })
      .from(connectors)
      .where(and(eq(connectors.isActive, true), isNotNull(connectors.schedule), lte(connectors.nextRunAt, now)))
      .orderBy(connectors.nextRunAt)
      .limit(DUE_BATCH),
  );
  let queued = 0;
  for (const { id, orgId } of due) {
    try {
      const runId = await withTenant(db, orgId, async (tx) => {
        // The row lock and the re-checked due time make overlapping trigger invocations queue it once.
        const [connector] = await tx
          .select()
          .from(connectors)
          .where(and(eq(connectors.id, id), lte(connectors.nextRunAt, now)))
          .for('update', { skipLocked: true });
        if (!connector) return null;
        await tx
          .update(connectors)
          .set({ nextRunAt: nextRunAt(connector.schedule, now) })
          .where(eq(connectors.id, id));
        if (!(await subscriptionPlan(tx, orgId)).features.includes('connectors')) return null;
        return queueRun(tx, connector, 'schedule').catch((error: unknown) => {
          if (error instanceof ApiError && error.code === 'conflict') return null;
          throw error;
        });
      });
      if (!runId) continue;
      await env.CONNECTORS_QUEUE.send({ kind: 'connector.run', orgId, runId });
      queued += 1;
    } catch (error) {
      log('error', 'scheduled connector run was not queued', { org_id: orgId, connector_id: id, error: String(error) });
    }
  }
  return queued;
}

type Totals = {
  read: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  pages: number;
  errors: unknown[];
};

/**
 * One run, as the queue consumer does it: pages of new rows are read, mapped and stored through
 * the upload path (idempotent on id, metered); after each committed page the cursor moves past it.
 * A failure (the customer's system, our database, the plan's limit) ends the run `failed` with the
 * cursor where the last committed page put it, so the next run resumes there.
 */
export async function processConnectorRun(env: Env, db: Database, orgId: string, runId: string): Promise<void> {
  const claimed = await withTenant(db, orgId, async (tx) => {
    const [run] = await tx
      .update(connectorRuns)
      .set({ status: 'running', startedAt: sql`now()` })
      .where(and(eq(connectorRuns.id, runId), eq(connectorRuns.status, 'queued')))
      .returning();
    if (!run) return undefined;
    const [connector] = await tx.select().from(connectors).where(eq(connectors.id, run.connectorId));
    return connector && { connector, allowance: await planAllowance(tx, orgId) };
  });
  if (!claimed) return;
  const { connector, allowance } = claimed;
  const totals: Totals = { read: 0, accepted: 0, duplicates: 0, rejected: 0, pages: 0, errors: [] };
  let cursor = connector.cursor;
  let reader: ConnectorReader | undefined;
  try {
    const mapping = connector.mapping as SourceMapping;
    reader = await openReader({
      type: connector.type as ConnectorType,
      config: connector.config,
      secret: await connectorSecret(secretKeysOf(env), connector),
      policy: connectorPolicy(env),
      mapping,
    });
    const target = { db, orgId, sourceId: null, meter: usageMeter(env, orgId, allowance) };
    const validate = recordValidator(mapping);
    for (;;) {
      const page = await reader.nextPage(cursor);
      if (page.rows.length > 0) {
        const report = await ingestRecords(target, pageRecords(page.rows, totals.read), validate);
        totals.read += page.rows.length;
        totals.accepted += report.accepted;
        totals.duplicates += report.duplicates;
        totals.rejected += report.rejected;
        totals.pages += 1;
        if (totals.errors.length < KEPT_ROW_ERRORS)
          totals.errors.push(...report.errors.slice(0, KEPT_ROW_ERRORS - totals.errors.length));
        cursor = page.cursor;
        await recordProgress(db, orgId, connector.id, runId, totals, cursor);
      }
      if (page.last) break;
    }
    await finishRun(env, db, orgId, runId, totals, cursor, null);
  } catch (error) {
    const message =
      error instanceof SourceError || error instanceof ApiError ? error.message : `The run failed: ${String(error)}`;
    log('warn', 'connector run failed', { org_id: orgId, run_id: runId, error: message });
    await finishRun(env, db, orgId, runId, totals, cursor, message);
  } finally {
    await reader?.close();
  }
}

function pageRecords(rows: SourceRow[], before: number): AsyncIterable<UploadRecord> {
  return (async function* () {
    for (const [index, value] of rows.entries()) yield { row: before + index + 1, value };
  })();
}

/** The page is committed: the connector's cursor moves past it, and the run shows its counts so far. */
async function recordProgress(
  db: Database,
  orgId: string,
  connectorId: string,
  runId: string,
  totals: Totals,
  cursor: string | null,
) {
  await withTenant(db, orgId, async (tx) => {
    await tx.update(connectors).set({ cursor }).where(eq(connectors.id, connectorId));
    await tx.update(connectorRuns).set(runCounts(totals, cursor)).where(eq(connectorRuns.id, runId));
  });
}

async function finishRun(
  env: Env,
  db: Database,
  orgId: string,
  runId: string,
  totals: Totals,
  cursor: string | null,
  error: string | null,
) {
  await withTenant(db, orgId, async (tx) => {
    const [run] = await tx
      .update(connectorRuns)
      .set({ ...runCounts(totals, cursor), status: error ? 'failed' : 'succeeded', error, finishedAt: sql`now()` })
      .where(eq(connectorRuns.id, runId))
      .returning({ connectorId: connectorRuns.connectorId });
    if (run && error)
      await raiseJobFailures(env, tx, orgId, [
        { kind: 'connector_run', id: runId, error, subject: { connector_id: run.connectorId } },
      ]);
  });
}

function runCounts(totals: Totals, cursor: string | null) {
  return {
    read: totals.read,
    accepted: totals.accepted,
    duplicates: totals.duplicates,
    rejected: totals.rejected,
    pages: totals.pages,
    rowErrors: totals.errors,
    cursorAfter: cursor,
  };
}

/** A connector's runs, newest first. */
export async function listRuns(tx: Tx, connectorId: string, cursor: string | undefined, limit: number) {
  return tx
    .select({ run: connectorRuns, createdAtKey: sql<string>`${connectorRuns.createdAt}::text` })
    .from(connectorRuns)
    .where(
      and(eq(connectorRuns.connectorId, connectorId), olderThan(connectorRuns.createdAt, connectorRuns.id, cursor)),
    )
    .orderBy(desc(connectorRuns.createdAt), desc(connectorRuns.id))
    .limit(limit + 1);
}
