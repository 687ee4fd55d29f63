import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, PackageCheck } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { CaseStatus } from '../../../worker/cases/kinds';
import { SeverityBadge, SlaBadge, StatusBadge } from '../components/badges';
import { EvidenceView } from '../components/evidence';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { Select } from '../components/ui/select';
import { Textarea } from '../components/ui/textarea';
import { toast } from '../components/ui/toaster';
import { CloseForm } from '../features/cases/close-form';
import { CitedClause } from '../features/policies/cited-clause';
import { api, problemMessage, query } from '../lib/api';
import { useCan, useMe } from '../lib/auth';
import { downloadFile } from '../lib/download';
import { formatAmount, formatDateTime, humanize } from '../lib/format';
import type { CaseAssignee, CaseDetail, CaseEvent, CaseViolation, Page } from '../lib/types';

/** Downloads the case's evidence pack (a ZIP with a SHA-256 manifest; `npm run verify-evidence` checks it). */
function EvidencePackButton({ caseId, number }: { caseId: string; number: number }) {
  const [busy, setBusy] = useState(false);
  async function download() {
    setBusy(true);
    try {
      await downloadFile(`/api/cases/${caseId}/evidence-pack`, `case-${number}-evidence.zip`);
      toast.success('Evidence pack downloaded', { description: 'Check it with npm run verify-evidence -- <file>.' });
    } catch (caught) {
      toast.error('Could not build the evidence pack', { description: problemMessage(caught) });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Button variant="outline" onClick={() => void download()} disabled={busy}>
      <PackageCheck /> {busy ? 'Preparing…' : 'Evidence pack'}
    </Button>
  );
}

const WORKING_STATUSES: CaseStatus[] = ['open', 'investigating', 'pending_info'];

function describeEvent(event: CaseEvent, names: Map<string, string>): string {
  const data = event.data as Record<string, unknown>;
  const who = (id: unknown) => (typeof id === 'string' ? (names.get(id) ?? 'a member') : 'nobody');
  switch (event.type) {
    case 'created':
      return `Case opened with ${(data.violation_ids as unknown[] | undefined)?.length ?? 0} violation(s)`;
    case 'violation_added':
      return 'A new violation joined the case';
    case 'assigned':
      return data.to
        ? `Assigned to ${who(data.to)}`
        : `Unassigned${data.reason === 'member_left' ? ' (the member left)' : ''}`;
    case 'status_changed':
      return `Status ${humanize(String(data.from))} → ${humanize(String(data.to))}`;
    case 'comment':
      return String(data.body);
    case 'escalated':
      return 'Escalated: the SLA was breached';
    case 'closed':
      return `Closed as ${humanize(String(data.outcome))}: ${String(data.reason)}`;
    case 'reopened':
      return 'Reopened';
  }
}

export function CaseDetailPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const me = useMe();
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: ['cases', 'detail', id], queryFn: () => api<CaseDetail>(`/api/cases/${id}`) });
  const events = useQuery({
    queryKey: ['cases', 'events', id],
    queryFn: () => api<CaseEvent[]>(`/api/cases/${id}/events`),
  });
  // Anyone who works cases may give one to any member who may take it.
  const members = useQuery({
    queryKey: ['cases', 'assignees'],
    queryFn: () => api<CaseAssignee[]>('/api/cases/assignees'),
    enabled: can('cases:update'),
  });
  const [comment, setComment] = useState('');
  // The case answers with its first 200 violations; the rest come a page at a time, on request.
  const [showMore, setShowMore] = useState(false);
  const firstCursor = detail.data?.violations_next_cursor ?? null;
  const moreViolations = useInfiniteQuery({
    queryKey: ['cases', 'violations', id, firstCursor],
    queryFn: ({ pageParam }) =>
      api<Page<CaseViolation>>(`/api/cases/${id}/violations${query({ limit: 200, cursor: pageParam })}`),
    initialPageParam: firstCursor ?? '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: showMore && firstCursor !== null,
  });

  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['cases'] });
  const update = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<CaseDetail>(`/api/cases/${id}`, { method: 'PATCH', body }),
    onSuccess: (updated) => {
      toast.success(`Case #${updated.number} updated`);
      queryClient.setQueryData(['cases', 'detail', id], updated);
      refresh();
    },
    onError: (caught) => toast.error('Could not change the case', { description: problemMessage(caught) }),
  });
  const addComment = useMutation({
    mutationFn: (body: string) => api<CaseEvent>(`/api/cases/${id}/comments`, { method: 'POST', body: { body } }),
    onSuccess: () => {
      setComment('');
      refresh();
    },
    onError: (caught) => toast.error('Could not add the comment', { description: problemMessage(caught) }),
  });

  const back = (
    <Button asChild variant="ghost" size="sm">
      <Link to="/cases">
        <ArrowLeft /> Cases
      </Link>
    </Button>
  );
  return (
    <>
      {back}
      <QueryState query={detail} loading={<LoadingState rows={8} />}>
        {(c) => {
          const shownViolations = [
            ...c.violations,
            ...(moreViolations.data?.pages.flatMap((page) => page.items) ?? []),
          ];
          const closed = c.status === 'closed';
          const names = new Map<string, string>((members.data ?? []).map((u) => [u.id, u.full_name]));
          for (const e of events.data ?? []) if (e.actor) names.set(e.actor.id, e.actor.full_name);
          if (c.assignee) names.set(c.assignee.id, c.assignee.full_name);
          if (me) names.set(me.user.id, me.user.full_name);
          const assignable = members.data ?? [];

          function submitComment(event: FormEvent) {
            event.preventDefault();
            if (comment.trim()) addComment.mutate(comment.trim());
          }

          return (
            <>
              <PageHeader
                title={`#${c.number} ${c.title}`}
                actions={<EvidencePackButton caseId={c.id} number={c.number} />}
                description={
                  <span className="flex flex-wrap items-center gap-2">
                    <SeverityBadge severity={c.priority} />
                    <StatusBadge status={c.status} />
                    <SlaBadge sla={c.sla} closed={closed} />
                    {c.escalated && <StatusBadge status="escalated" />}
                    <span>
                      due {formatDateTime(c.due_at)} · opened {formatDateTime(c.created_at)}
                      {c.account ? ` · account ${c.account}` : ''}
                    </span>
                  </span>
                }
              />
              <div className="grid gap-4 lg:grid-cols-[1fr_22rem]">
                <div className="grid content-start gap-4">
                  <section aria-label="Violations" className="grid gap-4">
                    {shownViolations.map((v) => (
                      <Card key={v.id}>
                        <CardHeader>
                          <CardTitle className="flex flex-wrap items-center gap-2">
                            <SeverityBadge severity={v.severity} />
                            <Link to={`/rules/${v.rule_id}`} className="hover:underline">
                              {v.rule_name}
                            </Link>
                            <span className="text-sm font-normal text-muted-foreground">v{v.rule_version}</span>
                            <StatusBadge status={v.status} />
                          </CardTitle>
                        </CardHeader>
                        <CardContent className="grid gap-3">
                          <p className="leading-relaxed">{v.explanation}</p>
                          <p className="text-sm">
                            Transaction{' '}
                            <Link
                              className="font-mono text-primary hover:underline"
                              to={`/transactions/${encodeURIComponent(v.transaction.id)}`}
                            >
                              {v.transaction.id}
                            </Link>{' '}
                            · {formatAmount(v.transaction.amount, v.transaction.currency)} · {v.transaction.account}
                            {v.transaction.counterparty ? ` → ${v.transaction.counterparty}` : ''} ·{' '}
                            {formatDateTime(v.transaction.occurred_at)}
                          </p>
                          <CitedClause policyId={v.policy_id} clauseRef={v.clause_ref} />
                          <details>
                            <summary className="cursor-pointer text-sm text-muted-foreground">Evidence</summary>
                            <EvidenceView evidence={v.evidence} />
                          </details>
                        </CardContent>
                      </Card>
                    ))}
                    {c.violation_count > c.violations.length && (
                      <div className="flex flex-wrap items-center gap-3">
                        <p className="text-sm text-muted-foreground">
                          Showing {shownViolations.length} of {c.violation_count} violations.
                        </p>
                        {moreViolations.isError ? (
                          <ErrorState error={moreViolations.error} onRetry={() => void moreViolations.refetch()} />
                        ) : (
                          (!showMore || moreViolations.hasNextPage) && (
                            <Button
                              size="sm"
                              variant="outline"
                              disabled={moreViolations.isFetching}
                              onClick={() => (showMore ? void moreViolations.fetchNextPage() : setShowMore(true))}
                            >
                              {moreViolations.isFetching ? 'Loading…' : 'Show more violations'}
                            </Button>
                          )
                        )}
                      </div>
                    )}
                  </section>
                  <Card>
                    <CardHeader>
                      <CardTitle>Timeline</CardTitle>
                    </CardHeader>
                    <CardContent className="grid gap-4">
                      <QueryState query={events} loading={<LoadingState rows={3} />}>
                        {(data) => (
                          <ol className="grid gap-3" aria-label="Case history">
                            {data.map((event) => (
                              <li key={event.id} className="border-l-2 border-slate-200 pl-3 text-sm">
                                <div className="flex flex-wrap items-center gap-2 text-muted-foreground">
                                  <span className="font-medium text-foreground">
                                    {event.actor?.full_name ?? 'NitiLens'}
                                  </span>
                                  {humanize(event.type)} · {formatDateTime(event.at)}
                                </div>
                                <p className="mt-1 whitespace-pre-wrap">{describeEvent(event, names)}</p>
                              </li>
                            ))}
                          </ol>
                        )}
                      </QueryState>
                      {can('cases:update') && (
                        <form onSubmit={submitComment} className="grid gap-2" aria-label="Add a comment">
                          <Field label="Comment">
                            <Textarea
                              value={comment}
                              onChange={(event) => setComment(event.target.value)}
                              rows={2}
                              maxLength={10000}
                            />
                          </Field>
                          <Button type="submit" variant="outline" disabled={addComment.isPending || !comment.trim()}>
                            Add comment
                          </Button>
                        </form>
                      )}
                    </CardContent>
                  </Card>
                </div>
                <div className="grid content-start gap-4">
                  <Card>
                    <CardHeader>
                      <CardTitle>Owner</CardTitle>
                    </CardHeader>
                    <CardContent className="grid gap-3 text-sm">
                      <p>{c.assignee ? c.assignee.full_name : 'Unassigned'}</p>
                      {can('cases:update') && !closed && (
                        <div className="flex flex-wrap gap-2">
                          {me && c.assignee?.id !== me.user.id && (
                            <Button
                              size="sm"
                              variant="outline"
                              onClick={() => update.mutate({ assignee_id: me.user.id })}
                            >
                              Assign to me
                            </Button>
                          )}
                          {assignable.length > 0 && (
                            <Field label="Assign to">
                              <Select
                                value={c.assignee?.id ?? ''}
                                onChange={(event) => update.mutate({ assignee_id: event.target.value || null })}
                              >
                                <option value="">Unassigned</option>
                                {assignable.map((u) => (
                                  <option key={u.id} value={u.id}>
                                    {u.full_name}
                                  </option>
                                ))}
                              </Select>
                            </Field>
                          )}
                        </div>
                      )}
                    </CardContent>
                  </Card>
                  {can('cases:update') && !closed && (
                    <>
                      <Card>
                        <CardHeader>
                          <CardTitle>Status</CardTitle>
                        </CardHeader>
                        <CardContent>
                          <Field label="Status" hint="Pending info stops the SLA clock.">
                            <Select
                              value={c.status}
                              onChange={(event) => update.mutate({ status: event.target.value })}
                            >
                              {WORKING_STATUSES.map((status) => (
                                <option key={status} value={status}>
                                  {humanize(status)}
                                </option>
                              ))}
                            </Select>
                          </Field>
                        </CardContent>
                      </Card>
                      <Card>
                        <CardHeader>
                          <CardTitle>Close</CardTitle>
                        </CardHeader>
                        <CardContent>
                          <CloseForm
                            pending={update.isPending}
                            onClose={(body) => update.mutate({ status: 'closed', ...body })}
                          />
                        </CardContent>
                      </Card>
                    </>
                  )}
                  {closed && (
                    <Card>
                      <CardHeader>
                        <CardTitle>Outcome</CardTitle>
                      </CardHeader>
                      <CardContent className="grid gap-2 text-sm">
                        <p>
                          <StatusBadge status={c.outcome ?? 'closed'} /> {c.close_reason}
                        </p>
                        <p className="text-muted-foreground">Closed {formatDateTime(c.closed_at)}</p>
                        {me?.user.role === 'compliance_admin' && (
                          <Button
                            size="sm"
                            variant="outline"
                            onClick={() => update.mutate({ status: 'investigating' })}
                          >
                            Reopen
                          </Button>
                        )}
                      </CardContent>
                    </Card>
                  )}
                </div>
              </div>
            </>
          );
        }}
      </QueryState>
    </>
  );
}
