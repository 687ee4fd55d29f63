import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { fieldErrors } from '../platform/responses';
import { instant } from '../platform/timestamps';
import { checkAmount } from './amount';

const decimal = z
  .string()
  .refine((value) => !('error' in checkAmount(value)), 'must be a non-negative decimal with at most 4 decimal places');

export const listQuery = pageQuery.extend({
  account: z.string().min(1).max(256).optional(),
  type: z.string().min(1).max(256).optional(),
  from: instant.optional().openapi({ description: 'occurred_at >= from' }),
  to: instant.optional().openapi({ description: 'occurred_at < to' }),
  min_amount: decimal.optional(),
  max_amount: decimal.optional(),
});

export const uploadQuery = z.object({
  source_id: z.uuid().optional().openapi({ description: "Read the rows through this source's mapping" }),
});

export const transactionIdParam = z.object({ id: z.string().min(1).max(128) });

export const transactionView = z
  .object({
    id: z.string(),
    occurred_at: z.string(),
    amount: z.string(),
    currency: z.string(),
    account: z.string(),
    counterparty: z.string().nullable(),
    type: z.string().nullable(),
    country: z.string().nullable(),
    counterparty_country: z.string().nullable(),
    channel: z.string().nullable(),
    attributes: z.record(z.string(), z.unknown()),
    source_id: z.string().nullable(),
    ingested_at: z.string(),
    anomaly_score: z
      .number()
      .nullable()
      .openapi({ description: "The organization's anomaly model's score in [0, 1]; null before its first model." }),
    anomaly_factors: z
      .array(z.object({ feature: z.string(), value: z.number(), contribution: z.number() }))
      .openapi({ description: 'The features that raised the score most, largest contribution first.' }),
  })
  .openapi('Transaction');

const transactionViolationView = z.object({
  id: z.uuid(),
  rule_id: z.uuid(),
  rule_version: z.number().int(),
  severity: z.string(),
  risk_score: z.number(),
  explanation: z.string(),
  evidence: z.unknown(),
  status: z.string(),
  detected_at: z.string(),
});

export const transactionDetailView = transactionView
  .extend({
    violations: z.array(transactionViolationView),
  })
  .openapi('TransactionDetail');

export const uploadReportView = z
  .object({
    accepted: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), line: z.number().int().optional(), errors: fieldErrors })),
  })
  .openapi('UploadReport');
