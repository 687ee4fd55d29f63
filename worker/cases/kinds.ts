/** The cases' enumerations, in a module of their own so that the dashboard can import them. */

export const CASE_STATUSES = ['open', 'investigating', 'pending_info', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_OUTCOMES = ['confirmed', 'false_positive', 'inconclusive'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

export const SLA_STATES = ['on_track', 'due_soon', 'breached', 'paused'] as const;
export type SlaState = (typeof SLA_STATES)[number];

export const CASE_EVENT_TYPES = [
  'created',
  'violation_added',
  'assigned',
  'status_changed',
  'comment',
  'escalated',
  'closed',
  'reopened',
] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

export const BULK_ACTIONS = ['assign', 'status', 'close'] as const;

/** What closing with each outcome makes of the case's violations. */
export const OUTCOME_VIOLATION_STATUS = {
  confirmed: 'resolved',
  false_positive: 'false_positive',
  inconclusive: 'reviewed',
} as const satisfies Record<CaseOutcome, string>;

/** Less than this share of the SLA left: due soon. */
export const DUE_SOON_SHARE = 0.2;
