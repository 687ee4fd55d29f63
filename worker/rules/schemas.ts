import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { instant } from '../platform/timestamps';
import { VERSION_STATUSES } from './kinds';
import { SEVERITIES } from './language';

/** Checked as a whole by the language module's validateRule, so every offending node is reported at once. */
export const ruleBody = z.record(z.string(), z.unknown()).openapi('RuleRequest', {
  description:
    'A rule (contract section 6): name, description?, severity (low|medium|high|critical), condition, policy_id?, clause_ref?.',
  example: {
    name: 'Large cash deposit',
    severity: 'high',
    clause_ref: '4.2',
    condition: {
      all: [
        { field: 'type', op: 'eq', value: 'cash' },
        { field: 'amount', op: 'gt', value: 10000 },
      ],
    },
  },
});

export const decisionBody = z
  .object({
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'The draft version to decide on; the latest when omitted.' }),
    comment: z.string().trim().min(1).max(2000).optional(),
  })
  .openapi('RuleDecisionRequest');

export const backtestBody = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    version: z
      .number()
      .int()
      .min(1)
      .optional()
      .openapi({ description: 'The version to test; the latest when omitted.' }),
  })
  .refine((body) => !body.from || !body.to || Date.parse(body.from) <= Date.parse(body.to), {
    message: '`from` must not be after `to`.',
    path: ['to'],
  })
  .openapi('RuleBacktestRequest');

/** What every rule version states, shown on a version and on a rule (its latest version). */
const ruleContent = {
  name: z.string(),
  description: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  condition: z.unknown(),
  policy_id: z.uuid().nullable(),
  clause_ref: z.string().nullable(),
  created_by: z.uuid().nullable(),
  created_at: z.string(),
};

export const ruleVersionView = z
  .object({
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    ...ruleContent,
    decided_by: z.uuid().nullable(),
    decided_at: z.string().nullable(),
    decision_comment: z.string().nullable(),
  })
  .openapi('RuleVersion');

/** A rule shows its latest version; `active_version` is the approved one being evaluated, if any. */
export const ruleView = z
  .object({
    id: z.uuid(),
    version: z.number().int(),
    status: z.enum(VERSION_STATUSES),
    active_version: z.number().int().nullable(),
    ...ruleContent,
    updated_at: z.string(),
  })
  .openapi('Rule');

export const ruleDetailView = ruleView.extend({ versions: z.array(ruleVersionView) }).openapi('RuleDetail');

export const ruleListQuery = pageQuery.extend({
  status: z.enum(VERSION_STATUSES).optional().openapi({ description: 'Status of the latest version.' }),
  policy_id: z.uuid().optional(),
});

export const backtestView = z
  .object({
    hits: z.number().int(),
    sample: z.array(
      z.object({ transaction_id: z.string(), explanation: z.string(), evidence: z.record(z.string(), z.unknown()) }),
    ),
    scanned: z.number().int(),
    duration_ms: z.number().int(),
  })
  .openapi('RuleBacktest');

export const approvalSettingsBody = z
  .object({
    four_eyes: z.boolean().openapi({ description: 'When on, a rule version may not be approved by its author.' }),
  })
  .openapi('ApprovalSettings');
