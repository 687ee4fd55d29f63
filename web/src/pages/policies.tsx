import { useQuery, useQueryClient } from '@tanstack/react-query';
import { FileUp } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorState, LoadingState } from '../components/states';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { UploadProgress } from '../components/upload-progress';
import { api, type UploadProgress as Progressed, problemMessage, query, uploadWithProgress } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatDateTime } from '../lib/format';
import type { Page, PolicySummary, PolicyUploadResult } from '../lib/types';

const ACCEPTED = '.pdf,.docx,.md,.markdown,.txt';

export function PolicyUploadForm({ policies, fixedPolicyId }: { policies: PolicySummary[]; fixedPolicyId?: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [progress, setProgress] = useState<Progressed | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a PDF, DOCX, Markdown or text file.');
      return;
    }
    if (!String(form.get('name') ?? '').trim()) form.set('name', file.name.replace(/\.[^.]+$/, ''));
    for (const key of ['framework', 'policy_id']) if (!String(form.get(key) ?? '').trim()) form.delete(key);
    setError(null);
    setProgress({ loaded: 0, total: file.size });
    try {
      const result = await uploadWithProgress<PolicyUploadResult>('/api/policies', form, setProgress);
      toast.success(`${result.name} v${result.version} uploaded`, {
        description: `${result.clauses} clauses, ${result.rules} draft rules to review.`,
      });
      void queryClient.invalidateQueries({ queryKey: ['policies'] });
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      navigate(`/policies/${result.id}`);
    } catch (caught) {
      setError(problemMessage(caught));
    } finally {
      setProgress(null);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-3">
      <div className="grid gap-3 md:grid-cols-2">
        <Field label="Document" hint="PDF, DOCX, Markdown or plain text, up to 20 MB.">
          <Input type="file" name="file" accept={ACCEPTED} />
        </Field>
        <Field label="Name" hint="Defaults to the file name.">
          <Input name="name" maxLength={200} />
        </Field>
        <Field label="Framework (optional)">
          <Input name="framework" placeholder="e.g. BSA/AML" maxLength={200} />
        </Field>
        {fixedPolicyId ? (
          <input type="hidden" name="policy_id" value={fixedPolicyId} />
        ) : (
          <Field label="New version of (optional)">
            <Select name="policy_id" defaultValue="">
              <option value="">A new policy</option>
              {policies.map((policy) => (
                <option key={policy.id} value={policy.id}>
                  {policy.name} (v{policy.version})
                </option>
              ))}
            </Select>
          </Field>
        )}
      </div>
      <div>
        <Button type="submit" disabled={progress !== null}>
          <FileUp /> Upload and extract
        </Button>
      </div>
      {progress && <UploadProgress progress={progress} label="Uploading the policy" />}
      {error && (
        <Alert variant="destructive">
          <AlertDescription>{error}</AlertDescription>
        </Alert>
      )}
    </form>
  );
}

export function PoliciesPage() {
  const can = useCan();
  const pages = useCursorPages();
  const policies = useQuery({
    queryKey: ['policies', pages.cursor],
    queryFn: () => api<Page<PolicySummary>>(`/api/policies${query({ cursor: pages.cursor, limit: 50 })}`),
  });

  return (
    <>
      <PageHeader
        title="Policies"
        description="Your policy documents, split into clauses, each clause proposing the rules that enforce it."
      />
      <div className="grid gap-4">
        {can('policies:write') && (
          <Card>
            <CardHeader>
              <CardTitle>Upload a policy</CardTitle>
              <CardDescription>
                Text is extracted, split into numbered clauses, and draft rules are proposed for review. Nothing is
                evaluated until approved.
              </CardDescription>
            </CardHeader>
            <CardContent>
              <PolicyUploadForm policies={policies.data?.items ?? []} />
            </CardContent>
          </Card>
        )}
        <Card>
          <CardContent className="pt-5">
            {policies.isPending ? (
              <LoadingState />
            ) : policies.isError ? (
              <ErrorState error={policies.error} onRetry={() => void policies.refetch()} />
            ) : policies.data.items.length === 0 ? (
              <EmptyState
                title="No policies yet"
                description="Upload your AML, expenses or procurement policy to get cited draft rules."
              />
            ) : (
              <>
                <Table>
                  <TableHeader>
                    <TableRow>
                      <TableHead>Policy</TableHead>
                      <TableHead>Framework</TableHead>
                      <TableHead>Version</TableHead>
                      <TableHead>Rules</TableHead>
                      <TableHead>Updated</TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {policies.data.items.map((policy) => (
                      <TableRow key={policy.id}>
                        <TableCell>
                          <Link className="font-medium text-primary hover:underline" to={`/policies/${policy.id}`}>
                            {policy.name}
                          </Link>
                        </TableCell>
                        <TableCell>{policy.framework ?? '—'}</TableCell>
                        <TableCell className="tabular-nums">v{policy.version}</TableCell>
                        <TableCell className="text-sm">
                          {policy.rules.approved} approved
                          {policy.rules.draft > 0 && (
                            <>
                              , <span className="font-medium text-amber-700">{policy.rules.draft} to review</span>
                            </>
                          )}
                        </TableCell>
                        <TableCell className="whitespace-nowrap text-sm">{formatDateTime(policy.updated_at)}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
                <Pager pages={pages} nextCursor={policies.data.next_cursor} />
              </>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}
