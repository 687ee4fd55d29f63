import { z } from '@hono/zod-openapi';
import { and, asc, desc, eq, getTableColumns, inArray, lt, ne, or, type SQL, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import {
  caseEvents,
  caseSearchKeys,
  caseSettings,
  cases,
  ruleVersions,
  transactions,
  users,
  violations,
} from '../../db/schema';
import { type Tx, uuidArray, uuidLiteral } from '../../db/tenant';
import { likePattern, utcText } from '../../db/text';
import type { LiveEvent } from '../../durable-objects/org-hub';
import { type ProductEvent, severityRank } from '../alerts/events';
import { CHANGED_STATUS, statusCounters } from '../overview/counters';
import { type Actor, recordAudit, recordAudits, systemActor } from '../platform/audit';
import { ApiError, notFound } from '../platform/errors';
import { pastKey } from '../platform/keyset';
import { decodeCursor, toPage } from '../platform/pagination';
import { type Role, roleHas } from '../platform/permissions';
import type { Severity } from '../rules/language';
import {
  type CaseEventType,
  type CaseOutcome,
  type CaseStatus,
  DUE_SOON_SHARE,
  OUTCOME_VIOLATION_STATUS,
  type SlaState,
} from './kinds';

export type CaseSettings = {
  auto_create_min_severity: Severity | null;
  group_by: 'account' | 'none';
  auto_assign: boolean;
  sla_minutes: Record<Severity, number>;
};

export const DEFAULT_CASE_SETTINGS: CaseSettings = {
  auto_create_min_severity: 'high',
  group_by: 'account',
  auto_assign: false,
  sla_minutes: { critical: 1440, high: 4320, medium: 10080, low: 20160 },
};

type SettingsRow = typeof caseSettings.$inferSelect;
type CaseRow = typeof cases.$inferSelect;
type CaseWithAssignee = { case: CaseRow; assigneeName: string | null };

/** What a change leaves to do once its transaction has committed: the socket and the deadline alarm. */
export type CaseFollowUp = { live: LiveEvent[]; earliestDue: number | null };

export const NO_FOLLOW_UP: CaseFollowUp = { live: [], earliestDue: null };

export function mergeFollowUps(followUps: CaseFollowUp[]): CaseFollowUp {
  const dues = followUps.map((f) => f.earliestDue).filter((d): d is number => d !== null);
  return { live: followUps.flatMap((f) => f.live), earliestDue: dues.length > 0 ? Math.min(...dues) : null };
}

// ---------------------------------------------------------------------------------------------
// Settings

function settingsOf(row: SettingsRow | undefined): CaseSettings {
  if (!row) return DEFAULT_CASE_SETTINGS;
  return {
    auto_create_min_severity: row.autoCreateMinSeverity as Severity | null,
    group_by: row.groupBy as 'account' | 'none',
    auto_assign: row.autoAssign,
    sla_minutes: {
      critical: row.slaCriticalMinutes,
      high: row.slaHighMinutes,
      medium: row.slaMediumMinutes,
      low: row.slaLowMinutes,
    },
  };
}

export async function loadCaseSettings(tx: Tx): Promise<CaseSettings> {
  const [row] = await tx.select().from(caseSettings).limit(1);
  return settingsOf(row);
}

type SettingsChange = Partial<Omit<CaseSettings, 'sla_minutes'>> & { sla_minutes?: Partial<Record<Severity, number>> };

export async function updateCaseSettings(tx: Tx, actor: Actor, change: SettingsChange): Promise<CaseSettings> {
  const current = await loadCaseSettings(tx);
  const next: CaseSettings = {
    auto_create_min_severity:
      change.auto_create_min_severity === undefined
        ? current.auto_create_min_severity
        : change.auto_create_min_severity,
    group_by: change.group_by ?? current.group_by,
    auto_assign: change.auto_assign ?? current.auto_assign,
    sla_minutes: { ...current.sla_minutes, ...change.sla_minutes },
  };
  const values = {
    autoCreateMinSeverity: next.auto_create_min_severity,
    groupBy: next.group_by,
    autoAssign: next.auto_assign,
    slaCriticalMinutes: next.sla_minutes.critical,
    slaHighMinutes: next.sla_minutes.high,
    slaMediumMinutes: next.sla_minutes.medium,
    slaLowMinutes: next.sla_minutes.low,
    updatedAt: sql`now()`,
  };
  await tx
    .insert(caseSettings)
    .values({ orgId: actor.orgId, ...values })
    .onConflictDoUpdate({ target: caseSettings.orgId, set: values });
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'case.settings_updated',
    targetType: 'case_settings',
    targetId: actor.orgId,
    details: { from: current, to: next },
  });
  return next;
}

/** Reserves `count` case numbers; returns the first. Cases count from 1 per organization. */
async function reserveNumbers(tx: Tx, orgId: string, count: number): Promise<number> {
  const [row] = await tx.execute<{ first: number }>(sql`
    insert into case_settings (org_id, next_number) values (${uuidLiteral(orgId)}, ${sql.raw(String(count + 1))})
    on conflict (org_id) do update set next_number = case_settings.next_number + ${sql.raw(String(count))}
    returning next_number - ${sql.raw(String(count))} as first`);
  return Number(row!.first);
}

// ---------------------------------------------------------------------------------------------
// Views

export function slaOf(row: CaseRow, now: number): { state: SlaState; remaining_seconds: number } {
  const due = row.dueAt.getTime();
  const seconds = (ms: number) => Math.trunc(ms / 1000);
  if (row.status === 'closed') {
    const closedAt = row.closedAt?.getTime() ?? now;
    return { state: closedAt > due ? 'breached' : 'on_track', remaining_seconds: seconds(due - closedAt) };
  }
  if (row.pausedAt) return { state: 'paused', remaining_seconds: seconds(due - row.pausedAt.getTime()) };
  const remaining = due - now;
  if (remaining <= 0) return { state: 'breached', remaining_seconds: seconds(remaining) };
  return { state: now >= row.dueSoonAt.getTime() ? 'due_soon' : 'on_track', remaining_seconds: seconds(remaining) };
}

export function caseView({ case: row, assigneeName }: CaseWithAssignee, now = Date.now()) {
  return {
    id: row.id,
    number: row.number,
    title: row.title,
    status: row.status as CaseStatus,
    priority: row.priority as Severity,
    assignee: row.assigneeId ? { id: row.assigneeId, full_name: assigneeName ?? '' } : null,
    account: row.account,
    violation_count: row.violationCount,
    created_at: row.createdAt.toISOString(),
    // While paused the deadline keeps moving: the time in pending_info so far counts (contract section 10).
    due_at: new Date(
      row.dueAt.getTime() + (row.pausedAt ? Math.max(0, now - row.pausedAt.getTime()) : 0),
    ).toISOString(),
    sla: slaOf(row, now),
    escalated: row.escalated,
    outcome: row.outcome as CaseOutcome | null,
    close_reason: row.closeReason,
    closed_at: row.closedAt?.toISOString() ?? null,
  };
}

