import { useMutation } from '@tanstack/react-query';
import { FlaskConical } from 'lucide-react';
import type { FormEvent } from 'react';
import { Link } from 'react-router';
import { Field } from '../../components/field';
import { Alert, AlertDescription } from '../../components/ui/alert';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Input } from '../../components/ui/input';
import { api, problemMessage } from '../../lib/api';
import { formatCount } from '../../lib/format';
import type { Backtest } from '../../lib/types';

function instant(value: FormDataEntryValue | null): string | undefined {
  return value ? new Date(String(value)).toISOString() : undefined;
}

/** Runs a saved version over stored transactions without writing anything. */
export function BacktestPanel({
  ruleId,
  version,
  blockedReason,
}: {
  ruleId: string | null;
  version: number | null;
  blockedReason: string | null;
}) {
  const backtest = useMutation({
    mutationFn: (body: { from?: string; to?: string; version?: number }) =>
      api<Backtest>(`/api/rules/${ruleId}/test`, { method: 'POST', body }),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    backtest.mutate({ from: instant(form.get('from')), to: instant(form.get('to')), version: version ?? undefined });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Backtest</CardTitle>
        <CardDescription>
          How often this version would have fired on stored transactions. Nothing is written.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
          <Field label="From (optional)">
            <Input type="datetime-local" name="from" />
          </Field>
          <Field label="To (optional)">
            <Input type="datetime-local" name="to" />
          </Field>
          <Button type="submit" variant="outline" disabled={!ruleId || blockedReason !== null || backtest.isPending}>
            <FlaskConical /> {backtest.isPending ? 'Running…' : 'Run backtest'}
          </Button>
        </form>
        {blockedReason && <p className="text-sm text-muted-foreground">{blockedReason}</p>}
        {backtest.isError && (
          <Alert variant="destructive">
            <AlertDescription>{problemMessage(backtest.error)}</AlertDescription>
          </Alert>
        )}
        {backtest.data && (
          <div className="grid gap-2" aria-live="polite">
            <p className="text-sm">
              <strong className="tabular-nums">{formatCount(backtest.data.hits)}</strong> hits in{' '}
              {formatCount(backtest.data.scanned)} transactions ({formatCount(backtest.data.duration_ms)} ms).
            </p>
            {backtest.data.sample.length > 0 && (
              <ul className="grid max-h-72 gap-2 overflow-y-auto">
                {backtest.data.sample.map((hit) => (
                  <li key={hit.transaction_id} className="rounded-md border p-2 text-sm">
                    <Link
                      className="font-mono text-xs text-primary hover:underline"
                      to={`/transactions/${encodeURIComponent(hit.transaction_id)}`}
                    >
                      {hit.transaction_id}
                    </Link>
                    <p className="text-muted-foreground">{hit.explanation}</p>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </CardContent>
    </Card>
  );
}
