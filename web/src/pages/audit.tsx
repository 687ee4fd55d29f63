import { useQuery } from '@tanstack/react-query';
import { ShieldCheck, ShieldX } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorState, LoadingState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Skeleton } from '../components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { api, query } from '../lib/api';
import { formatCount, formatDateTime } from '../lib/format';
import type { AuditEntry, ChainVerdict, Page } from '../lib/types';

const BREAK_EXPLANATION: Record<NonNullable<ChainVerdict['first_broken']>['reason'], string> = {
  sequence_gap: 'a row is missing',
  prev_hash_mismatch: 'the link to the previous row is broken',
  hash_mismatch: 'the row was altered after it was written',
};

function ChainStatus() {
  const verdict = useQuery({ queryKey: ['audit', 'verify'], queryFn: () => api<ChainVerdict>('/api/audit/verify') });
  if (verdict.isPending) return <Skeleton className="h-16 w-full" />;
  if (verdict.isError)
    return (
      <ErrorState title="Could not verify the chain" error={verdict.error} onRetry={() => void verdict.refetch()} />
    );
  const { valid, rows, first_broken: broken } = verdict.data;
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
}

export function AuditPage() {
  const pages = useCursorPages();
  const [filters, setFilters] = useState({ action: '', target_type: '' });
  const entries = useQuery({
    queryKey: ['audit', filters, pages.cursor],
    queryFn: () => api<Page<AuditEntry>>(`/api/audit${query({ ...filters, cursor: pages.cursor, limit: 50 })}`),
  });

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setFilters({
      action: String(form.get('action') ?? '').trim(),
      target_type: String(form.get('target_type') ?? '').trim(),
    });
    pages.reset();
  }

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every sensitive action, append-only and hash-chained per organization."
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
              <Field label="Action">
                <Input name="action" placeholder="e.g. rule.approved" defaultValue={filters.action} />
              </Field>
              <Field label="Target type">
                <Input name="target_type" placeholder="e.g. rule" defaultValue={filters.target_type} />
              </Field>
              <Button type="submit" variant="outline">
                Apply
              </Button>
            </form>
            {entries.isPending ? (
              <LoadingState />
            ) : entries.isError ? (
              <ErrorState error={entries.error} onRetry={() => void entries.refetch()} />
            ) : entries.data.items.length === 0 ? (
              <EmptyState title="No entries match" description="Change the filters to see more of the trail." />
            ) : (
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
                    {entries.data.items.map((entry) => (
                      <TableRow key={entry.id}>
                        <TableCell className="tabular-nums">{entry.seq}</TableCell>
                        <TableCell className="whitespace-nowrap text-sm">{formatDateTime(entry.created_at)}</TableCell>
                        <TableCell>
                          <code className="text-xs">{entry.action}</code>
                        </TableCell>
                        <TableCell className="text-sm">
                          {entry.target_type ? `${entry.target_type} ${entry.target_id ?? ''}` : '—'}
                        </TableCell>
                        <TableCell className="max-w-40 truncate font-mono text-xs" title={entry.actor_id ?? undefined}>
                          {entry.actor_id ?? 'system'}
                        </TableCell>
                        <TableCell className="text-xs">{entry.ip ?? '—'}</TableCell>
                        <TableCell className="font-mono text-xs" title={entry.hash}>
                          {entry.hash.slice(0, 12)}…
                        </TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
                <Pager pages={pages} nextCursor={entries.data.next_cursor} />
              </>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
