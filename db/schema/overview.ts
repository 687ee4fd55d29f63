import { bigint, date, integer, pgTable, primaryKey, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { rules } from './rules';
import { organizations } from './tenancy';

/*
 * The dashboard overview's counters (docs/dashboard.md), kept by the statements that write
 * transactions and violations (worker/overview/counters.ts), so the overview reads a few hundred
 * rows whatever the organization's size. Every counter row has a `shard` (the writer's backend pid
 * modulo 4): concurrent writers of one organization mostly update different rows instead of
 * waiting for each other's commit; readers sum the shards.
 */

/** Open (open or escalated) violations by severity, all time. */
export const overviewOpen = pgTable(
  'overview_open',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    shard: smallint('shard').notNull(),
    low: integer('low').notNull().default(0),
    medium: integer('medium').notNull().default(0),
    high: integer('high').notNull().default(0),
    critical: integer('critical').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.shard] })],
);

/**
 * Per UTC month: the transactions that occurred in it. Apart from the flagged ones (below) so that
 * a push, which counts its transaction before its violations, and a scan's unit, which counts
 * violations only, never lock the same two counter rows in opposite orders (a deadlock).
 */
export const overviewMonthTransactions = pgTable(
  'overview_month_transactions',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    month: date('month').notNull(),
    shard: smallint('shard').notNull(),
    transactions: bigint('transactions', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.month, t.shard] })],
);

/** Per UTC month: its transactions with a violation that is not a false positive. */
export const overviewMonths = pgTable(
  'overview_months',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    month: date('month').notNull(),
    shard: smallint('shard').notNull(),
    flagged: bigint('flagged', { mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.month, t.shard] })],
);

/**
 * Violations per quarter hour (UTC) by severity, by when they were detected (`basis` 'detected')
 * or when their transaction occurred ('occurred'). Every zone's offset is a whole number of
 * quarter hours, so any zone's days are sums of whole buckets.
 */
export const overviewBuckets = pgTable(
  'overview_buckets',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    basis: text('basis').notNull(),
    bucket: timestamp('bucket', { withTimezone: true }).notNull(),
    shard: smallint('shard').notNull(),
    low: integer('low').notNull().default(0),
    medium: integer('medium').notNull().default(0),
    high: integer('high').notNull().default(0),
    critical: integer('critical').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.basis, t.bucket, t.shard] })],
);

/** Per rule and UTC day of detection: violations, and how many of them are open (top rules). */
export const overviewRuleDays = pgTable(
  'overview_rule_days',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    day: date('day').notNull(),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => rules.id, { onDelete: 'cascade' }),
    shard: smallint('shard').notNull(),
    violations: integer('violations').notNull().default(0),
    open: integer('open').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.day, t.ruleId, t.shard] })],
);

/**
 * Transactions with at least one violation that is not a false positive, with their UTC month:
 * its primary key decides which writer counts a transaction as flagged (the first to insert it),
 * however many write its violations at once. No foreign key: its check on every flagged
 * transaction was a quarter of the counters' cost to a bulk insert of violations (BENCHMARKS.md,
 * issue 23, fourth session); nothing deletes organizations or transactions, and
 * `overview_recount` rewrites an organization's rows.
 */
export const flaggedTransactions = pgTable('flagged_transactions', {
  transactionId: bigint('transaction_id', { mode: 'number' }).primaryKey(),
  orgId: uuid('org_id').notNull(),
  month: date('month').notNull(),
});
