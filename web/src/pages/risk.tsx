import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Brain } from 'lucide-react';
import { useCallback, useEffect } from 'react';
import { Link } from 'react-router';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { SEVERITIES } from '../../../worker/rules/language/schema';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { PlanGate } from '../features/subscription/plan-gate';
import { api, problemMessage, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatAmount, formatCount, formatDate, formatDateTime, humanize } from '../lib/format';
import { type LiveEvent, useLiveEvents } from '../lib/live';
import type { AccountRisk, Anomaly, Page, RiskModel, RiskSummary } from '../lib/types';

const FACTOR_COLORS: Record<string, string> = {
  open_violations: 'bg-red-500',
  anomalous_transactions: 'bg-amber-500',
  open_cases: 'bg-sky-500',
};

/** The model's status and last training, with the button that trains it (admins). */
function ModelCard() {
  const can = useCan();
  const client = useQueryClient();
  // The model comes with the summary (null before the first): no 404 to read on an empty page.
  const summary = useRiskSummary();
  const train = useMutation({
    mutationFn: () => api<RiskModel>('/api/risk/models/train', { method: 'POST', body: {} }),
    onSuccess: (queued) => {
      toast.success(`Training model v${queued.version}`, { description: 'It scores every transaction when ready.' });
      client.setQueryData(['risk', 'summary'], (previous: RiskSummary | undefined) =>
        previous ? { ...previous, model: queued } : previous,
      );
    },
    onError: (error) => toast.error('Could not start the training', { description: problemMessage(error) }),
  });
  const m = summary.data?.model;
  // When the run has scored everything, the lists below are read again.
  const finishedAt = m?.scoring.finished_at ?? null;
  useEffect(() => {
    if (finishedAt) void client.invalidateQueries({ queryKey: ['risk', 'anomalies'] });
  }, [finishedAt, client]);
  return (
    <Card>
      <CardHeader className="flex flex-row flex-wrap items-start justify-between gap-3">
        <div>
          <CardTitle>Anomaly model</CardTitle>
          <CardDescription>
            An isolation forest learns what is ordinary for your accounts; every transaction gets a score from 0 to 1.
          </CardDescription>
        </div>
        {can('risk:train') && (
          <Button onClick={() => train.mutate()} disabled={train.isPending || m?.status === 'training'}>
            <Brain /> {m ? 'Retrain' : 'Train the model'}
          </Button>
        )}
      </CardHeader>
      <CardContent>
        <QueryState
          query={summary}
          loading={<LoadingState rows={2} label="Loading the model" />}
          empty={
            <p className="text-sm text-muted-foreground">
              No model yet. Upload transactions, then train: it retrains itself weekly once you have 1,000.
            </p>
          }
          isEmpty={(data) => !data.model}
        >
          {() =>
            m && (
              <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" aria-label="Model status">
                <dt className="text-muted-foreground">Status</dt>
                <dd data-testid="model-status">
                  v{m.version}:{' '}
                  {m.status === 'ready' && !m.scoring.finished_at ? 'scoring stored transactions' : m.status}
                  {m.status === 'ready' &&
                    !m.scoring.finished_at &&
                    ` (${m.scoring.chunks_done} of ${m.scoring.chunks} chunks)`}
                </dd>
                <dt className="text-muted-foreground">Last training</dt>
                <dd>{m.trained_at ? formatDateTime(m.trained_at) : '—'}</dd>
                <dt className="text-muted-foreground">Trained on</dt>
                <dd>{formatCount(m.transactions)} transactions</dd>
                <dt className="text-muted-foreground">Features</dt>
                <dd>{m.features.map(humanize).join(', ')}</dd>
                {m.error && (
                  <>
                    <dt className="text-muted-foreground">Error</dt>
                    <dd className="text-destructive">{m.error}</dd>
                  </>
                )}
              </dl>
            )
          }
        </QueryState>
      </CardContent>
    </Card>
  );
}

