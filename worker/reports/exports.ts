import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/tenant';
import { AUDIT_EXPORT_HEADER, auditExportPage, auditExportRow } from '../audit/service';
import type { CsvCell } from '../platform/csv';
import { pastKey } from '../platform/keyset';
import type { Severity } from '../rules/language';
import type { ViolationStatus } from '../violations/schemas';
import { EXPORT_HEADER as VIOLATION_HEADER, exportRow as violationRow } from '../violations/service';
import type { CsvReportType } from './kinds';

/** The period a report covers: both ends included. */
export type Period = { from: Date; to: Date };

/** Where a page ends: the next page starts after it (keyset paging, so page N costs what page 1 does). */
type PageKey = readonly (string | number)[];

/**
 * One CSV export: its header, how many rows the period holds (for progress) and one page of rows
 * after a key. Each page is read in a short transaction of its own, so an export of a million
 * rows is never held in memory nor in one long transaction.
 */
export type CsvExport = {
  header: readonly string[];
  count: (tx: Tx, period: Period) => Promise<number>;
  page: (
    tx: Tx,
    period: Period,
    after: PageKey | null,
    limit: number,
  ) => Promise<{ rows: CsvCell[][]; last: PageKey | null }>;
};

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

async function countOf(tx: Tx, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await tx.execute<{ n: number }>(query);
  return Number(row?.n ?? 0);
}

type ViolationRow = {
  id: string;
  detected_at: string;
  key_at: string;
  severity: string;
  risk_score: string;
  status: string;
  rule_id: string;
  rule_name: string;
  rule_version: number;
  clause_ref: string | null;
  transaction_id: string;
  account: string;
  counterparty: string | null;
  explanation: string;
};

/** The same columns as the violations list's quick export (`GET /api/violations/export`), in detection order. */
const violationsExport: CsvExport = {
  header: VIOLATION_HEADER,
  count: (tx, { from, to }) =>
    countOf(
      tx,
      sql`select count(*)::int as n from violations where detected_at >= ${from.toISOString()}::timestamptz and detected_at <= ${to.toISOString()}::timestamptz`,
    ),
  async page(tx, { from, to }, after, limit) {
    // The key keeps Postgres's own text of detected_at: a JavaScript Date would drop its microseconds.
    // The page of violations first, by the (org_id, detected_at, id) index; then its names. Joined in one
    // query, the planner (blind to how many rows row-level security leaves) scanned a rule's every violation.
    const rows = await tx.execute<ViolationRow>(sql`
      with page as materialized (
        select * from violations v
        where v.org_id = app_current_org()
          and v.detected_at >= ${from.toISOString()}::timestamptz and v.detected_at <= ${to.toISOString()}::timestamptz
          ${after ? sql`and ${pastKey('asc', [sql`v.detected_at`, sql`v.id`], [sql`${after[0]}::timestamptz`, sql`${after[1]}::uuid`])}` : sql``}
        order by v.detected_at, v.id
        limit ${limit})
      select v.id, ${iso('v.detected_at')} as detected_at, v.detected_at::text as key_at, v.severity,
        v.risk_score::text as risk_score, v.status, v.rule_id, rv.name as rule_name, v.rule_version, v.clause_ref,
        t.external_id as transaction_id, t.account, t.counterparty, v.explanation
      from page v
      join transactions t on t.id = v.transaction_id
      join rule_versions rv on rv.id = v.rule_version_id
      order by v.detected_at, v.id`);
    const last = rows.at(-1);
    return {
      rows: rows.map((v) =>
        violationRow({
          ...v,
          severity: v.severity as Severity,
          status: v.status as ViolationStatus,
          risk_score: Number(v.risk_score),
        }),
      ),
      last: last ? [last.key_at, last.id] : null,
    };
  },
};

type CaseRow = {
  id: string;
  number: number;
  title: string;
  status: string;
  priority: string;
  account: string | null;
  assignee_name: string | null;
  violation_count: number;
  created_at: string;
  due_at: string;
  escalated: boolean;
  outcome: string | null;
  close_reason: string | null;
  closed_at: string | null;
};

const CASE_HEADER = [
  'number',
  'id',
  'title',
  'status',
  'priority',
  'account',
  'assignee',
  'violation_count',
  'created_at',
  'due_at',
  'escalated',
  'outcome',
  'close_reason',
  'closed_at',
] as const;

