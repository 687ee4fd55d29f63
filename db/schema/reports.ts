import { bigint, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { alertChannels } from './alerts';
import { organizations, users } from './tenancy';

/** A report to deliver on a cadence through an alert channel (`report.ready`). */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** compliance_summary | violations | cases | transactions | audit */
    type: text('type').notNull(),
    /** pdf | csv */
    format: text('format').notNull(),
    /** daily | weekly */
    cadence: text('cadence').notNull(),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => alertChannels.id, { onDelete: 'cascade' }),
    nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('report_schedules_due_idx').on(t.nextRunAt)],
);

/** One generated (or generating) file; the bytes live in R2 under `object_key`. */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    format: text('format').notNull(),
    /** queued | running | completed | failed */
    status: text('status').notNull().default('queued'),
    rangeFrom: timestamp('range_from', { withTimezone: true }).notNull(),
    rangeTo: timestamp('range_to', { withTimezone: true }).notNull(),
    /** Progress: rows written so far, out of the rows the period held when generation started. */
    rowsTotal: bigint('rows_total', { mode: 'number' }).notNull().default(0),
    rowsDone: bigint('rows_done', { mode: 'number' }).notNull().default(0),
    size: bigint('size', { mode: 'number' }),
    objectKey: text('object_key'),
    sha256: text('sha256'),
    error: text('error'),
    scheduleId: uuid('schedule_id').references(() => reportSchedules.id, { onDelete: 'set null' }),
    requestedBy: uuid('requested_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('reports_org_created_idx').on(t.orgId, t.createdAt.desc(), t.id)],
);
