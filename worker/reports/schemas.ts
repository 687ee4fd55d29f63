import { z } from '@hono/zod-openapi';
import { isRfc3339WithOffset } from '../platform/timestamps';
import { CADENCES, REPORT_FORMATS, REPORT_STATUSES, REPORT_TYPES } from './kinds';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A day (`2026-11-01`, UTC) or an RFC 3339 instant; `end` makes a day mean its last millisecond. */
function periodEnd(end: boolean) {
  return z
    .string()
    .refine(
      (text) => (DATE.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`))) || isRfc3339WithOffset(text),
      'must be a date (2026-11-01) or an RFC 3339 timestamp with an offset',
    )
    .transform((text) =>
      DATE.test(text) ? new Date(Date.parse(`${text}T00:00:00Z`) + (end ? 86_399_999 : 0)) : new Date(text),
    );
}

export const createReportBody = z
  .object({
    type: z.enum(REPORT_TYPES),
    format: z.enum(REPORT_FORMATS).optional().openapi({
      description: '`pdf` for compliance_summary, `csv` for the others; the one that fits when left out.',
    }),
    from: periodEnd(false).openapi({
      type: 'string',
      example: '2026-11-01',
      description: 'First day (or instant) included',
    }),
    to: periodEnd(true).openapi({
      type: 'string',
      example: '2026-11-30',
      description: 'Last day (or instant) included',
    }),
  })
  .openapi('CreateReport');

export const reportView = z
  .object({
    id: z.uuid(),
    type: z.enum(REPORT_TYPES),
    format: z.enum(REPORT_FORMATS),
    status: z.enum(REPORT_STATUSES),
    from: z.string(),
    to: z.string(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    size: z.number().int().nullable().openapi({ description: 'Bytes of the file once completed' }),
    sha256: z.string().nullable(),
    file_name: z.string(),
    progress: z.object({ done: z.number().int(), total: z.number().int() }).openapi({
      description: 'Rows written out of the rows the period held when generation started',
    }),
    error: z.string().nullable(),
    schedule_id: z.uuid().nullable(),
  })
  .openapi('Report');

export const createScheduleBody = z
  .object({
    type: z.enum(REPORT_TYPES),
    format: z.enum(REPORT_FORMATS).optional(),
    cadence: z.enum(CADENCES),
    channel_id: z.uuid(),
  })
  .openapi('CreateReportSchedule');

export const scheduleView = z
  .object({
    id: z.uuid(),
    type: z.enum(REPORT_TYPES),
    format: z.enum(REPORT_FORMATS),
    cadence: z.enum(CADENCES),
    channel_id: z.uuid(),
    next_run_at: z.string(),
    last_run_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('ReportSchedule');