function liveCase(type: 'case.created' | 'case.updated', row: CaseRow): LiveEvent {
  return {
    type,
    case: {
      id: row.id,
      number: row.number,
      title: row.title,
      status: row.status,
      priority: row.priority,
      assignee_id: row.assigneeId,
      account: row.account,
      escalated: row.escalated,
    },
  };
}

function caseEventData(row: CaseRow): Record<string, unknown> {
  return {
    case_id: row.id,
    number: row.number,
    title: row.title,
    priority: row.priority,
    status: row.status,
    account: row.account,
    assignee_id: row.assigneeId,
    violation_count: row.violationCount,
    due_at: row.dueAt.toISOString(),
  };
}

const caseSelection = { case: cases, assigneeName: users.fullName };

async function findCase(tx: Tx, id: string, lock = false): Promise<CaseWithAssignee> {
  const query = tx
    .select(caseSelection)
    .from(cases)
    .leftJoin(users, eq(users.id, cases.assigneeId))
    .where(eq(cases.id, id));
  const [row] = lock ? await query.for('update', { of: cases }) : await query;
  if (!row) throw notFound('Case');
  return row;
}

// ---------------------------------------------------------------------------------------------
// Lists

export type CaseFilters = {
  limit: number;
  cursor?: string;
  status?: CaseStatus;
  assignee_id?: string;
  priority?: Severity;
  sla?: 'breached' | 'due_soon';
  account?: string;
  q?: string;
  open?: 'true' | 'false';
};

const caseCursor = z.tuple([z.number().int()]);
const RUNNING = sql`${cases.status} in ('open', 'investigating')`;

/** At most this many words of a search count; more narrow nothing a user would notice. */
const SEARCH_WORDS = 8;

/** The words of a search as `case_search_words` splits a title: lowercased, split on anything but letters and digits. */
export function searchWords(q: string): string[] {
  return [...new Set(q.toLowerCase().split(/[^\p{L}\p{N}]+/u))].filter(Boolean).slice(0, SEARCH_WORDS);
}

/**
 * The text in the title or the account, starting at a word. Each word of it must start a key
 * (compared as a range under `text_pattern_ops`: `~>=~`, `~<~` are leakproof, so row-level
 * security lets the index serve them, which it does not for `ilike`); Postgres picks by the keys'
 * statistics between a rare word's keys and the newest cases first. The `ilike` then keeps the
 * words' order and punctuation as typed.
 */
function matchesText(q: string): SQL | undefined {
  const words = searchWords(q);
  const text = or(sql`${cases.title} ilike ${likePattern(q)}`, sql`${cases.account} ilike ${likePattern(q)}`);
  // Punctuation alone has no key to start from: a scan of the organization's cases, as before.
  if (words.length === 0) return text;
  return and(
    text,
    ...words.map(
      (word) => sql`exists (select 1 from ${caseSearchKeys} k where k.case_id = ${cases.id}
        and k.key ~>=~ ${word} and k.key ~<~ ${`${word}\u{10FFFF}`})`,
    ),
  );
}

export async function listCases(tx: Tx, callerId: string, filters: CaseFilters) {
  const after = decodeCursor(filters.cursor, caseCursor);
  const assignee = filters.assignee_id === 'me' ? callerId : filters.assignee_id;
  const q = filters.q;
  const conditions: (SQL | undefined)[] = [
    filters.status ? eq(cases.status, filters.status) : undefined,
    filters.open === 'true' ? ne(cases.status, 'closed') : undefined,
    filters.open === 'false' ? eq(cases.status, 'closed') : undefined,
    assignee === 'none' ? sql`${cases.assigneeId} is null` : assignee ? eq(cases.assigneeId, assignee) : undefined,
    filters.priority ? eq(cases.priority, filters.priority) : undefined,
    filters.sla === 'breached' ? and(RUNNING, sql`${cases.dueAt} <= now()`) : undefined,
    filters.sla === 'due_soon'
      ? and(RUNNING, sql`${cases.dueSoonAt} <= now()`, sql`${cases.dueAt} > now()`)
      : undefined,
    filters.account ? eq(cases.account, filters.account) : undefined,
    // A number (`42`, `#42`) finds that case; words match the title or the account.
    q && /^#?\d{1,9}$/.test(q) ? eq(cases.number, Number(q.replace('#', ''))) : undefined,
    q && !/^#?\d{1,9}$/.test(q) ? matchesText(q) : undefined,
    after ? lt(cases.number, after[0]) : undefined,
  ];
  const rows = await tx
    .select(caseSelection)
    .from(cases)
    .leftJoin(users, eq(users.id, cases.assigneeId))
    .where(and(...conditions))
    .orderBy(desc(cases.number))
    .limit(filters.limit + 1);
  const now = Date.now();
  return toPage(
    rows,
    filters.limit,
    (row) => caseView(row, now),
    (row) => [row.case.number],
  );
}

/**
 * The inbox's counters over cases not closed (row-level security keeps them to the organization):
 * mine, unassigned and open from the per-assignee counters the triggers on `cases` keep; breached
 * and due soon depend on the clock, so they are counted through the running cases' deadline indexes.
 */
export async function caseCounts(tx: Tx, callerId: string) {
  const [row] = await tx.execute<Record<'mine' | 'unassigned' | 'breached' | 'past_due_soon' | 'open', number>>(sql`
    select
      coalesce(sum(cases) filter (where assignee_id = ${uuidLiteral(callerId)}), 0)::int as mine,
      coalesce(sum(cases) filter (where assignee_id is null), 0)::int as unassigned,
      coalesce(sum(cases), 0)::int as open,
      (select count(*) from cases where status in ('open', 'investigating') and due_at <= now())::int as breached,
      (select count(*) from cases where status in ('open', 'investigating') and due_soon_at <= now())::int as past_due_soon
    from case_open_counts`);
  // due_soon_at is never after due_at, so the breached cases are among those past their due-soon
  // mark: due soon = past the mark - breached. Each count reads only its partial index (no heap
  // once the visibility map is set).
  const { past_due_soon: pastDueSoon, ...counts } = row!;
  return { ...counts, due_soon: pastDueSoon - counts.breached };
}

/** The violations shown on a case page; `violation_count` tells how many the case has in all, `violations_next_cursor` where the rest go on. */
const DETAIL_VIOLATIONS = 200;

