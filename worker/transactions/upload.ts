import type { Database } from '../../db/client';
import { type Tx, withTenant } from '../../db/tenant';
import { ApiError, type FieldError } from '../platform/errors';
import { log } from '../platform/log';
import { AccountTails } from '../risk/features';
import { loadScoringModel, type ScoringModel, scoreBatch } from '../risk/scoring';
import type { CanonicalTransaction, Validated } from './canonical';
import { planLimitReached, planLimitRowError, type UsageMeter } from './metering';
import type { UploadRecord } from './readers';
import { existingExternalIds, storeTransactions } from './store';

/** Rows per INSERT: large enough to amortize the round trip, small enough to keep a transaction short. */
const UPLOAD_BATCH_SIZE = 5000;
const CONCURRENT_BATCHES = 2;
const LISTED_ERRORS = 1000;

type RowError = { row: number; line?: number; errors: FieldError[] };
export type UploadReport = { accepted: number; duplicates: number; rejected: number; errors: RowError[] };

type Candidate = { row: number; line: number | undefined; transaction: CanonicalTransaction };
type BatchFailure = { firstRow: number; lastRow: number };

type UploadTarget = { db: Database; orgId: string; sourceId: string | null; meter: UsageMeter };

/** Counts and the first 1,000 row errors (by row number), however many rows fail. */
class UploadTally {
  accepted = 0;
  duplicates = 0;
  rejected = 0;
  committedThroughRow = 0;
  refusedForPlan = 0;
  private errors: RowError[] = [];
  // Batches commit out of order when two are in flight: the rows up to committedThroughRow are
  // those of the longest run of committed batches from the first.
  private lastRows: number[] = [];
  private committed = new Set<number>();
  private firstUncommitted = 0;

  batchStarted(candidates: Candidate[]): number {
    this.lastRows.push(candidates[candidates.length - 1]!.row);
    return this.lastRows.length - 1;
  }

  batchCommitted(index: number): void {
    this.committed.add(index);
    while (this.committed.has(this.firstUncommitted))
      this.committedThroughRow = this.lastRows[this.firstUncommitted++]!;
  }

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
 * transaction. Two batches are written at once on their own connections while the next one is
 * parsed: Postgres then uses both cores of a small machine while the isolate validates. Usage is
 * reserved per batch; rows past the plan's limit are rejected (or 402 when none was accepted).
 */
export async function ingestRecords(
  target: UploadTarget,
  records: AsyncIterable<UploadRecord>,
  toTransaction: (value: unknown) => Validated,
): Promise<UploadReport> {
  const tally = new UploadTally();
  const scoring: Scoring = { tails: new AccountTails(), previous: Promise.resolve() };
  let batch: Candidate[] = [];
  const writing: Promise<void>[] = [];
  let failure: BatchFailure | undefined;
  const write = async (candidates: Candidate[]) => {
    // Near the plan's limit a batch's duplicates hold their reservation until its insert returns,
    // which could refuse a concurrent batch's new rows: there, batches go one at a time.
    const concurrent = target.meter.headroom() >= CONCURRENT_BATCHES * UPLOAD_BATCH_SIZE ? CONCURRENT_BATCHES : 1;
    while (writing.length >= concurrent) await writing.shift();
    if (failure || candidates.length === 0) return;
    const index = tally.batchStarted(candidates);
    writing.push(
      storeBatch(target, tally, candidates, takeTurn(scoring)).then(
        () => tally.batchCommitted(index),
        (error: unknown) => {
          log('error', 'upload batch failed', { error: String(error), first_row: candidates[0]!.row });
          failure ??= { firstRow: candidates[0]!.row, lastRow: candidates[candidates.length - 1]!.row };
        },
      ),
    );
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
      // A failed batch ends the upload (503); the rest of the body is not read.
      if (failure) break;
    }
  }
  if (!failure) await write(batch);
  // Every batch in flight settles before answering, so the counts in the answer are final.
  await Promise.all(writing);
  if (failure) throw databaseFailure(tally, failure);
  if (tally.accepted === 0 && tally.refusedForPlan > 0) throw planLimitReached(target.meter);
  return tally.report();
}

