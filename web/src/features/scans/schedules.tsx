import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { FREQUENCIES } from '../../../../worker/scans/kinds';
import { StatusBadge } from '../../components/badges';
import { Field, fieldErrors } from '../../components/field';
import { Pager, useCursorPages } from '../../components/pager';
import { EmptyState, LoadingState, QueryState } from '../../components/states';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Input } from '../../components/ui/input';
import { Select } from '../../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { toast } from '../../components/ui/toaster';
import { ApiProblem, api, problemMessage, query } from '../../lib/api';
import { formatCount, formatDateTime, humanize } from '../../lib/format';
import type { Page, ScanSchedule, ScanScheduleListItem } from '../../lib/types';

function NewScheduleForm() {
  const queryClient = useQueryClient();
  const [frequency, setFrequency] = useState<(typeof FREQUENCIES)[number]>('daily');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: { frequency: string; cron_expression?: string }) =>
      api<ScanSchedule>('/api/scans/schedules', { method: 'POST', body }),
    onSuccess: (schedule) => {
      toast.success('Schedule created', { description: `First run ${formatDateTime(schedule.next_run_at)}.` });
      void queryClient.invalidateQueries({ queryKey: ['scan-schedules'] });
    },
    onError: (caught) => {
      if (caught instanceof ApiProblem && caught.errors.length > 0) setErrors(fieldErrors(caught.errors));
      else toast.error('Could not create the schedule', { description: problemMessage(caught) });
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    const cron = String(new FormData(event.currentTarget).get('cron_expression') ?? '').trim();
    create.mutate(frequency === 'cron' ? { frequency, cron_expression: cron } : { frequency });
  }

  return (
    <form onSubmit={submit} aria-label="New schedule" className="mb-4 flex flex-wrap items-end gap-3">
      <Field label="Frequency" error={errors.frequency}>
        <Select
          value={frequency}
          onChange={(event) => setFrequency(event.target.value as (typeof FREQUENCIES)[number])}
          className="w-40"
        >
          {FREQUENCIES.map((choice) => (
            <option key={choice} value={choice}>
              {choice === 'cron' ? 'Cron expression' : humanize(choice)}
            </option>
          ))}
        </Select>
      </Field>
      {frequency === 'cron' && (
        <Field label="Cron expression (UTC)" hint="minute hour day month weekday" error={errors.cron_expression}>
          <Input name="cron_expression" placeholder="30 2 * * 1-5" className="w-48" required />
        </Field>
      )}
      <Button type="submit" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Add schedule'}
      </Button>
    </form>
  );
}

function PauseButton({ schedule }: { schedule: ScanScheduleListItem }) {
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: () =>
      api<ScanSchedule>(`/api/scans/schedules/${schedule.id}`, {
        method: 'PATCH',
        body: { enabled: !schedule.enabled },
      }),
    onSuccess: (updated) => {
      toast.success(updated.enabled ? 'Schedule resumed' : 'Schedule paused');
      void queryClient.invalidateQueries({ queryKey: ['scan-schedules'] });
    },
    onError: (caught) => toast.error('Could not change the schedule', { description: problemMessage(caught) }),
  });
  return (
    <Button variant="outline" size="sm" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
      {schedule.enabled ? 'Pause' : 'Resume'}
    </Button>
  );
}

/** Recurring incremental scans: each run covers what was ingested since the previous one. */
export function ScanSchedulesCard() {
  const pages = useCursorPages();
  const schedules = useQuery({
    queryKey: ['scan-schedules', pages.cursor],
    queryFn: () => api<Page<ScanScheduleListItem>>(`/api/scans/schedules${query({ cursor: pages.cursor, limit: 20 })}`),
    refetchInterval: 60_000,
  });

  return (
    <Card>
      <CardHeader>
        <CardTitle>Schedules</CardTitle>
        <CardDescription>
          Recurring scans of every approved rule over the transactions ingested since the previous run.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <NewScheduleForm />
        <QueryState
          query={schedules}
          loading={<LoadingState rows={2} />}
          empty={
            <EmptyState
              title="No schedules"
              description="Add one to scan new transactions without starting it by hand."
            />
          }
        >
          {(data) => (
            <>
              <Table aria-label="Scan schedules">
                <TableHeader>
                  <TableRow>
                    <TableHead>Runs</TableHead>
                    <TableHead>State</TableHead>
                    <TableHead>Next run</TableHead>
                    <TableHead>Last result</TableHead>
                    <TableHead>
                      <span className="sr-only">Actions</span>
                    </TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.items.map((schedule) => (
                    <TableRow key={schedule.id}>
                      <TableCell>
                        {schedule.frequency === 'cron' ? (
                          <code className="text-xs">{schedule.cron_expression}</code>
                        ) : (
                          humanize(schedule.frequency)
                        )}
                      </TableCell>
                      <TableCell>{schedule.enabled ? 'Active' : 'Paused'}</TableCell>
                      <TableCell className="whitespace-nowrap">
                        {schedule.enabled ? formatDateTime(schedule.next_run_at) : '—'}
                      </TableCell>
                      <TableCell>
                        {schedule.last_scan ? (
                          <span className="flex flex-wrap items-center gap-2">
                            <StatusBadge status={schedule.last_scan.status} />
                            <Link
                              className="text-primary hover:underline"
                              to={`/violations?scan_id=${schedule.last_scan.id}&status=`}
                            >
                              {formatCount(schedule.last_scan.violations_found)} violations
                            </Link>
                            <span className="text-xs text-muted-foreground">
                              {formatDateTime(schedule.last_scan.finished_at ?? schedule.last_scan.created_at)}
                            </span>
                          </span>
                        ) : (
                          <span className="text-muted-foreground">Not run yet</span>
                        )}
                      </TableCell>
                      <TableCell className="text-right">
                        <PauseButton schedule={schedule} />
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
