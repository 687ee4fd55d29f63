import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Play } from 'lucide-react';
import { type FormEvent, useCallback, useState } from 'react';
import { Link } from 'react-router';
import { StatusBadge } from '../components/badges';
import { Field, fieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Progress } from '../components/ui/progress';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { ScanSchedulesCard } from '../features/scans/schedules';
import { ApiProblem, api, problemMessage, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatCount, formatDateTime, humanize, zonedLocalInstant } from '../lib/format';
import { type LiveEvent, useLiveEvents, useLiveStatus } from '../lib/live';
import type { Page, QueuedScan, Scan } from '../lib/types';

type LiveProgress = { processed: number; total: number; violations_found: number; status?: Scan['status'] };

function percentOf(processed: number, total: number, status: string): number {
  if (status === 'completed') return 100;
  return total > 0 ? Math.round((processed / total) * 100) : 0;
}

/** A `datetime-local` value read in the user's time zone, sent as an RFC 3339 instant. */
function toInstant(value: FormDataEntryValue | null): string | undefined {
  return value ? zonedLocalInstant(String(value)) : undefined;
}

function StartScanCard() {
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const start = useMutation({
    mutationFn: (body: { from?: string; to?: string }) => api<QueuedScan>('/api/scans', { method: 'POST', body }),
    onSuccess: () => {
      toast.success('Scan queued', { description: 'Progress appears below as chunks complete.' });
      void queryClient.invalidateQueries({ queryKey: ['scans'] });
    },
    onError: (caught) => {
      if (caught instanceof ApiProblem && caught.errors.length > 0) setErrors(fieldErrors(caught.errors));
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    const form = new FormData(event.currentTarget);
    start.mutate({ from: toInstant(form.get('from')), to: toInstant(form.get('to')) });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Run a scan</CardTitle>
        <CardDescription>
          Evaluates every approved rule over stored transactions. Leave the range empty to scan everything.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
          <Field label="From (optional)" error={errors.from}>
            <Input type="datetime-local" name="from" />
          </Field>
          <Field label="To (optional)" error={errors.to}>
            <Input type="datetime-local" name="to" />
          </Field>
          <Button type="submit" disabled={start.isPending}>
            <Play /> {start.isPending ? 'Starting…' : 'Start scan'}
          </Button>
        </form>
        {start.isError && !(start.error instanceof ApiProblem && start.error.errors.length > 0) && (
          <Alert variant="destructive" className="mt-3">
            <AlertDescription>{problemMessage(start.error)}</AlertDescription>
          </Alert>
        )}
      </CardContent>
    </Card>
  );
}

function ScanProgress({ scan, live }: { scan: Scan; live: LiveProgress | undefined }) {
  const processed = live?.processed ?? scan.processed;
  const total = live?.total ?? scan.total;
  const status = live?.status ?? scan.status;
  const percent = percentOf(processed, total, status);
  return (
    <div className="grid gap-2 rounded-lg border bg-white p-4" data-testid="scan-progress">
      <div className="flex flex-wrap items-center justify-between gap-2 text-sm">
        <span className="flex items-center gap-2 font-medium">
          Scan started {formatDateTime(scan.created_at)} <StatusBadge status={status} />
        </span>
        <span className="tabular-nums text-muted-foreground">
          {formatCount(processed)} / {formatCount(total)} transactions ·{' '}
          {formatCount(live?.violations_found ?? scan.violations_found)} violations
        </span>
      </div>
      <Progress value={percent} aria-label="Scan progress" aria-valuetext={`${percent}%`} />
      <span className="text-right text-xs tabular-nums text-muted-foreground" aria-live="polite">
        {percent}%
      </span>
    </div>
  );
}

export function ScansPage() {
  const can = useCan();
  const pages = useCursorPages();
  const liveStatus = useLiveStatus();
  const queryClient = useQueryClient();
  const [live, setLive] = useState<Record<string, LiveProgress>>({});

  const scans = useQuery({
    queryKey: ['scans', pages.cursor],
    queryFn: () => api<Page<Scan>>(`/api/scans${query({ cursor: pages.cursor, limit: 20 })}`),
    // The socket carries progress; poll only while it is down and a scan is still moving.
    refetchInterval: (current) =>
      liveStatus !== 'open' &&
      current.state.data?.items.some((scan) => scan.status === 'queued' || scan.status === 'running')
        ? 3000
        : false,
  });

  const onEvent = useCallback(
    (event: LiveEvent) => {
      if (event.type === 'scan.progress') {
        setLive((previous) => ({
          ...previous,
          [event.scan_id]: {
            processed: event.processed,
            total: event.total,
            violations_found: event.violations_found,
            status: 'running',
          },
        }));
      } else if (event.type === 'scan.completed') {
        setLive((previous) => ({
          ...previous,
          [event.scan_id]: {
            processed: event.processed,
            total: event.total,
            violations_found: event.violations_found,
            status: event.status,
          },
        }));
        void queryClient.invalidateQueries({ queryKey: ['scans'] });
        if (event.status === 'completed')
          toast.success('Scan completed', {
            description: `${formatCount(event.violations_found)} violations in ${formatCount(event.processed)} transactions.`,
          });
        else toast.error('Scan failed', { description: event.error ?? 'The scan could not finish.' });
      }
    },
    [queryClient],
  );
  useLiveEvents(onEvent);

  const recent =
    scans.data?.items.filter((scan) => {
      const status = live[scan.id]?.status ?? scan.status;
      return status === 'queued' || status === 'running' || live[scan.id] !== undefined;
    }) ?? [];

  return (
    <>
      <PageHeader
        title="Scans"
        description="Batch evaluation of approved rules over stored transactions, with live progress."
      />
      <div className="grid gap-4">
        {can('scans:run') && <StartScanCard />}
        {can('scans:run') && <ScanSchedulesCard />}
        {recent.length > 0 && (
          <section aria-label="Scans in progress" className="grid gap-2">
            {recent.map((scan) => (
              <ScanProgress key={scan.id} scan={scan} live={live[scan.id]} />
            ))}
          </section>
        )}
        <Card>
          <CardHeader>
            <CardTitle>History</CardTitle>
          </CardHeader>
          <CardContent>
            <QueryState
              query={scans}
              empty={
                <EmptyState title="No scans yet" description="Approve rules, load transactions, then start a scan." />
              }
            >
              {(data) => (
                <>
                  <Table>
                    <TableHeader>
                      <TableRow>
                        <TableHead>Started</TableHead>
                        <TableHead>Status</TableHead>
                        <TableHead>Trigger</TableHead>
                        <TableHead>Progress</TableHead>
                        <TableHead>Violations</TableHead>
                        <TableHead>Finished</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {data.items.map((scan) => {
                        const progress = live[scan.id];
                        const status = progress?.status ?? scan.status;
                        return (
                          <TableRow key={scan.id}>
                            <TableCell className="whitespace-nowrap">{formatDateTime(scan.created_at)}</TableCell>
                            <TableCell>
                              <StatusBadge status={status} />
                              {scan.error && <p className="mt-1 text-xs text-red-700">{scan.error}</p>}
                            </TableCell>
                            <TableCell>{humanize(scan.trigger)}</TableCell>
                            <TableCell className="tabular-nums">
                              {formatCount(progress?.processed ?? scan.processed)} /{' '}
                              {formatCount(progress?.total ?? scan.total)}
                            </TableCell>
                            <TableCell className="tabular-nums">
                              <Link className="text-primary hover:underline" to={`/violations?scan_id=${scan.id}`}>
                                {formatCount(progress?.violations_found ?? scan.violations_found)}
                              </Link>
                            </TableCell>
                            <TableCell className="whitespace-nowrap">{formatDateTime(scan.finished_at)}</TableCell>
                          </TableRow>
                        );
                      })}
                    </TableBody>
                  </Table>
                  <Pager pages={pages} nextCursor={data.next_cursor} />
                </>
              )}
            </QueryState>
          </CardContent>
        </Card>
      </div>
    </>
  );
}
