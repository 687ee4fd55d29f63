import { useQuery } from '@tanstack/react-query';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState } from '../components/states';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Progress } from '../components/ui/progress';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { api } from '../lib/api';
import { formatCount, humanize } from '../lib/format';
import type { OrganizationUsage } from '../lib/types';

function Meter({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  const percent = limit ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  return (
    <Card>
      <CardContent className="grid gap-2 pt-5">
        <div className="flex items-baseline justify-between gap-2">
          <p className="text-sm text-muted-foreground">{label}</p>
          <p className="tabular-nums">
            <span className="text-xl font-semibold">{formatCount(used)}</span>{' '}
            <span className="text-sm text-muted-foreground">/ {limit === null ? 'unlimited' : formatCount(limit)}</span>
          </p>
        </div>
        {limit !== null && (
          <Progress
            value={percent}
            aria-label={`${label}: ${percent}% of the plan`}
            className={percent >= 90 ? '[&>div]:bg-red-600' : undefined}
          />
        )}
      </CardContent>
    </Card>
  );
}

export function SubscriptionPage() {
  const usage = useQuery({ queryKey: ['subscription'], queryFn: () => api<OrganizationUsage>('/api/subscription') });
  return (
    <>
      <PageHeader title="Subscription" description="Your plan and what this organization uses of it." />
      {usage.isPending ? (
        <LoadingState rows={4} />
      ) : usage.isError ? (
        <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
      ) : (
        <div className="grid gap-4">
          <Card>
            <CardHeader>
              <CardTitle>{`${usage.data.plan.name} plan`}</CardTitle>
              <CardDescription>{`${humanize(usage.data.plan.status)} · period ${usage.data.period}`}</CardDescription>
            </CardHeader>
          </Card>
          <div className="grid gap-4 md:grid-cols-3">
            <Meter
              label={`Transactions in ${usage.data.period}`}
              used={usage.data.transactions.used}
              limit={usage.data.transactions.limit}
            />
            <Meter label="Policies" used={usage.data.policies.used} limit={usage.data.policies.limit} />
            <Meter label="Active users" used={usage.data.users.used} limit={usage.data.users.limit} />
          </div>
          <Card>
            <CardHeader>
              <CardTitle>History</CardTitle>
            </CardHeader>
            <CardContent>
              {usage.data.history.length === 0 ? (
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
                    {usage.data.history.map((month) => (
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
        </div>
      )}
    </>
  );
}
