import { z } from '@hono/zod-openapi';
import { pageQuery } from '../platform/pagination';
import { ROLES } from '../platform/permissions';
import { SEVERITIES } from '../rules/language';
import { violationView } from '../violations/schemas';
import { BULK_ACTIONS, CASE_EVENT_TYPES, CASE_OUTCOMES, CASE_STATUSES, SLA_STATES } from './kinds';

const slaMinutes = z.number().int().min(1).max(525_600);

export const caseSettingsView = z
  .object({
    auto_create_min_severity: z.enum(SEVERITIES).nullable(),
    group_by: z.enum(['account', 'none']),
    auto_assign: z.boolean(),
    sla_minutes: z.object({ critical: slaMinutes, high: slaMinutes, medium: slaMinutes, low: slaMinutes }),
  })
  .openapi('CaseSettings');

export const updateCaseSettingsBody = caseSettingsView
  .partial()
  .extend({ sla_minutes: caseSettingsView.shape.sla_minutes.partial().strict().optional() })
  .strict()
  .openapi('UpdateCaseSettingsRequest');

const person = z.object({ id: z.uuid(), full_name: z.string() });

export const caseView = z
  .object({
    id: z.uuid(),
    number: z.number().int(),
    title: z.string(),
    status: z.enum(CASE_STATUSES),
    priority: z.enum(SEVERITIES),
    assignee: person.nullable(),
    account: z.string().nullable(),
    violation_count: z.number().int(),
    created_at: z.string(),
    due_at: z.string(),
    sla: z.object({ state: z.enum(SLA_STATES), remaining_seconds: z.number().int() }),
    escalated: z.boolean(),
    outcome: z.enum(CASE_OUTCOMES).nullable(),
    close_reason: z.string().nullable(),
    closed_at: z.string().nullable(),
  })
  .openapi('Case');

export const caseViolationView = violationView
  .extend({
    transaction: z.object({
      id: z.string(),
      occurred_at: z.string(),
      amount: z.string(),
      currency: z.string(),
      account: z.string(),
      counterparty: z.string().nullable(),
      type: z.string().nullable(),
      country: z.string().nullable(),
    }),
  })
  .openapi('CaseViolation');

export const caseDetailView = caseView
  .extend({
    violations: z.array(caseViolationView).openapi({ description: 'The first 200, in detection order.' }),
    violations_next_cursor: z
      .string()
      .nullable()
      .openapi({ description: 'The cursor of `GET /api/cases/{id}/violations` for the rest; null when none.' }),
  })
  .openapi('CaseDetail');

export const assigneeView = z
  .object({ id: z.uuid(), full_name: z.string(), role: z.enum(ROLES) })
  .openapi('CaseAssignee');

export const caseEventView = z
  .object({
    id: z.uuid(),
    type: z.enum(CASE_EVENT_TYPES),
    actor: person.nullable(),
    at: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('CaseEvent');

export const caseListQuery = pageQuery.extend({
  status: z.enum(CASE_STATUSES).optional(),
  assignee_id: z
    .union([z.uuid(), z.literal('none'), z.literal('me')])
    .optional()
    .openapi({ description: 'A user id, `me` (the caller) or `none` (unassigned).' }),
  priority: z.enum(SEVERITIES).optional(),
  sla: z.enum(['breached', 'due_soon']).optional(),
  account: z.string().min(1).max(256).optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: 'Words of the title or account, or a number.' }),
  open: z.enum(['true', 'false']).optional().openapi({ description: '`true`: only cases not closed (the inbox).' }),
});

export const caseCountsView = z
  .object({
    mine: z.number().int(),
    unassigned: z.number().int(),
    breached: z.number().int(),
    due_soon: z.number().int(),
    open: z.number().int(),
  })
  .openapi('CaseCounts');

export const createCaseBody = z
  .object({
    violation_ids: z.array(z.uuid()).min(1).max(500),
    title: z.string().trim().min(1).max(200).optional(),
    assignee_id: z.uuid().nullable().optional(),
  })
  .strict()
  .openapi('CreateCaseRequest');

const closing = {
  outcome: z.enum(CASE_OUTCOMES).optional(),
  reason: z.string().trim().min(1).max(2000).optional(),
};

export const updateCaseBody = z
  .object({
    status: z.enum(CASE_STATUSES).optional(),
    assignee_id: z.uuid().nullable().optional(),
    title: z.string().trim().min(1).max(200).optional(),
    ...closing,
  })
  .strict()
  .openapi('UpdateCaseRequest');

export const commentBody = z
  .object({ body: z.string().trim().min(1).max(10_000) })
  .strict()
  .openapi('CaseCommentRequest');

export const bulkBody = z
  .object({
    case_ids: z.array(z.uuid()).min(1).max(500),
    action: z.enum(BULK_ACTIONS),
    assignee_id: z.uuid().nullable().optional(),
    status: z.enum(CASE_STATUSES).optional(),
    ...closing,
  })
  .strict()
  .openapi('BulkCaseRequest');

export const bulkResult = z
  .object({ updated: z.number().int(), errors: z.array(z.object({ id: z.string(), message: z.string() })) })
  .openapi('BulkCaseResult');

const performanceCounts = {
  hits: z.number().int(),
  in_cases: z.number().int(),
  confirmed: z.number().int(),
  false_positive: z.number().int(),
  inconclusive: z.number().int(),
  precision: z.number().nullable(),
  median_hours_to_close: z.number().nullable(),
};

export const rulePerformanceView = z
  .object({
    ...performanceCounts,
    by_version: z.array(z.object({ version: z.number().int(), ...performanceCounts })),
  })
  .openapi('RulePerformance');

export const snoozeView = z
  .object({
    id: z.uuid(),
    rule_id: z.uuid(),
    account: z.string(),
    until: z.string(),
    reason: z.string(),
    active: z.boolean(),
    created_by: z.uuid().nullable(),
    created_at: z.string(),
    ended_at: z.string().nullable(),
  })
  .openapi('RuleSnooze');

export const createSnoozeBody = z
  .object({
    account: z.string().min(1).max(256),
    until: z.iso.datetime({ offset: true }),
    reason: z.string().trim().min(1).max(2000),
  })
  .strict()
  .openapi('CreateRuleSnoozeRequest');

export const snoozeParams = z.object({ id: z.uuid(), snooze_id: z.uuid() });
