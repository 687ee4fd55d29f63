import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { instant } from '../platform/timestamps';
import { FREQUENCIES } from './kinds';

export const startScanBody = z
  .object({
    rule_ids: z
      .array(z.uuid())
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'Rules to evaluate (their approved versions); every approved rule when omitted.' }),
    from: instant.optional().openapi({ description: 'Only transactions that occurred at or after this instant.' }),
    to: instant.optional().openapi({ description: 'Only transactions that occurred at or before this instant.' }),
  })
  .refine((body) => !body.from || !body.to || Date.parse(body.from) <= Date.parse(body.to), {
    message: '`from` must not be after `to`.',
    path: ['to'],
  })
  .openapi('StartScanRequest');

const SCAN_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;

export const queuedScanView = z.object({ id: z.uuid(), status: z.enum(SCAN_STATUSES) }).openapi('QueuedScan');

export const scanView = z
  .object({
    id: z.uuid(),
    status: z.enum(SCAN_STATUSES),
    trigger: z.enum(['manual', 'schedule']),
    schedule_id: z.uuid().nullable(),
    rule_version_ids: z.array(z.uuid()),
    from: z.string().nullable(),
    to: z.string().nullable(),
    ingested_after: z
      .string()
      .nullable()
      .openapi({ description: 'Incremental (scheduled) scans: only transactions ingested after this instant.' }),
    total: z.number().int(),
    processed: z.number().int(),
    violations_found: z.number().int(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    error: z.string().optional(),
  })
  .openapi('Scan');

export const scanListQuery = pageQuery.extend({ status: z.enum(SCAN_STATUSES).optional() });

const scheduleFields = {
  frequency: z.enum(FREQUENCIES),
  cron_expression: z.string().trim().min(9).max(200).optional().openapi({
    description: 'Five fields (minute hour day-of-month month day-of-week), UTC; required when frequency is cron.',
    example: '30 2 * * 1-5',
  }),
  rule_ids: z.array(z.uuid()).min(1).max(200).optional(),
  enabled: z.boolean().optional(),
};

export const createScheduleBody = z.object(scheduleFields).openapi('CreateScanScheduleRequest');

export const updateScheduleBody = z
  .object({
    frequency: scheduleFields.frequency.optional(),
    cron_expression: scheduleFields.cron_expression.nullable(),
    rule_ids: scheduleFields.rule_ids.nullable(),
    enabled: scheduleFields.enabled,
  })
  .openapi('UpdateScanScheduleRequest');

export const scheduleView = z
  .object({
    id: z.uuid(),
    frequency: z.enum(FREQUENCIES),
    cron_expression: z.string().nullable(),
    rule_ids: z.array(z.uuid()).nullable(),
    enabled: z.boolean(),
    next_run_at: z.string(),
    last_run_at: z.string().nullable(),
    watermark: z
      .string()
      .nullable()
      .openapi({ description: 'The next scheduled scan covers transactions ingested after this instant.' }),
    created_at: z.string(),
  })
  .openapi('ScanSchedule');

export const scheduleListItemView = scheduleView
  .extend({
    last_scan: z
      .object({
        id: z.uuid(),
        status: z.enum(['queued', 'running', 'completed', 'failed']),
        violations_found: z.number().int(),
        created_at: z.string(),
        finished_at: z.string().nullable(),
      })
      .nullable()
      .openapi({ description: "The schedule's latest scan and its result; null before the first run." }),
  })
  .openapi('ScanScheduleListItem');
