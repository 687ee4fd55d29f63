import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Upload } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { UploadProgress } from '../components/upload-progress';
import { api, type UploadProgress as Progressed, problemMessage, query, uploadWithProgress } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatAmount, formatCount, formatDateTime, zonedLocalInstant } from '../lib/format';
import type { IngestReport, Page, Source, Transaction } from '../lib/types';

/** The upload's content type from its name: the API reads CSV, NDJSON or a JSON array. */
function contentTypeOf(file: File): string | null {
  const name = file.name.toLowerCase();
  if (name.endsWith('.csv')) return 'text/csv';
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl')) return 'application/x-ndjson';
  if (name.endsWith('.json')) return 'application/json';
  return null;
}

function IngestReportView({ report }: { report: IngestReport }) {
  return (
    <div className="grid gap-3" data-testid="ingest-report">
      <Alert variant={report.rejected > 0 ? 'warning' : 'success'}>
        <AlertTitle>Upload finished</AlertTitle>
        <AlertDescription>
          {formatCount(report.accepted)} accepted, {formatCount(report.duplicates)} duplicates (already stored,
          unchanged), {formatCount(report.rejected)} rejected.
        </AlertDescription>
      </Alert>
      {report.errors.length > 0 && (
        <div className="max-h-72 overflow-y-auto rounded-md border">
          <Table>
            <caption className="sr-only">Rejected rows</caption>
            <TableHeader>
              <TableRow>
                <TableHead>Row</TableHead>
                <TableHead>Field</TableHead>
                <TableHead>Problem</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {report.errors.flatMap((rowError) =>
                rowError.errors.map((error, index) => (
                  <TableRow key={`${rowError.row}-${index}`}>
                    <TableCell className="tabular-nums">{rowError.row}</TableCell>
                    <TableCell className="font-mono text-xs">{error.path || '—'}</TableCell>
                    <TableCell className="text-sm">{error.message}</TableCell>
                  </TableRow>
                )),
              )}
            </TableBody>
          </Table>
        </div>
      )}
    </div>
  );
}

function SourcePicker() {
  const sources = useQuery({
    queryKey: ['sources', 'all'],
    queryFn: () => api<Page<Source>>('/api/sources?limit=200'),
  });
  if (!sources.data?.items.length) return null;
  return (
    <Field label="Read through mapping (optional)">
      <Select name="source_id" defaultValue="" className="w-56">
        <option value="">Canonical columns</option>
        {sources.data.items.map((source) => (
          <option key={source.id} value={source.id}>
            {source.name}
          </option>
        ))}
      </Select>
    </Field>
  );
}

function UploadCard() {
  const can = useCan();
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<Progressed | null>(null);
  const [report, setReport] = useState<IngestReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    const sourceId = String(form.get('source_id') ?? '');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a CSV, NDJSON or JSON file first.');
      return;
    }
    const contentType = contentTypeOf(file);
    if (!contentType) {
      setError('The file must end in .csv, .ndjson, .jsonl or .json.');
      return;
    }
    setError(null);
    setReport(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      const result = await uploadWithProgress<IngestReport>(
        `/api/transactions${query({ source_id: sourceId })}`,
        file,
        setProgress,
        contentType,
      );
      setReport(result);
      toast.success('Transactions uploaded', {
        description: `${formatCount(result.accepted)} accepted, ${formatCount(result.rejected)} rejected.`,
      });
      void queryClient.invalidateQueries({ queryKey: ['transactions'] });
      void queryClient.invalidateQueries({ queryKey: ['overview'] });
      // What each policy draft would have flagged changes with the history.
      void queryClient.invalidateQueries({ queryKey: ['policies', 'rules'] });
    } catch (caught) {
      setError(problemMessage(caught));
    } finally {
      setProgress(null);
    }
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>Upload transactions</CardTitle>
        <CardDescription>
          CSV with a header row (attributes.x columns fill attributes), NDJSON, or a JSON array. Re-sending a file is
          safe: known ids are reported as duplicates.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
          <Field label="File">
            <Input type="file" name="file" accept=".csv,.ndjson,.jsonl,.json" className="max-w-sm" />
          </Field>
          {can('sources:manage') && <SourcePicker />}
          <Button type="submit" disabled={progress !== null}>
            <Upload /> Upload
          </Button>
        </form>
        {progress && <UploadProgress progress={progress} label="Uploading transactions" />}
        {error && (
          <Alert variant="destructive">
            <AlertDescription>{error}</AlertDescription>
          </Alert>
        )}
        {report && <IngestReportView report={report} />}
      </CardContent>
    </Card>
  );
}

