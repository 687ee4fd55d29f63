import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations, users } from './tenancy';

/**
 * A pull connector: a customer's database query or REST endpoint read on demand or on a schedule.
 * `config` holds what may be shown (query, cursor column, paths); the URL with its credentials and
 * any custom headers sit in `secretCiphertext`, AES-GCM under SOURCE_SECRET_KEY bound to the id.
 */
export const connectors = pgTable(
  'connectors',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type').notNull(),
    config: jsonb('config').$type<Record<string, unknown>>().notNull(),
    secretCiphertext: text('secret_ciphertext').notNull(),
    mapping: jsonb('mapping').notNull().default({}),
    /** `every 15m` ... `every 24h`; null: on demand only. */
    schedule: text('schedule'),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    /** The cursor past the last committed page (text as the source wrote it); null before the first. */
    cursor: text('cursor'),
    isActive: boolean('is_active').notNull().default(true),
    createdBy: uuid('created_by').references(() => users.id),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('connectors_org_idx').on(t.orgId), index('connectors_due_idx').on(t.nextRunAt)],
);

/** One run of a connector: queued, running, then succeeded or failed, with its counts. */
export const connectorRuns = pgTable(
  'connector_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    connectorId: uuid('connector_id')
      .notNull()
      .references(() => connectors.id, { onDelete: 'cascade' }),
    trigger: text('trigger').notNull(),
    status: text('status').notNull().default('queued'),
    read: integer('read').notNull().default(0),
    accepted: integer('accepted').notNull().default(0),
    duplicates: integer('duplicates').notNull().default(0),
    rejected: integer('rejected').notNull().default(0),
    pages: integer('pages').notNull().default(0),
    cursorBefore: text('cursor_before'),
    cursorAfter: text('cursor_after'),
    /** The first row errors of the run (at most 20), and the error that ended it. */
    rowErrors: jsonb('row_errors').$type<unknown[]>().notNull().default([]),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('connector_runs_connector_idx').on(t.connectorId, t.createdAt)],
);
