import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
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

export const violationListQuery = pageQuery.extend({
  rule_id: z.uuid().optional(),
  status: z.enum(VIOLATION_STATUSES).optional(),
  severity: z.enum(SEVERITIES).optional(),
  scan_id: z.uuid().optional(),
  transaction_id: z.string().min(1).max(128).optional().openapi({ description: 'The transaction id as pushed.' }),
});

export const violationView = z
  .object({
    id: z.uuid(),
    rule_id: z.uuid(),
    rule_version: z.number().int(),
    transaction_id: z.string().openapi({ description: 'The transaction id as pushed.' }),
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
