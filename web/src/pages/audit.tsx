import { useQuery } from '@tanstack/react-query';
import { Download, ShieldCheck, ShieldX } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Skeleton } from '../components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { api, problemMessage, query } from '../lib/api';
import { downloadFile } from '../lib/download';
import { formatCount, formatDateTime, zonedInstant } from '../lib/format';
import type { AuditEntry, ChainVerdict, ManagedUser, Page } from '../lib/types';

const BREAK_EXPLANATION: Record<NonNullable<ChainVerdict['first_broken']>['reason'], string> = {
  sequence_gap: 'a row is missing',
  prev_hash_mismatch: 'the link to the previous row is broken',
  hash_mismatch: 'the row was altered after it was written',
};

function ChainStatus() {
  const verdict = useQuery({ queryKey: ['audit', 'verify'], queryFn: () => api<ChainVerdict>('/api/audit/verify') });
  return (
    <QueryState query={verdict} loading={<Skeleton className="h-16 w-full" />} errorTitle="Could not verify the chain">
      {(data) => {
        const { valid, rows, first_broken: broken } = data;
        return valid ? (
          <Alert variant="success">
            <ShieldCheck />
            <AlertTitle>Chain verified</AlertTitle>
            <AlertDescription>
              All {formatCount(rows)} entries link up: none was altered, removed or reordered.
            </AlertDescription>
          </Alert>
        ) : (
          <Alert variant="destructive">
            <ShieldX />
            <AlertTitle>Chain broken</AlertTitle>
            <AlertDescription>
              Entry #{broken?.seq} ({broken?.id}) fails verification:{' '}
              {broken ? BREAK_EXPLANATION[broken.reason] : 'unknown reason'}. Checked {formatCount(rows)} entries.
            </AlertDescription>
          </Alert>
        );
      }}
    </QueryState>
  );
}

const NO_FILTERS = { actor_id: '', action: '', target_type: '', target_id: '', from: '', to: '' };

/** The API's filters: dates are whole days in the browser's time zone. */
function apiFilters(filters: typeof NO_FILTERS) {
  return {
    ...filters,
    from: filters.from ? zonedInstant(filters.from) : '',
    to: filters.to ? zonedInstant(filters.to, '23:59:59.999') : '',
  };
}

/** A name a person reads, with the id on hover (and for screen readers, in the title). */
function Named({ name, id, fallback }: { name: string | null; id: string | null; fallback: string }) {
  if (!id) return <span className="text-muted-foreground">{fallback}</span>;
  return (
    <span title={id} className={name ? undefined : 'font-mono text-xs'}>
      {name ?? id}
    </span>
  );
}

export function AuditPage() {
  const pages = useCursorPages();
  const [filters, setFilters] = useState(NO_FILTERS);
  const [exporting, setExporting] = useState(false);
  const request = apiFilters(filters);
  const users = useQuery({
    queryKey: ['users', 'names'],
    queryFn: () => api<Page<ManagedUser>>('/api/users?limit=200'),
    staleTime: 60_000,
  });
  const entries = useQuery({
    queryKey: ['audit', request, pages.cursor],
    queryFn: () => api<Page<AuditEntry>>(`/api/audit${query({ ...request, cursor: pages.cursor, limit: 50 })}`),
  });

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const read = (key: keyof typeof NO_FILTERS) => String(form.get(key) ?? '').trim();
    setFilters({
      actor_id: read('actor_id'),
      action: read('action'),
      target_type: read('target_type'),
      target_id: read('target_id'),
      from: read('from'),
      to: read('to'),
    });
    pages.reset();
  }

  async function exportCsv() {
    setExporting(true);
    try {
      await downloadFile(`/api/audit/export${query(request)}`, 'audit.csv');
    } catch (caught) {
      toast.error('Could not export', { description: problemMessage(caught) });
    } finally {
      setExporting(false);
    }
  }

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every sensitive action, append-only and hash-chained per organization."
        actions={
          <Button variant="outline" onClick={() => void exportCsv()} disabled={exporting}>
            <Download /> {exporting ? 'Exporting…' : 'Export CSV'}
          </Button>
        }
      />
      <div className="grid gap-4">
        <ChainStatus />
        <Card>
          <CardContent className="pt-5">
            <form
              onSubmit={applyFilters}
              className="mb-4 flex flex-wrap items-end gap-3"
              aria-label="Filter the audit log"
            >
              <Field label="Actor">
                <Select name="actor_id" defaultValue={filters.actor_id} className="w-48">
                  <option value="">Anyone</option>
                  {users.data?.items.map((user) => (
                    <option key={user.id} value={user.id}>
                      {user.full_name}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Action">
                <Input name="action" placeholder="e.g. rule.approved" defaultValue={filters.action} className="w-48" />
              </Field>
              <Field label="Target type">
                <Input name="target_type" placeholder="e.g. rule" defaultValue={filters.target_type} className="w-36" />
              </Field>
              <Field label="Target id">
                <Input name="target_id" defaultValue={filters.target_id} className="w-48" />
              </Field>
              <Field label="From">
                <Input name="from" type="date" defaultValue={filters.from} className="w-40" />
              </Field>
              <Field label="To">
                <Input name="to" type="date" defaultValue={filters.to} className="w-40" />
              </Field>
              <Button type="submit" variant="outline">
                Apply
              </Button>
            </form>
            <QueryState
              query={entries}
              empty={<EmptyState title="No entries match" description="Change the filters to see more of the trail." />}
            >
              {(data) => (
                <>
                  <Table>
                    <TableHeader>
                      <TableRow>
                        <TableHead>#</TableHead>
                        <TableHead>When</TableHead>
                        <TableHead>Action</TableHead>
                        <TableHead>Target</TableHead>
                        <TableHead>Actor</TableHead>
                        <TableHead>IP</TableHead>
                        <TableHead>Hash</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {data.items.map((entry) => (
                        <TableRow key={entry.id}>
                          <TableCell className="tabular-nums">{entry.seq}</TableCell>
                          <TableCell className="whitespace-nowrap text-sm">
                            {formatDateTime(entry.created_at)}
                          </TableCell>
                          <TableCell>
                            <code className="text-xs">{entry.action}</code>
                          </TableCell>
                          <TableCell className="text-sm">
                            {entry.target_type ? (
                              <>
                                <span className="text-muted-foreground">{entry.target_type}</span>{' '}
                                <Named name={entry.target_name} id={entry.target_id} fallback="" />
                              </>
                            ) : (
                              '—'
                            )}
                          </TableCell>
                          <TableCell className="max-w-48 truncate text-sm">
                            <Named name={entry.actor_name} id={entry.actor_id} fallback="NitiLens" />
                          </TableCell>
                          <TableCell className="text-xs">{entry.ip ?? '—'}</TableCell>
                          <TableCell className="font-mono text-xs" title={entry.hash}>
                            {entry.hash.slice(0, 12)}…
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
      </div>
    </>
  );
}
