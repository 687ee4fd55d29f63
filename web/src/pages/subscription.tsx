import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertCircle, CheckCircle2 } from 'lucide-react';
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { StatusBadge } from '../components/badges';
import { PageHeader } from '../components/page-header';
import { LoadingState, QueryState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { PlanComparison, refusalReasons } from '../features/subscription/plan-comparison';
import { UsageMeters } from '../features/subscription/usage-meters';
import { ApiProblem, api, problemMessage } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatCount, formatDate, humanize } from '../lib/format';
import type { ExceededLimit, Plan, Subscription } from '../lib/types';

const SUBSCRIPTION_KEY = ['subscription'] as const;

/** What the last plan change answered when it was refused: the message and, for a downgrade, each reason. */
type Refusal = { plan: string; message: string; reasons: string[] };

function refusalOf(plan: Plan, error: unknown): Refusal {
  const exceeded = error instanceof ApiProblem ? (error.extra.exceeded as ExceededLimit[] | undefined) : undefined;
  return { plan: plan.name, message: problemMessage(error), reasons: exceeded ? refusalReasons(exceeded) : [] };
}

function BillingSummary({ subscription }: { subscription: Subscription }) {
  const lapsed = subscription.plan_in_force !== subscription.plan;
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex flex-wrap items-center gap-3">
          {`${humanize(subscription.plan)} plan`}
          <StatusBadge status={subscription.status} />
        </CardTitle>
        <CardDescription>
          {subscription.status === 'trialing' ? 'Trial ends' : 'Current period ends'}{' '}
          {formatDate(subscription.current_period_end)}
          {' · '}
          {subscription.stripe_customer ? 'Billed by Stripe' : 'Not billed by Stripe'}
        </CardDescription>
      </CardHeader>
      {(subscription.status === 'past_due' || lapsed) && (
        <CardContent>
          <Alert variant="destructive">
            <AlertCircle />
            <AlertTitle>{subscription.status === 'past_due' ? 'Payment failed' : 'Subscription lapsed'}</AlertTitle>
            <AlertDescription>
              {lapsed
                ? `Limits and features are those of the ${humanize(subscription.plan_in_force)} plan until the subscription is renewed.`
                : `Everything keeps working until ${formatDate(subscription.grace_period_ends_at)}. Update the payment method in Stripe before then.`}
            </AlertDescription>
          </Alert>
        </CardContent>
      )}
    </Card>
  );
}

function History({ subscription }: { subscription: Subscription }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Transactions by month</CardTitle>
      </CardHeader>
      <CardContent>
        {subscription.history.length === 0 ? (
          <p className="text-sm text-muted-foreground">No usage recorded yet.</p>
        ) : (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Month</TableHead>
                <TableHead className="text-right">Transactions</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {subscription.history.map((month) => (
                <TableRow key={month.period}>
                  <TableCell>{month.period}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatCount(month.transactions)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function SubscriptionPage() {
  const queryClient = useQueryClient();
  const can = useCan();
  const [searchParams] = useSearchParams();
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  // Usage changes on other pages (users, uploads): read afresh each time the page opens.
  const subscription = useQuery({
    queryKey: SUBSCRIPTION_KEY,
    queryFn: () => api<Subscription>('/api/subscription'),
    refetchOnMount: 'always',
  });
  const plans = useQuery({ queryKey: ['plans'], queryFn: () => api<Plan[]>('/api/plans'), staleTime: Infinity });

  const choose = useMutation({
    mutationFn: async (plan: Plan) => {
      // With Stripe on, a paid plan is bought through Checkout; the webhook changes the plan once paid.
      if (subscription.data?.checkout_available && plan.price_monthly > 0) {
        const { url } = await api<{ url: string }>('/api/subscription/checkout', {
          method: 'POST',
          body: { plan: plan.id },
        });
        window.location.assign(url);
        return null;
      }
      return api<Subscription>('/api/subscription/change', { method: 'POST', body: { plan: plan.id } });
    },
    onMutate: () => setRefusal(null),
    onSuccess: (updated, plan) => {
      if (!updated) return;
      queryClient.setQueryData(SUBSCRIPTION_KEY, updated);
      void queryClient.invalidateQueries({ queryKey: SUBSCRIPTION_KEY });
      toast.success(`You are now on the ${plan.name} plan`);
    },
    onError: (error, plan) => setRefusal(refusalOf(plan, error)),
  });

  const checkout = searchParams.get('checkout');
  return (
    <>
      <PageHeader
        title="Subscription"
        description="Your plan, what this organization uses of it, and the other plans."
      />
      {checkout === 'success' && (
        <Alert className="mb-4">
          <CheckCircle2 />
          <AlertTitle>Payment received</AlertTitle>
          <AlertDescription>
            Your new plan applies as soon as Stripe confirms the payment, usually within seconds.
          </AlertDescription>
        </Alert>
      )}
      <QueryState query={subscription} loading={<LoadingState rows={4} />}>
        {(current) => (
          <div className="grid gap-4">
            <BillingSummary subscription={current} />
            <UsageMeters subscription={current} />
            <Card>
              <CardHeader>
                <CardTitle>Compare plans</CardTitle>
                <CardDescription>
                  An upgrade applies at once. A downgrade needs your usage to fit the smaller plan first.
                </CardDescription>
              </CardHeader>
              <CardContent className="grid gap-4">
                {refusal && (
                  <Alert variant="destructive">
                    <AlertCircle />
                    <AlertTitle>{`Could not move to ${refusal.plan}`}</AlertTitle>
                    <AlertDescription>
                      <p>{refusal.message}</p>
                      {refusal.reasons.length > 0 && (
                        <ul className="mt-1 list-disc pl-5">
                          {refusal.reasons.map((reason) => (
                            <li key={reason}>{reason}</li>
                          ))}
                        </ul>
                      )}
                    </AlertDescription>
                  </Alert>
                )}
                <QueryState query={plans} loading={<LoadingState rows={6} />}>
                  {(catalogue) => (
                    <PlanComparison
                      plans={catalogue}
                      subscription={current}
                      pending={choose.isPending ? (choose.variables?.id ?? null) : null}
                      onChoose={(plan) => choose.mutate(plan)}
                      canChange={can('subscription:manage')}
                    />
                  )}
                </QueryState>
              </CardContent>
            </Card>
            <History subscription={current} />
          </div>
        )}
      </QueryState>
    </>
  );
}