/**
 * An upload's scoring: batches score in order, each after the one before, so the accounts' tails
 * the one before learnt (its rows included, committed or not) serve the next (risk/features.ts).
 */
type Scoring = { tails: AccountTails; previous: Promise<void> };
/** A batch's turn to score: `after` the previous batch's scoring; `done` lets the next one go. */
type Turn = { tails: AccountTails; after: Promise<void>; done: () => void };

function takeTurn(scoring: Scoring): Turn {
  const after = scoring.previous;
  let done!: () => void;
  scoring.previous = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { tails: scoring.tails, after, done };
}

async function storeBatch(
  target: UploadTarget,
  tally: UploadTally,
  candidates: Candidate[],
  turn: Turn,
): Promise<void> {
  let outcome: { stored: number; alreadyStored: Set<string> };
  let granted: number;
  let allowed: Candidate[];
  let refused: Candidate[];
  try {
    granted = await target.meter.reserve(candidates.length);
    allowed = candidates.slice(0, granted);
    refused = candidates.slice(granted);
    // Waited for outside the transaction: a batch holds no lock while it waits for the one before.
    await turn.after;
    try {
      outcome = await withTenant(target.db, target.orgId, async (tx) => {
        const [, model] = await Promise.all([target.meter.noteNearLimit(tx), loadScoringModel(tx)]);
        return {
          stored: await storeAndScore(
            tx,
            target.orgId,
            target.sourceId,
            allowed.map((c) => c.transaction),
            model,
            turn,
          ),
          // Over the limit, a row that is already stored is still a duplicate, not a plan-limit rejection.
          alreadyStored: await existingExternalIds(
            tx,
            refused.map((c) => c.transaction.id),
          ),
        };
      });
    } catch (error) {
      await target.meter.release(granted).catch(() => undefined);
      throw error;
    }
  } finally {
    turn.done();
  }

  tally.accepted += outcome.stored;
  tally.duplicates += allowed.length - outcome.stored;
  await target.meter.release(allowed.length - outcome.stored);
  for (const { row, line, transaction } of refused) {
    if (outcome.alreadyStored.has(transaction.id)) tally.duplicates++;
    else {
      tally.refusedForPlan++;
      tally.reject(row, line, [planLimitRowError(target.meter)]);
    }
  }
}

/**
 * Stores the batch; once the organization has an anomaly model, each row is stored with its score,
 * computed before the insert from the batch and its accounts' stored tails (one statement for the
 * batch), so every stored transaction carries a score and none is written twice. Returns how many
 * rows were new.
 */
async function storeAndScore(
  tx: Tx,
  orgId: string,
  sourceId: string | null,
  rows: CanonicalTransaction[],
  model: ScoringModel | null,
  turn: Turn,
): Promise<number> {
  if (!model || rows.length === 0) {
    turn.done();
    return storeTransactions(tx, orgId, sourceId, rows);
  }
  let scores: Awaited<ReturnType<typeof scoreBatch>>;
  try {
    scores = await scoreBatch(tx, orgId, model, rows, turn.tails);
  } finally {
    turn.done();
  }
  return storeTransactions(tx, orgId, sourceId, rows, { modelId: model.id, scores });
}

function databaseFailure(tally: UploadTally, failure: BatchFailure): ApiError {
  return new ApiError(
    'service_unavailable',
    `The database failed while storing rows ${failure.firstRow} to ${failure.lastRow}. ` +
      `${tally.accepted} new rows were committed (every row up to row ${tally.committedThroughRow} is stored). ` +
      'Re-sending the whole file is safe: stored rows are reported as duplicates.',
    { committed: tally.accepted, committed_through_row: tally.committedThroughRow },
    { 'Retry-After': '30' },
  );
}
