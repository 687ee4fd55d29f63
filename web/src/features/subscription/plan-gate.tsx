import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { FEATURE_NAMES, type Feature } from '../../../../worker/subscription/catalogue';
import { EmptyState, QueryState } from '../../components/states';
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
  return (
    <QueryState query={status}>
      {(current) => (
        <QueryState query={plans}>
          {(catalogue) => {
            const inForce = catalogue.find((plan) => plan.id === current.plan_in_force);
            if (inForce?.features.includes(feature)) return children;
            const offering = catalogue.filter((plan) => plan.features.includes(feature)).map((plan) => plan.name);
            return (
              <EmptyState
                title={`${FEATURE_NAMES[feature]}: not in the ${humanize(current.plan_in_force)} plan`}
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
          }}
        </QueryState>
      )}
    </QueryState>
  );
}
