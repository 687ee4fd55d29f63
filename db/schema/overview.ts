import { bigint, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './tenancy';

/**
 * The overview's counters, kept in the transactions that write `transactions` and `violations`
 * (statement triggers, migration `overview_counts`), so the dashboard reads a few hundred rows
 * instead of the month's transactions and every violation of the last 30 days. `kind`:
 * - `transactions`, `flagged`: transactions (with a violation other than a false positive) by the
 *   hour (UTC) they occurred in;
 * - `detected`, `occurred`: violations by severity (`key`) per quarter hour of their detection or
 *   of their transaction: every current time zone's midnight is a quarter hour, so any zone's days
 *   are sums of whole buckets (Asia/Kolkata is +05:30, Asia/Kathmandu +05:45); `detected_hour`,
 *   `occurred_hour` the same per hour, for the zones whose midnights are on the hour (fewer rows);
 * - `rule`, `rule_open` (per hour), `rule_day`, `rule_open_day` (per UTC day): violations (open or
 *   escalated ones) by rule (`key`) by detection;
 * - `open`: open or escalated violations by severity (`key`), at `-infinity`.
 */
export const overviewCounts = pgTable(
  'overview_counts',
  {
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    key: text('key').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind, t.at, t.key] })],
);

/**
 * Changes to `overview_counts` not yet applied: each writing statement's trigger appends its
 * changes here, and one deferred trigger applies a transaction's changes at its commit, in one
 * ordered statement. Counter rows are so locked only while a transaction commits, in one order
 * (no deadlock between writers, however many statements each ran). `kind` `nonfp` rows carry a
 * transaction's change in violations other than false positives (`key`: its internal id, `at`:
 * the hour it occurred in), from which `flagged` is recounted once the counter row is locked.
 * `apply` rows mark where the deferred trigger fires. No foreign key: an organization being
 * deleted takes its counters with it, and its changes are dropped.
 */
export const overviewCountChanges = pgTable(
  'overview_count_changes',
  {
    xid: bigint('xid', { mode: 'number' }).notNull(),
    orgId: uuid('org_id').notNull(),
    kind: text('kind').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull(),
    key: text('key').notNull(),
    n: integer('n').notNull(),
  },
  (t) => [index('overview_count_changes_xid_idx').on(t.xid)],
);
