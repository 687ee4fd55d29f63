import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { JOB_KINDS, JOB_STATUSES } from '../../../worker/operations/kinds';
import { StatusBadge } from '../components/badges';
import { ChoiceFilter } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, LoadingState, QueryState } from '../components/states';
import { Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { api, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatCount, formatDateTime, humanize } from '../lib/format';
import type { Job, OperationsOverview, Page } from '../lib/types';

const UNSETTLED = new Set<Job['status']>(['queued', 'running', 'retrying']);
// While a job is still moving, the list refreshes itself this often.
const LIVE_REFRESH_MS = 3000;

function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%`;
}

function JobsCard({ everyOrganization }: { everyOrganization: boolean }) {
  const pages = useCursorPages();
  const [kind, setKind] = useState('');
  const [status, setStatus] = useState('');
  const base = everyOrganization ? '/api/admin/jobs' : '/api/jobs';
  const jobs = useQuery({
    queryKey: ['jobs', base, kind, status, pages.cursor],
    queryFn: () => api<Page<Job>>(`${base}${query({ kind, status, cursor: pages.cursor, limit: 50 })}`),
    refetchInterval: (current) =>
      current.state.data?.items.some((job) => UNSETTLED.has(job.status)) ? LIVE_REFRESH_MS : false,
  });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{everyOrganization ? 'Jobs of every organization' : 'Jobs'}</CardTitle>
      </CardHeader>
      <CardContent>
        <form className="mb-4 flex flex-wrap items-end gap-3" aria-label="Filter jobs">
          <ChoiceFilter
            label="Kind"
            value={kind}
            anyLabel="Every kind"
            choices={JOB_KINDS}
            onChange={(value) => {
              setKind(value);
              pages.reset();
            }}
            className="w-48"
          />
          <ChoiceFilter
            label="Status"
            value={status}
            anyLabel="Any status"
            choices={JOB_STATUSES}
            onChange={(value) => {
              setStatus(value);
              pages.reset();
            }}
            className="w-40"
          />
        </form>
        <QueryState
          query={jobs}
          loading={<LoadingState label="Loading jobs" />}
          errorTitle="Could not load the jobs"
          empty={
            <EmptyState
              title="No jobs yet"
              description="Scans, scheduled runs, connector runs and alert deliveries appear here as they run."
            />
          }
        >
          {(data) => (
            <>
              <Table aria-label="Jobs">
                <TableHeader>
                  <TableRow>
                    <TableHead>Kind</TableHead>
                    <TableHead>Status</TableHead>
                    {everyOrganization && <TableHead>Organization</TableHead>}
                    <TableHead>Started</TableHead>
                    <TableHead>Duration</TableHead>
                    <TableHead>Error</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.items.map((job) => (
                    <TableRow key={job.id}>
                      <TableCell>
                        <span title={job.id}>{humanize(job.kind)}</span>
                      </TableCell>
                      <TableCell>
                        <StatusBadge status={job.status} />
                      </TableCell>
                      {everyOrganization && <TableCell className="font-mono text-xs">{job.org_id}</TableCell>}
                      <TableCell>{job.started_at ? formatDateTime(job.started_at) : 'Not started'}</TableCell>
                      <TableCell>{formatDuration(job.duration_ms)}</TableCell>
                      <TableCell className="max-w-md truncate text-sm text-muted-foreground" title={job.error ?? ''}>
                        {job.error ?? ''}
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

/** Operators only: error rates by route and job kind, and the latest slow statements. */
function DeploymentHealth() {
  const overview = useQuery({
    queryKey: ['operations', 'overview'],
    queryFn: () => api<OperationsOverview>('/api/admin/operations'),
    refetchInterval: 15_000,
  });
  return (
    <QueryState
      query={overview}
      loading={<LoadingState label="Loading error rates" rows={3} />}
      errorTitle="Could not load error rates"
    >
      {(data) => {
        const { requests, jobs, slow_statements: slow } = data;
        return (
          <div className="grid gap-4 lg:grid-cols-2">
            <Card>
              <CardHeader>
                <CardTitle>Job error rates (24 h)</CardTitle>
              </CardHeader>
              <CardContent>
                {jobs.length === 0 ? (
                  <EmptyState title="No jobs in the last 24 hours" />
                ) : (
                  <Table aria-label="Job error rates">
                    <TableHeader>
                      <TableRow>
                        <TableHead>Kind</TableHead>
                        <TableHead className="text-right">Jobs</TableHead>
                        <TableHead className="text-right">Failed</TableHead>
                        <TableHead className="text-right">Error rate</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {jobs.map((row) => (
                        <TableRow key={row.kind}>
                          <TableCell>{humanize(row.kind)}</TableCell>
                          <TableCell className="text-right">{formatCount(row.total)}</TableCell>
                          <TableCell className="text-right">{formatCount(row.failed)}</TableCell>
                          <TableCell className="text-right">{percent(row.error_rate)}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                )}
              </CardContent>
            </Card>
            <Card>
              <CardHeader>
                <CardTitle>Request error rates</CardTitle>
              </CardHeader>
              <CardContent>
                {requests.length === 0 ? (
                  <EmptyState title="No requests counted yet" />
                ) : (
                  <Table aria-label="Request error rates">
                    <TableHeader>
                      <TableRow>
                        <TableHead>Route</TableHead>
                        <TableHead className="text-right">Requests</TableHead>
                        <TableHead className="text-right">5xx</TableHead>
                        <TableHead className="text-right">Error rate</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {requests.slice(0, 15).map((row) => (
                        <TableRow key={`${row.method} ${row.route}`}>
                          <TableCell className="font-mono text-xs">
                            {row.method} {row.route}
                          </TableCell>
                          <TableCell className="text-right">{formatCount(row.total)}</TableCell>
                          <TableCell className="text-right">{formatCount(row.server_errors)}</TableCell>
                          <TableCell className="text-right">{percent(row.error_rate)}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                )}
              </CardContent>
            </Card>
            <Card className="lg:col-span-2">
              <CardHeader>
                <CardTitle>Slow statements (over 200 ms)</CardTitle>
              </CardHeader>
              <CardContent>
                {slow.length === 0 ? (
                  <EmptyState title="No slow statements" description="Statements slower than 200 ms are listed here." />
                ) : (
                  <Table aria-label="Slow statements">
                    <TableHeader>
                      <TableRow>
                        <TableHead>When</TableHead>
                        <TableHead className="text-right">Duration</TableHead>
                        <TableHead>Digest</TableHead>
                        <TableHead>Statement</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {slow.map((row) => (
                        <TableRow key={`${row.at}-${row.digest}`}>
                          <TableCell>{formatDateTime(row.at)}</TableCell>
                          <TableCell className="text-right">{formatDuration(row.duration_ms)}</TableCell>
                          <TableCell className="font-mono text-xs">{row.digest}</TableCell>
                          <TableCell className="max-w-xl truncate font-mono text-xs" title={row.statement}>
                            {row.statement}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                )}
              </CardContent>
            </Card>
          </div>
        );
      }}
    </QueryState>
  );
}

export function OperationsPage() {
  const can = useCan();
  const operator = can('platform:admin');
  const [everyOrganization, setEveryOrganization] = useState(false);
  return (
    <>
      <PageHeader
        title="Operations"
        description="Background jobs with their status and duration; a failed job raises a job.failed alert."
        actions={
          operator ? (
            <label className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                checked={everyOrganization}
                onChange={(event) => setEveryOrganization(event.target.checked)}
              />
              Every organization
            </label>
          ) : undefined
        }
      />
      <div className="grid gap-4">
        {operator && <DeploymentHealth />}
        <JobsCard key={String(everyOrganization)} everyOrganization={everyOrganization} />
      </div>
    </>
  );
}
