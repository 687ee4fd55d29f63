import { z } from '@hono/zod-openapi';
import { scanView } from '../scans/schemas';
import { isTimeZone } from '../sources/zoned-time';

const severityCounts = z.object({
  low: z.number().int(),
  medium: z.number().int(),
  high: z.number().int(),
  critical: z.number().int(),
});

export const overviewView = z
  .object({
    period: z.string().describe('The current calendar month (UTC), YYYY-MM'),
    transactions: z.object({
      this_month: z
        .number()
        .int()
        .describe(
          'Transactions ingested (received) this UTC month, as metered against the plan, whatever their occurred_at',
        ),
      counted_by: z.literal('ingestion').describe('What this_month counts: transactions as they are received'),
      limit: z.number().int().nullable(),
      plan: z.string(),
    }),
    open_violations: severityCounts.describe('Violations open or escalated, by severity'),
    compliance_rate: z
      .number()
      .nullable()
      .describe(
        "Share of this month's transactions with no violation other than false positives; null without transactions",
      ),
    last_scan: scanView.nullable(),
    time_zone: z.string().describe('The time zone the days below are counted in'),
    violations_by_day: z
      .array(severityCounts.extend({ date: z.string() }))
      .describe('The last 30 days in time_zone, zero-filled, by detection date'),
    violations_by_transaction_day: z
      .array(severityCounts.extend({ date: z.string() }))
      .describe("The last 30 days in time_zone, zero-filled, by the date of the violation's transaction (occurred_at)"),
    top_rules: z
      .array(z.object({ rule_id: z.uuid(), name: z.string(), violations: z.number().int(), open: z.number().int() }))
      .describe(
        'At most 5 rules by violations detected in the last 30 UTC days (today included), with how many of those are open',
      ),
  })
  .openapi('Overview');

export type OverviewView = z.infer<typeof overviewView>;

export const overviewQuery = z.object({
  time_zone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
    .optional()
    .openapi({ description: "The zone days are counted in; default: the caller's time zone, else UTC" }),
});