type CaseViolationRow = {
  violation: typeof violations.$inferSelect;
  transaction: typeof transactions.$inferSelect;
  ruleName: string;
  detectedKey: string;
};

// The cursor keeps detected_at to the microsecond: a JavaScript Date keeps milliseconds, and the
// violations of one push or scan chunk differ below that.
const detectedKey = utcText(violations.detectedAt);

const violationCursor = z.tuple([z.string(), z.uuid()]);

/** A case's violations in detection order, a keyset page (`(detected_at, id)` after the cursor). */
async function caseViolationRows(tx: Tx, caseId: string, limit: number, cursor?: string) {
  const after = decodeCursor(cursor, violationCursor);
  const rows = await tx
    .select({ violation: violations, transaction: transactions, ruleName: ruleVersions.name, detectedKey })
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .innerJoin(ruleVersions, eq(ruleVersions.id, violations.ruleVersionId))
    .where(
      and(
        eq(violations.caseId, caseId),
        after &&
          pastKey(
            'asc',
            [violations.detectedAt, violations.id],
            [sql`${after[0]}::timestamptz`, sql`${after[1]}::uuid`],
          ),
      ),
    )
    .orderBy(asc(violations.detectedAt), asc(violations.id))
    .limit(limit + 1);
  return toPage(rows, limit, caseViolationView, (row) => [row.detectedKey, row.violation.id]);
}

function caseViolationView({ violation: v, transaction: t, ruleName }: CaseViolationRow) {
  return {
    id: v.id,
    rule_id: v.ruleId,
    rule_name: ruleName,
    rule_version: v.ruleVersion,
    transaction_id: t.externalId,
    account: t.account,
    counterparty: t.counterparty,
    severity: v.severity as Severity,
    risk_score: Number(v.riskScore),
    explanation: v.explanation,
    evidence: v.evidence as Record<string, unknown>,
    status: v.status as 'open',
    detected_at: v.detectedAt.toISOString(),
    policy_id: v.policyId,
    clause_ref: v.clauseRef,
    scan_id: v.scanId,
    transaction: {
      id: t.externalId,
      occurred_at: t.occurredAt.toISOString(),
      amount: String(t.amount),
      currency: t.currency,
      account: t.account,
      counterparty: t.counterparty,
      type: t.type,
      country: t.country,
    },
  };
}

export async function getCase(tx: Tx, id: string) {
  const found = await findCase(tx, id);
  const page = await caseViolationRows(tx, id, DETAIL_VIOLATIONS);
  return { ...caseView(found), violations: page.items, violations_next_cursor: page.next_cursor };
}

/** The next page of a case's violations after the case page's first 200 (`violations_next_cursor`). */
export async function listCaseViolations(tx: Tx, id: string, limit: number, cursor?: string) {
  await findCase(tx, id);
  return caseViolationRows(tx, id, limit, cursor);
}

/** Who a case may be assigned to: active members whose role may change case status. */
export async function listAssignees(tx: Tx) {
  const rows = await tx
    .select({ id: users.id, fullName: users.fullName, role: users.role })
    .from(users)
    .where(eq(users.isActive, true))
    .orderBy(asc(users.fullName), asc(users.id));
  return rows
    .filter((u) => roleHas(u.role as Role, 'cases:update'))
    .map((u) => ({ id: u.id, full_name: u.fullName, role: u.role as Role }));
}

export async function listCaseEvents(tx: Tx, id: string) {
  await findCase(tx, id);
  const rows = await tx
    .select({ event: caseEvents, actorName: users.fullName })
    .from(caseEvents)
    .leftJoin(users, eq(users.id, caseEvents.actorId))
    .where(eq(caseEvents.caseId, id))
    .orderBy(asc(caseEvents.at), asc(caseEvents.id));
  return rows.map(eventView);
}

function eventView({ event, actorName }: { event: typeof caseEvents.$inferSelect; actorName: string | null }) {
  return {
    id: event.id,
    type: event.type as CaseEventType,
    actor: event.actorId ? { id: event.actorId, full_name: actorName ?? '' } : null,
    at: event.at.toISOString(),
    data: event.data,
  };
}

type NewEvent = { caseId: string; type: CaseEventType; data?: Record<string, unknown> };

async function recordEvents(tx: Tx, actor: Actor, events: NewEvent[]) {
  if (events.length === 0) return [];
  return tx
    .insert(caseEvents)
    .values(
      events.map((e) => ({
        orgId: actor.orgId,
        caseId: e.caseId,
        type: e.type,
        actorId: actor.userId,
        data: e.data ?? {},
      })),
    )
    .returning();
}

export async function addComment(tx: Tx, actor: Actor, id: string, body: string) {
  const found = await findCase(tx, id);
  const [event] = await recordEvents(tx, actor, [{ caseId: id, type: 'comment', data: { body } }]);
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'case.commented',
    targetType: 'case',
    targetId: id,
    details: { number: found.case.number },
  });
  const actorName = actor.userId
    ? ((await tx.select({ name: users.fullName }).from(users).where(eq(users.id, actor.userId)))[0]?.name ?? null)
    : null;
  return {
    view: eventView({ event: event!, actorName }),
    followUp: { live: [liveCase('case.updated', found.case)], earliestDue: null },
  };
}

// ---------------------------------------------------------------------------------------------
// Assignment

type Analyst = { id: string; load: number; last: number };

/** Active compliance analysts by load (open or investigating cases), then longest since their last assignment. */
async function analystsByLoad(tx: Tx): Promise<Analyst[]> {
  const [row] = await tx.execute<{ analysts: AnalystRow[] }>(sql`select ${analystsByLoadJson} as analysts`);
  return analystsOf(row!.analysts);
}

type AnalystRow = { id: string; load: number; last: number | null };

/** The active analysts, each with their open or investigating cases and last assignment, as one JSON array. */
const analystsByLoadJson = sql`(select coalesce(json_agg(a), '[]') from (
  select u.id,
    (select count(*)::int from cases c where c.assignee_id = u.id and c.status in ('open', 'investigating')) as load,
    (select extract(epoch from max(c.assigned_at))::float8 from cases c where c.assignee_id = u.id) as last
  from users u where u.role = 'compliance_analyst' and u.is_active) a)`;

function analystsOf(rows: AnalystRow[]): Analyst[] {
  return rows.map((r) => ({ id: r.id, load: Number(r.load), last: r.last === null ? 0 : Number(r.last) }));
}

/** Takes the least-loaded analyst (ties: the longest since their last assignment) and counts the case against them. */
function takeAnalyst(analysts: Analyst[]): string | null {
  const [next] = [...analysts].sort((a, b) => a.load - b.load || a.last - b.last || a.id.localeCompare(b.id));
  if (!next) return null;
  next.load += 1;
  next.last = Date.now() / 1000;
  return next.id;
}

