import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './tenancy';

/**
 * Background work that has no table of its own (schedule runs), written through
 * `recordJob`/`finishJob` (worker/operations/jobs.ts). Scans, connector runs, report runs, model
 * trainings and alert deliveries keep their own tables; the `jobs` view (db/security.sql) shows
 * all of them in one shape.
 */
export const jobRuns = pgTable(
  'job_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orgId: uuid('org_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** schedule_run | report_run | model_training | ... */
    kind: text('kind').notNull(),
    /** running | succeeded | failed */
    status: text('status').notNull().default('running'),
    /** What the job worked on (a schedule's id, a report's id), to link it from the dashboard. */
    subjectId: uuid('subject_id'),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('job_runs_org_created_idx').on(t.orgId, t.createdAt), index('job_runs_created_idx').on(t.createdAt)],
);
