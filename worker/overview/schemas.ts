import { z } from '@hono/zod-openapi';
import { scanView } from '../scans/schemas';

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
      this_month: z.number().int().describe('Transactions ingested this month, as metered against the plan'),
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
    violations_by_day: z
      .array(severityCounts.extend({ date: z.string() }))
      .describe('The last 30 UTC days, zero-filled, by detection date'),
    top_rules: z
      .array(z.object({ rule_id: z.uuid(), name: z.string(), violations: z.number().int(), open: z.number().int() }))
      .describe('At most 5 rules by violations detected in the last 30 days'),
  })
  .openapi('Overview');

export type OverviewView = z.infer<typeof overviewView>;
