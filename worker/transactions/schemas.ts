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

/**
 * A transaction as sent (contract section 4), for the OpenAPI document: uploads and pushes are
 * checked row by row by canonical.ts (a bad row is reported, not the whole body refused), so this
 * schema documents the body and never validates it.
 */
export const transactionInput = z
  .object({
    id: z.string().min(1).max(128).describe('Unique per organization: the idempotency key'),
    occurred_at: z.string().describe('RFC 3339 with an offset'),
    amount: z
      .union([z.string(), z.number()])
      .describe('>= 0, at most 4 decimals; a decimal string keeps it exact (numbers are read exactly too)'),
    currency: z.string().regex(/^[A-Z]{3}$/),
    account: z.string().min(1).max(256),
    counterparty: z.string().max(256).optional(),
    type: z.string().max(256).optional(),
    country: z.string().length(2).optional().describe('ISO 3166 alpha-2'),
    counterparty_country: z.string().length(2).optional().describe('ISO 3166 alpha-2'),
    channel: z.string().max(256).optional(),
    attributes: z.record(z.string(), z.unknown()).optional().describe('A JSON object of at most 64 keys'),
  })
  .openapi('TransactionInput', {
    example: {
      id: 'INV-2026-000187',
      occurred_at: '2026-11-30T14:05:00+01:00',
      amount: '9500.00',
      currency: 'EUR',
      account: 'DE-ACC-1042',
      counterparty: 'Northwind Trading',
      type: 'cash_deposit',
      country: 'DE',
      channel: 'branch',
      attributes: { teller: 'T-17' },
    },
  });

const REF = { $ref: '#/components/schemas/TransactionInput' };

export const uploadBody = {
  description:
    'Up to 100 MB. Rows are read through the mapping of `source_id` when given; otherwise each row is a TransactionInput.',
  required: true,
  content: {
    'application/json': {
      schema: { type: 'array' as const, maxItems: 10_000, items: REF },
      example: [
        {
          id: 'TX-1001',
          occurred_at: '2026-11-30T09:12:00Z',
          amount: '120.50',
          currency: 'USD',
          account: 'ACC-7',
          counterparty: 'Acme Supplies',
          type: 'card',
        },
        {
          id: 'TX-1002',
          occurred_at: '2026-11-30T09:40:00Z',
          amount: '15000',
          currency: 'USD',
          account: 'ACC-7',
          counterparty: 'Blocked Ltd',
          type: 'wire',
          counterparty_country: 'IR',
        },
      ],
    },
    'application/x-ndjson': {
      schema: { type: 'string' as const, description: 'One TransactionInput JSON object per line' },
      example:
        '{"id":"TX-1001","occurred_at":"2026-11-30T09:12:00Z","amount":"120.50","currency":"USD","account":"ACC-7","type":"card"}\n' +
        '{"id":"TX-1002","occurred_at":"2026-11-30T09:40:00Z","amount":"15000","currency":"USD","account":"ACC-7","type":"wire"}\n',
    },
    'text/csv': {
      schema: {
        type: 'string' as const,
        description: 'A header row of canonical field names; `attributes.<key>` columns fill attributes',
      },
      example:
        'id,occurred_at,amount,currency,account,counterparty,type,attributes.branch\n' +
        'TX-1001,2026-11-30T09:12:00Z,120.50,USD,ACC-7,Acme Supplies,card,Leeds\n' +
        'TX-1002,2026-11-30T09:40:00Z,15000,USD,ACC-7,Blocked Ltd,wire,Leeds\n',
    },
  },
};

export const pushBody = {
  description:
    "One object or an array of at most 1,000, in the source's own field names when it has a mapping (unmapped: TransactionInput).",
  required: true,
  content: {
    'application/json': {
      schema: { oneOf: [REF, { type: 'array' as const, maxItems: 1000, items: REF }] },
      examples: {
        one: {
          summary: 'One transaction',
          value: {
            id: 'SAP-4711',
            occurred_at: '2026-11-30T16:20:00+01:00',
            amount: '48250.00',
            currency: 'EUR',
            account: 'DE-ACC-1042',
            counterparty: 'Northwind Trading',
            type: 'wire',
            counterparty_country: 'AE',
          },
        },
        several: {
          summary: 'An array',
          value: [
            {
              id: 'SAP-4712',
              occurred_at: '2026-11-30T16:21:00+01:00',
              amount: '310.00',
              currency: 'EUR',
              account: 'DE-ACC-1042',
              type: 'card',
            },
            {
              id: 'SAP-4713',
              occurred_at: '2026-11-30T16:22:00+01:00',
              amount: '9900.00',
              currency: 'EUR',
              account: 'DE-ACC-2001',
              type: 'cash_deposit',
            },
          ],
        },
      },
    },
  },
};
