import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { cases } from './cases';
import { policies } from './policies';
import { rules, ruleVersions } from './rules';
import { organizations, users } from './tenancy';
import { transactions } from './transactions';

export const scanSchedules = pgTable(
  'scan_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** hourly | daily | weekly | cron */
    frequency: text('frequency').notNull(),
    cronExpression: text('cron_expression'),
    ruleIds: jsonb('rule_ids').$type<string[] | null>(),
    enabled: boolean('enabled').notNull().default(true),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    /** Incremental scans cover transactions ingested after this instant. */
    watermark: timestamp('watermark', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('scan_schedules_due_idx').on(t.nextRunAt)],
);

export const scans = pgTable(
  'scans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** queued | running | completed | failed */
    status: text('status').notNull().default('queued'),
    trigger: text('trigger').notNull().default('manual'),
    scheduleId: uuid('schedule_id').references(() => scanSchedules.id, { onDelete: 'set null' }),
    ruleVersionIds: jsonb('rule_version_ids').$type<string[]>().notNull().default([]),
    rangeFrom: timestamp('range_from', { withTimezone: true }),
    rangeTo: timestamp('range_to', { withTimezone: true }),
    ingestedAfter: timestamp('ingested_after', { withTimezone: true }),
    total: bigint('total', { mode: 'number' }).notNull().default(0),
    processed: bigint('processed', { mode: 'number' }).notNull().default(0),
    violationsFound: bigint('violations_found', { mode: 'number' }).notNull().default(0),
    chunksTotal: integer('chunks_total').notNull().default(0),
    chunksDone: integer('chunks_done').notNull().default(0),
    error: text('error'),
    requestedBy: uuid('requested_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('scans_org_created_idx').on(t.orgId, t.createdAt), index('scans_org_status_idx').on(t.orgId, t.status)],
);

/** One row per queue message, so a redelivered chunk never counts twice. */
export const scanChunks = pgTable(
  'scan_chunks',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    scanId: uuid('scan_id')
      .notNull()
      .references(() => scans.id, { onDelete: 'cascade' }),
    chunk: integer('chunk').notNull(),
    firstId: bigint('first_id', { mode: 'number' }).notNull(),
    lastId: bigint('last_id', { mode: 'number' }).notNull(),
    /** Transactions of the scan in this id range when the scan was planned. */
    size: integer('size').notNull().default(0),
    /** pending | done | failed */
    status: text('status').notNull().default('pending'),
    processed: integer('processed').notNull().default(0),
    violationsFound: integer('violations_found').notNull().default(0),
    attempts: integer('attempts').notNull().default(0),
    error: text('error'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scanId, t.chunk] })],
);

export const violations = pgTable(
  'violations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => rules.id, { onDelete: 'cascade' }),
    ruleVersionId: uuid('rule_version_id')
      .notNull()
      .references(() => ruleVersions.id, { onDelete: 'cascade' }),
    ruleVersion: integer('rule_version').notNull(),
    policyId: uuid('policy_id').references(() => policies.id, { onDelete: 'set null' }),
    clauseRef: text('clause_ref'),
    transactionId: bigint('transaction_id', { mode: 'number' })
      .notNull()
      .references(() => transactions.id, { onDelete: 'cascade' }),
    scanId: uuid('scan_id').references(() => scans.id, { onDelete: 'set null' }),
    severity: text('severity').notNull(),
    /** 1 (low) to 4 (critical): the severity as the triage queue sorts it, so an index can serve the sort. */
    severityRank: smallint('severity_rank').generatedAlwaysAs(
      sql`case severity when 'low' then 1 when 'medium' then 2 when 'high' then 3 when 'critical' then 4 end`,
    ),
    riskScore: numeric('risk_score', { precision: 5, scale: 2 }).notNull(),
    explanation: text('explanation').notNull(),
    evidence: jsonb('evidence').notNull(),
    /** open | reviewed | resolved | false_positive | escalated | suppressed (a snoozed rule and account) */
    status: text('status').notNull().default('open'),
    assignedTo: uuid('assigned_to').references(() => users.id, { onDelete: 'set null' }),
    dueAt: timestamp('due_at', { withTimezone: true }),
    /** The case investigating it, if any. */
    caseId: uuid('case_id').references(() => cases.id, { onDelete: 'set null' }),
    detectedAt: timestamp('detected_at', { withTimezone: true }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // At most one violation per (rule version, transaction), however often it is evaluated.
    uniqueIndex('violations_rule_version_transaction_unique').on(t.ruleVersionId, t.transactionId),
    // The triage queue's sorts, each ending in the id as its cursor does: a page is an index range,
    // read in either direction, however many violations the organization holds (bench:api).
    index('violations_org_priority_idx').on(t.orgId, t.severityRank, t.riskScore, t.detectedAt, t.id),
    index('violations_org_risk_idx').on(t.orgId, t.riskScore, t.detectedAt, t.id),
    index('violations_org_detected_idx').on(t.orgId, t.detectedAt, t.id),
    // A status in priority order (the queue's default sort), for the same reason as a rule's below:
    // statuses follow severity (resolved ones were mostly high), which a filtered walk of the
    // priority index pays for (resolved violations at 10M: 1.8 s, now 0.6 ms).
    index('violations_org_status_priority_idx').on(t.orgId, t.status, t.severityRank, t.riskScore, t.detectedAt, t.id),
    // A rule's violations in priority order: a rule's severity is one rank, so the priority index
    // filtered by rule would walk every violation of the ranks above it first (at 10M up to
    // 900,000 rows, 1.5 s; now 0.6 ms).
    index('violations_org_rule_priority_idx').on(t.orgId, t.ruleId, t.severityRank, t.riskScore, t.detectedAt, t.id),
    index('violations_org_transaction_idx').on(t.orgId, t.transactionId),
    index('violations_scan_idx').on(t.scanId),
    index('violations_case_idx').on(t.caseId),
  ],
);

/**
 * The accounts and counterparties of violated transactions, each stored once per organization and
 * kind with every suffix of its lowercased text (at most `SEARCH_KEY_LENGTH` characters of it) as
 * a key: the violations search (`q`) finds the values containing what was typed as a leakproof
 * `~>=~ ... ~<~` range over these keys, which row-level security lets the index serve (it does not
 * for `ilike`). Written by a statement trigger on `violations` (migration 0016), only for values
 * not stored yet, so a scan pays a probe per violated account and counterparty, not a key per
 * suffix; not unique, so concurrent writers never wait on each other (a value stored twice by two
 * of them is read once). Transaction ids are not here: they are searched from their start through
 * the transactions' own `(org_id, external_id)` index.
 */
export const violationSearchValues = pgTable(
  'violation_search_values',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** account | counterparty */
    kind: text('kind').notNull(),
    value: text('value').notNull(),
  },
  (t) => [index('violation_search_values_key_idx').on(t.orgId, t.key.op('text_pattern_ops'), t.kind, t.value)],
);

/** Status changes and comments on a violation: its review history. */
export const violationEvents = pgTable(
  'violation_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    violationId: uuid('violation_id')
      .notNull()
      .references(() => violations.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status').notNull(),
    toStatus: text('to_status').notNull(),
    comment: text('comment'),
    actorId: uuid('actor_id').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('violation_events_violation_idx').on(t.orgId, t.violationId)],
);
