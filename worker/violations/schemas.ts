import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { instant } from '../platform/timestamps';
import { SEVERITIES } from '../rules/language';

/** `suppressed`: found while its rule was snoozed for the transaction's account (no case, no alert). */
export const VIOLATION_STATUSES = [
  'open',
  'reviewed',
  'resolved',
  'false_positive',
  'escalated',
  'suppressed',
] as const;

export const VIOLATION_SORTS = [
  'priority',
  'severity',
  'risk_score',
  'detected_at',
  'transaction_id',
  'rule',
  'status',
] as const;

export const violationFilters = z.object({
  rule_id: z.uuid().optional(),
  status: z.enum(VIOLATION_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  scan_id: z.uuid().optional(),
  transaction_id: z.string().min(1).max(128).optional().openapi({ description: 'The transaction id as pushed.' }),
  q: z.string().trim().min(1).max(128).optional().openapi({
    description:
      'Part of the account or the counterparty (any case), or the start of the transaction id (as typed, in capitals or in lower case). `%` and `_` are searched for literally.',
  }),
  from: instant.optional().openapi({ description: 'Detected at or after this instant.' }),
  to: instant.optional().openapi({ description: 'Detected at or before this instant.' }),
  sort: z.enum(VIOLATION_SORTS).default('priority').openapi({
    description:
      '`priority` (the default): severity, then risk score, then detection time. Any other column sorts by that column.',
  }),
  order: z.enum(['asc', 'desc']).default('desc'),
});

export const violationListQuery = pageQuery.extend(violationFilters.shape);

export const violationView = z
  .object({
    id: z.uuid(),
    rule_id: z.uuid(),
    rule_version: z.number().int(),
    transaction_id: z.string().openapi({ description: 'The transaction id as pushed.' }),
    rule_name: z.string().openapi({ description: 'The name of the rule version that found it.' }),
    account: z.string(),
    counterparty: z.string().nullable(),
    severity: z.enum(SEVERITIES),
    risk_score: z.number(),
    explanation: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    status: z.enum(VIOLATION_STATUSES),
    detected_at: z.string(),
    policy_id: z.uuid().nullable(),
    clause_ref: z.string().nullable(),
    scan_id: z.uuid().nullable(),
  })
  .openapi('Violation');

const violationEventView = z
  .object({
    from_status: z.enum(VIOLATION_STATUSES),
    to_status: z.enum(VIOLATION_STATUSES),
    comment: z.string().nullable(),
    actor_id: z.uuid().nullable(),
    actor_name: z.string().nullable().openapi({ description: 'Who decided; null when the product acted.' }),
    created_at: z.string(),
  })
  .openapi('ViolationEvent');

export const violationDetailView = violationView
  .extend({ history: z.array(violationEventView) })
  .openapi('ViolationDetail');

export const updateViolationBody = z
  .object({
    status: z.enum(VIOLATION_STATUSES),
    comment: z.string().trim().min(1).max(2000).optional(),
  })
  .openapi('UpdateViolationRequest');

export const bulkStatusBody = z
  .object({
    ids: z.array(z.uuid()).min(1).max(200),
    status: z.enum(VIOLATION_STATUSES),
    comment: z.string().trim().min(1).max(2000).optional(),
  })
  .openapi('BulkViolationStatusRequest');

export const bulkStatusView = z
  .object({
    updated: z.number().int().openapi({ description: 'How many violations changed status.' }),
    unchanged: z.number().int().openapi({ description: 'How many already had that status.' }),
  })
  .openapi('BulkViolationStatusResult');

export type ViolationStatus = (typeof VIOLATION_STATUSES)[number];
export type ViolationFilters = z.infer<typeof violationFilters>;