/** An assignee must be an active member of the organization who may change case status (400 otherwise). */
async function assertAssignable(tx: Tx, userId: string, path = 'assignee_id'): Promise<string> {
  const [user] = await tx
    .select({ role: users.role, isActive: users.isActive, fullName: users.fullName })
    .from(users)
    .where(eq(users.id, userId));
  if (!user?.isActive || !roleHas(user.role as Role, 'cases:update'))
    throw new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path, message: 'Must be an active member who may change case status.' }],
    });
  return user.fullName;
}

// ---------------------------------------------------------------------------------------------
// Creation

type CaseViolation = { id: string; severity: Severity; account: string; ruleName: string };

function highest(severities: Severity[]): Severity {
  return severities.reduce((a, b) => (severityRank(b) > severityRank(a) ? b : a));
}

function titleFor(group: CaseViolation[], account: string | null): string {
  const names = [...new Set(group.map((v) => v.ruleName))];
  const what = names.length === 1 ? names[0]! : `${names.length} rules`;
  return (account ? `${what} on ${account}` : what).slice(0, 200);
}

type NewCase = {
  title: string;
  priority: Severity;
  account: string | null;
  grouped: boolean;
  violations: CaseViolation[];
  assigneeId: string | null;
};

/** Inserts cases (numbers reserved together), links their violations and records their events. */
async function insertCases(
  tx: Tx,
  actor: Actor,
  settings: CaseSettings,
  drafts: NewCase[],
): Promise<{ rows: CaseRow[]; events: ProductEvent[] }> {
  if (drafts.length === 0) return { rows: [], events: [] };
  const first = await reserveNumbers(tx, actor.orgId, drafts.length);
  const rows = await tx
    .insert(cases)
    .values(
      drafts.map((d, i) => {
        const sla = settings.sla_minutes[d.priority];
        return {
          orgId: actor.orgId,
          number: first + i,
          title: d.title,
          priority: d.priority,
          account: d.account,
          grouped: d.grouped,
          violationCount: d.violations.length,
          slaMinutes: sla,
          createdAt: sql`now()`,
          ...deadlinesFromNow(sql`${sla}::int`),
          assigneeId: d.assigneeId,
          assignedAt: d.assigneeId ? sql`now()` : null,
          createdBy: actor.userId,
        };
      }),
    )
    .returning();
  const links = rows.flatMap((row, i) => drafts[i]!.violations.map((v) => ({ case_id: row.id, id: v.id })));
  await linkViolations(tx, links);
  await recordEvents(
    tx,
    actor,
    rows.flatMap((row, i) => [
      { caseId: row.id, type: 'created' as const, data: { violation_ids: drafts[i]!.violations.map((v) => v.id) } },
      ...(row.assigneeId
        ? [
            {
              caseId: row.id,
              type: 'assigned' as const,
              data: { from: null, to: row.assigneeId, automatic: !actor.userId },
            },
          ]
        : []),
    ]),
  );
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'case.created',
    targetType: 'case',
    targetId: rows.length === 1 ? rows[0]!.id : undefined,
    details: { numbers: rows.map((r) => r.number), automatic: !actor.userId },
  });
  return { rows, events: openedEvents(rows) };
}

/** What opening cases tells alert routing: each case created, and assigned when it is. */
function openedEvents(rows: CaseRow[]): ProductEvent[] {
  return rows.flatMap((row): ProductEvent[] => [
    { type: 'case.created', severity: row.priority as Severity, data: caseEventData(row) },
    ...(row.assigneeId
      ? [{ type: 'case.assigned' as const, severity: row.priority as Severity, data: caseEventData(row) }]
      : []),
  ]);
}

/**
 * A new case's deadlines, `sla` minutes from now by the database's clock: due soon once
 * DUE_SOON_SHARE of the SLA remains (as the deadline of a joined case moves, in storeAutomaticCases).
 */
function deadlinesFromNow(sla: SQL) {
  const dueAt = sql`now() + make_interval(mins => ${sla})`;
  return {
    dueAt,
    dueSoonAt: sql`${dueAt} - make_interval(secs => ${sla} * 60 * ${sql.raw(String(DUE_SOON_SHARE))})`,
  };
}

export type CreateCaseInput = { violation_ids: string[]; title?: string; assignee_id?: string | null };

/** A case from selected violations; a violation already in a case is a conflict. */
export async function createCase(tx: Tx, actor: Actor, input: CreateCaseInput) {
  const ids = [...new Set(input.violation_ids)];
  const found = await tx
    .select({
      id: violations.id,
      severity: violations.severity,
      caseId: violations.caseId,
      account: transactions.account,
      ruleName: ruleVersions.name,
    })
    .from(violations)
    .innerJoin(transactions, eq(transactions.id, violations.transactionId))
    .innerJoin(ruleVersions, eq(ruleVersions.id, violations.ruleVersionId))
    .where(inArray(violations.id, ids))
    .for('update', { of: violations });
  if (found.length !== ids.length) {
    const known = new Set(found.map((v) => v.id));
    throw new ApiError('not_found', `Violation ${ids.find((id) => !known.has(id))} was not found.`);
  }
  const taken = found.find((v) => v.caseId !== null);
  if (taken) throw new ApiError('conflict', `Violation ${taken.id} is already in a case.`);
  const settings = await loadCaseSettings(tx);
  let assigneeId = input.assignee_id ?? null;
  if (assigneeId) await assertAssignable(tx, assigneeId);
  else if (input.assignee_id === undefined && settings.auto_assign) assigneeId = takeAnalyst(await analystsByLoad(tx));
  const group = found.map((v) => ({ ...v, severity: v.severity as Severity }));
  const accounts = [...new Set(group.map((v) => v.account))];
  const account = accounts.length === 1 ? accounts[0]! : null;
  const { rows, events } = await insertCases(tx, actor, settings, [
    {
      title: input.title ?? titleFor(group, account),
      priority: highest(group.map((v) => v.severity)),
      account,
      grouped: false,
      violations: group,
      assigneeId,
    },
  ]);
  const row = rows[0]!;
  return {
    id: row.id,
    events,
    followUp: { live: [liveCase('case.created', row)], earliestDue: row.dueAt.getTime() },
  };
}

/** A new violation as detection hands it over. */
export type StoredViolation = { id: string; severity: Severity; account: string; ruleName: string; ruleId: string };

/**
 * Automatic cases for violations stored now: each at or above the organization's severity joins
 * the open case of its account (group_by account) or opens one. A per-organization lock makes
 * concurrent detections (a scan's parallel rule versions, simultaneous pushes) join one case: the
 * caller has taken it (`takeNewViolations`, in the statement that read the settings).
 *
 * Two statements (docs/cases.md, Round trips): `lockOpenCases`, then `storeAutomaticCases`.
 */