/** The cases opened in the period, by number. */
const casesExport: CsvExport = {
  header: CASE_HEADER,
  count: (tx, { from, to }) =>
    countOf(
      tx,
      sql`select count(*)::int as n from cases where created_at >= ${from.toISOString()}::timestamptz and created_at <= ${to.toISOString()}::timestamptz`,
    ),
  async page(tx, { from, to }, after, limit) {
    const rows = await tx.execute<CaseRow>(sql`
      select c.id, c.number, c.title, c.status, c.priority, c.account, u.full_name as assignee_name, c.violation_count,
        ${iso('c.created_at')} as created_at, ${iso('c.due_at')} as due_at, c.escalated, c.outcome, c.close_reason,
        ${iso('c.closed_at')} as closed_at
      from cases c left join users u on u.id = c.assignee_id
      where c.created_at >= ${from.toISOString()}::timestamptz and c.created_at <= ${to.toISOString()}::timestamptz
        and c.number > ${after ? Number(after[0]) : 0}
      order by c.number
      limit ${limit}`);
    const last = rows.at(-1);
    return {
      rows: rows.map((c) => [
        c.number,
        c.id,
        c.title,
        c.status,
        c.priority,
        c.account,
        c.assignee_name,
        c.violation_count,
        c.created_at,
        c.due_at,
        String(c.escalated),
        c.outcome,
        c.close_reason,
        c.closed_at,
      ]),
      last: last ? [last.number] : null,
    };
  },
};

type TransactionRow = {
  key_id: string;
  key_at: string;
  external_id: string;
  occurred_at: string;
  amount: string;
  currency: string;
  account: string;
  counterparty: string | null;
  type: string | null;
  country: string | null;
  counterparty_country: string | null;
  channel: string | null;
  attributes: string;
  ingested_at: string;
};

const TRANSACTION_HEADER = [
  'id',
  'occurred_at',
  'amount',
  'currency',
  'account',
  'counterparty',
  'type',
  'country',
  'counterparty_country',
  'channel',
  'attributes',
  'ingested_at',
] as const;

/** The transactions that occurred in the period, `id` as pushed, amounts as exact decimal text. */
const transactionsExport: CsvExport = {
  header: TRANSACTION_HEADER,
  count: (tx, { from, to }) =>
    countOf(
      tx,
      sql`select count(*)::int as n from transactions where occurred_at >= ${from.toISOString()}::timestamptz and occurred_at <= ${to.toISOString()}::timestamptz`,
    ),
  async page(tx, { from, to }, after, limit) {
    const rows = await tx.execute<TransactionRow>(sql`
      select t.id::text as key_id, t.occurred_at::text as key_at, t.external_id, ${iso('t.occurred_at')} as occurred_at,
        t.amount::text as amount, t.currency, t.account, t.counterparty, t.type, t.country, t.counterparty_country,
        t.channel, t.attributes::text as attributes, ${iso('t.ingested_at')} as ingested_at
      from transactions t
      where t.org_id = app_current_org() and t.occurred_at >= ${from.toISOString()}::timestamptz and t.occurred_at <= ${to.toISOString()}::timestamptz
        ${after ? sql`and ${pastKey('asc', [sql`t.occurred_at`, sql`t.id`], [sql`${after[0]}::timestamptz`, sql`${after[1]}::bigint`])}` : sql``}
      order by t.occurred_at, t.id
      limit ${limit}`);
    const last = rows.at(-1);
    return {
      rows: rows.map((t) => [
        t.external_id,
        t.occurred_at,
        t.amount,
        t.currency,
        t.account,
        t.counterparty,
        t.type,
        t.country,
        t.counterparty_country,
        t.channel,
        t.attributes,
        t.ingested_at,
      ]),
      last: last ? [last.key_at, last.key_id] : null,
    };
  },
};

/** The same columns as the audit trail's quick export (`GET /api/audit/export`), in chain order. */
const auditExport: CsvExport = {
  header: AUDIT_EXPORT_HEADER,
  count: (tx, { from, to }) =>
    countOf(
      tx,
      sql`select count(*)::int as n from audit_log where created_at >= ${from.toISOString()}::timestamptz and created_at <= ${to.toISOString()}::timestamptz`,
    ),
  async page(tx, { from, to }, after, limit) {
    const entries = await auditExportPage(tx, from, to, after ? Number(after[0]) : 0, limit);
    const last = entries.at(-1);
    return { rows: entries.map(auditExportRow), last: last ? [last.seq] : null };
  },
};

export const CSV_EXPORTS: Record<CsvReportType, CsvExport> = {
  violations: violationsExport,
  cases: casesExport,
  transactions: transactionsExport,
  audit: auditExport,
};
