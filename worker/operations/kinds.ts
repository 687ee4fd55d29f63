/** The jobs' enumerations, in a module of their own so that the dashboard can import them. */

/**
 * Every kind of background job. Scans, connector runs, report runs and alert deliveries are read
 * from their own tables through the `jobs` view (db/security.sql); the others are written
 * to `job_runs` with `recordJob` and `finishJob` (./jobs.ts).
 */
export const JOB_KINDS = [
  'scan',
  'schedule_run',
  'report_run',
  'model_training',
  'connector_run',
  'alert_delivery',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ['queued', 'running', 'retrying', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
