import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Settings } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { CASE_STATUSES } from '../../../worker/cases/kinds';
import { SEVERITIES } from '../../../worker/rules/language/schema';
import { SeverityBadge, SlaBadge, StatusBadge } from '../components/badges';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '../components/ui/dialog';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { CloseForm } from '../features/cases/close-form';
import { api, problemMessage, query } from '../lib/api';
import { useCan, useMe } from '../lib/auth';
import { formatDateTime, humanize } from '../lib/format';
import type { Case, CaseAssignee, CaseCounts, Page } from '../lib/types';

/** The inbox's views: each a preset of filters, with its count. */
const VIEWS = [
  { key: 'open', label: 'All open', filters: { open: 'true' } },
  { key: 'mine', label: 'My cases', filters: { open: 'true', assignee_id: 'me' } },
  { key: 'unassigned', label: 'Unassigned', filters: { open: 'true', assignee_id: 'none' } },
  { key: 'breached', label: 'Breached', filters: { sla: 'breached' } },
  { key: 'due_soon', label: 'Due soon', filters: { sla: 'due_soon' } },
  { key: 'all', label: 'All cases', filters: {} },
] as const;

type ViewKey = (typeof VIEWS)[number]['key'];
type BulkResult = { updated: number; errors: { id: string; message: string }[] };

