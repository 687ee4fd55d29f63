import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { PolicyUploadForm } from '../features/policies/upload-form';
import { api, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatDateTime } from '../lib/format';
import type { Page, PolicySummary } from '../lib/types';

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
            <QueryState
              query={policies}
              empty={
                <EmptyState
                  title="No policies yet"
                  description="Upload your AML, expenses or procurement policy to get cited draft rules."
                />
              }
            >
              {(data) => (
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
                      {data.items.map((policy) => (
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
                          <TableCell className="whitespace-nowrap text-sm">
                            {formatDateTime(policy.updated_at)}
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
