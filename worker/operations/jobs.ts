import { and, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { jobRuns } from '../../db/schema';
import { afterCommit, type Tx, uuidLiteral, withSystem, withTenant } from '../../db/tenant';
import { type ProductEvent, raiseEvents } from '../alerts/events';
import type { Env } from '../env';
import { olderThan } from '../platform/keyset';
import { log } from '../platform/log';
import { count } from '../platform/metrics';
import type { JobKind, JobStatus } from './kinds';

/** A job that failed: it raises `job.failed` and counts in `nitilens_jobs_failed_total{kind}`. */
export type JobFailure = { kind: JobKind; id: string; error: string | null; subject?: Record<string, unknown> };

/**
 * Starts a job of a kind without a table of its own (a schedule run, a report run, a model
 * training), in the caller's tenant transaction; answers its id for `finishJob`.
 */
export async function recordJob(tx: Tx, orgId: string, kind: JobKind, subjectId?: string): Promise<string> {
  const [row] = await tx
    .insert(jobRuns)
    .values({ orgId, kind, subjectId: subjectId ?? null })
    .returning({ id: jobRuns.id });
  return row!.id;
}

/**
 * Ends a job of `recordJob`: succeeded, or failed with `error` (which raises `job.failed` in the
 * same transaction). Called in the organization's tenant transaction.
 */
export async function finishJob(env: Env, tx: Tx, orgId: string, jobId: string, error: string | null): Promise<void> {
  const [row] = await tx
    .update(jobRuns)
    .set({ status: error ? 'failed' : 'succeeded', error, finishedAt: sql`now()` })
    .where(sql`${jobRuns.id} = ${uuidLiteral(jobId)}`)
    .returning({ kind: jobRuns.kind, subjectId: jobRuns.subjectId });
  if (row && error)
    await raiseJobFailures(env, tx, orgId, [
      { kind: row.kind as JobKind, id: jobId, error, subject: row.subjectId ? { subject_id: row.subjectId } : {} },
    ]);
}

/** `recordJob` and `finishJob` around `work`, each in its own tenant transaction: a job that throws has failed. */
export async function runAsJob<T>(
  env: Env,
  db: Database,
  orgId: string,
  kind: JobKind,
  subjectId: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const jobId = await withTenant(db, orgId, (tx) => recordJob(tx, orgId, kind, subjectId));
  try {
    const result = await work();
    await withTenant(db, orgId, (tx) => finishJob(env, tx, orgId, jobId, null));
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Best effort: the job's own failure is what the caller must hear about.
    await withTenant(db, orgId, (tx) => finishJob(env, tx, orgId, jobId, message)).catch((finishError) =>
      log('error', 'job could not be marked failed', { job_id: jobId, kind, error: String(finishError) }),
    );
    throw error;
  }
}

/** Raises `job.failed` for each failure, in the transaction that recorded it; counted once it commits. */
export async function raiseJobFailures(env: Env, tx: Tx, orgId: string, failures: JobFailure[]): Promise<void> {
  if (failures.length === 0) return;
  const events: ProductEvent[] = failures.map((failure) => ({
    type: 'job.failed',
    data: { job_id: failure.id, kind: failure.kind, error: failure.error, ...failure.subject },
  }));
  await raiseEvents(env, tx, orgId, events);
  afterCommit(tx, () => {
    for (const failure of failures) count('nitilens_jobs_failed_total', { kind: failure.kind });
  });
}

type JobRow = {
  id: string;
  org_id: string;
  kind: JobKind;
  status: JobStatus;
  error: string | null;
  created_at: Date | string;
  created_key: string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
};

export type JobFilters = {
  limit: number;
  cursor?: string | undefined;
  kind?: JobKind | undefined;
  status?: JobStatus | undefined;
  orgId?: string | undefined;
};

/** The organization's jobs, newest first (in its tenant transaction: row-level security picks them). */
export function listJobs(tx: Tx, filters: JobFilters): Promise<JobRow[]> {
  return tx.execute<JobRow>(jobsQuery(filters)) as unknown as Promise<JobRow[]>;
}

/** Every organization's jobs, newest first, as the read-only system role (super_admin). */
export function listAllJobs(db: Database, filters: JobFilters): Promise<JobRow[]> {
  return withSystem(db, (tx) => tx.execute<JobRow>(jobsQuery(filters)) as unknown as Promise<JobRow[]>);
}

function jobsQuery(filters: JobFilters): SQL {
  const conditions = [
    filters.kind ? sql`kind = ${filters.kind}` : undefined,
    filters.status ? sql`status = ${filters.status}` : undefined,
    filters.orgId ? sql`org_id = ${filters.orgId}::uuid` : undefined,
    olderThan(sql`created_at`, sql`id`, filters.cursor),
  ].filter((condition) => condition !== undefined);
  return sql`
    select id, org_id, kind, status, error, created_at, created_at::text as created_key, started_at, finished_at
    from jobs ${conditions.length > 0 ? sql`where ${and(...conditions)}` : sql``}
    order by created_at desc, id desc
    limit ${filters.limit + 1}`;
}

export function jobView(row: JobRow) {
  const started = row.started_at === null ? null : new Date(row.started_at);
  const finished = row.finished_at === null ? null : new Date(row.finished_at);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    started_at: started?.toISOString() ?? null,
    finished_at: finished?.toISOString() ?? null,
    duration_ms: started && finished ? Math.max(0, finished.getTime() - started.getTime()) : null,
    error: row.error,
  };
}

export function adminJobView(row: JobRow) {
  return { ...jobView(row), org_id: row.org_id };
}

/** Each kind's jobs of the last 24 hours and how many failed: the operations page's error rates. */
export async function jobFailureRates(db: Database) {
  const rows = await withSystem(db, (tx) =>
    tx.execute<{ kind: string; total: number; failed: number }>(sql`
      select kind, count(*)::int as total, count(*) filter (where status = 'failed')::int as failed
      from jobs where created_at > now() - interval '24 hours'
      group by kind order by kind`),
  );
  return rows.map((row) => ({
    kind: row.kind,
    total: row.total,
    failed: row.failed,
    error_rate: row.total === 0 ? 0 : row.failed / row.total,
  }));
}
