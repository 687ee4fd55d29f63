import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { LoadingState, QueryState } from '../../components/states';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Input } from '../../components/ui/input';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage } from '../../lib/api';
import { useCan } from '../../lib/auth';
import { formatDateTime } from '../../lib/format';
import type { RulePerformance, RuleSnooze } from '../../lib/types';

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(0)}%`);

/** What closed cases say of the rule: precision, false-positive rate, time to close, per version. */
export function RulePerformancePanel({ ruleId }: { ruleId: string }) {
  const performance = useQuery({
    queryKey: ['cases', 'rule-performance', ruleId],
    queryFn: () => api<RulePerformance>(`/api/rules/${ruleId}/performance`),
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>Performance</CardTitle>
        <CardDescription>From the outcomes of closed cases holding this rule's violations.</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState query={performance} loading={<LoadingState rows={2} />}>
          {(data) => <PerformanceFigures performance={data} />}
        </QueryState>
      </CardContent>
    </Card>
  );
}

function PerformanceFigures({ performance: p }: { performance: RulePerformance }) {
  const decided = p.confirmed + p.false_positive;
  return (
    <div className="grid gap-3 text-sm">
      <dl className="grid grid-cols-3 gap-3" aria-label="Rule performance">
        <div>
          <dt className="text-muted-foreground">Precision</dt>
          <dd className="text-xl font-semibold tabular-nums">{percent(p.precision)}</dd>
        </div>
        <div>
          <dt className="text-muted-foreground">False-positive rate</dt>
          <dd className="text-xl font-semibold tabular-nums">
            {decided === 0 ? '—' : percent(p.false_positive / decided)}
          </dd>
        </div>
        <div>
          <dt className="text-muted-foreground">Median time to close</dt>
          <dd className="text-xl font-semibold tabular-nums">
            {p.median_hours_to_close === null ? '—' : `${p.median_hours_to_close} h`}
          </dd>
        </div>
      </dl>
      <p className="text-muted-foreground">
        {p.hits} hits · {p.in_cases} in cases · {p.confirmed} confirmed · {p.false_positive} false positives ·{' '}
        {p.inconclusive} inconclusive
      </p>
      {p.by_version.length > 1 && (
        <ol className="grid gap-1" aria-label="Trend by version">
          {p.by_version.map((v) => (
            <li key={v.version} className="tabular-nums">
              v{v.version}: precision {percent(v.precision)} over {v.confirmed + v.false_positive} decided
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** Snoozes: until a time, the rule's new violations for one account are suppressed. */
export function RuleSnoozesPanel({ ruleId }: { ruleId: string }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const snoozes = useQuery({
    queryKey: ['cases', 'rule-snoozes', ruleId],
    queryFn: () => api<RuleSnooze[]>(`/api/rules/${ruleId}/snoozes`),
  });
  const [account, setAccount] = useState('');
  const [until, setUntil] = useState('');
  const [reason, setReason] = useState('');
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['cases', 'rule-snoozes', ruleId] });
  const create = useMutation({
    mutationFn: () =>
      api<RuleSnooze>(`/api/rules/${ruleId}/snoozes`, {
        method: 'POST',
        body: { account, until: new Date(until).toISOString(), reason },
      }),
    onSuccess: () => {
      toast.success(`Snoozed for ${account}`);
      setAccount('');
      setReason('');
      refresh();
    },
    onError: (caught) => toast.error('Could not snooze', { description: problemMessage(caught) }),
  });
  const end = useMutation({
    mutationFn: (id: string) => api<void>(`/api/rules/${ruleId}/snoozes/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
    onError: (caught) => toast.error('Could not end the snooze', { description: problemMessage(caught) }),
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate();
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Snoozes</CardTitle>
        <CardDescription>
          Until then, this rule's new violations for the account open no case and raise no alert.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3 text-sm">
        <QueryState
          query={snoozes}
          loading={<LoadingState rows={2} />}
          empty={<p className="text-muted-foreground">No active snooze.</p>}
          isEmpty={(all) => !all.some((s) => s.active)}
        >
          {(all) => (
            <ul className="grid gap-2">
              {all
                .filter((s) => s.active)
                .map((s) => (
                  <li key={s.id} className="flex flex-wrap items-center gap-2 rounded-md border p-2">
                    <span className="font-mono">{s.account}</span> until {formatDateTime(s.until)} · {s.reason}
                    {can('cases:update') && (
                      <Button size="sm" variant="ghost" onClick={() => end.mutate(s.id)}>
                        End
                      </Button>
                    )}
                  </li>
                ))}
            </ul>
          )}
        </QueryState>
        {can('cases:update') && (
          <form onSubmit={submit} className="grid gap-2 md:grid-cols-3" aria-label="Snooze for an account">
            <Field label="Account">
              <Input value={account} onChange={(event) => setAccount(event.target.value)} required />
            </Field>
            <Field label="Until">
              <Input type="datetime-local" value={until} onChange={(event) => setUntil(event.target.value)} required />
            </Field>
            <Field label="Reason">
              <Input value={reason} onChange={(event) => setReason(event.target.value)} required />
            </Field>
            <Button type="submit" variant="outline" disabled={create.isPending} className="md:col-span-3">
              Snooze
            </Button>
          </form>
        )}
      </CardContent>
    </Card>
  );
}