export async function openAutomaticCases(
  tx: Tx,
  orgId: string,
  settings: CaseSettings,
  stored: StoredViolation[],
): Promise<{ events: ProductEvent[]; followUp: CaseFollowUp }> {
  const qualifying = qualifyingViolations(settings, stored);
  if (qualifying.length === 0) return { events: [], followUp: NO_FOLLOW_UP };
  const byAccount =
    settings.group_by === 'account' ? violationsByAccount(qualifying) : new Map<string, CaseViolation[]>();
  const locked = await lockOpenCases(tx, orgId, [...byAccount.keys()], settings.auto_assign);
  const drafts = automaticDrafts(settings, qualifying, byAccount, locked);
  const { opened, joined } = await storeAutomaticCases(tx, orgId, {
    opened: drafts.map((draft, i) => ({
      ...draft,
      id: crypto.randomUUID(),
      number: locked.nextNumber + i,
      slaMinutes: settings.sla_minutes[draft.priority],
    })),
    joined: joiningViolations(settings, locked.openCases, byAccount),
  });
  const dues = [...opened, ...joined].filter((r) => r.status !== 'closed').map((r) => r.dueAt.getTime());
  return {
    events: openedEvents(opened),
    followUp: {
      live: [...opened.map((r) => liveCase('case.created', r)), ...joined.map((r) => liveCase('case.updated', r))],
      earliestDue: dues.length > 0 ? Math.min(...dues) : null,
    },
  };
}

function violationsByAccount(qualifying: CaseViolation[]): Map<string, CaseViolation[]> {
  const byAccount = new Map<string, CaseViolation[]>();
  for (const v of qualifying) byAccount.set(v.account, [...(byAccount.get(v.account) ?? []), v]);
  return byAccount;
}

type LockedCases = { nextNumber: number; openCases: CaseRow[]; analysts: Analyst[] };

/**
 * The first statement: the next case number and the accounts' open grouped cases, locked (and the
 * analysts' loads when cases are assigned). The settings row is made (with the defaults) if
 * missing and locked, as reserving numbers does.
 */
async function lockOpenCases(tx: Tx, orgId: string, accounts: string[], autoAssign: boolean): Promise<LockedCases> {
  const [locked] = await tx.execute<{ next_number: number; open_cases: unknown[]; analysts: AnalystRow[] | null }>(sql`
    with numbering as (
      insert into case_settings as s (org_id) values (${uuidLiteral(orgId)})
      on conflict (org_id) do update set next_number = s.next_number
      returning next_number)
    select (select next_number from numbering) as next_number,
      (select coalesce(json_agg(c), '[]') from (
        select * from cases
        where grouped and status <> 'closed' and account in (select json_array_elements_text(${JSON.stringify(accounts)}::json))
        -- In id order, as bulk actions and escalation lock them: concurrent lockers never deadlock.
        order by id for update) c) as open_cases,
      ${autoAssign ? analystsByLoadJson : sql`null`} as analysts`);
  return {
    nextNumber: Number(locked!.next_number),
    openCases: locked!.open_cases.map((row) => caseRowOf(row as Record<string, unknown>)),
    analysts: analystsOf(locked!.analysts ?? []),
  };
}

/** The cases to open: one per account without an open case (group_by account), else one per violation. */
function automaticDrafts(
  settings: CaseSettings,
  qualifying: CaseViolation[],
  byAccount: Map<string, CaseViolation[]>,
  { openCases, analysts }: LockedCases,
): NewCase[] {
  const draft = (group: CaseViolation[], account: string, grouped: boolean): NewCase => ({
    title: titleFor(group, account),
    priority: highest(group.map((v) => v.severity)),
    account,
    grouped,
    violations: group,
    assigneeId: settings.auto_assign ? takeAnalyst(analysts) : null,
  });
  if (settings.group_by !== 'account') return qualifying.map((v) => draft([v], v.account, false));
  const joinedAccounts = new Set(openCases.map((c) => c.account));
  return [...byAccount]
    .filter(([account]) => !joinedAccounts.has(account))
    .map(([account, group]) => draft(group, account, true));
}

type Joining = { id: string; n: number; priority: Severity; sla: number; ids: string[] };

/** New violations join their account's open case; its priority (and so its SLA) may rise. */
function joiningViolations(
  settings: CaseSettings,
  openCases: CaseRow[],
  byAccount: Map<string, CaseViolation[]>,
): Joining[] {
  return openCases.map((c) => {
    const group = byAccount.get(c.account!)!;
    const priority = highest([c.priority as Severity, ...group.map((v) => v.severity)]);
    return { id: c.id, n: group.length, priority, sla: settings.sla_minutes[priority], ids: group.map((v) => v.id) };
  });
}

type OpenedCase = NewCase & { id: string; number: number; slaMinutes: number };

/**
 * The second statement: stores everything at once, as insertCases does for one case (the ids are
 * chosen beforehand so that links and events go in the same statement): new cases with their
 * deadlines from the database's clock, joined cases' priorities and deadlines, the violations'
 * links, the cases' events and the audit entry.
 */
