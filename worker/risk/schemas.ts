import { z } from '@hono/zod-openapi';
import { isTimeZone } from './training';

export const trainBody = z
  .object({
    time_zone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin')
      .optional()
      .openapi({
        description:
          "The zone hours and weekdays are read in; kept as the organization's. Default: the organization's, else UTC.",
      }),
  })
  .strict();

export const modelView = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    status: z.enum(['training', 'ready', 'failed']),
    trained_at: z.string().nullable(),
    transactions: z
      .number()
      .int()
      .openapi({ description: 'How many transactions the model was fitted on (a seeded sample).' }),
    features: z.array(z.string()),
    statistics: z.record(z.string(), z.unknown()),
    trigger: z.string(),
    requested_at: z.string(),
    scoring: z.object({
      total: z.number().int(),
      chunks: z.number().int(),
      chunks_done: z.number().int(),
      finished_at: z.string().nullable(),
    }),
    error: z.string().nullable(),
  })
  .openapi('RiskModel');

export const accountRiskView = z
  .object({
    account: z.string(),
    score: z.number().int().min(0).max(100),
    factors: z.array(z.object({ name: z.string(), contribution: z.number().int() })),
    open_violations: z.number().int(),
    open_cases: z.number().int(),
  })
  .openapi('AccountRisk');

export const summaryView = z
  .object({
    score: z.number().int().min(0).max(100),
    open_violations: z.number().int(),
    trend: z.array(z.object({ week_start: z.string(), score: z.number().int(), violations: z.number().int() })),
    counts: z.array(
      z.object({ rule_id: z.uuid(), rule_name: z.string(), severity: z.string(), count: z.number().int() }),
    ),
    model: modelView
      .nullable()
      .openapi({ description: 'The newest model, as GET /api/risk/models/current; null before the first.' }),
  })
  .openapi('RiskSummary');

export const anomalyView = z
  .object({
    id: z.string(),
    account: z.string(),
    occurred_at: z.string(),
    amount: z.string(),
    currency: z.string(),
    counterparty: z.string().nullable(),
    anomaly_score: z.number(),
    anomaly_factors: z.array(z.unknown()),
  })
  .openapi('Anomaly');
