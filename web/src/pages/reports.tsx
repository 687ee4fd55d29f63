import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Download, FileText, Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useSearchParams } from 'react-router';
import { CADENCES, FORMAT_OF, REPORT_TYPE_LABELS, REPORT_TYPES, type ReportType } from '../../../worker/reports/kinds';
import { StatusBadge } from '../components/badges';
import { Field, problemFieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { PlanGate } from '../features/subscription/plan-gate';
import { api, problemMessage, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { downloadFile } from '../lib/download';
import { formatBytes, formatDate, formatDateTime } from '../lib/format';
import type { AlertChannel, Page, Report, ReportSchedule } from '../lib/types';

const ACTIVE = new Set(['queued', 'running']);
// While a report is being made, the list is read again this often (progress and completion).
const POLL_MS = 1500;

type Preset = 'last_month' | 'this_month' | 'last_7_days' | 'custom';
const PRESETS: { value: Preset; label: string }[] = [
  { value: 'last_month', label: 'Last month' },
  { value: 'this_month', label: 'This month so far' },
  { value: 'last_7_days', label: 'Last 7 days' },
  { value: 'custom', label: 'Custom dates' },
];

const day = (date: Date) => date.toISOString().slice(0, 10);

/** A preset period as UTC days, both included (what the API takes). */
function presetPeriod(preset: Exclude<Preset, 'custom'>, now = new Date()): { from: string; to: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (preset === 'last_month')
    return { from: day(new Date(Date.UTC(y, m - 1, 1))), to: day(new Date(Date.UTC(y, m, 0))) };
  if (preset === 'this_month') return { from: day(new Date(Date.UTC(y, m, 1))), to: day(now) };
  return { from: day(new Date(now.getTime() - 6 * 86_400_000)), to: day(now) };
}

function GenerateForm() {
  const queryClient = useQueryClient();
  const can = useCan();
  const [type, setType] = useState<ReportType>('compliance_summary');
  const [preset, setPreset] = useState<Preset>('last_month');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const generate = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Report>('/api/reports', { method: 'POST', body }),
    onSuccess: (report) => {
      toast.success(`${REPORT_TYPE_LABELS[report.type]} queued`, { description: report.file_name });
      void queryClient.invalidateQueries({ queryKey: ['reports'] });
    },
    onError: (caught) => setErrors(problemFieldErrors(caught, 'type')),
  });
  const types = REPORT_TYPES.filter((t) => t !== 'audit' || can('audit:read'));
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    const form = new FormData(event.currentTarget);
    const period =
      preset === 'custom'
        ? { from: String(form.get('from') ?? ''), to: String(form.get('to') ?? '') }
        : presetPeriod(preset);
    generate.mutate({ type, format: FORMAT_OF[type], ...period });
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle>Generate a report</CardTitle>
        <CardDescription>
          The compliance summary is a PDF; violations, cases, transactions and the audit log are CSV exports that open
          in a spreadsheet without anything executing. Periods are whole UTC days.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form
          onSubmit={submit}
          className="grid gap-3 sm:grid-cols-[1fr_8rem_1fr_auto] sm:items-end"
          aria-label="Generate a report"
        >
          <Field label="Report" error={errors.type}>
            <Select name="type" value={type} onChange={(event) => setType(event.target.value as ReportType)}>
              {types.map((t) => (
                <option key={t} value={t}>
                  {REPORT_TYPE_LABELS[t]}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Format" error={errors.format}>
            <Select name="format" value={FORMAT_OF[type]} disabled>
              <option value="pdf">PDF</option>
              <option value="csv">CSV</option>
            </Select>
          </Field>
          <Field label="Period" error={errors.from ?? errors.to}>
            <Select name="preset" value={preset} onChange={(event) => setPreset(event.target.value as Preset)}>
              {PRESETS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </Select>
          </Field>
          <Button type="submit" disabled={generate.isPending}>
            <FileText /> Generate
          </Button>
          {preset === 'custom' && (
            <div className="grid gap-3 sm:col-span-4 sm:grid-cols-2">
              <Field label="From" error={errors.from}>
                <Input name="from" type="date" required />
              </Field>
              <Field label="To" error={errors.to}>
                <Input name="to" type="date" required />
              </Field>
            </div>
          )}
        </form>
      </CardContent>
    </Card>
  );
}

function progressText(report: Report): string {
  if (report.status === 'queued') return 'waiting';
  if (report.progress.total === 0) return 'starting';
  return `${Math.floor((100 * report.progress.done) / report.progress.total)}% of ${report.progress.total.toLocaleString()} rows`;
}

function ReportsList() {
  const pages = useCursorPages();
  const [params] = useSearchParams();
  const highlighted = params.get('report');
  const reports = useQuery({
    queryKey: ['reports', pages.cursor],
    queryFn: () => api<Page<Report>>(`/api/reports${query({ cursor: pages.cursor, limit: 25 })}`),
    // Reports appear and finish in the background (schedules, other members, the API): read the list
    // afresh on every visit rather than showing the app-wide 15 s cache.
    staleTime: 0,
    refetchInterval: (q) => (q.state.data?.items.some((r) => ACTIVE.has(r.status)) ? POLL_MS : false),
  });
  async function download(report: Report) {
    try {
      await downloadFile(`/api/reports/${report.id}/file`, report.file_name);
    } catch (caught) {
      toast.error('Could not download the report', { description: problemMessage(caught) });
    }
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle>Reports</CardTitle>
        <CardDescription>Newest first. Files stay available to every member who may read them.</CardDescription>
      </CardHeader>
      <CardContent>
        <QueryState
          query={reports}
          loading={<LoadingState rows={4} />}
          empty={
            <EmptyState
              title="No reports yet"
              description="Generate last month's compliance summary above, or schedule one to arrive by email every week."
            />
          }
        >
          {(data) => (
            <>
              <Table aria-label="Reports">
                <TableHeader>
                  <TableRow>
                    <TableHead>Requested</TableHead>
                    <TableHead>Report</TableHead>
                    <TableHead>Period</TableHead>
                    <TableHead>Status</TableHead>
                    <TableHead className="text-right">Size</TableHead>
                    <TableHead>
                      <span className="sr-only">Download</span>
                    </TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {data.items.map((report) => (
                    <TableRow
                      key={report.id}
                      data-state={report.id === highlighted ? 'selected' : undefined}
                      aria-label={`${REPORT_TYPE_LABELS[report.type]} ${formatDate(report.from)} to ${formatDate(report.to)}`}
                    >
                      <TableCell>{formatDateTime(report.created_at)}</TableCell>
                      <TableCell>
                        {REPORT_TYPE_LABELS[report.type]}{' '}
                        <span className="text-xs uppercase text-muted-foreground">{report.format}</span>
                        {report.schedule_id && <span className="ml-2 text-xs text-muted-foreground">scheduled</span>}
                      </TableCell>
                      <TableCell>
                        {report.from.slice(0, 10)} to {report.to.slice(0, 10)}
                      </TableCell>
                      <TableCell>
                        <span className="flex flex-wrap items-center gap-2">
                          <StatusBadge status={report.status} />
                          {ACTIVE.has(report.status) && (
                            <span className="text-xs text-muted-foreground">{progressText(report)}</span>
                          )}
                          {report.error && <span className="text-xs text-red-600">{report.error}</span>}
                        </span>
                      </TableCell>
                      <TableCell className="text-right tabular-nums">
                        {report.size === null ? '—' : formatBytes(report.size)}
                      </TableCell>
                      <TableCell className="text-right">
                        {report.status === 'completed' && (
                          <Button size="sm" variant="outline" onClick={() => void download(report)}>
                            <Download /> Download
                          </Button>
                        )}
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

function Schedules() {
  const queryClient = useQueryClient();
  const can = useCan();
  const manage = can('alerts:manage');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const schedules = useQuery({
    queryKey: ['report-schedules'],
    queryFn: () => api<ReportSchedule[]>('/api/report-schedules'),
  });
  const channels = useQuery({
    queryKey: ['alert-channels', 'all'],
    queryFn: () => api<Page<AlertChannel>>('/api/alert-channels?limit=200'),
    enabled: manage,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['report-schedules'] });
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<ReportSchedule>('/api/report-schedules', { method: 'POST', body }),
    onSuccess: (schedule) => {
      toast.success(`Scheduled ${schedule.cadence}`, {
        description: `Next run ${formatDateTime(schedule.next_run_at)}`,
      });
      refresh();
    },
    onError: (caught) => setErrors(problemFieldErrors(caught, 'channel_id')),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api<void>(`/api/report-schedules/${id}`, { method: 'DELETE' }),
    onSuccess: () => {
      toast.success('Schedule deleted');
      refresh();
    },
    onError: (caught) => toast.error('Could not delete the schedule', { description: problemMessage(caught) }),
  });
  const channelName = (id: string) => channels.data?.items.find((c) => c.id === id)?.name ?? 'an alert channel';
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    const form = new FormData(event.currentTarget);
    const type = String(form.get('type')) as ReportType;
    create.mutate({ type, format: FORMAT_OF[type], cadence: form.get('cadence'), channel_id: form.get('channel_id') });
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle>Schedules</CardTitle>
        <CardDescription>
          Daily reports cover the previous UTC day, weekly ones the previous seven days (sent on Mondays). Email carries
          the file; Slack and webhooks a link to it.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        <QueryState
          query={schedules}
          loading={<LoadingState rows={2} />}
          empty={<p className="text-sm text-muted-foreground">No report is scheduled.</p>}
        >
          {(data) => (
            <Table aria-label="Report schedules">
              <TableHeader>
                <TableRow>
                  <TableHead>Report</TableHead>
                  <TableHead>Cadence</TableHead>
                  <TableHead>Delivered to</TableHead>
                  <TableHead>Next run</TableHead>
                  <TableHead>Last run</TableHead>
                  <TableHead>
                    <span className="sr-only">Delete</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.map((schedule) => (
                  <TableRow key={schedule.id}>
                    <TableCell>{REPORT_TYPE_LABELS[schedule.type]}</TableCell>
                    <TableCell>{schedule.cadence}</TableCell>
                    <TableCell>{channelName(schedule.channel_id)}</TableCell>
                    <TableCell>{formatDateTime(schedule.next_run_at)}</TableCell>
                    <TableCell>{schedule.last_run_at ? formatDateTime(schedule.last_run_at) : 'not yet'}</TableCell>
                    <TableCell className="text-right">
                      {manage && (
                        <Button
                          size="sm"
                          variant="ghost"
                          aria-label={`Delete the ${schedule.cadence} ${REPORT_TYPE_LABELS[schedule.type]} schedule`}
                          onClick={() => remove.mutate(schedule.id)}
                        >
                          <Trash2 />
                        </Button>
                      )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </QueryState>
        {manage &&
          (channels.data && channels.data.items.length === 0 ? (
            <p className="text-sm text-muted-foreground">
              Add an alert channel on the Alerts page to schedule reports.
            </p>
          ) : (
            <form
              onSubmit={submit}
              className="grid gap-3 sm:grid-cols-[1fr_10rem_1fr_auto] sm:items-end"
              aria-label="Schedule a report"
            >
              <Field label="Report" error={errors.type}>
                <Select name="type" defaultValue="compliance_summary">
                  {REPORT_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {REPORT_TYPE_LABELS[t]}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Cadence" error={errors.cadence}>
                <Select name="cadence" defaultValue="weekly">
                  {CADENCES.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Deliver to" error={errors.channel_id}>
                <Select name="channel_id" required>
                  {(channels.data?.items ?? []).map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name} ({c.type})
                    </option>
                  ))}
                </Select>
              </Field>
              <Button type="submit" variant="outline" disabled={create.isPending}>
                Schedule
              </Button>
            </form>
          ))}
      </CardContent>
    </Card>
  );
}

export function ReportsPage() {
  return (
    <>
      <PageHeader
        title="Reports"
        description="Audit-ready files: the compliance summary of a period, and exports of violations, cases, transactions and the audit log."
      />
      <PlanGate feature="reports">
        <div className="grid gap-4">
          <GenerateForm />
          <ReportsList />
          <Schedules />
        </div>
      </PlanGate>
    </>
  );
}
