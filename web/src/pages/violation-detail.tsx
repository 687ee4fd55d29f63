import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link, useParams } from 'react-router';
import { SeverityBadge, StatusBadge } from '../components/badges';
import { EvidenceView } from '../components/evidence';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { Select } from '../components/ui/select';
import { Textarea } from '../components/ui/textarea';
import { toast } from '../components/ui/toaster';
import { CitedClause } from '../features/policies/cited-clause';
import { VIOLATION_STATUS_CHOICES } from '../features/violations/status-choices';
import { api, problemMessage } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatDateTime, humanize } from '../lib/format';
import type { ViolationDetail, ViolationStatus, ViolationUpdate } from '../lib/types';

function StatusForm({ violation }: { violation: ViolationDetail }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<ViolationStatus>(violation.status === 'open' ? 'resolved' : violation.status);
  const update = useMutation({
    mutationFn: (body: ViolationUpdate) =>
      api<ViolationDetail>(`/api/violations/${violation.id}`, { method: 'PATCH', body }),
    onSuccess: (updated) => {
      toast.success(`Marked ${humanize(updated.status).toLowerCase()}`);
      queryClient.setQueryData(['violations', 'detail', violation.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['violations'] });
      void queryClient.invalidateQueries({ queryKey: ['overview'] });
    },
    onError: (caught) => toast.error('Could not change the status', { description: problemMessage(caught) }),
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const comment = String(new FormData(event.currentTarget).get('comment') ?? '').trim();
    update.mutate(comment ? { status, comment } : { status });
    event.currentTarget.reset();
  }

  return (
    <form onSubmit={submit} className="grid gap-3" aria-label="Change the status">
      <Field label="New status">
        <Select value={status} onChange={(event) => setStatus(event.target.value as ViolationStatus)}>
          {VIOLATION_STATUS_CHOICES.map((choice) => (
            <option key={choice} value={choice}>
              {humanize(choice)}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Comment (optional)">
        <Textarea name="comment" rows={3} maxLength={2000} placeholder="What you checked and why you decided so" />
      </Field>
      <Button type="submit" disabled={update.isPending}>
        {update.isPending ? 'Saving…' : 'Save decision'}
      </Button>
    </form>
  );
}

export function ViolationDetailPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const violation = useQuery({
    queryKey: ['violations', 'detail', id],
    queryFn: () => api<ViolationDetail>(`/api/violations/${id}`),
  });

  const back = (
    <Button asChild variant="ghost" size="sm">
      <Link to="/violations">
        <ArrowLeft /> Review queue
      </Link>
    </Button>
  );
  return (
    <>
      {back}
      <QueryState query={violation} loading={<LoadingState rows={8} />}>
        {(v) => (
          <>
            <PageHeader
              title={v.rule_name}
              description={
                <span className="flex flex-wrap items-center gap-2">
                  <SeverityBadge severity={v.severity} />
                  <StatusBadge status={v.status} /> Risk {v.risk_score.toFixed(1)} · detected{' '}
                  {formatDateTime(v.detected_at)}
                </span>
              }
            />
            <div className="grid gap-4 lg:grid-cols-[1fr_20rem]">
              <div className="grid content-start gap-4">
                <Card>
                  <CardHeader>
                    <CardTitle>Why this was flagged</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <p className="leading-relaxed">{v.explanation}</p>
                  </CardContent>
                </Card>
                <Card>
                  <CardHeader>
                    <CardTitle>Cited clause</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <CitedClause policyId={v.policy_id} clauseRef={v.clause_ref} />
                  </CardContent>
                </Card>
                <Card>
                  <CardHeader>
                    <CardTitle>Evidence</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <EvidenceView evidence={v.evidence} />
                  </CardContent>
                </Card>
                <Card>
                  <CardHeader>
                    <CardTitle>Review history</CardTitle>
                  </CardHeader>
                  <CardContent>
                    {v.history.length === 0 ? (
                      <p className="text-sm text-muted-foreground">No decision yet.</p>
                    ) : (
                      <ol className="grid gap-3">
                        {v.history.map((event, index) => (
                          <li key={index} className="border-l-2 border-slate-200 pl-3 text-sm">
                            <div className="flex flex-wrap items-center gap-2">
                              <StatusBadge status={event.from_status} /> → <StatusBadge status={event.to_status} />
                              <span className="text-muted-foreground">
                                by <span className="font-medium text-foreground">{event.actor_name ?? 'NitiLens'}</span>{' '}
                                on <time dateTime={event.created_at}>{formatDateTime(event.created_at)}</time>
                              </span>
                            </div>
                            {event.comment && <p className="mt-1">{event.comment}</p>}
                          </li>
                        ))}
                      </ol>
                    )}
                  </CardContent>
                </Card>
              </div>
              <div className="grid content-start gap-4">
                <Card>
                  <CardHeader>
                    <CardTitle>Details</CardTitle>
                  </CardHeader>
                  <CardContent>
                    <dl className="grid gap-2 text-sm">
                      <div>
                        <dt className="text-muted-foreground">Transaction</dt>
                        <dd>
                          <Link
                            className="font-mono text-primary hover:underline"
                            to={`/transactions/${encodeURIComponent(v.transaction_id)}`}
                          >
                            {v.transaction_id}
                          </Link>
                        </dd>
                      </div>
                      <div>
                        <dt className="text-muted-foreground">Rule</dt>
                        <dd>
                          <Link className="text-primary hover:underline" to={`/rules/${v.rule_id}`}>
                            {v.rule_name}
                          </Link>{' '}
                          (version {v.rule_version})
                        </dd>
                      </div>
                      {v.scan_id && (
                        <div>
                          <dt className="text-muted-foreground">Found by</dt>
                          <dd>a scan</dd>
                        </div>
                      )}
                    </dl>
                  </CardContent>
                </Card>
                {can('violations:update') && (
                  <Card>
                    <CardHeader>
                      <CardTitle>Decision</CardTitle>
                    </CardHeader>
                    <CardContent>
                      <StatusForm violation={v} />
                    </CardContent>
                  </Card>
                )}
              </div>
            </div>
          </>
        )}
      </QueryState>
    </>
  );
}
