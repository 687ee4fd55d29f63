import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Eye, Play, Plus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { StatusBadge } from '../components/badges';
import { Field, problemFieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorState, LoadingState, QueryState } from '../components/states';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '../components/ui/dialog';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { Textarea } from '../components/ui/textarea';
import { toast } from '../components/ui/toaster';
import { PlanGate } from '../features/subscription/plan-gate';
import { api, problemMessage, query } from '../lib/api';
import { formatCount, formatDateTime } from '../lib/format';
import type { Connector, ConnectorRun, ConnectorTest, Page } from '../lib/types';

const SCHEDULES = ['', 'every 15m', 'every 1h', 'every 6h', 'every 24h'];
const ACTIVE_RUN = new Set(['queued', 'running']);

function scheduleLabel(schedule: string | null): string {
  return schedule ?? 'on demand';
}

/** A mapping typed as JSON; an empty box is no mapping. Throws a readable error on bad JSON. */
function parseMapping(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new Error('The mapping is not valid JSON.');
  }
}

function CreateConnectorDialog() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [type, setType] = useState<'postgres' | 'mysql' | 'rest'>('postgres');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Connector>('/api/connectors', { method: 'POST', body }),
    onSuccess: (connector) => {
      setOpen(false);
      toast.success(`Connector ${connector.name} created`);
      void queryClient.invalidateQueries({ queryKey: ['connectors'] });
    },
    onError: (caught) => setErrors(problemFieldErrors(caught, 'name')),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    let mapping: Record<string, unknown> | undefined;
    try {
      mapping = parseMapping(text('mapping'));
    } catch (error) {
      setErrors({ mapping: (error as Error).message });
      return;
    }
    const header = text('header_name');
    const config =
      type === 'rest'
        ? {
            url: text('url'),
            items_path: text('items_path'),
            cursor_param: text('cursor_param'),
            ...(text('next_page_path') ? { next_page_path: text('next_page_path') } : {}),
            ...(header ? { headers: { [header]: text('header_value') } } : {}),
          }
        : { url: text('url'), query: text('query'), cursor_column: text('cursor_column') };
    create.mutate({
      name: text('name'),
      type,
      config,
      ...(mapping ? { mapping } : {}),
      ...(text('schedule') ? { schedule: text('schedule') } : {}),
    });
  }
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> New connector
        </Button>
      </DialogTrigger>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle>New connector</DialogTitle>
          <DialogDescription>
            Read transactions from your own database or API. The URL's password and any headers are stored encrypted and
            never shown again.
          </DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="grid gap-3">
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Name" error={errors.name}>
              <Input name="name" placeholder="e.g. ERP payments" required maxLength={200} />
            </Field>
            <Field label="Kind" error={errors.type}>
              <Select name="type" value={type} onChange={(event) => setType(event.target.value as typeof type)}>
                <option value="postgres">PostgreSQL</option>
                <option value="mysql">MySQL / MariaDB</option>
                <option value="rest">REST API</option>
              </Select>
            </Field>
          </div>
          <Field label="Connection URL" error={errors['config.url']}>
            <Input
              name="url"
              required
              placeholder={
                type === 'rest'
                  ? 'https://erp.example.com/api/payments'
                  : `${type}://nitilens_reader:password@erp-db.example.com/erp`
              }
            />
          </Field>
          {type === 'rest' ? (
            <>
              <div className="grid gap-3 sm:grid-cols-3">
                <Field label="Items path" error={errors['config.items_path']}>
                  <Input name="items_path" defaultValue="data" required />
                </Field>
                <Field label="Cursor parameter" error={errors['config.cursor_param']}>
                  <Input name="cursor_param" defaultValue="after" required />
                </Field>
                <Field label="Next page path" error={errors['config.next_page_path']}>
                  <Input name="next_page_path" placeholder="meta.next_cursor" />
                </Field>
              </div>
              <div className="grid gap-3 sm:grid-cols-2">
                <Field label="Header name" error={errors['config.headers']}>
                  <Input name="header_name" placeholder="Authorization" />
                </Field>
                <Field label="Header value">
                  <Input name="header_value" type="password" autoComplete="off" />
                </Field>
              </div>
            </>
          ) : (
            <>
              <Field
                label="Query"
                error={errors['config.query']}
                hint="Rows after :cursor (NULL on the first run), ordered by the cursor column, at most :limit."
              >
                <Textarea
                  name="query"
                  required
                  className="font-mono text-xs"
                  defaultValue="select * from payments where id > coalesce(:cursor::bigint, 0) order by id limit :limit"
                />
              </Field>
              <Field label="Cursor column" error={errors['config.cursor_column']}>
                <Input name="cursor_column" defaultValue="id" required />
              </Field>
            </>
          )}
          <div className="grid gap-3 sm:grid-cols-2">
            <Field label="Schedule" error={errors.schedule}>
              <Select name="schedule" defaultValue="">
                {SCHEDULES.map((schedule) => (
                  <option key={schedule} value={schedule}>
                    {scheduleLabel(schedule || null)}
                  </option>
                ))}
              </Select>
            </Field>
          </div>
          <Field
            label="Mapping (JSON)"
            error={errors.mapping}
            hint='As for sources, e.g. {"fields": {"id": "payment_no", "occurred_at": "paid_at"}}. Preview it on the connector.'
          >
            <Textarea name="mapping" className="font-mono text-xs" placeholder="{}" />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending}>
              Create connector
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function PreviewPanel({ connector }: { connector: Connector }) {
  const queryClient = useQueryClient();
  const [mappingText, setMappingText] = useState(JSON.stringify(connector.mapping, null, 2));
  const [mappingError, setMappingError] = useState<string>();
  const preview = useMutation({
    mutationFn: (mapping: Record<string, unknown> | undefined) =>
      api<ConnectorTest>(`/api/connectors/${connector.id}/test`, { method: 'POST', body: mapping ? { mapping } : {} }),
  });
  const save = useMutation({
    mutationFn: (mapping: Record<string, unknown>) =>
      api<Connector>(`/api/connectors/${connector.id}`, { method: 'PATCH', body: { mapping } }),
    onSuccess: () => {
      toast.success('Mapping saved');
      void queryClient.invalidateQueries({ queryKey: ['connectors'] });
    },
    onError: (caught) => setMappingError(problemMessage(caught)),
  });
  const withMapping = (action: (mapping: Record<string, unknown>) => void) => {
    setMappingError(undefined);
    try {
      action(parseMapping(mappingText) ?? {});
    } catch (error) {
      setMappingError((error as Error).message);
    }
  };
  return (
    <div className="grid gap-3">
      <Field label="Mapping" error={mappingError}>
        <Textarea
          value={mappingText}
          onChange={(event) => setMappingText(event.target.value)}
          className="min-h-28 font-mono text-xs"
        />
      </Field>
      <div className="flex gap-2">
        <Button size="sm" variant="outline" onClick={() => withMapping((mapping) => preview.mutate(mapping))}>
          <Eye /> Preview five rows
        </Button>
        <Button size="sm" variant="outline" onClick={() => withMapping((mapping) => save.mutate(mapping))}>
          Save mapping
        </Button>
      </div>
      {preview.isPending && <LoadingState rows={2} label="Reading the first rows" />}
      {preview.isError && <ErrorState error={preview.error} />}
      {preview.data?.error && (
        <Alert variant="destructive">
          <AlertDescription>{preview.data.error}</AlertDescription>
        </Alert>
      )}
      {preview.data && !preview.data.error && (
        <Table aria-label="Preview">
          <TableHeader>
            <TableRow>
              <TableHead>Row</TableHead>
              <TableHead>Id</TableHead>
              <TableHead>Occurred</TableHead>
              <TableHead>Amount</TableHead>
              <TableHead>Account</TableHead>
              <TableHead>Problems</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {preview.data.rows.map((row) => (
              <TableRow key={row.row}>
                <TableCell>{row.row}</TableCell>
                <TableCell>{String(row.transaction?.id ?? '')}</TableCell>
                <TableCell>{String(row.transaction?.occurred_at ?? '')}</TableCell>
                <TableCell>
                  {row.transaction ? `${String(row.transaction.amount)} ${String(row.transaction.currency)}` : ''}
                </TableCell>
                <TableCell>{String(row.transaction?.account ?? '')}</TableCell>
                <TableCell className="text-red-600">
                  {row.errors.map((error) => `${error.path}: ${error.message}`).join('; ')}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {preview.data && !preview.data.error && preview.data.rows.length === 0 && (
        <p className="text-sm text-muted-foreground">The source returned no rows.</p>
      )}
    </div>
  );
}

function RunsHistory({ connector }: { connector: Connector }) {
  const pages = useCursorPages();
  const runs = useQuery({
    queryKey: ['connectors', connector.id, 'runs', pages.cursor],
    queryFn: () =>
      api<Page<ConnectorRun>>(`/api/connectors/${connector.id}/runs${query({ cursor: pages.cursor, limit: 10 })}`),
    // Live while a run is queued or running.
    refetchInterval: (current) => (current.state.data?.items.some((run) => ACTIVE_RUN.has(run.status)) ? 1000 : false),
  });
  return (
    <QueryState
      query={runs}
      loading={<LoadingState rows={2} label="Loading runs" />}
      empty={<p className="text-sm text-muted-foreground">No runs yet: preview, then run it now.</p>}
    >
      {(data) => (
        <>
          <Table aria-label={`Runs of ${connector.name}`}>
            <TableHeader>
              <TableRow>
                <TableHead>Started</TableHead>
                <TableHead>Trigger</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="text-right">Read</TableHead>
                <TableHead className="text-right">Accepted</TableHead>
                <TableHead className="text-right">Duplicates</TableHead>
                <TableHead className="text-right">Rejected</TableHead>
                <TableHead>Cursor</TableHead>
                <TableHead>Error</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {data.items.map((run) => (
                <TableRow key={run.id}>
                  <TableCell>{formatDateTime(run.started_at ?? run.created_at)}</TableCell>
                  <TableCell>{run.trigger}</TableCell>
                  <TableCell>
                    <StatusBadge status={run.status} />
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{formatCount(run.read)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatCount(run.accepted)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatCount(run.duplicates)}</TableCell>
                  <TableCell className="text-right tabular-nums">{formatCount(run.rejected)}</TableCell>
                  <TableCell className="font-mono text-xs">
                    {run.cursor_before ?? '∅'} → {run.cursor_after ?? '∅'}
                  </TableCell>
                  <TableCell className="max-w-64 text-xs text-red-600">{run.error}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Pager pages={pages} nextCursor={data.next_cursor} />
        </>
      )}
    </QueryState>
  );
}

function ConnectorCard({ connector }: { connector: Connector }) {
  const queryClient = useQueryClient();
  const [previewing, setPreviewing] = useState(false);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['connectors'] });
  const run = useMutation({
    mutationFn: () => api<{ run_id: string }>(`/api/connectors/${connector.id}/run`, { method: 'POST' }),
    onSuccess: () => {
      toast.success('Run queued');
      refresh();
    },
    onError: (caught) => toast.error('Could not start a run', { description: problemMessage(caught) }),
  });
  const reschedule = useMutation({
    mutationFn: (schedule: string | null) =>
      api<Connector>(`/api/connectors/${connector.id}`, { method: 'PATCH', body: { schedule } }),
    onSuccess: (updated) => {
      toast.success(`Schedule: ${scheduleLabel(updated.schedule)}`);
      refresh();
    },
    onError: (caught) => toast.error('Could not change the schedule', { description: problemMessage(caught) }),
  });
  return (
    <Card>
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle className="flex items-center gap-2">
            {connector.name} <StatusBadge status={connector.is_active ? 'active' : 'inactive'} />
          </CardTitle>
          <div className="flex flex-wrap items-center gap-2">
            <Select
              aria-label={`Schedule of ${connector.name}`}
              value={connector.schedule ?? ''}
              onChange={(event) => reschedule.mutate(event.target.value || null)}
              className="w-36"
            >
              {SCHEDULES.map((schedule) => (
                <option key={schedule} value={schedule}>
                  {scheduleLabel(schedule || null)}
                </option>
              ))}
            </Select>
            <Button variant="outline" size="sm" onClick={() => setPreviewing(!previewing)} aria-expanded={previewing}>
              <Eye /> {previewing ? 'Close preview' : 'Preview'}
            </Button>
            <Button size="sm" onClick={() => run.mutate()} disabled={run.isPending}>
              <Play /> Run now
            </Button>
          </div>
        </div>
        <CardDescription>
          {connector.type} · <code className="text-xs">{String(connector.config.url_display ?? '')}</code> ·{' '}
          {scheduleLabel(connector.schedule)}
          {connector.next_run_at && <> · next run {formatDateTime(connector.next_run_at)}</>} · cursor{' '}
          <code className="text-xs">{connector.cursor ?? 'none yet'}</code>
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {previewing && <PreviewPanel connector={connector} />}
        <RunsHistory connector={connector} />
      </CardContent>
    </Card>
  );
}

export function ConnectorsPage() {
  return (
    <>
      <PageHeader
        title="Connectors"
        description="Pull transactions from your own Postgres, MySQL or REST systems, on demand or on a schedule: only rows newer than the cursor are read."
        actions={<CreateConnectorDialog />}
      />
      <PlanGate feature="connectors">
        <ConnectorList />
      </PlanGate>
    </>
  );
}

function ConnectorList() {
  const pages = useCursorPages();
  const connectors = useQuery({
    queryKey: ['connectors', pages.cursor],
    queryFn: () => api<Page<Connector>>(`/api/connectors${query({ cursor: pages.cursor, limit: 20 })}`),
  });
  return (
    <QueryState
      query={connectors}
      empty={
        <EmptyState
          title="No connectors yet"
          description="Point a connector at a table of payments or an API; preview five rows, then run it or give it a schedule."
        />
      }
    >
      {(data) => (
        <div className="grid gap-4">
          {data.items.map((connector) => (
            <ConnectorCard key={connector.id} connector={connector} />
          ))}
          <Pager pages={pages} nextCursor={data.next_cursor} />
        </div>
      )}
    </QueryState>
  );
}
