import { z } from '@hono/zod-openapi';
import { and, asc, eq, gte, inArray, lte, type SQL, sql } from 'drizzle-orm';
import { ruleVersions, transactions, users, violationEvents, violations } from '../../db/schema';
import { type Tx, uuidArray } from '../../db/tenant';
import { CHANGED_STATUS, statusCounters } from '../overview/counters';
import { type Actor, recordAudit } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { pastKey } from '../platform/keyset';
import { decodeCursor, toPage } from '../platform/pagination';
import { SEVERITIES, type Severity } from '../rules/language';
import type { ViolationFilters, ViolationStatus } from './schemas';
import { planSearch, searchCondition } from './search';

type SortColumn = { expr: SQL; type: 'int' | 'numeric' | 'timestamptz' | 'text' };

const bySeverity: SortColumn = { expr: sql`${violations.severityRank}`, type: 'int' };
const byRisk: SortColumn = { expr: sql`${violations.riskScore}`, type: 'numeric' };
const byDetected: SortColumn = { expr: sql`${violations.detectedAt}`, type: 'timestamptz' };

/** Each sort's columns, most significant first; the violation id breaks the last tie. */
const SORT_COLUMNS: Record<ViolationFilters['sort'], SortColumn[]> = {
  priority: [bySeverity, byRisk, byDetected],
  severity: [bySeverity, byRisk, byDetected],
  risk_score: [byRisk, byDetected],
  detected_at: [byDetected],
  transaction_id: [{ expr: sql`${transactions.externalId}`, type: 'text' }, byDetected],
  rule: [{ expr: sql`${ruleVersions.name}`, type: 'text' }, byDetected],
  status: [{ expr: sql`${violations.status}`, type: 'text' }, byDetected],
};

const selection = {
  violation: violations,
  externalId: transactions.externalId,
  account: transactions.account,
  counterparty: transactions.counterparty,
  ruleName: ruleVersions.name,
};
type SelectedRow = {
  violation: typeof violations.$inferSelect;
  externalId: string;
  account: string;
  counterparty: string | null;
  ruleName: string;
};

/** The cursor is `[sort, order, ...the last row's sort values, its id]`: a cursor of another sort is refused. */
const violationCursor = z.array(z.string()).min(4).max(6);

/** The filters' conditions; `search` is `q`'s (search.ts), decided before the list is read. */
function filterConditions(filters: Omit<ViolationFilters, 'sort' | 'order'>, search: SQL | undefined) {
  return [
    filters.rule_id ? eq(violations.ruleId, filters.rule_id) : undefined,
    filters.status ? eq(violations.status, filters.status) : undefined,
    // By rank, which leads the priority index (the severity's own index would then be redundant).
    filters.severity ? eq(violations.severityRank, SEVERITIES.indexOf(filters.severity) + 1) : undefined,
    filters.scan_id ? eq(violations.scanId, filters.scan_id) : undefined,
    filters.transaction_id ? eq(transactions.externalId, filters.transaction_id) : undefined,
    search,
    filters.from ? gte(violations.detectedAt, new Date(filters.from)) : undefined,
    filters.to ? lte(violations.detectedAt, new Date(filters.to)) : undefined,
  ];
}

/** `q`'s condition, decided first (search.ts); the list's statement then carries it like any filter. */
async function searchOf(tx: Tx, filters: ViolationFilters): Promise<SQL | undefined> {
  return filters.q ? searchCondition(filters.q, await planSearch(tx, filters.q)) : undefined;
}

function violationQuery(tx: Tx, filters: ViolationFilters, search: SQL | undefined, after: SQL | undefined) {
  const columns = SORT_COLUMNS[filters.sort];
  const direction = filters.order === 'asc' ? sql`asc` : sql`desc`;
  // JSON text, parsed here: the values keep Postgres's own text form (timestamps to the microsecond).
  const sortValues = sql<string>`json_build_array(${sql.join(
    columns.map((column) => sql`(${column.expr})::text`),
    sql`, `,
  )})::text`;
  return tx
    .select({ ...selection, sortValues })
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .innerJoin(ruleVersions, eq(ruleVersions.id, violations.ruleVersionId))
    .where(and(...filterConditions(filters, search), after))
    .orderBy(...columns.map((column) => sql`${column.expr} ${direction}`), sql`${violations.id} ${direction}`);
}

/** Rows after the cursor's row in the sort's order: one row comparison over the sort columns and the id. */
function afterCursor(filters: ViolationFilters, cursor: string | undefined): SQL | undefined {
  const key = decodeCursor(cursor, violationCursor);
  if (!key) return undefined;
  const columns = SORT_COLUMNS[filters.sort];
  const [sort, order, ...rest] = key;
  const values = rest.slice(0, -1);
  const id = rest[rest.length - 1]!;
  if (
    sort !== filters.sort ||
    order !== filters.order ||
    values.length !== columns.length ||
    !z.uuid().safeParse(id).success
  ) {
    throw new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'cursor', message: 'The cursor belongs to another sort order.' }],
    });
  }
  return pastKey(
    filters.order,
    [...columns.map((column) => column.expr), violations.id],
    [...columns.map((column, i) => sql`${values[i]}::${sql.raw(column.type)}`), sql`${id}::uuid`],
  );
}

export async function listViolations(tx: Tx, filters: ViolationFilters & { limit: number; cursor?: string }) {
  const after = afterCursor(filters, filters.cursor);
  const rows = await violationQuery(tx, filters, await searchOf(tx, filters), after).limit(filters.limit + 1);
  return toPage(rows, filters.limit, violationView, (r) => [
    filters.sort,
    filters.order,
    ...(JSON.parse(r.sortValues) as string[]),
    r.violation.id,
  ]);
}

