import { SEVERITIES, type Severity } from '../../../worker/rules/language/schema';
import { humanize } from '../lib/format';
import { Badge } from './ui/badge';

export { SEVERITIES };

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
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge variant={STATUS_VARIANT[status] ?? 'outline'}>{humanize(status)}</Badge>;
}
