import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { rules } from './rules';
import { organizations, users } from './tenancy';

/** An organization's case settings; the row is made with the defaults on first use. */
export const caseSettings = pgTable('case_settings', {
  orgId: uuid('org_id')
    .primaryKey()
    .references(() => organizations.id, { onDelete: 'cascade' }),
  /** low | medium | high | critical, or null: no automatic cases. */
  autoCreateMinSeverity: text('auto_create_min_severity').default('high'),
  /** account | none */
  groupBy: text('group_by').notNull().default('account'),
  autoAssign: boolean('auto_assign').notNull().default(false),
  slaCriticalMinutes: integer('sla_critical_minutes').notNull().default(1440),
  slaHighMinutes: integer('sla_high_minutes').notNull().default(4320),
  slaMediumMinutes: integer('sla_medium_minutes').notNull().default(10080),
  slaLowMinutes: integer('sla_low_minutes').notNull().default(20160),
  /** The number the next case gets: cases count from 1 per organization. */
  nextNumber: integer('next_number').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A unit of investigation. `due_at` is creation plus the SLA of its priority plus the time spent in
 * pending_info so far; `due_soon_at` is when less than 20% of the SLA is left. Both are stored so
 * that the inbox filters and the escalation sweep are index range scans.
 */
export const cases = pgTable(
  'cases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    title: text('title').notNull(),
    /** open | investigating | pending_info | closed */
    status: text('status').notNull().default('open'),
    /** The highest severity among its violations. */
    priority: text('priority').notNull(),
    assigneeId: uuid('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    assignedAt: timestamp('assigned_at', { withTimezone: true }),
    account: text('account'),
    /** Opened automatically for an account: new violations of that account join it while it is not closed. */
    grouped: boolean('grouped').notNull().default(false),
    violationCount: integer('violation_count').notNull().default(0),
    slaMinutes: integer('sla_minutes').notNull(),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    dueSoonAt: timestamp('due_soon_at', { withTimezone: true }).notNull(),
    /** Set while in pending_info: the SLA clock stopped then. */
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    escalated: boolean('escalated').notNull().default(false),
    escalatedAt: timestamp('escalated_at', { withTimezone: true }),
    /** confirmed | false_positive | inconclusive */
    outcome: text('outcome'),
    closeReason: text('close_reason'),
    closedAt: timestamp('closed_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cases_org_number_unique').on(t.orgId, t.number),
    index('cases_org_status_idx').on(t.orgId, t.status, t.number),
    index('cases_org_assignee_idx').on(t.orgId, t.assigneeId, t.number),
    index('cases_org_priority_idx').on(t.orgId, t.priority, t.number),
    index('cases_org_account_idx').on(t.orgId, t.account, t.number),
    // At most one open automatic case per account: concurrent detections join the same one.
    uniqueIndex('cases_open_account_unique').on(t.orgId, t.account).where(sql`grouped and status <> 'closed'`),
    // The inbox's SLA filters and the escalation sweep read only cases whose clock runs.
    index('cases_running_due_idx').on(t.orgId, t.dueAt).where(sql`status in ('open', 'investigating')`),
    index('cases_running_due_soon_idx').on(t.orgId, t.dueSoonAt).where(sql`status in ('open', 'investigating')`),
    index('cases_unescalated_due_idx').on(t.dueAt).where(sql`status in ('open', 'investigating') and not escalated`),
  ],
);

/**
 * The words of each case's title and account, lowercased: the inbox's search by words. Row-level
 * security keeps a non-leakproof `ilike` (or `@@`) out of index conditions, so search matches
 * these keys with the leakproof text comparisons instead (a prefix as a `~>=~ ... ~<~` range).
 * Written by triggers on `cases` (the migration that made this table), so every path that
 * stores a case keeps them.
 */
export const caseSearchKeys = pgTable(
  'case_search_keys',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.key] }),
    index('case_search_keys_key_idx').on(t.orgId, t.key.op('text_pattern_ops'), t.caseId),
  ],
);

/**
 * Cases not closed per assignee (null: unassigned), kept by triggers on `cases` in the
 * transaction that changes them: the inbox counts read a few rows instead of every open case.
 */
export const caseOpenCounts = pgTable(
  'case_open_counts',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    assigneeId: uuid('assignee_id'),
    cases: integer('cases').notNull().default(0),
  },
  (t) => [unique('case_open_counts_assignee_unique').on(t.orgId, t.assigneeId).nullsNotDistinct()],
);

/** A case's history: what happened, who did it, when. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    caseId: uuid('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    /** created | violation_added | assigned | status_changed | comment | escalated | closed | reopened */
    type: text('type').notNull(),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    at: timestamp('at', { withTimezone: true }).notNull().default(sql`clock_timestamp()`),
  },
  (t) => [index('case_events_case_idx').on(t.caseId, t.at)],
);

/** Until `until`, a rule's new violations for one account are stored as suppressed. */
export const ruleSnoozes = pgTable(
  'rule_snoozes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => rules.id, { onDelete: 'cascade' }),
    account: text('account').notNull(),
    until: timestamp('until', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('rule_snoozes_rule_idx').on(t.orgId, t.ruleId, t.account)],
);
