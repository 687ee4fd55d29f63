import type { Database } from '../../db/client';
import { withTenant } from '../../db/tenant';
import { ApiError, type FieldError } from '../platform/errors';
import { log } from '../platform/log';
import type { CanonicalTransaction, Validated } from './canonical';
import { planLimitReached, planLimitRowError, type UsageMeter } from './metering';
import type { UploadRecord } from './readers';
import { existingExternalIds, insertTransactions } from './store';

/** Rows per INSERT: large enough to amortize the round trip, small enough to keep a transaction short. */
const UPLOAD_BATCH_SIZE = 5000;
const LISTED_ERRORS = 1000;

type RowError = { row: number; line?: number; errors: FieldError[] };
export type UploadReport = { accepted: number; duplicates: number; rejected: number; errors: RowError[] };

type Candidate = { row: number; line: number | undefined; transaction: CanonicalTransaction };

type UploadTarget = { db: Database; orgId: string; sourceId: string | null; meter: UsageMeter };

/** Counts and the first 1,000 row errors (by row number), however many rows fail. */
class UploadTally {
  accepted = 0;
  duplicates = 0;
  rejected = 0;
  committedThroughRow = 0;
  refusedForPlan = 0;
  private errors: RowError[] = [];

  reject(row: number, line: number | undefined, errors: FieldError[]): void {
    this.rejected++;
    this.errors.push(line === undefined ? { row, errors } : { row, line, errors });
    if (this.errors.length > 2 * LISTED_ERRORS) this.trimErrors();
  }

  report(): UploadReport {
    this.trimErrors();
    return { accepted: this.accepted, duplicates: this.duplicates, rejected: this.rejected, errors: this.errors };
  }

  private trimErrors(): void {
    this.errors = this.errors.sort((a, b) => a.row - b.row).slice(0, LISTED_ERRORS);
  }
}

/**
 * Validates records as they stream in and stores them in batches, each in its own tenant
 * transaction, with the next batch parsed while the previous one is being written. Usage is
 * reserved per batch; rows past the plan's limit are rejected (or 402 when none was accepted).
 */
export async function ingestRecords(target: UploadTarget, records: AsyncIterable<UploadRecord>, toTransaction: (value: unknown) => Validated): Promise<UploadReport> {
  const tally = new UploadTally();
  let batch: Candidate[] = [];
  let writing: Promise<unknown> = Promise.resolve();
  let failure: unknown;
  const write = async (candidates: Candidate[]) => {
    await writing;
    if (failure) throw failure;
    writing = storeBatch(target, tally, candidates).catch((error: unknown) => { failure = error; });
  };

  for await (const record of records) {
    if (record.problem !== undefined) {
      tally.reject(record.row, record.line, [{ path: '', message: record.problem }]);
      continue;
    }
    const result = toTransaction(record.value);
    if (!result.ok) tally.reject(record.row, record.line, result.errors);
    else batch.push({ row: record.row, line: record.line, transaction: result.transaction });
    if (batch.length >= UPLOAD_BATCH_SIZE) {
      await write(batch);
      batch = [];
    }
  }
  await write(batch);
  await writing;
  if (failure) throw failure;
  if (tally.accepted === 0 && tally.refusedForPlan > 0) throw planLimitReached(target.meter);
  return tally.report();
}

async function storeBatch(target: UploadTarget, tally: UploadTally, candidates: Candidate[]): Promise<void> {
  if (candidates.length === 0) return;
  const granted = await target.meter.reserve(candidates.length);
  const allowed = candidates.slice(0, granted);
  const refused = candidates.slice(granted);
  let outcome: { stored: Map<string, number>; alreadyStored: Set<string> };
  try {
    outcome = await withTenant(target.db, target.orgId, async (tx) => ({
      stored: await insertTransactions(tx, target.orgId, target.sourceId, allowed.map((c) => c.transaction)),
      // Over the limit, a row that is already stored is still a duplicate, not a plan-limit rejection.
      alreadyStored: await existingExternalIds(tx, refused.map((c) => c.transaction.id)),
    }));
  } catch (error) {
    await target.meter.release(granted).catch(() => undefined);
    throw databaseFailure(tally, candidates, error);
  }

  const claimed = new Set<string>();
  for (const { transaction } of allowed) {
    if (outcome.stored.has(transaction.id) && !claimed.has(transaction.id)) {
      claimed.add(transaction.id);
      tally.accepted++;
    } else tally.duplicates++;
  }
  await target.meter.release(allowed.length - claimed.size);
  for (const { row, line, transaction } of refused) {
    if (outcome.alreadyStored.has(transaction.id)) tally.duplicates++;
    else {
      tally.refusedForPlan++;
      tally.reject(row, line, [planLimitRowError(target.meter)]);
    }
  }
  tally.committedThroughRow = candidates[candidates.length - 1]!.row;
}

function databaseFailure(tally: UploadTally, candidates: Candidate[], error: unknown): ApiError {
  log('error', 'upload batch failed', { error: String(error), first_row: candidates[0]!.row });
  return new ApiError('service_unavailable',
    `The database failed while storing rows ${candidates[0]!.row} to ${candidates[candidates.length - 1]!.row}. ` +
    `${tally.accepted} new rows were committed before that (every row up to row ${tally.committedThroughRow} is stored). ` +
    'Re-sending the whole file is safe: stored rows are reported as duplicates.',
    { committed: tally.accepted, committed_through_row: tally.committedThroughRow },
    { 'Retry-After': '30' });
}