export function CasesPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const can = useCan();
  const me = useMe();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [closing, setClosing] = useState(false);
  const view = VIEWS.find((v) => v.key === params.get('view')) ?? VIEWS[0];
  const filters = {
    ...view.filters,
    status: params.get('status') ?? '',
    priority: params.get('priority') ?? '',
    q: params.get('q') ?? '',
  };
  const cases = useQuery({
    queryKey: ['cases', 'list', filters, pages.cursor],
    queryFn: () => api<Page<Case>>(`/api/cases${query({ ...filters, cursor: pages.cursor, limit: 50 })}`),
  });
  const counts = useQuery({ queryKey: ['cases', 'counts'], queryFn: () => api<CaseCounts>('/api/cases/counts') });
  const canWork = can('cases:update');
  const assignees = useQuery({
    queryKey: ['cases', 'assignees'],
    queryFn: () => api<CaseAssignee[]>('/api/cases/assignees'),
    enabled: canWork,
  });

  const bulk = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      api<BulkResult>('/api/cases/bulk', { method: 'POST', body: { case_ids: [...selected], ...body } }),
    onSuccess: (result) => {
      if (result.errors.length === 0) toast.success(`${result.updated} cases updated`);
      else
        toast.error(`${result.updated} updated, ${result.errors.length} not`, {
          description: result.errors.map((e) => e.message).join(' '),
        });
      setSelected(new Set());
      setClosing(false);
      void queryClient.invalidateQueries({ queryKey: ['cases'] });
    },
    onError: (caught) => toast.error('The bulk action failed', { description: problemMessage(caught) }),
  });

  function setParam(key: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
    pages.reset();
    setSelected(new Set());
  }

  function toggle(id: string) {
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }

  const items = cases.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((c) => selected.has(c.id));

  return (
    <>
      <PageHeader
        title="Cases"
        description="Violations turned into owned, deadlined investigations. Close each with an outcome: the rules learn from it."
        actions={
          can('cases:manage') ? (
            <Button asChild variant="outline" size="sm">
              <Link to="/cases/settings">
                <Settings /> Case settings
              </Link>
            </Button>
          ) : undefined
        }
      />
      <nav aria-label="Inbox views" className="mb-3 flex flex-wrap gap-2">
        {VIEWS.map((v) => {
          const count = v.key === 'all' ? undefined : counts.data?.[v.key as Exclude<ViewKey, 'all'>];
          return (
            <Button
              key={v.key}
              size="sm"
              variant={v.key === view.key ? 'default' : 'outline'}
              aria-pressed={v.key === view.key}
              onClick={() => setParam('view', v.key === 'open' ? '' : v.key)}
            >
              {v.label}
              {count !== undefined && <span className="tabular-nums opacity-80">({count})</span>}
            </Button>
          );
        })}
      </nav>
      <Card>
        <CardContent className="pt-5">
          <search className="mb-4 flex flex-wrap items-end gap-3" aria-label="Filter cases">
            <Field label="Search">
              <Input
                defaultValue={filters.q}
                placeholder="Title, account or number"
                className="w-56"
                onKeyDown={(event) => {
                  if (event.key === 'Enter') setParam('q', event.currentTarget.value.trim());
                }}
                onBlur={(event) => setParam('q', event.currentTarget.value.trim())}
              />
            </Field>
            <Field label="Status">
              <Select
                value={filters.status}
                onChange={(event) => setParam('status', event.target.value)}
                className="w-40"
              >
                <option value="">Any status</option>
                {CASE_STATUSES.map((status) => (
                  <option key={status} value={status}>
                    {humanize(status)}
                  </option>
                ))}
              </Select>
            </Field>
            <Field label="Priority">
              <Select
                value={filters.priority}
                onChange={(event) => setParam('priority', event.target.value)}
                className="w-36"
              >
                <option value="">Any priority</option>
                {SEVERITIES.map((severity) => (
                  <option key={severity} value={severity}>
                    {humanize(severity)}
                  </option>
                ))}
              </Select>
            </Field>
          </search>
          {canWork && selected.size > 0 && (
            <section
              aria-label="Bulk actions"
              className="mb-3 flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-2"
            >
              <span className="text-sm">{selected.size} selected</span>
              {me && (
                <Button
                  size="sm"
                  variant="outline"
                  disabled={bulk.isPending}
                  onClick={() => bulk.mutate({ action: 'assign', assignee_id: me.user.id })}
                >
                  Assign to me
                </Button>
              )}
              <Select
                aria-label="Assign the selected cases to"
                className="h-8 w-52"
                value=""
                disabled={bulk.isPending || !assignees.data}
                onChange={(event) => {
                  if (event.target.value) bulk.mutate({ action: 'assign', assignee_id: event.target.value });
                }}
              >
                <option value="">{assignees.isError ? 'Members could not be loaded' : 'Assign to…'}</option>
                {(assignees.data ?? []).map((member) => (
                  <option key={member.id} value={member.id}>
                    {member.full_name} ({humanize(member.role)})
                  </option>
                ))}
              </Select>
              <Button
                size="sm"
                variant="outline"
                disabled={bulk.isPending}
                onClick={() => bulk.mutate({ action: 'assign', assignee_id: null })}
              >
                Unassign
              </Button>
              <Button size="sm" disabled={bulk.isPending} onClick={() => setClosing(true)}>
                Close…
              </Button>
            </section>
          )}
          <QueryState
            query={cases}
            empty={
              <EmptyState
                title="No cases here"
                description="Cases open automatically for new violations at or above the organization's severity, or by hand from the violations."
              />
            }
          >
            {(data) => (
              <>
                <Table>
                  <TableHeader>
                    <TableRow>
                      {canWork && (
                        <TableHead className="w-8">
                          <input
                            type="checkbox"
                            aria-label="Select every case on this page"
                            checked={allSelected}
                            onChange={() => setSelected(allSelected ? new Set() : new Set(items.map((c) => c.id)))}
                          />
                        </TableHead>
                      )}
                      <TableHead>Case</TableHead>
                      <TableHead>Priority</TableHead>
                      <TableHead>Status</TableHead>
                      <TableHead>SLA</TableHead>
                      <TableHead>Assignee</TableHead>
                      <TableHead>Opened</TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {items.map((c) => (
                      <TableRow key={c.id} className="cursor-pointer" onClick={() => navigate(`/cases/${c.id}`)}>
                        {canWork && (
                          <TableCell onClick={(event) => event.stopPropagation()}>
                            <input
                              type="checkbox"
                              aria-label={`Select case #${c.number}`}
                              checked={selected.has(c.id)}
                              onChange={() => toggle(c.id)}
                            />
                          </TableCell>
                        )}
                        <TableCell className="max-w-md">
                          <Link
                            to={`/cases/${c.id}`}
                            className="font-medium hover:underline"
                            onClick={(event) => event.stopPropagation()}
                          >
                            #{c.number} {c.title}
                          </Link>
                          <p className="text-xs text-muted-foreground">
                            {c.violation_count} violation{c.violation_count === 1 ? '' : 's'}
                            {c.account ? ` · ${c.account}` : ''}
                            {c.escalated ? ' · escalated' : ''}
                          </p>
                        </TableCell>
                        <TableCell>
                          <SeverityBadge severity={c.priority} />
                        </TableCell>
                        <TableCell>
                          <StatusBadge status={c.status} />
                        </TableCell>
                        <TableCell>
                          <SlaBadge sla={c.sla} closed={c.status === 'closed'} />
                        </TableCell>
                        <TableCell className="text-sm">
                          {c.assignee?.full_name ?? <span className="text-muted-foreground">Unassigned</span>}
                        </TableCell>
                        <TableCell className="whitespace-nowrap text-sm">{formatDateTime(c.created_at)}</TableCell>
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
      <Dialog open={closing} onOpenChange={setClosing}>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Close {selected.size} cases</DialogTitle>
            <DialogDescription>
              Each case closes wholly or not at all; one that cannot close is listed.
            </DialogDescription>
          </DialogHeader>
          <CloseForm
            pending={bulk.isPending}
            submitLabel={`Close ${selected.size} cases`}
            onClose={(body) => bulk.mutate({ action: 'close', ...body })}
          />
        </DialogContent>
      </Dialog>
    </>
  );
}
