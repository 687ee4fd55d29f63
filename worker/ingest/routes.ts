import { z } from '@hono/zod-openapi';
import type { Database } from '../../db/client';
import { withTenant } from '../../db/tenant';
import type { Env } from '../env';
import { announce, violationCreated } from '../live/announce';
import { ApiError, type FieldError } from '../platform/errors';
import { createRouter, defineRoute } from '../platform/openapi';
import { fieldErrors, jsonResponse, problemOf, problemResponses } from '../platform/responses';
import { detectViolations, loadActiveRuleVersions, type DetectedViolation } from '../rules/engine';
import { amountPath, type SourceMapping } from '../sources/mapping';
import { sourceForPush } from '../sources/service';
import type { CanonicalTransaction } from '../transactions/canonical';
import { parseExactJson } from '../transactions/exact-json';
import { recordValidator } from '../transactions/intake';
import { planLimitReached, planLimitRowError, usageMeter, type PlanAllowance } from '../transactions/metering';
import { existingExternalIds, insertTransactions } from '../transactions/store';
import { parseSignatureHeader, SIGNATURE_HEADER, signatureMatches } from './signature';

export const ingestRoutes = createRouter();

const MAX_PUSH_ITEMS = 1000;

const violationSummary = z.object({ rule_id: z.uuid(), rule_version: z.number().int(), severity: z.string(), explanation: z.string() });
const pushResult = z.object({
  id: z.string().nullable(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  errors: fieldErrors.optional(),
  violations: z.array(violationSummary),
});
const pushView = z.object({ results: z.array(pushResult) }).openapi('PushResults');
type PushResult = z.infer<typeof pushResult>;

const push = defineRoute({ public: true, reason: 'ERP webhook: authenticated by the HMAC signature of the source secret' }, {
  method: 'post', path: '/{source_id}', tags: ['ingest'],
  summary: 'Push one transaction or an array of at most 1,000, signed; each is evaluated at once',
  description: `Header \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>\`, within 300 s of the server clock.`,
  request: { params: z.object({ source_id: z.uuid() }) },
  responses: {
    200: jsonResponse(pushView, 'What happened to each transaction, with the violations it raised'),
    ...problemResponses,
    402: problemOf('Plan limit reached: no new transaction could be stored'),
    413: problemOf('More than 1,000 transactions'),
  },
});
ingestRoutes.openapi(push, async (c) => {
  const header = parseSignatureHeader(c.req.header(SIGNATURE_HEADER), Math.floor(Date.now() / 1000));
  const rawBody = new Uint8Array(await c.req.arrayBuffer());
  const source = await sourceForPush(c.var.database(), c.env.SOURCE_SECRET_KEY, c.req.valid('param').source_id);
  // An unknown or inactive source answers exactly like a wrong signature: its existence does not leak.
  if (!source || !(await signatureMatches(header, rawBody, source.secrets))) {
    throw new ApiError('unauthorized', 'The signature does not match this source\'s signing secret.');
  }
  const mapping = source.row.mapping as SourceMapping;
  const items = parsePushBody(new TextDecoder().decode(rawBody), amountPath(mapping));
  const target = { orgId: source.row.orgId, sourceId: source.row.id, allowance: source.allowance };
  const results = await ingestPush(c.env, c.var.database(), target, items, mapping);
  return c.json({ results }, 200);
});

function parsePushBody(text: string, amountPathInRecords: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = parseExactJson(text, amountPathInRecords);
  } catch (error) {
    throw new ApiError('bad_request', `The body is not valid JSON: ${(error as Error).message}`);
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length > MAX_PUSH_ITEMS) {
    throw new ApiError('payload_too_large', `A push holds at most ${MAX_PUSH_ITEMS} transactions; use POST /api/transactions for files.`);
  }
  return items;
}

type Pending = { index: number; transaction: CanonicalTransaction };

/**
 * Stores the new transactions and evaluates them against every approved rule in the same tenant
 * transaction (a transaction is never stored unevaluated), then announces new violations.
 */
async function ingestPush(env: Env, db: Database, target: { orgId: string; sourceId: string; allowance: PlanAllowance }, items: unknown[], mapping: SourceMapping): Promise<PushResult[]> {
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
  if (pending.length === 0) return results;

  const { orgId } = target;
  // Reserved before the insert and outside any database transaction: on a month's first use the
  // hub reads (and may write) Postgres itself, and the embedded PGlite serves one session at a
  // time, so a transaction held open across this call would wait on it until the hub times out.
  // Duplicates found by the insert give their share back.
  const fresh = firstOccurrences(pending);
  const meter = usageMeter(env, orgId, target.allowance);
  const reserved = await meter.reserve(fresh.length);
  const allowed = new Set(fresh.slice(0, reserved));
  let outcome: { accepted: number; refusedForPlan: number; detected: DetectedViolation[] };
  try {
    outcome = await withTenant(db, orgId, async (tx) => {
      // The rule versions are read beside the insert: sent first, the statement without parameters
      // shares the insert's round trip.
      const [versions, stored] = await Promise.all([
        loadActiveRuleVersions(tx),
        insertTransactions(tx, orgId, target.sourceId, [...allowed].map((p) => p.transaction)),
      ]);
      // Past the plan's limit, a transaction that is already stored is still a duplicate, not a rejection.
      const alreadyStored = await existingExternalIds(tx, fresh.slice(reserved).map((p) => p.transaction.id));
      const settled = settle(pending, results, { allowed, stored, alreadyStored }, planLimitRowError(meter));
      const ids = settled.accepted.map((id) => stored.get(id)!);
      const detected = ids.length === 0 ? [] : await detectViolations(tx, orgId, { kind: 'transactions', ids }, { ruleVersions: versions, persist: true });
      return { accepted: ids.length, refusedForPlan: settled.refusedForPlan, detected };
    });
  } catch (error) {
    await meter.release(reserved).catch(() => undefined);
    throw error;
  }
  await meter.release(reserved - outcome.accepted);
  if (outcome.accepted === 0 && outcome.refusedForPlan > 0) throw planLimitReached(meter);
  attachViolations(results, outcome.detected);
  const created = outcome.detected.filter((violation): violation is DetectedViolation & { id: string } => violation.isNew && violation.id !== null);
  await announce(env, orgId, created.map(violationCreated));
  return results;
}

/**
 * Each pushed transaction's status: stored now (accepted), stored before or earlier in this push
 * (duplicate), or past the plan's limit (rejected). Returns the external ids accepted and how
 * many transactions the plan's limit refused.
 */
function settle(pending: Pending[], results: PushResult[], outcome: { allowed: Set<Pending>; stored: Map<string, number>; alreadyStored: Set<string> }, limitError: FieldError): { accepted: string[]; refusedForPlan: number } {
  const firstStatus = new Map<string, PushResult['status']>();
  for (const entry of pending) {
    const id = entry.transaction.id;
    const earlier = firstStatus.get(id);
    const status = earlier !== undefined ? (earlier === 'rejected' ? 'rejected' : 'duplicate')
      : outcome.allowed.has(entry) ? (outcome.stored.has(id) ? 'accepted' : 'duplicate')
      : outcome.alreadyStored.has(id) ? 'duplicate' : 'rejected';
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
      rule_id: violation.ruleId, rule_version: violation.ruleVersion, severity: violation.severity, explanation: violation.explanation,
    });
  }
}
