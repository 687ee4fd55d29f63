import { useQuery } from '@tanstack/react-query';
import { ArrowLeft } from 'lucide-react';
import { Link, useParams } from 'react-router';
import { PUSHED_FIELDS } from '../../../worker/rules/language/fields';
import { SeverityBadge, StatusBadge } from '../components/badges';
import { PageHeader } from '../components/page-header';
import { LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { api } from '../lib/api';
import { formatAmount, formatDateTime, humanize } from '../lib/format';
import { useRuleNames } from '../lib/rule-names';
import type { TransactionDetail } from '../lib/types';

// The header shows the amount, currency and time; the card lists the other columns a transaction carries.
const FIELDS = PUSHED_FIELDS.filter((field) => field !== 'amount' && field !== 'currency' && field !== 'occurred_at');

export function TransactionDetailPage() {
  const { id = '' } = useParams();
  const ruleNames = useRuleNames();
  const transaction = useQuery({
    queryKey: ['transactions', 'detail', id],
    queryFn: () => api<TransactionDetail>(`/api/transactions/${encodeURIComponent(id)}`),
  });
  const back = (
    <Button asChild variant="ghost" size="sm">
      <Link to="/transactions">
        <ArrowLeft /> Transactions
      </Link>
    </Button>
  );
  return (
    <>
      {back}
      <QueryState query={transaction} loading={<LoadingState rows={6} />}>
        {(t) => {
          const attributes = Object.entries(t.attributes ?? {});
          return (
            <>
              <PageHeader
                title={`Transaction ${t.id}`}
                description={`${formatAmount(t.amount, t.currency)} · ${formatDateTime(t.occurred_at)}`}
              />
              <div className="grid gap-4 lg:grid-cols-[22rem_1fr]">
                <Card className="lg:row-span-2">
                  <CardHeader>
                    <CardTitle>Fields</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
                      {FIELDS.map((field) => (
                        <div key={field} className="contents">
                          <dt className="text-muted-foreground">{field}</dt>
                          <dd>{t[field] ?? '—'}</dd>
                        </div>
                      ))}
                      {attributes.map(([key, value]) => (
                        <div key={key} className="contents">
                          <dt className="font-mono text-xs text-muted-foreground">attributes.{key}</dt>
                          <dd className="font-mono text-xs">{JSON.stringify(value)}</dd>
                        </div>
                      ))}
                    </dl>
                  </CardContent>
                </Card>
                <Card className="lg:col-start-2">
                  <CardHeader>
                    <CardTitle>Anomaly</CardTitle>
                  </CardHeader>
                  <CardContent>
                    {t.anomaly_score === null ? (
                      <p className="text-sm text-muted-foreground">
                        Not scored: the organization has no anomaly model yet.
                      </p>
                    ) : (
                      <div className="grid gap-2 text-sm">
                        <p>
                          Anomaly score{' '}
                          <span className="text-lg font-semibold tabular-nums">{t.anomaly_score.toFixed(4)}</span>{' '}
                          <span className="text-muted-foreground">
                            (about 0.5 is ordinary; the higher, the more unusual)
                          </span>
                        </p>
                        {t.anomaly_factors.length > 0 && (
                          <ul aria-label="Anomaly factors" className="grid gap-1">
                            {t.anomaly_factors.map((factor) => (
                              <li key={factor.feature} className="flex items-center gap-2">
                                <span className="w-56">{humanize(factor.feature)}</span>
                                <span className="font-mono text-xs text-muted-foreground">value {factor.value}</span>
                                <span className="font-mono text-xs">+{factor.contribution.toFixed(4)}</span>
                              </li>
                            ))}
                          </ul>
                        )}
                      </div>
                    )}
                  </CardContent>
                </Card>
                <Card className="lg:col-start-2">
                  <CardHeader>
                    <CardTitle>Violations</CardTitle>
                  </CardHeader>
                  <CardContent>
                    {t.violations.length === 0 ? (
                      <p className="text-sm text-muted-foreground">No approved rule flagged this transaction.</p>
                    ) : (
                      <ul className="grid gap-3">
                        {t.violations.map((violation) => (
                          <li key={violation.id} className="rounded-md border p-3">
                            <div className="flex flex-wrap items-center gap-2">
                              <SeverityBadge severity={violation.severity} />
                              <Link
                                to={`/violations/${violation.id}`}
                                className="font-medium text-primary hover:underline"
                              >
                                {ruleNames.get(violation.rule_id) ?? 'Rule'} v{violation.rule_version}
                              </Link>
                              <StatusBadge status={violation.status} />
                            </div>
                            <p className="mt-1 text-sm text-muted-foreground">{violation.explanation}</p>
                          </li>
                        ))}
                      </ul>
                    )}
                  </CardContent>
                </Card>
              </div>
            </>
          );
        }}
      </QueryState>
    </>
  );
}
