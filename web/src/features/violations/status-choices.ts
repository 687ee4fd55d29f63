import type { ViolationStatus } from '../../lib/types';

/** The statuses a person can set on a violation, in the order they are offered (`suppressed` is the engine's). */
export const VIOLATION_STATUS_CHOICES = [
  'open',
  'reviewed',
  'escalated',
  'resolved',
  'false_positive',
] as const satisfies readonly ViolationStatus[];
