import type { Database } from '../../db/client';
import { type Tx, withTenantFoundBy } from '../../db/tenant';
import type { RecordedUsage } from '../../durable-objects/usage-counter';
import { settleCases } from '../cases/deadlines';
import { takeNewViolations } from '../cases/detection';
import { type CaseFollowUp, NO_FOLLOW_UP } from '../cases/service';
import type { Env } from '../env';
import { violationCreated } from '../live/announce';
import { ApiError, type FieldError } from '../platform/errors';
import { idsFilter, loadScoringModel, scoreTransactions } from '../risk/scoring';
import { type DetectedViolation, detectViolations, loadActiveRuleVersions } from '../rules/engine';
import { amountPath, type SourceMapping } from '../sources/mapping';
import { secretKeysOf } from '../sources/secrets';
import { sourceForPush } from '../sources/service';
import { parseJsonTransactions } from '../transactions/body';
import type { CanonicalTransaction } from '../transactions/canonical';
import { recordValidator } from '../transactions/intake';
import {
  type PlanAllowance,
  planLimitReached,
  planLimitRowError,
  type UsageMeter,
  usageMeter,
} from '../transactions/metering';
import { existingExternalIds, insertTransactions } from '../transactions/store';
import type { PushResult } from './schemas';
import { type SignatureHeader, signatureMatches } from './signature';

const MAX_PUSH_ITEMS = 1000;

/**
 * A signed push from a source: the signature checked against the source's secrets, then every
 * transaction validated, stored and evaluated in one tenant transaction; the plan's reservation is
 * given back for what was not stored, and the new violations' cases settled after the commit.
 */
export async function receivePush(
  env: Env,
  db: Database,
  push: { sourceId: string; header: SignatureHeader; rawBody: Uint8Array<ArrayBuffer> },
): Promise<PushResult[]> {
  const key = secretKeysOf(env);
  const reservation: Reservation = { meter: undefined, reserved: 0 };
  let decided: Decided | undefined;
  try {
    // One database transaction: the source is read as the system role, which enters its
    // organization's tenant context; everything after runs there.
    decided = await withTenantFoundBy(
      db,
      (tx) => sourceForPush(tx, key, push.sourceId),
      async (tx, source) => {
        if (!(await signatureMatches(push.header, push.rawBody, source.secrets))) throw badSignature();
        const mapping = source.row.mapping as SourceMapping;
        const items = parseJsonTransactions(new TextDecoder().decode(push.rawBody), amountPath(mapping), {
          single: true,
          max: MAX_PUSH_ITEMS,
          tooMany: `A push holds at most ${MAX_PUSH_ITEMS} transactions; use POST /api/transactions for files.`,
        });
        const target = {
          orgId: source.row.orgId,
          sourceId: source.row.id,
          allowance: source.allowance,
          recorded: source.recorded,
        };
        return storeAndDecide(env, tx, target, items, mapping, reservation);
      },
    );
  } catch (error) {
    // Nothing was stored (the transaction rolled back): the reservation goes back whole.
    await reservation.meter?.release(reservation.reserved).catch(() => undefined);
    throw error;
  }
  // An unknown or inactive source answers exactly like a wrong signature: its existence does not leak.
  if (!decided) throw badSignature();
  const { results, accepted, refusedForPlan, detected, orgId, cases } = decided;
  await reservation.meter?.release(reservation.reserved - accepted);
  if (accepted === 0 && refusedForPlan > 0) throw planLimitReached(reservation.meter!);
  attachViolations(results, detected);
  const created = detected.filter(
    (violation): violation is DetectedViolation & { id: string } =>
      violation.isNew && violation.id !== null && !violation.suppressed,
  );
  await settleCases(env, orgId, { ...cases, live: [...created.map(violationCreated), ...cases.live] });
  return results;
}

function badSignature(): ApiError {
  return new ApiError('unauthorized', "The signature does not match this source's signing secret.");
}

type Pending = { index: number; transaction: CanonicalTransaction };

/** What the organization's allowance holds for this push, given back for what was not stored. */
type Reservation = { meter: UsageMeter | undefined; reserved: number };

type Decided = {
  results: PushResult[];
  accepted: number;
  refusedForPlan: number;
  detected: DetectedViolation[];
  /** What the new violations' cases leave to do after the commit. */
  cases: CaseFollowUp;
  orgId: string;
};

/**
 * Stores the new transactions and evaluates them against every approved rule, in the caller's
 * tenant transaction (a transaction is never stored unevaluated). The reservation against the plan
 * is made here, between the source lookup and the insert; the caller gives back what was not stored.
 */
