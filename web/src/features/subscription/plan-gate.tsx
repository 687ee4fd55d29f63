import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { FEATURE_NAMES, type Feature } from '../../../../worker/subscription/catalogue';
import { EmptyState, ErrorState, LoadingState } from '../../components/states';
import { api } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { humanize } from '../../lib/format';
import type { Plan, SubscriptionStatus } from '../../lib/types';
import { BILLING_STATUS_KEY } from './billing-banner';

/**
 * A page of a plan feature: its content only on a plan that includes the feature, else what the
 * plan lacks. The content's queries are not sent at all there, so no 402 reaches the console.
 */
export function PlanGate({ feature, children }: { feature: Feature; children: ReactNode }) {
  const can = useCan();
  const status = useQuery({
    queryKey: BILLING_STATUS_KEY,
    queryFn: () => api<SubscriptionStatus>('/api/subscription/status'),
    staleTime: 60_000,
  });
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api<Plan[]>('/api/plans'), staleTime: 300_000 });
  if (status.isPending || plans.isPending) return <LoadingState />;
  if (status.isError) return <ErrorState error={status.error} onRetry={() => void status.refetch()} />;
  if (plans.isError) return <ErrorState error={plans.error} onRetry={() => void plans.refetch()} />;
  const inForce = plans.data.find((plan) => plan.id === status.data.plan_in_force);
  if (inForce?.features.includes(feature)) return children;
  const offering = plans.data.filter((plan) => plan.features.includes(feature)).map((plan) => plan.name);
  return (
    <EmptyState
      title={`${FEATURE_NAMES[feature]}: not in the ${humanize(status.data.plan_in_force)} plan`}
      description={offering.length > 0 ? `It comes with the ${offering.join(' and ')} plans.` : undefined}
      action={
        can('subscription:manage') ? (
          <Link className="text-primary hover:underline" to="/subscription">
            Compare plans
          </Link>
        ) : (
          'Ask an administrator to change the plan.'
        )
      }
    />
  );
}
