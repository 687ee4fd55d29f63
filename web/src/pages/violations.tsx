import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowDown, ArrowUp, ArrowUpDown, Download } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { SEVERITIES } from '../../../worker/rules/language/schema';
import { SeverityBadge, StatusBadge } from '../components/badges';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { VIOLATION_STATUS_CHOICES } from '../features/violations/status-choices';
import { api, problemMessage, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { downloadFile } from '../lib/download';
import { formatDateTime, humanize, zonedInstant } from '../lib/format';
import { useRuleNames } from '../lib/rule-names';
import type { Page, Violation, ViolationStatus } from '../lib/types';

const FILTER_KEYS = ['status', 'severity', 'rule_id', 'scan_id', 'transaction_id', 'q', 'from', 'to'] as const;
type SortKey = 'priority' | 'severity' | 'risk_score' | 'detected_at' | 'transaction_id' | 'rule' | 'status';
const PAGE_SIZE = 50;

/** The API's filters from the address bar: dates are whole days in the browser's time zone. */
function apiFilters(filters: Record<string, string>, sort: SortKey, order: string) {
  return {
    ...filters,
    from: filters.from ? zonedInstant(filters.from) : '',
    to: filters.to ? zonedInstant(filters.to, '23:59:59.999') : '',
    sort,
    order,
  };
}

function SortableHead({
  label,
  column,
  sort,
  order,
  onSort,
  className,
}: {
  label: string;
  column: SortKey;
  sort: SortKey;
  order: string;
  onSort: (column: SortKey) => void;
  className?: string;
}) {
  const active = sort === column;
  const Icon = active ? (order === 'asc' ? ArrowUp : ArrowDown) : ArrowUpDown;
  return (
    <TableHead className={className} aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button
        type="button"
        className="inline-flex items-center gap-1 hover:text-foreground"
        onClick={() => onSort(column)}
      >
        {label}
        <Icon aria-hidden className={active ? 'size-3.5' : 'size-3.5 opacity-40'} />
      </button>
    </TableHead>
  );
}

function BulkBar({ ids, onDone }: { ids: string[]; onDone: () => void }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<ViolationStatus>('reviewed');
  const change = useMutation({
    mutationFn: (body: { ids: string[]; status: ViolationStatus; comment?: string }) =>
      api<{ updated: number; unchanged: number }>('/api/violations/bulk-status', { method: 'POST', body }),
    onSuccess: (result, body) => {
      toast.success(
        `${result.updated} marked ${humanize(body.status).toLowerCase()}` +
          (result.unchanged ? `, ${result.unchanged} already were` : ''),
      );
      onDone();
      void queryClient.invalidateQueries({ queryKey: ['violations'] });
      void queryClient.invalidateQueries({ queryKey: ['overview'] });
    },
    onError: (caught) => toast.error('Could not change the statuses', { description: problemMessage(caught) }),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const comment = String(new FormData(event.currentTarget).get('comment') ?? '').trim();
    change.mutate(comment ? { ids, status, comment } : { ids, status });
  }

  return (
    <form
      onSubmit={submit}
      aria-label="Change the selected violations"
      className="mb-4 flex flex-wrap items-end gap-3 rounded-md border bg-slate-50 p-3"
    >
      <p className="self-center text-sm font-medium" aria-live="polite">
        {ids.length} selected
      </p>
      <Field label="Mark as">
        <Select value={status} onChange={(event) => setStatus(event.target.value as ViolationStatus)} className="w-44">
          {VIOLATION_STATUS_CHOICES.map((choice) => (
            <option key={choice} value={choice}>
              {humanize(choice)}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Comment (optional)" className="grid min-w-48 flex-1 gap-1.5">
        <Input name="comment" maxLength={2000} placeholder="Why, for the history" />
      </Field>
      <Button type="submit" disabled={change.isPending}>
        {change.isPending ? 'Saving…' : `Apply to ${ids.length}`}
      </Button>
      <Button type="button" variant="ghost" onClick={onDone}>
        Clear selection
      </Button>
    </form>
  );
}

export function ViolationsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const ruleNames = useRuleNames();
  const can = useCan();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [exporting, setExporting] = useState(false);
  // The review queue opens on what still needs a decision.
  const filters: Record<string, string> = Object.fromEntries(
    FILTER_KEYS.map((key) => [key, params.get(key) ?? (key === 'status' && !params.has('status') ? 'open' : '')]),
  );
  const sort = (params.get('sort') ?? 'priority') as SortKey;
  const order = params.get('order') ?? 'desc';
  const request = apiFilters(filters, sort, order);
  const violations = useQuery({
    queryKey: ['violations', request, pages.cursor],
    queryFn: () =>
      api<Page<Violation>>(`/api/violations${query({ ...request, cursor: pages.cursor, limit: PAGE_SIZE })}`),
  });

  function update(changes: Record<string, string>) {
    // From the address bar itself: the router's params lag while a previous change is still rendering.
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) next.set(key, value);
    setParams(next, { replace: true });
    pages.reset();
    setSelected(new Set());
  }

  function onSort(column: SortKey) {
    // A new column starts with its most useful end: the highest, the newest, or A to Z.
    const firstOrder = ['transaction_id', 'rule', 'status'].includes(column) ? 'asc' : 'desc';
    update({ sort: column, order: sort === column ? (order === 'asc' ? 'desc' : 'asc') : firstOrder });
  }

  function search(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    update({ q: String(new FormData(event.currentTarget).get('q') ?? '').trim() });
  }

  async function exportCsv() {
    setExporting(true);
    try {
      await downloadFile(`/api/violations/export${query({ ...request })}`, 'violations.csv');
    } catch (caught) {
      toast.error('Could not export', { description: problemMessage(caught) });
    } finally {
      setExporting(false);
    }
  }

  const items = violations.data?.items ?? [];
  const canChange = can('violations:update');
  const allOnPage = items.length > 0 && items.every((v) => selected.has(v.id));
  function toggle(id: string) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }
  function toggleAll() {
    setSelected(allOnPage ? new Set() : new Set(items.map((v) => v.id)));
  }

  const scoped = ['scan_id', 'transaction_id'].filter((key) => filters[key]);
  const rules = [...ruleNames.entries()].sort((a, b) => a[1].localeCompare(b[1]));
  const sortProps = { sort, order, onSort };

  return (
    <>
      <PageHeader
        title="Violations"
        description="The review queue: what each rule found, why, and what the team decided. Most severe and riskiest first."
        actions={
          <Button variant="outline" onClick={() => void exportCsv()} disabled={exporting}>
            <Download /> {exporting ? 'Exporting…' : 'Export CSV'}
          </Button>
        }
      />
      <Card>
        <CardContent className="pt-5">
          <search className="mb-4 grid gap-3" aria-label="Filter violations">
            <form onSubmit={search} className="flex flex-wrap items-end gap-2" key={filters.q}>
              <Field label="Search" className="grid min-w-56 flex-1 gap-1.5">
                <Input
                  name="q"
                  type="search"
                  defaultValue={filters.q}
                  placeholder="Transaction id, account or counterparty"
                />
              </Field>
              <Button type="submit" variant="secondary">
                Search
              </Button>
            </form>
            <div className="flex flex-wrap items-end gap-3">
              <Field label="Rule">
                <Select
                  value={filters.rule_id}
                  onChange={(event) => update({ rule_id: event.target.value })}
                  className="w-56"
                >
                  <option value="">Any rule</option>
                  {filters.rule_id && !ruleNames.has(filters.rule_id!) && (
                    <option value={filters.rule_id}>{filters.rule_id!.slice(0, 8)}</option>
                  )}
                  {rules.map(([id, name]) => (
                    <option key={id} value={id}>
                      {name}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Status">
                <Select
                  value={filters.status}
                  onChange={(event) => update({ status: event.target.value })}
                  className="w-44"
                >
                  <option value="">Any status</option>
                  {VIOLATION_STATUS_CHOICES.map((status) => (
                    <option key={status} value={status}>
                      {humanize(status)}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Severity">
                <Select
                  value={filters.severity}
                  onChange={(event) => update({ severity: event.target.value })}
                  className="w-40"
                >
                  <option value="">Any severity</option>
                  {SEVERITIES.map((severity) => (
                    <option key={severity} value={severity}>
                      {humanize(severity)}
                    </option>
                  ))}
                </Select>
              </Field>
              <Field label="Detected from">
                <Input
                  type="date"
                  value={filters.from}
                  max={filters.to || undefined}
                  onChange={(event) => update({ from: event.target.value })}
                  className="w-40"
                />
              </Field>
              <Field label="Detected to">
                <Input
                  type="date"
                  value={filters.to}
                  min={filters.from || undefined}
                  onChange={(event) => update({ to: event.target.value })}
                  className="w-40"
                />
              </Field>
              {scoped.map((key) => (
                <Button
                  key={key}
                  variant="secondary"
                  size="sm"
                  onClick={() => update({ [key]: '' })}
                  aria-label={`Clear the ${humanize(key)} filter`}
                >
                  {humanize(key)}: {filters[key]!.slice(0, 12)} ×
                </Button>
              ))}
            </div>
          </search>
          {canChange && selected.size > 0 && <BulkBar ids={[...selected]} onDone={() => setSelected(new Set())} />}
          <QueryState
            query={violations}
            empty={
              <EmptyState
                title="Nothing to review"
                description="No violation matches these filters. Scans and webhook decisions add new ones here."
              />
            }
          >
            {(data) => (
              <>
                <Table>
                  <TableHeader>
                    <TableRow>
                      {canChange && (
                        <TableHead className="w-8">
                          <input
                            type="checkbox"
                            aria-label="Select every violation on this page"
                            checked={allOnPage}
                            onChange={toggleAll}
                          />
                        </TableHead>
                      )}
                      <SortableHead label="Severity" column="severity" {...sortProps} />
                      <SortableHead label="Finding" column="rule" {...sortProps} />
                      <SortableHead label="Transaction" column="transaction_id" {...sortProps} />
                      <SortableHead label="Risk" column="risk_score" {...sortProps} />
                      <SortableHead label="Status" column="status" {...sortProps} />
                      <SortableHead label="Detected" column="detected_at" {...sortProps} />
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {items.map((violation) => (
                      <TableRow
                        key={violation.id}
                        className="cursor-pointer"
                        data-state={selected.has(violation.id) ? 'selected' : undefined}
                        onClick={() => navigate(`/violations/${violation.id}`)}
                      >
                        {canChange && (
                          <TableCell onClick={(event) => event.stopPropagation()}>
                            <input
                              type="checkbox"
                              aria-label={`Select ${violation.rule_name} on ${violation.transaction_id}`}
                              checked={selected.has(violation.id)}
                              onChange={() => toggle(violation.id)}
                            />
                          </TableCell>
                        )}
                        <TableCell>
                          <SeverityBadge severity={violation.severity} />
                        </TableCell>
                        <TableCell className="max-w-md">
                          <Link
                            to={`/violations/${violation.id}`}
                            className="font-medium hover:underline"
                            onClick={(event) => event.stopPropagation()}
                          >
                            {violation.rule_name}{' '}
                            <span className="text-muted-foreground">v{violation.rule_version}</span>
                          </Link>
                          <p className="line-clamp-2 text-xs text-muted-foreground">{violation.explanation}</p>
                        </TableCell>
                        <TableCell>
                          <span className="font-mono text-xs">{violation.transaction_id}</span>
                          <p className="text-xs text-muted-foreground">
                            {violation.account}
                            {violation.counterparty ? ` → ${violation.counterparty}` : ''}
                          </p>
                        </TableCell>
                        <TableCell className="tabular-nums">{violation.risk_score.toFixed(1)}</TableCell>
                        <TableCell>
                          <StatusBadge status={violation.status} />
                        </TableCell>
                        <TableCell className="whitespace-nowrap text-sm">
                          {formatDateTime(violation.detected_at)}
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
    </>
  );
}