async function storeAndDecide(
  env: Env,
  tx: Tx,
  target: { orgId: string; sourceId: string; allowance: PlanAllowance; recorded: RecordedUsage },
  items: unknown[],
  mapping: SourceMapping,
  reservation: Reservation,
): Promise<Decided> {
  const validate = recordValidator(mapping);
  const results: PushResult[] = [];
  const pending: Pending[] = [];
  items.forEach((item, index) => {
    const validated = validate(item);
    if (validated.ok) {
      results.push({ id: validated.transaction.id, status: 'accepted', violations: [] });
      pending.push({ index, transaction: validated.transaction });
    } else results.push({ id: validated.id ?? null, status: 'rejected', errors: validated.errors, violations: [] });
  });
  const { orgId } = target;
  if (pending.length === 0)
    return { results, accepted: 0, refusedForPlan: 0, detected: [], orgId, cases: NO_FOLLOW_UP };

  // Duplicates found by the insert give their share back (the caller releases what was not stored).
  const fresh = firstOccurrences(pending);
  // The hub is given the month's count read with the source: on its first use this month it need
  // not read Postgres, which on the embedded PGlite would wait for this very transaction.
  const meter = usageMeter(env, orgId, target.allowance, target.recorded);
  reservation.meter = meter;
  reservation.reserved = await meter.reserve(fresh.length);
  await meter.noteNearLimit(tx);
  const allowed = new Set(fresh.slice(0, reservation.reserved));
  // The rule versions and the anomaly model are read beside the insert, sharing its round trip.
  const [versions, model, stored] = await Promise.all([
    loadActiveRuleVersions(tx),
    loadScoringModel(tx),
    insertTransactions(
      tx,
      orgId,
      target.sourceId,
      [...allowed].map((p) => p.transaction),
    ),
  ]);
  // Past the plan's limit, a transaction that is already stored is still a duplicate, not a rejection.
  const alreadyStored = await existingExternalIds(
    tx,
    fresh.slice(reservation.reserved).map((p) => p.transaction.id),
  );
  const settled = settle(pending, results, { allowed, stored, alreadyStored }, planLimitRowError(meter));
  const ids = settled.accepted.map((id) => stored.get(id)!);
  // Scored before the rules run: `anomaly_score` predicates and the risk blend read the score.
  if (model && ids.length > 0) await scoreTransactions(tx, orgId, model, idsFilter(ids));
  const detected =
    ids.length === 0
      ? []
      : await detectViolations(tx, orgId, { kind: 'transactions', ids }, { ruleVersions: versions, persist: true });
  const cases = await takeNewViolations(env, tx, orgId, [detected]);
  return { results, accepted: ids.length, refusedForPlan: settled.refusedForPlan, detected, orgId, cases };
}

/**
 * Each pushed transaction's status: stored now (accepted), stored before or earlier in this push
 * (duplicate), or past the plan's limit (rejected). Returns the external ids accepted and how
 * many transactions the plan's limit refused.
 */
function settle(
  pending: Pending[],
  results: PushResult[],
  outcome: { allowed: Set<Pending>; stored: Map<string, number>; alreadyStored: Set<string> },
  limitError: FieldError,
): { accepted: string[]; refusedForPlan: number } {
  const firstStatus = new Map<string, PushResult['status']>();
  for (const entry of pending) {
    const id = entry.transaction.id;
    const earlier = firstStatus.get(id);
    const status =
      earlier !== undefined
        ? earlier === 'rejected'
          ? 'rejected'
          : 'duplicate'
        : outcome.allowed.has(entry)
          ? outcome.stored.has(id)
            ? 'accepted'
            : 'duplicate'
          : outcome.alreadyStored.has(id)
            ? 'duplicate'
            : 'rejected';
    if (earlier === undefined) firstStatus.set(id, status);
    const result = results[entry.index]!;
    result.status = status;
    if (status === 'rejected') result.errors = [limitError];
  }
  const statuses = [...firstStatus];
  return {
    accepted: statuses.filter(([, status]) => status === 'accepted').map(([id]) => id),
    refusedForPlan: statuses.filter(([, status]) => status === 'rejected').length,
  };
}

/** A repeated id inside one push: the first occurrence is the transaction, later ones are duplicates. */
function firstOccurrences(entries: Pending[]): Pending[] {
  const seen = new Set<string>();
  return entries.filter((entry) => !seen.has(entry.transaction.id) && seen.add(entry.transaction.id));
}

function attachViolations(results: PushResult[], detected: DetectedViolation[]): void {
  const byExternalId = new Map(results.filter((r) => r.status === 'accepted').map((r) => [r.id, r]));
  for (const violation of detected) {
    byExternalId.get(violation.externalId)?.violations.push({
      rule_id: violation.ruleId,
      rule_name: violation.ruleName,
      rule_version: violation.ruleVersion,
      severity: violation.severity,
      explanation: violation.explanation,
    });
  }
}