function SummaryCards({ summary }: { summary: RiskSummary }) {
  const rules = [...new Map(summary.counts.map((c) => [c.rule_id, c.rule_name])).entries()];
  const cell = (ruleId: string, severity: string) =>
    summary.counts.find((c) => c.rule_id === ruleId && c.severity === severity)?.count ?? 0;
  const max = Math.max(1, ...summary.counts.map((c) => c.count));
  return (
    <div className="grid gap-4 lg:grid-cols-[16rem_1fr]">
      <Card>
        <CardContent className="grid gap-1 pt-5">
          <p className="text-sm text-muted-foreground">Organization risk</p>
          <p className="text-4xl font-semibold tabular-nums" data-testid="org-score">
            {summary.score}
          </p>
          <p className="text-xs text-muted-foreground">
            mean risk score of {formatCount(summary.open_violations)} open violations
          </p>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>12-week trend</CardTitle>
          <CardDescription>Mean risk score of the violations found each week.</CardDescription>
        </CardHeader>
        <CardContent className="h-48">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={summary.trend} margin={{ left: -20, right: 8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="week_start" tickFormatter={(v: string) => formatDate(v)} fontSize={11} />
              <YAxis domain={[0, 100]} fontSize={11} />
              <Tooltip labelFormatter={(v) => `Week of ${formatDate(String(v))}`} />
              <Line type="monotone" dataKey="score" name="Risk" stroke="#ef4444" strokeWidth={2} dot />
            </LineChart>
          </ResponsiveContainer>
        </CardContent>
      </Card>
      <Card className="lg:col-span-2">
        <CardHeader>
          <CardTitle>Open violations by rule and severity</CardTitle>
        </CardHeader>
        <CardContent>
          {rules.length === 0 ? (
            <p className="text-sm text-muted-foreground">No open violations.</p>
          ) : (
            <Table aria-label="Severity by rule heatmap">
              <TableHeader>
                <TableRow>
                  <TableHead>Rule</TableHead>
                  {SEVERITIES.map((severity) => (
                    <TableHead key={severity} className="text-center">
                      {humanize(severity)}
                    </TableHead>
                  ))}
                </TableRow>
              </TableHeader>
              <TableBody>
                {rules.map(([ruleId, name]) => (
                  <TableRow key={ruleId}>
                    <TableCell>
                      <Link to={`/violations?rule_id=${ruleId}`} className="text-primary hover:underline">
                        {name}
                      </Link>
                    </TableCell>
                    {SEVERITIES.map((severity) => {
                      const count = cell(ruleId, severity);
                      return (
                        <TableCell
                          key={severity}
                          className="text-center tabular-nums"
                          style={{
                            backgroundColor: count ? `rgba(239, 68, 68, ${0.12 + (0.6 * count) / max})` : undefined,
                          }}
                        >
                          {count || ''}
                        </TableCell>
                      );
                    })}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
    </div>
  );
}

function FactorBar({ account }: { account: AccountRisk }) {
  return (
    <div className="flex h-3 w-40 overflow-hidden rounded bg-slate-100" aria-hidden>
      {account.factors.map((factor) => (
        <div
          key={factor.name}
          className={FACTOR_COLORS[factor.name] ?? 'bg-slate-400'}
          style={{ width: `${factor.contribution}%` }}
        />
      ))}
    </div>
  );
}

function AccountsCard() {
  const pages = useCursorPages();
  const accounts = useQuery({
    queryKey: ['risk', 'accounts', pages.cursor],
    queryFn: () => api<Page<AccountRisk>>(`/api/risk/accounts${query({ cursor: pages.cursor, limit: 20 })}`),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Riskiest accounts</CardTitle>
        <CardDescription>
          Each score is the sum of its factors: open violations, anomalous transactions, open cases.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState
          query={accounts}
          loading={<LoadingState label="Loading accounts" />}
          empty={
            <EmptyState
              title="No risky accounts"
              description="Accounts appear here with an open violation, an open case or an anomalous transaction."
            />
          }
        >
          {(data) => (
            <>
              <Table aria-label="Riskiest accounts">
                <TableHeader>
                  <TableRow>
                    <TableHead>Account</TableHead>
                    <TableHead className="text-right">Score</TableHead>
                    <TableHead>Factors</TableHead>
                    <TableHead className="text-right">Open violations</TableHead>
                    <TableHead className="text-right">Open cases</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.items.map((account) => (
                    <TableRow key={account.account}>
                      <TableCell>
                        <Link
                          to={`/transactions?account=${encodeURIComponent(account.account)}`}
                          className="text-primary hover:underline"
                        >
                          {account.account}
                        </Link>
                      </TableCell>
                      <TableCell className="text-right font-semibold tabular-nums">{account.score}</TableCell>
                      <TableCell>
                        <div className="flex items-center gap-2">
                          <FactorBar account={account} />
                          <span className="text-xs text-muted-foreground">
                            {account.factors
                              .filter((f) => f.contribution > 0)
                              .map((f) => `${humanize(f.name)} ${f.contribution}`)
                              .join(' · ')}
                          </span>
                        </div>
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{account.open_violations}</TableCell>
                      <TableCell className="text-right tabular-nums">{account.open_cases}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              <Pager pages={pages} nextCursor={data.next_cursor} />
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function factorText(factors: { feature: string; contribution: number }[]): string {
  return factors.map((f) => `${humanize(f.feature)} +${f.contribution.toFixed(2)}`).join(', ');
}

function AnomaliesCard() {
  const pages = useCursorPages();
  const anomalies = useQuery({
    queryKey: ['risk', 'anomalies', pages.cursor],
    queryFn: () => api<Page<Anomaly>>(`/api/risk/anomalies${query({ cursor: pages.cursor, limit: 20 })}`),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Most anomalous transactions</CardTitle>
        <CardDescription>Highest anomaly score first, with the features that raised it most.</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState
          query={anomalies}
          loading={<LoadingState label="Loading anomalies" />}
          empty={<EmptyState title="Nothing scored yet" description="Scores appear once the model is trained." />}
        >
          {(data) => (
            <>
              <Table aria-label="Most anomalous transactions">
                <TableHeader>
                  <TableRow>
                    <TableHead>Transaction</TableHead>
                    <TableHead>Account</TableHead>
                    <TableHead className="text-right">Amount</TableHead>
                    <TableHead className="text-right">Score</TableHead>
                    <TableHead>Why</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.items.map((item) => (
                    <TableRow key={item.id}>
                      <TableCell>
                        <Link
                          to={`/transactions/${encodeURIComponent(item.id)}`}
                          className="text-primary hover:underline"
                        >
                          {item.id}
                        </Link>
                      </TableCell>
                      <TableCell>{item.account}</TableCell>
                      <TableCell className="text-right tabular-nums">
                        {formatAmount(item.amount, item.currency)}
                      </TableCell>
                      <TableCell className="text-right font-semibold tabular-nums">
                        {item.anomaly_score.toFixed(2)}
                      </TableCell>
                      <TableCell className="text-xs text-muted-foreground">
                        {factorText(item.anomaly_factors as { feature: string; contribution: number }[])}
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
              <Pager pages={pages} nextCursor={data.next_cursor} />
            </>
          )}
        </QueryState>
      </CardContent>
    </Card>
  );
}

/** The summary, polled every second while a training run trains or scores what was stored. */
function useRiskSummary() {
  return useQuery({
    queryKey: ['risk', 'summary'],
    queryFn: () => api<RiskSummary>('/api/risk/summary'),
    refetchInterval: (q) => {
      const m = q.state.data?.model;
      return m && (m.status === 'training' || (m.status === 'ready' && !m.scoring.finished_at)) ? 1000 : false;
    },
  });
}

/** The model, the summary and the lists, on a plan that includes risk. */
function RiskBoard() {
  const client = useQueryClient();
  const summary = useRiskSummary();
  // A new violation changes the scores: the page follows live.
  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.type === 'violation.created') void client.invalidateQueries({ queryKey: ['risk'] });
    },
    [client],
  );
  useLiveEvents(onEvent);
  return (
    <div className="grid gap-4">
      <ModelCard />
      <QueryState query={summary} loading={<LoadingState rows={3} label="Loading the summary" />}>
        {(data) => <SummaryCards summary={data} />}
      </QueryState>
      <AccountsCard />
      <AnomaliesCard />
    </div>
  );
}

export function RiskPage() {
  return (
    <>
      <PageHeader
        title="Risk"
        description="Your organization's risk, the accounts that drive it, and what the anomaly model finds unusual."
      />
      <PlanGate feature="risk">
        <RiskBoard />
      </PlanGate>
    </>
  );
}
