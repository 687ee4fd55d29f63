import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { StatusBadge } from '../../components/badges';
import { LoadingState, QueryState } from '../../components/states';
import { Badge } from '../../components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { api } from '../../lib/api';
import { formatCount } from '../../lib/format';
import type { PolicyImpact } from '../../lib/types';

type RuleRun = NonNullable<PolicyImpact['rules'][number]['before']>;

const CHANGE_VARIANT = { added: 'success', removed: 'danger', changed: 'warning' } as const;

function Run({ label, run }: { label: string; run: RuleRun | null }) {
  if (!run) return <div className="text-sm text-muted-foreground">{label}: no rule</div>;
  return (
    <div className="grid gap-1 text-sm">
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-muted-foreground">{label}:</span>
        <Link className="font-medium text-primary hover:underline" to={`/rules/${run.rule_id}`}>
          {run.name}
        </Link>
        <span className="tabular-nums">v{run.version}</span>
        <StatusBadge status={run.status} />
      </div>
      <p>
        <strong className="tabular-nums">{formatCount(run.hits)}</strong> transactions flagged
        {run.sample_transaction_ids.length > 0 && (
          <>
            , e.g.{' '}
            {run.sample_transaction_ids.slice(0, 3).map((id) => (
              <Link
                key={id}
                className="mr-1 font-mono text-xs text-primary hover:underline"
                to={`/transactions/${encodeURIComponent(id)}`}
              >
                {id}
              </Link>
            ))}
          </>
        )}
      </p>
    </div>
  );
}

export function ImpactReport({ policyId }: { policyId: string }) {
  const impact = useQuery({
    queryKey: ['policies', 'impact', policyId],
    queryFn: () => api<PolicyImpact>(`/api/policies/${policyId}/impact`),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Impact report</CardTitle>
        <CardDescription>
          {impact.data
            ? `Version ${impact.data.version} against version ${impact.data.previous_version}, backtested on ${formatCount(impact.data.transactions_scanned)} stored transactions.`
            : 'What the latest version changed, backtested on stored history.'}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState query={impact} loading={<LoadingState rows={4} />}>
          {(data) => (
            <div className="grid gap-4">
              <p className="text-sm">
                {data.clauses.added.length} clauses added, {data.clauses.changed.length} changed,{' '}
                {data.clauses.removed.length} removed.
              </p>
              {data.clauses.changed.map((clause) => (
                <div key={clause.key} className="grid gap-2 rounded-md border p-3 md:grid-cols-2">
                  <p className="text-xs font-semibold uppercase text-muted-foreground md:col-span-2">
                    Clause {clause.number} changed
                  </p>
                  <p className="rounded bg-red-50 p-2 text-sm">
                    <span className="sr-only">Before: </span>
                    <del className="no-underline">{clause.before}</del>
                  </p>
                  <p className="rounded bg-emerald-50 p-2 text-sm">
                    <span className="sr-only">After: </span>
                    <ins className="no-underline">{clause.after}</ins>
                  </p>
                </div>
              ))}
              {data.rules.length === 0 ? (
                <p className="text-sm text-muted-foreground">No rule is affected by these changes.</p>
              ) : (
                <ul className="grid gap-3">
                  {data.rules.map((rule, index) => (
                    <li key={`${rule.clause_key}-${index}`} className="grid gap-2 rounded-md border p-3">
                      <div className="flex items-center gap-2 text-sm">
                        <Badge variant={CHANGE_VARIANT[rule.change]}>{rule.change}</Badge> clause {rule.clause_key}
                      </div>
                      <div className="grid gap-3 md:grid-cols-2">
                        <Run label="Before" run={rule.before} />
                        <Run label="After" run={rule.after} />
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}
