import { useQuery } from '@tanstack/react-query';
import { CreditCard } from 'lucide-react';
import { Link } from 'react-router';
import { Alert, AlertDescription, AlertTitle } from '../../components/ui/alert';
import { api } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { formatDate, humanize } from '../../lib/format';
import type { SubscriptionStatus } from '../../lib/types';

export const BILLING_STATUS_KEY = ['subscription', 'status'] as const;

/** Across the app: a payment is overdue (and until when features keep working), or the plan has lapsed. */
export function BillingBanner() {
  const can = useCan();
  const status = useQuery({
    queryKey: BILLING_STATUS_KEY,
    queryFn: () => api<SubscriptionStatus>('/api/subscription/status'),
    staleTime: 60_000,
  });
  if (!status.data) return null;
  const { plan, plan_in_force, status: state, grace_period_ends_at } = status.data;
  const lapsed = plan_in_force !== plan;
  if (state !== 'past_due' && !lapsed) return null;
  const title =
    state === 'past_due' ? 'Payment failed' : `Your ${humanize(plan)} subscription is ${humanize(state).toLowerCase()}`;
  const detail =
    state === 'past_due' && !lapsed
      ? `The last payment for the ${humanize(plan)} plan failed. Every feature keeps working until ${formatDate(grace_period_ends_at)}; after that the organization is held to the Basic plan's limits and features.`
      : `The organization is held to the ${humanize(plan_in_force)} plan's limits and features.`;
  return (
    <Alert variant="destructive" className="rounded-none border-x-0 border-t-0" aria-label="Billing status">
      <CreditCard />
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription className="flex flex-wrap items-center justify-between gap-3">
        <span>{detail}</span>
        {can('subscription:manage') ? (
          <Link to="/subscription" className="font-medium underline underline-offset-4">
            Review billing
          </Link>
        ) : (
          <span>Ask an administrator to update the payment method.</span>
        )}
      </AlertDescription>
    </Alert>
  );
}
