import { useQuery } from '@tanstack/react-query';
import { Plus } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { VERSION_STATUSES } from '../../../worker/rules/kinds';
import { SeverityBadge, StatusBadge } from '../components/badges';
import { ChoiceFilter } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { api, query } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatDateTime } from '../lib/format';
import type { Page, Rule } from '../lib/types';

export function RulesPage() {
  const can = useCan();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const [status, setStatus] = useState('');
  const rules = useQuery({
    queryKey: ['rules', status, pages.cursor],
    queryFn: () => api<Page<Rule>>(`/api/rules${query({ status, cursor: pages.cursor, limit: 50 })}`),
  });

  return (
    <>
      <PageHeader
        title="Rules"
        description="Versioned rules in the NitiLens rule language. Only approved versions are evaluated."
        actions={
          can('rules:write') && (
            <Button asChild>
              <Link to="/rules/new">
                <Plus /> New rule
              </Link>
            </Button>
          )
        }
      />
      <Card>
        <CardContent className="pt-5">
          <div className="mb-4 flex items-end gap-3">
            <ChoiceFilter
              label="Latest version status"
              value={status}
              anyLabel="Any status"
              choices={VERSION_STATUSES}
              onChange={(value) => {
                setStatus(value);
                pages.reset();
              }}
              className="w-48"
            />
          </div>
          <QueryState
            query={rules}
            empty={
              <EmptyState
                title={status ? 'No rules with this status' : 'No rules yet'}
                description="Upload a policy to get draft rules with the clause each came from, or write one in the builder."
                action={
                  can('rules:write') &&
                  !status && (
                    <Button asChild variant="outline">
                      <Link to="/rules/new">Write a rule</Link>
                    </Button>
                  )
                }
              />
            }
          >
            {(data) => (
              <>
                <Table>
                  <TableHeader>
                    <TableRow>
                      <TableHead>Rule</TableHead>
                      <TableHead>Severity</TableHead>
                      <TableHead>Latest version</TableHead>
                      <TableHead>Evaluated version</TableHead>
                      <TableHead>Updated</TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {data.items.map((rule) => (
                      <TableRow key={rule.id} className="cursor-pointer" onClick={() => navigate(`/rules/${rule.id}`)}>
                        <TableCell className="max-w-md">
                          <Link
                            to={`/rules/${rule.id}`}
                            className="font-medium hover:underline"
                            onClick={(event) => event.stopPropagation()}
                          >
                            {rule.name}
                          </Link>
                          {rule.clause_ref && (
                            <p className="text-xs text-muted-foreground">Cites clause {rule.clause_ref}</p>
                          )}
                        </TableCell>
                        <TableCell>
                          <SeverityBadge severity={rule.severity} />
                        </TableCell>
                        <TableCell>
                          <span className="mr-2 tabular-nums">v{rule.version}</span>
                          <StatusBadge status={rule.status} />
                        </TableCell>
                        <TableCell className="tabular-nums">
                          {rule.active_version ? (
                            `v${rule.active_version}`
                          ) : (
                            <span className="text-muted-foreground">none</span>
                          )}
                        </TableCell>
                        <TableCell className="whitespace-nowrap text-sm">{formatDateTime(rule.updated_at)}</TableCell>
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