export const EXPORT_LIMIT = 10_000;

/** Every violation the filters match, in the list's order, up to `EXPORT_LIMIT` (one more says there are more). */
export async function violationsForExport(tx: Tx, filters: ViolationFilters) {
  const rows = await violationQuery(tx, filters, await searchOf(tx, filters), undefined).limit(EXPORT_LIMIT + 1);
  return { items: rows.slice(0, EXPORT_LIMIT).map(violationView), truncated: rows.length > EXPORT_LIMIT };
}

export const EXPORT_HEADER = [
  'id',
  'detected_at',
  'severity',
  'risk_score',
  'status',
  'rule_id',
  'rule_name',
  'rule_version',
  'clause_ref',
  'transaction_id',
  'account',
  'counterparty',
  'explanation',
] as const;

/** What a CSV row of a violation holds: the list's quick export and the report's streamed export alike. */
export type ViolationExportItem = Pick<ReturnType<typeof violationView>, (typeof EXPORT_HEADER)[number]>;

export function exportRow(v: ViolationExportItem): (string | number | null)[] {
  return [
    v.id,
    v.detected_at,
    v.severity,
    v.risk_score,
    v.status,
    v.rule_id,
    v.rule_name,
    v.rule_version,
    v.clause_ref,
    v.transaction_id,
    v.account,
    v.counterparty,
    v.explanation,
  ];
}

export async function getViolation(tx: Tx, id: string) {
  const [row] = await tx
    .select(selection)
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .innerJoin(ruleVersions, eq(ruleVersions.id, violations.ruleVersionId))
    .where(eq(violations.id, id));
  if (!row) throw notFound('Violation');
  const history = await tx
    .select({ event: violationEvents, actorName: users.fullName })
    .from(violationEvents)
    .leftJoin(users, eq(users.id, violationEvents.actorId))
    .where(eq(violationEvents.violationId, id))
    .orderBy(asc(violationEvents.createdAt), asc(violationEvents.id));
  return {
    ...violationView(row),
    history: history.map(({ event, actorName }) => ({
      from_status: event.fromStatus as ViolationStatus,
      to_status: event.toStatus as ViolationStatus,
      comment: event.comment,
      actor_id: event.actorId,
      actor_name: actorName,
      created_at: event.createdAt.toISOString(),
    })),
  };
}

type StatusChange = { status: ViolationStatus; comment?: string };

/**
 * Moves the violations to `status`, keeping each change and its comment in the violation's
 * history and the audit trail. Every id must exist (else 404 and nothing changes); those already
 * at `status` are left alone when `skipUnchanged` (a bulk change).
 */
async function applyStatusChange(
  tx: Tx,
  actor: Actor,
  ids: string[],
  change: StatusChange,
  skipUnchanged: boolean,
): Promise<number> {
  const { orgId, userId: actorId } = actor;
  const current = await tx
    .select({ id: violations.id, status: violations.status })
    .from(violations)
    .where(inArray(violations.id, ids))
    .orderBy(asc(violations.id))
    .for('update');
  if (current.length !== new Set(ids).size) throw notFound('Violation');
  const changing = skipUnchanged ? current.filter((v) => v.status !== change.status) : current;
  if (changing.length === 0) return 0;
  // The statuses they leave were read under the rows' lock above; the overview's counters move
  // in the same statement (worker/overview/counters.ts).
  await tx.execute(sql`
    with changed as (
      update violations v set status = ${change.status}, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(changing.map((v) => ({ id: v.id, status: v.status })))}::jsonb)
        as old(id uuid, status text)
      where v.id = old.id and v.id = any(${uuidArray(changing.map((v) => v.id))})
      returning ${CHANGED_STATUS})
    ${statusCounters()}
    select count(*)::int as changed from changed`);
  await tx.insert(violationEvents).values(
    changing.map((v) => ({
      orgId,
      violationId: v.id,
      fromStatus: v.status,
      toStatus: change.status,
      comment: change.comment ?? null,
      actorId,
    })),
  );
  for (const v of changing) {
    await recordAudit(tx, actor.origin, {
      orgId,
      actorId,
      action: 'violation.status_changed',
      targetType: 'violation',
      targetId: v.id,
      details: {
        from: v.status,
        to: change.status,
        comment: change.comment ?? null,
        ...(skipUnchanged ? { bulk: true } : {}),
      },
    });
  }
  return changing.length;
}

/** Moves a violation to `status`, keeping the change and its comment in the violation's history. */
export async function changeViolationStatus(tx: Tx, actor: Actor, id: string, change: StatusChange) {
  await applyStatusChange(tx, actor, [id], change, false);
  return getViolation(tx, id);
}

/** One status for many violations at once (the review queue's multi-select), each change audited. */
export async function changeViolationStatuses(tx: Tx, actor: Actor, change: StatusChange & { ids: string[] }) {
  const ids = [...new Set(change.ids)];
  const updated = await applyStatusChange(tx, actor, ids, change, true);
  return { updated, unchanged: ids.length - updated };
}

function violationView(row: SelectedRow) {
  const v = row.violation;
  return {
    id: v.id,
    rule_id: v.ruleId,
    rule_version: v.ruleVersion,
    rule_name: row.ruleName,
    transaction_id: row.externalId,
    account: row.account,
    counterparty: row.counterparty,
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
