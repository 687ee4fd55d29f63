import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, lt, or, sql } from 'drizzle-orm';
import { transactions, violationEvents, violations } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { type AuditOrigin, recordAudit } from '../platform/audit';
import { notFound } from '../platform/errors';
import { decodeCursor, toPage } from '../platform/pagination';
import type { Severity } from '../rules/language';
import type { VIOLATION_STATUSES } from './schemas';

type ViolationStatus = (typeof VIOLATION_STATUSES)[number];

type ViolationFilters = {
  limit: number;
  cursor?: string;
  rule_id?: string;
  status?: ViolationStatus;
  severity?: Severity;
  scan_id?: string;
  transaction_id?: string;
};

const selection = {
  violation: violations,
  externalId: transactions.externalId,
  sortAt: sql<string>`${violations.detectedAt}::text`,
};
type SelectedRow = { violation: typeof violations.$inferSelect; externalId: string };

const violationCursor = z.tuple([z.string(), z.uuid()]);

export async function listViolations(tx: Tx, filters: ViolationFilters) {
  const after = decodeCursor(filters.cursor, violationCursor);
  const rows = await tx
    .select(selection)
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .where(
      and(
        filters.rule_id ? eq(violations.ruleId, filters.rule_id) : undefined,
        filters.status ? eq(violations.status, filters.status) : undefined,
        filters.severity ? eq(violations.severity, filters.severity) : undefined,
        filters.scan_id ? eq(violations.scanId, filters.scan_id) : undefined,
        filters.transaction_id ? eq(transactions.externalId, filters.transaction_id) : undefined,
        after
          ? or(
              lt(violations.detectedAt, sql`${after[0]}::timestamptz`),
              and(eq(violations.detectedAt, sql`${after[0]}::timestamptz`), lt(violations.id, after[1])),
            )
          : undefined,
      ),
    )
    .orderBy(desc(violations.detectedAt), desc(violations.id))
    .limit(filters.limit + 1);
  return toPage(rows, filters.limit, violationView, (r) => [r.sortAt, r.violation.id]);
}

export async function getViolation(tx: Tx, id: string) {
  const [row] = await tx
    .select(selection)
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .where(eq(violations.id, id));
  if (!row) throw notFound('Violation');
  const history = await tx
    .select()
    .from(violationEvents)
    .where(eq(violationEvents.violationId, id))
    .orderBy(asc(violationEvents.createdAt), asc(violationEvents.id));
  return {
    ...violationView(row),
    history: history.map((event) => ({
      from_status: event.fromStatus as ViolationStatus,
      to_status: event.toStatus as ViolationStatus,
      comment: event.comment,
      actor_id: event.actorId,
      created_at: event.createdAt.toISOString(),
    })),
  };
}

/** Moves a violation to `status`, keeping the change and its comment in the violation's history. */
export async function changeViolationStatus(
  tx: Tx,
  origin: AuditOrigin,
  orgId: string,
  actorId: string,
  id: string,
  change: { status: ViolationStatus; comment?: string },
) {
  const [current] = await tx
    .select({ status: violations.status })
    .from(violations)
    .where(eq(violations.id, id))
    .for('update');
  if (!current) throw notFound('Violation');
  await tx.update(violations).set({ status: change.status, updatedAt: sql`now()` }).where(eq(violations.id, id));
  await tx.insert(violationEvents).values({
    orgId,
    violationId: id,
    fromStatus: current.status,
    toStatus: change.status,
    comment: change.comment ?? null,
    actorId,
  });
  await recordAudit(tx, origin, {
    orgId,
    actorId,
    action: 'violation.status_changed',
    targetType: 'violation',
    targetId: id,
    details: { from: current.status, to: change.status, comment: change.comment ?? null },
  });
  return getViolation(tx, id);
}

function violationView(row: SelectedRow) {
  const v = row.violation;
  return {
    id: v.id,
    rule_id: v.ruleId,
    rule_version: v.ruleVersion,
    transaction_id: row.externalId,
    severity: v.severity as Severity,
    risk_score: Number(v.riskScore),
    explanation: v.explanation,
    evidence: v.evidence as Record<string, unknown>,
    status: v.status as ViolationStatus,
    detected_at: v.detectedAt.toISOString(),
    policy_id: v.policyId,
    clause_ref: v.clauseRef,
    scan_id: v.scanId,
  };
}
