import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { SEVERITIES, SeverityBadge, StatusBadge } from '../components/badges';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, ErrorState, LoadingState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { api, query } from '../lib/api';
import { formatDateTime, humanize } from '../lib/format';
import { useRuleNames } from '../lib/rule-names';
import type { Page, Violation } from '../lib/types';
import { VIOLATION_STATUS_CHOICES } from './violation-detail';

const FILTER_KEYS = ['status', 'severity', 'rule_id', 'scan_id', 'transaction_id'] as const;

export function ViolationsPage() {
  const [params, setParams] = useSearchParams();
  const navigate = useNavigate();
  const pages = useCursorPages();
  const ruleNames = useRuleNames();
  // The review queue opens on what still needs a decision.
  const filters = Object.fromEntries(
    FILTER_KEYS.map((key) => [key, params.get(key) ?? (key === 'status' && !params.has('status') ? 'open' : '')]),
  );
  const violations = useQuery({
    queryKey: ['violations', filters, pages.cursor],
    queryFn: () => api<Page<Violation>>(`/api/violations${query({ ...filters, cursor: pages.cursor, limit: 50 })}`),
  });

  function setFilter(key: string, value: string) {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
    pages.reset();
  }

  const scoped = ['rule_id', 'scan_id', 'transaction_id'].filter((key) => filters[key]);

  return (
    <>
      <PageHeader
        title="Violations"
        description="The review queue: what each rule found, why, and what the team decided."
      />
      <Card>
        <CardContent className="pt-5">
          <search className="mb-4 flex flex-wrap items-end gap-3" aria-label="Filter violations">
            <Field label="Status">
              <Select
                value={filters.status}
                onChange={(event) => setFilter('status', event.target.value)}
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
                onChange={(event) => setFilter('severity', event.target.value)}
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
            {scoped.map((key) => (
              <Button
                key={key}
                variant="secondary"
                size="sm"
                onClick={() => setFilter(key, '')}
                aria-label={`Clear the ${humanize(key)} filter`}
              >
                {humanize(key)}:{' '}
                {key === 'rule_id'
                  ? (ruleNames.get(filters[key]!) ?? filters[key]!.slice(0, 8))
                  : filters[key]!.slice(0, 12)}{' '}
                ×
              </Button>
            ))}
          </search>
          {violations.isPending ? (
            <LoadingState />
          ) : violations.isError ? (
            <ErrorState error={violations.error} onRetry={() => void violations.refetch()} />
          ) : violations.data.items.length === 0 ? (
            <EmptyState
              title="Nothing to review"
              description="No violation matches these filters. Scans and webhook decisions add new ones here."
            />
          ) : (
            <>
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>Severity</TableHead>
                    <TableHead>Finding</TableHead>
                    <TableHead>Transaction</TableHead>
                    <TableHead>Risk</TableHead>
                    <TableHead>Status</TableHead>
                    <TableHead>Detected</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {violations.data.items.map((violation) => (
                    <TableRow
                      key={violation.id}
                      className="cursor-pointer"
                      onClick={() => navigate(`/violations/${violation.id}`)}
                    >
                      <TableCell>
                        <SeverityBadge severity={violation.severity} />
                      </TableCell>
                      <TableCell className="max-w-md">
                        <Link
                          to={`/violations/${violation.id}`}
                          className="font-medium hover:underline"
                          onClick={(event) => event.stopPropagation()}
                        >
                          {ruleNames.get(violation.rule_id) ?? 'Rule'}{' '}
                          <span className="text-muted-foreground">v{violation.rule_version}</span>
                        </Link>
                        <p className="line-clamp-2 text-xs text-muted-foreground">{violation.explanation}</p>
                      </TableCell>
                      <TableCell className="font-mono text-xs">{violation.transaction_id}</TableCell>
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
              <Pager pages={pages} nextCursor={violations.data.next_cursor} />
            </>
          )}
        </CardContent>
      </Card>
    </>
  );
}