const FILTERS = ['account', 'type', 'min_amount', 'max_amount', 'from', 'to'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

export function TransactionsPage() {
  const can = useCan();
  const pages = useCursorPages();
  // The Risk page links to an account's transactions with `?account=`.
  const [params] = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => {
    const account = params.get('account');
    return account ? { account } : {};
  });
  const transactions = useQuery({
    queryKey: ['transactions', filters, pages.cursor],
    queryFn: () => api<Page<Transaction>>(`/api/transactions${query({ ...filters, cursor: pages.cursor, limit: 50 })}`),
  });

  function applyFilters(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next: Filters = {};
    for (const key of FILTERS) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next[key] = key === 'from' || key === 'to' ? zonedLocalInstant(value) : value;
    }
    setFilters(next);
    pages.reset();
  }

  return (
    <>
      <PageHeader title="Transactions" description="Everything ingested from ERPs and uploads, newest first." />
      <div className="grid gap-4">
        {can('transactions:ingest') && <UploadCard />}
        <Card>
          <CardContent className="pt-5">
            <form
              onSubmit={applyFilters}
              className="mb-4 flex flex-wrap items-end gap-3"
              aria-label="Filter transactions"
            >
              <Field label="Account" className="grid w-36 gap-1.5">
                <Input name="account" defaultValue={filters.account} />
              </Field>
              <Field label="Type" className="grid w-32 gap-1.5">
                <Input name="type" placeholder="e.g. cash" />
              </Field>
              <Field label="Min amount" className="grid w-32 gap-1.5">
                <Input name="min_amount" inputMode="decimal" />
              </Field>
              <Field label="Max amount" className="grid w-32 gap-1.5">
                <Input name="max_amount" inputMode="decimal" />
              </Field>
              <Field label="From" className="grid w-52 gap-1.5">
                <Input name="from" type="datetime-local" />
              </Field>
              <Field label="To" className="grid w-52 gap-1.5">
                <Input name="to" type="datetime-local" />
              </Field>
              <Button type="submit" variant="outline">
                Apply filters
              </Button>
            </form>
            <QueryState
              query={transactions}
              empty={
                <EmptyState
                  title="No transactions"
                  description={
                    Object.keys(filters).length
                      ? 'Nothing matches these filters.'
                      : 'Upload a file above or connect an ERP source.'
                  }
                />
              }
            >
              {(data) => (
                <>
                  <Table>
                    <TableHeader>
                      <TableRow>
                        <TableHead>Id</TableHead>
                        <TableHead>Occurred</TableHead>
                        <TableHead className="text-right">Amount</TableHead>
                        <TableHead>Account</TableHead>
                        <TableHead>Counterparty</TableHead>
                        <TableHead>Type</TableHead>
                        <TableHead>Country</TableHead>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {data.items.map((transaction) => (
                        <TableRow key={transaction.id}>
                          <TableCell>
                            <Link
                              className="font-mono text-xs text-primary hover:underline"
                              to={`/transactions/${encodeURIComponent(transaction.id)}`}
                            >
                              {transaction.id}
                            </Link>
                          </TableCell>
                          <TableCell className="whitespace-nowrap text-sm">
                            {formatDateTime(transaction.occurred_at)}
                          </TableCell>
                          <TableCell className="whitespace-nowrap text-right tabular-nums">
                            {formatAmount(transaction.amount, transaction.currency)}
                          </TableCell>
                          <TableCell>{transaction.account}</TableCell>
                          <TableCell>{transaction.counterparty ?? '—'}</TableCell>
                          <TableCell>{transaction.type ?? '—'}</TableCell>
                          <TableCell>
                            {[transaction.country, transaction.counterparty_country].filter(Boolean).join(' → ') || '—'}
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
