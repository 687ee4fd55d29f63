import type { Severity } from '../../../worker/rules/language/schema';
import { humanize } from '../lib/format';
import { Badge } from './ui/badge';

const SEVERITY_VARIANT = { low: 'secondary', medium: 'warning', high: 'danger', critical: 'critical' } as const;

export function SeverityBadge({ severity }: { severity: string }) {
  const variant = SEVERITY_VARIANT[severity as Severity] ?? 'secondary';
  return <Badge variant={variant}>{humanize(severity)}</Badge>;
}

const STATUS_VARIANT: Record<string, 'default' | 'secondary' | 'success' | 'warning' | 'danger' | 'outline'> = {
  approved: 'success',
  active: 'success',
  completed: 'success',
  succeeded: 'success',
  resolved: 'success',
  draft: 'warning',
  queued: 'secondary',
  running: 'default',
  retrying: 'warning',
  open: 'danger',
  escalated: 'danger',
  failed: 'danger',
  rejected: 'secondary',
  superseded: 'outline',
  reviewed: 'default',
  false_positive: 'secondary',
  inactive: 'secondary',
  trialing: 'default',
  past_due: 'danger',
  canceled: 'secondary',
  delivered: 'success',
  pending: 'warning',
  investigating: 'default',
  pending_info: 'warning',
  closed: 'secondary',
  suppressed: 'outline',
};

const SLA_VARIANT = { on_track: 'success', due_soon: 'warning', breached: 'danger', paused: 'secondary' } as const;

/** A case's SLA: time left, paused, or breached (how long ago). */
export function SlaBadge({
  sla,
  closed,
}: {
  sla: { state: keyof typeof SLA_VARIANT; remaining_seconds: number };
  closed?: boolean;
}) {
  const left = formatDuration(Math.abs(sla.remaining_seconds));
  const text = closed
    ? sla.state === 'breached'
      ? 'Closed late'
      : 'Closed in time'
    : sla.state === 'breached'
      ? `Breached ${left} ago`
      : sla.state === 'paused'
        ? `Paused, ${left} left`
        : `${left} left`;
  return <Badge variant={SLA_VARIANT[sla.state]}>{text}</Badge>;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${Math.floor((seconds % 86_400) / 3600)}h`;
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge variant={STATUS_VARIANT[status] ?? 'outline'}>{humanize(status)}</Badge>;
}
