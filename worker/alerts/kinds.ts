/** The alerts' enumerations, in a module of their own so that the dashboard can import them. */

/** What the product raises for alerting (contract section 11); routes subscribe by type. */
export const EVENT_TYPES = [
  'violation.created',
  'case.created',
  'case.assigned',
  'case.sla_breached',
  'scan.completed',
  'scan.failed',
  'usage.limit_near',
  'report.ready',
  'job.failed',
  'billing.payment_failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CHANNEL_TYPES = ['slack', 'email', 'webhook'] as const;
export const ROUTE_MODES = ['immediate', 'digest'] as const;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