async function storeAutomaticCases(
  tx: Tx,
  orgId: string,
  { opened, joined }: { opened: OpenedCase[]; joined: Joining[] },
): Promise<{ opened: CaseRow[]; joined: CaseRow[] }> {
  const org = uuidLiteral(orgId);
  const newCases = opened.map((c) => ({
    id: c.id,
    number: c.number,
    title: c.title,
    priority: c.priority,
    account: c.account,
    grouped: c.grouped,
    violation_count: c.violations.length,
    sla_minutes: c.slaMinutes,
    assignee_id: c.assigneeId,
  }));
  const links = [
    ...opened.flatMap((c) => c.violations.map((v) => ({ case_id: c.id, id: v.id }))),
    ...joined.flatMap((c) => c.ids.map((id) => ({ case_id: c.id, id }))),
  ];
  const events: NewEvent[] = [
    ...joined.flatMap((c) =>
      c.ids.map((id) => ({ caseId: c.id, type: 'violation_added' as const, data: { violation_id: id } })),
    ),
    ...opened.flatMap((c) => [
      { caseId: c.id, type: 'created' as const, data: { violation_ids: c.violations.map((v) => v.id) } },
      ...(c.assigneeId
        ? [{ caseId: c.id, type: 'assigned' as const, data: { from: null, to: c.assigneeId, automatic: true } }]
        : []),
    ]),
  ];
  const audit =
    opened.length === 0
      ? []
      : [
          {
            target_id: opened.length === 1 ? opened[0]!.id : null,
            details: { numbers: opened.map((c) => c.number), automatic: true },
          },
        ];
  const sla = sql`n.sla_minutes`;
  const deadlines = deadlinesFromNow(sla);
  const [rows] = await tx.execute<{ opened: unknown[]; joined: unknown[] }>(sql`
    with numbered as (
      update case_settings set next_number = next_number + ${opened.length}
      where org_id = ${org} and ${opened.length} > 0),
    inserted as (
      insert into cases (id, org_id, number, title, priority, account, grouped, violation_count, sla_minutes,
        created_at, due_at, due_soon_at, assignee_id, assigned_at, created_by)
      select n.id, ${org}, n.number, n.title, n.priority, n.account, n.grouped, n.violation_count, ${sla},
        now(), ${deadlines.dueAt}, ${deadlines.dueSoonAt}, n.assignee_id, case when n.assignee_id is not null then now() end, null
      from jsonb_to_recordset(${JSON.stringify(newCases)}::jsonb)
        as n(id uuid, number int, title text, priority text, account text, grouped boolean, violation_count int,
          sla_minutes int, assignee_id uuid)
      returning *),
    joined as (
      -- Priority up: the deadline is creation plus the new SLA (plus time paused so far), so it moves by the SLAs' difference.
      update cases c set violation_count = c.violation_count + j.n,
        priority = j.priority,
        due_at = c.due_at + make_interval(mins => j.sla - c.sla_minutes),
        due_soon_at = c.due_at + make_interval(mins => j.sla - c.sla_minutes) - make_interval(secs => j.sla * 60 * ${sql.raw(String(DUE_SOON_SHARE))}),
        sla_minutes = j.sla, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(joined)}::jsonb) as j(id uuid, n int, priority text, sla int)
      where c.id = j.id and c.id = any(${uuidArray(joined.map((c) => c.id))})
      returning c.*),
    linked as (
      update violations v set case_id = l.case_id, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(case_id uuid, id uuid)
      where v.id = l.id and v.id = any(${uuidArray(links.map((link) => link.id))})),
    recorded as (
      insert into case_events (org_id, case_id, type, actor_id, data)
      select ${org}, e.case_id, e.type, null, e.data
      from jsonb_to_recordset(${JSON.stringify(events.map((e) => ({ case_id: e.caseId, type: e.type, data: e.data ?? {} })))}::jsonb)
        as e(case_id uuid, type text, data jsonb)),
    audited as (
      insert into audit_log (org_id, actor_id, action, target_type, target_id, details)
      select ${org}, null, 'case.created', 'case', a.target_id, a.details
      from jsonb_to_recordset(${JSON.stringify(audit)}::jsonb) as a(target_id text, details jsonb))
    select (select coalesce(json_agg(i order by i.number), '[]') from inserted i) as opened,
      (select coalesce(json_agg(j), '[]') from joined j) as joined`);
  return {
    opened: rows!.opened.map((row) => caseRowOf(row as Record<string, unknown>)),
    joined: rows!.joined.map((row) => caseRowOf(row as Record<string, unknown>)),
  };
}

/** The violations that open or join automatic cases under `settings`: at or above its severity. */
function qualifyingViolations(settings: CaseSettings, stored: StoredViolation[]): StoredViolation[] {
  const minimum = settings.auto_create_min_severity;
  if (minimum === null) return [];
  return stored.filter((v) => severityRank(v.severity) >= severityRank(minimum));
}

/** A case row as `row_to_json` gives it, read as drizzle reads the table (timestamps as dates). */
const CASE_COLUMNS = Object.entries(getTableColumns(cases));
function caseRowOf(json: Record<string, unknown>): CaseRow {
  return Object.fromEntries(
    CASE_COLUMNS.map(([key, column]) => {
      const value = json[column.name];
      return [key, value === null || value === undefined ? null : column.mapFromDriverValue(value)];
    }),
  ) as CaseRow;
}

// ---------------------------------------------------------------------------------------------
// Changes

export type CaseChange = {
  status?: CaseStatus;
  assignee_id?: string | null;
  title?: string;
  outcome?: CaseOutcome;
  reason?: string;
};

const invalid = (path: string, message: string) =>
  new ApiError('validation_failed', 'The request has invalid fields.', { errors: [{ path, message }] });

/**
 * Applies one change to one case (the PATCH, and each case of a bulk action): status with the
 * SLA clock, closing with its outcome, reopening (compliance_admin), assignment, title.
 */
export async function changeCase(tx: Tx, actor: Actor, role: Role, id: string, change: CaseChange) {
  const { case: current } = await findCase(tx, id, true);
  const target = change.status ?? current.status;
  if ((change.outcome !== undefined || change.reason !== undefined) && change.status !== 'closed')
    throw invalid('status', 'An outcome and a reason are given only when closing (status "closed").');
  const reopening = current.status === 'closed' && change.status !== undefined && change.status !== 'closed';
  if (current.status === 'closed' && !reopening)
    throw new ApiError('conflict', `Case #${current.number} is closed; reopen it first.`);
  if (reopening) {
    if (change.status !== 'investigating') throw invalid('status', 'A closed case reopens to "investigating".');
    if (role !== 'compliance_admin' && role !== 'super_admin')
      throw new ApiError('forbidden', 'Only a compliance admin may reopen a case.');
  }
  if (change.status === 'closed' && current.status !== 'closed') {
    if (!change.outcome) throw invalid('outcome', 'Closing needs an outcome.');
    if (!change.reason) throw invalid('reason', 'Closing needs a reason.');
  }
  const events: NewEvent[] = [];
  const product: ProductEvent[] = [];
  const set: PgUpdateSetSource<typeof cases> = { updatedAt: sql`now()` };
  let assigneeName: string | null = null;

  if (change.assignee_id !== undefined && change.assignee_id !== current.assigneeId) {
    if (change.assignee_id) assigneeName = await assertAssignable(tx, change.assignee_id);
    set.assigneeId = change.assignee_id;
    set.assignedAt = change.assignee_id ? sql`now()` : null;
    events.push({ caseId: id, type: 'assigned', data: { from: current.assigneeId, to: change.assignee_id } });
  }
  if (change.title !== undefined && change.title !== current.title) set.title = change.title;

  if (target !== current.status) {
    // Leaving pending_info restarts the clock: the deadline moves by the time spent paused.
    if (current.pausedAt && target !== 'pending_info') {
      set.dueAt = sql`${cases.dueAt} + (now() - ${cases.pausedAt})`;
      set.dueSoonAt = sql`${cases.dueSoonAt} + (now() - ${cases.pausedAt})`;
      set.pausedAt = null;
    }
    if (target === 'pending_info') set.pausedAt = sql`now()`;
    set.status = target;
    if (target === 'closed') {
      set.outcome = change.outcome!;
      set.closeReason = change.reason!;
      set.closedAt = sql`now()`;
      events.push({ caseId: id, type: 'closed', data: { outcome: change.outcome, reason: change.reason } });
    } else if (reopening) {
      set.outcome = null;
      set.closeReason = null;
      set.closedAt = null;
      events.push({ caseId: id, type: 'reopened', data: { outcome_was: current.outcome } });
    } else events.push({ caseId: id, type: 'status_changed', data: { from: current.status, to: target } });
  }
  if (events.length === 0 && set.title === undefined) return { row: current, events: product, changed: false };

  if (reopening && current.grouped) {
    // Another case may have opened for the account meanwhile: this one then stops taking its violations.
    const [other] = await tx
      .select({ id: cases.id })
      .from(cases)
      .where(
        and(eq(cases.account, current.account!), eq(cases.grouped, true), ne(cases.status, 'closed'), ne(cases.id, id)),
      );
    if (other) set.grouped = false;
  }
  const [row] = await tx.update(cases).set(set).where(eq(cases.id, id)).returning();
  if (target === 'closed' && current.status !== 'closed')
    await setViolationStatuses(
      tx,
      actor,
      id,
      OUTCOME_VIOLATION_STATUS[change.outcome!],
      `Case #${row!.number} closed: ${change.reason}`,
    );
  if (reopening) await setViolationStatuses(tx, actor, id, 'open', `Case #${row!.number} reopened`);
  await recordEvents(tx, actor, events);
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: reopening
      ? 'case.reopened'
      : target === 'closed' && current.status !== 'closed'
        ? 'case.closed'
        : 'case.updated',
    targetType: 'case',
    targetId: id,
    details: {
      number: row!.number,
      ...(target !== current.status ? { status: { from: current.status, to: target } } : {}),
      ...(set.assigneeId !== undefined ? { assignee: { from: current.assigneeId, to: set.assigneeId } } : {}),
      ...(set.title !== undefined ? { title: { from: current.title, to: set.title } } : {}),
      ...(change.outcome ? { outcome: change.outcome, reason: change.reason } : {}),
    },
  });
  if (set.assigneeId)
    product.push({
      type: 'case.assigned',
      severity: row!.priority as Severity,
      data: { ...caseEventData(row!), assignee_name: assigneeName },
    });
  return { row: row!, events: product, changed: true };
}

/** Every violation of the case to `status`, each change kept in the violation's history. */
async function setViolationStatuses(tx: Tx, actor: Actor, caseId: string, status: string, comment: string) {
  await tx.execute(sql`
    with changed as (
      update violations v set status = ${status}, updated_at = now()
      from (select id, status from violations where case_id = ${uuidLiteral(caseId)} for update) old
      where v.id = old.id and old.status <> ${status}
      returning ${CHANGED_STATUS})
      ${statusCounters()}
    insert into violation_events (org_id, violation_id, from_status, to_status, comment, actor_id)
    select ${uuidLiteral(actor.orgId)}, id, from_status, ${status}, ${comment}, ${actor.userId} from changed`);
}

export async function updateCase(tx: Tx, actor: Actor, role: Role, id: string, change: CaseChange) {
  const { row, events, changed } = await changeCase(tx, actor, role, id, change);
  const followUp: CaseFollowUp = changed
    ? { live: [liveCase('case.updated', row)], earliestDue: row.status === 'closed' ? null : row.dueAt.getTime() }
    : NO_FOLLOW_UP;
  return { id: row.id, events, followUp };
}

export type BulkInput = {
  case_ids: string[];
  action: 'assign' | 'status' | 'close';
  assignee_id?: string | null;
  status?: CaseStatus;
  outcome?: CaseOutcome;
  reason?: string;
};

/**
 * Set-based: every case is locked and checked first (not found, closed: listed in `errors`), then
 * the others change together in a few statements (the case rows, their violations, their events,
 * their audit entries), each case wholly: a failing statement changes none. A case already in the
 * wanted state counts as updated and records nothing. Closed cases are not reopened in bulk.
 */
export async function bulkChange(tx: Tx, actor: Actor, _role: Role, input: BulkInput) {
  if (input.action === 'assign' && input.assignee_id === undefined)
    throw invalid('assignee_id', 'Assigning needs an assignee_id (null to unassign).');
  if (input.action === 'status' && !input.status) throw invalid('status', 'A status action needs a status.');
  if (input.action === 'status' && input.status === 'closed')
    throw invalid('status', 'Close with the "close" action, which takes an outcome and a reason.');
  if (input.action === 'close' && (!input.outcome || !input.reason))
    throw invalid(input.outcome ? 'reason' : 'outcome', 'Closing needs an outcome and a reason.');
  if (input.action !== 'close' && (input.outcome !== undefined || input.reason !== undefined))
    throw invalid('outcome', 'An outcome and a reason are given only with the "close" action.');
  const assigneeName = input.assignee_id ? await assertAssignable(tx, input.assignee_id) : null;
  const ids = [...new Set(input.case_ids)];
  // Locked in id order (see openAutomaticCases), before any audit entry.
  const locked = await tx.select().from(cases).where(inArray(cases.id, ids)).orderBy(asc(cases.id)).for('update');
  const byId = new Map(locked.map((row) => [row.id, row]));
  const errors: { id: string; message: string }[] = [];
  const targets: CaseRow[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) errors.push({ id, message: 'Case was not found.' });
    else if (row.status === 'closed') errors.push({ id, message: `Case #${row.number} is closed; reopen it first.` });
    else targets.push(row);
  }
  const status = input.action === 'close' ? 'closed' : input.status;
  const changing = targets.filter((row) =>
    input.action === 'assign' ? row.assigneeId !== (input.assignee_id ?? null) : row.status !== status,
  );
  if (changing.length === 0)
    return { result: { updated: targets.length, errors }, events: [] as ProductEvent[], followUp: NO_FOLLOW_UP };
  const changingIds = uuidArray(changing.map((row) => row.id));
  let updatedRows: CaseRow[];
  if (input.action === 'assign') {
    updatedRows = await tx
      .update(cases)
      .set({
        assigneeId: input.assignee_id ?? null,
        assignedAt: input.assignee_id ? sql`now()` : null,
        updatedAt: sql`now()`,
      })
      .where(sql`${cases.id} = any(${changingIds})`)
      .returning();
  } else {
    // Leaving pending_info restarts the clock: each deadline moves by the time its case spent paused.
    const resumes = status !== 'pending_info';
    updatedRows = await tx
      .update(cases)
      .set({
        status: status!,
        dueAt: resumes ? sql`${cases.dueAt} + coalesce(now() - ${cases.pausedAt}, interval '0')` : sql`${cases.dueAt}`,
        dueSoonAt: resumes
          ? sql`${cases.dueSoonAt} + coalesce(now() - ${cases.pausedAt}, interval '0')`
          : sql`${cases.dueSoonAt}`,
        pausedAt: resumes ? null : sql`coalesce(${cases.pausedAt}, now())`,
        ...(input.action === 'close'
          ? { outcome: input.outcome!, closeReason: input.reason!, closedAt: sql`now()` }
          : {}),
        updatedAt: sql`now()`,
      })
      .where(sql`${cases.id} = any(${changingIds})`)
      .returning();
  }
  if (input.action === 'close') {
    const violationStatus = OUTCOME_VIOLATION_STATUS[input.outcome!];
    await tx.execute(sql`
      with changed as (
        update violations v set status = ${violationStatus}, updated_at = now()
        from (select id, status, case_id from violations where case_id = any(${changingIds}) for update) old
        where v.id = old.id and old.status <> ${violationStatus}
        returning ${CHANGED_STATUS}, old.case_id)
        ${statusCounters()}
      insert into violation_events (org_id, violation_id, from_status, to_status, comment, actor_id)
      select ${uuidLiteral(actor.orgId)}, ch.id, ch.from_status, ${violationStatus},
        'Case #' || c.number || ' closed: ' || ${input.reason!}, ${actor.userId}
      from changed ch join cases c on c.id = ch.case_id`);
  }
  const before = new Map(changing.map((row) => [row.id, row]));
  await recordEvents(
    tx,
    actor,
    updatedRows.map((row): NewEvent => {
      const was = before.get(row.id)!;
      if (input.action === 'assign')
        return { caseId: row.id, type: 'assigned', data: { from: was.assigneeId, to: row.assigneeId } };
      if (input.action === 'close')
        return { caseId: row.id, type: 'closed', data: { outcome: input.outcome, reason: input.reason } };
      return { caseId: row.id, type: 'status_changed', data: { from: was.status, to: row.status } };
    }),
  );
  await recordAudits(
    tx,
    actor.origin,
    updatedRows.map((row) => {
      const was = before.get(row.id)!;
      return {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: input.action === 'close' ? 'case.closed' : 'case.updated',
        targetType: 'case',
        targetId: row.id,
        details: {
          number: row.number,
          bulk: true,
          ...(input.action === 'assign'
            ? { assignee: { from: was.assigneeId, to: row.assigneeId } }
            : { status: { from: was.status, to: row.status } }),
          ...(input.action === 'close' ? { outcome: input.outcome, reason: input.reason } : {}),
        },
      };
    }),
  );
  const events: ProductEvent[] =
    input.action === 'assign' && input.assignee_id
      ? updatedRows.map((row) => ({
          type: 'case.assigned',
          severity: row.priority as Severity,
          data: { ...caseEventData(row), assignee_name: assigneeName },
        }))
      : [];
  const dues = updatedRows.filter((row) => row.status !== 'closed').map((row) => row.dueAt.getTime());
  return {
    result: { updated: targets.length, errors },
    events,
    followUp: {
      live: updatedRows.map((row) => liveCase('case.updated', row)),
      earliestDue: dues.length > 0 ? Math.min(...dues) : null,
    },
  };
}

/** A member who leaves (deactivated, or no longer allowed to work cases) gives their open cases back to the queue. */
export async function unassignCasesOf(tx: Tx, actor: Actor, userId: string): Promise<number> {
  const released = await tx
    .update(cases)
    .set({ assigneeId: null, assignedAt: null, updatedAt: sql`now()` })
    .where(and(eq(cases.assigneeId, userId), ne(cases.status, 'closed')))
    .returning({ id: cases.id });
  await recordEvents(
    tx,
    actor,
    released.map((r) => ({
      caseId: r.id,
      type: 'assigned' as const,
      data: { from: userId, to: null, reason: 'member_left' },
    })),
  );
  return released.length;
}

// ---------------------------------------------------------------------------------------------
// Escalation

/**
 * Escalates the organization's cases past their deadline at `at` and not yet escalated (once:
 * the flag is set in the same statement that finds them), records `escalated` and raises
 * `case.sla_breached`. Returns the escalated rows.
 */
export async function escalateDueCases(tx: Tx, orgId: string, at: Date): Promise<CaseRow[]> {
  const due = await tx
    .select({ id: cases.id })
    .from(cases)
    // `at` is a millisecond (an alarm's time, a deadline read as a Date): a deadline counts at its millisecond.
    .where(
      and(
        RUNNING,
        eq(cases.escalated, false),
        sql`${cases.dueAt} < ${at.toISOString()}::timestamptz + interval '1 millisecond'`,
      ),
    )
    .orderBy(asc(cases.id))
    .for('update');
  if (due.length === 0) return [];
  const rows = await tx
    .update(cases)
    .set({ escalated: true, escalatedAt: sql`now()` })
    .where(
      and(
        inArray(
          cases.id,
          due.map((r) => r.id),
        ),
        RUNNING,
        eq(cases.escalated, false),
      ),
    )
    .returning();
  if (rows.length === 0) return [];
  const actor = systemActor(orgId);
  await recordEvents(
    tx,
    actor,
    rows.map((r) => ({ caseId: r.id, type: 'escalated' as const, data: { due_at: r.dueAt.toISOString() } })),
  );
  await recordAudit(tx, actor.origin, {
    orgId,
    actorId: null,
    action: 'case.escalated',
    targetType: 'case',
    targetId: rows.length === 1 ? rows[0]!.id : undefined,
    details: { numbers: rows.map((r) => r.number) },
  });
  return rows;
}

export function breachEvents(rows: CaseRow[]): ProductEvent[] {
  return rows.map((r) => ({ type: 'case.sla_breached', severity: r.priority as Severity, data: caseEventData(r) }));
}

export function escalatedFollowUp(rows: CaseRow[]): CaseFollowUp {
  return { live: rows.map((r) => liveCase('case.updated', r)), earliestDue: null };
}

/** The earliest deadline of the organization's running cases not yet escalated (ms), if any. */
export async function nextDeadline(tx: Tx): Promise<number | null> {
  const [row] = await tx
    .select({ dueAt: cases.dueAt })
    .from(cases)
    .where(and(RUNNING, eq(cases.escalated, false)))
    .orderBy(asc(cases.dueAt))
    .limit(1);
  return row ? row.dueAt.getTime() : null;
}

/** Sets the case of each violation (the id list beside the join: see `uuidArray`). */
async function linkViolations(tx: Tx, links: { case_id: string; id: string }[]): Promise<void> {
  await tx.execute(sql`
    update violations v set case_id = l.case_id, updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as l(case_id uuid, id uuid)
    where v.id = l.id and v.id = any(${uuidArray(links.map((link) => link.id))})`);
}
