import { useInfiniteQuery } from '@tanstack/react-query';
import { ArrowLeft, Download, Pencil } from 'lucide-react';
import { Link, useParams } from 'react-router';
import { SeverityBadge, StatusBadge } from '../components/badges';
import { PageHeader } from '../components/page-header';
import { EmptyState, ErrorState, LoadingState, QueryState } from '../components/states';
import { Badge } from '../components/ui/badge';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '../components/ui/tabs';
import { toast } from '../components/ui/toaster';
import { HighlightedText, usePolicy } from '../features/policies/cited-clause';
import {
  ApproveAll,
  Assumptions,
  FlagBadges,
  FourEyesSetting,
  HitPreview,
  RegroundBanner,
} from '../features/policies/draft-review';
import { ImpactReport } from '../features/policies/impact-report';
import { PolicyUploadForm } from '../features/policies/upload-form';
import { DecisionButtons } from '../features/rules/decision-buttons';
import { api, problemMessage } from '../lib/api';
import { useCan } from '../lib/auth';
import { downloadFile } from '../lib/download';
import { formatBytes, formatDateTime } from '../lib/format';
import type { DraftRule, Page, PolicyClause } from '../lib/types';

function DraftRuleCard({ rule }: { rule: DraftRule }) {
  const can = useCan();
  return (
    <article className="grid gap-2 rounded-md border bg-white p-3" aria-label={`Draft rule ${rule.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <h4 className="font-medium">{rule.name}</h4>
        <SeverityBadge severity={rule.severity} />
        <StatusBadge status={rule.status} />
        {rule.confidence !== null && (
          <Badge variant="outline" title="How sure the extractor is that this rule says what the sentence says">
            confidence {Math.round(rule.confidence * 100)}%
          </Badge>
        )}
        <FlagBadges rule={rule} />
      </div>
      {rule.description && <p className="text-sm text-muted-foreground">{rule.description}</p>}
      <HitPreview rule={rule} />
      <Assumptions rule={rule} />
      <pre className="max-h-40 overflow-auto rounded bg-slate-50 p-2 text-xs">
        {JSON.stringify(rule.condition, null, 2)}
      </pre>
      <div className="flex flex-wrap items-center gap-2">
        {rule.status === 'draft' && can('rules:approve') && (
          <DecisionButtons ruleId={rule.id} version={rule.version} name={rule.name} size="sm" />
        )}
        {can('rules:write') && (
          <Button asChild size="sm" variant="ghost">
            <Link to={`/rules/${rule.id}`}>
              <Pencil /> Edit in builder
            </Link>
          </Button>
        )}
      </div>
    </article>
  );
}

function ClauseRow({ clause, rules }: { clause: PolicyClause; rules: DraftRule[] }) {
  // A clause may source several rules; each rule's sentence is highlighted (the first one found).
  const sentence =
    rules.find((rule) => rule.source_text && clause.text.includes(rule.source_text))?.source_text ?? null;
  return (
    <li className="grid gap-3 border-b py-4 last:border-0 lg:grid-cols-2">
      <div>
        <p className="mb-1 text-xs font-semibold uppercase tracking-wide text-muted-foreground">
          Clause {clause.number}
          {clause.heading && ` · ${clause.heading}`}
        </p>
        <p className="text-sm leading-relaxed">
          <HighlightedText text={clause.text} highlight={sentence} />
        </p>
        {clause.not_enforced.length > 0 && (
          <section
            className="mt-2 text-xs text-muted-foreground"
            aria-label={`Not enforced in clause ${clause.number}`}
          >
            <p className="font-semibold">Not enforced by any rule</p>
            <ul className="list-disc pl-5">
              {clause.not_enforced.map((part) => (
                <li key={part}>{part}</li>
              ))}
            </ul>
          </section>
        )}
      </div>
      <div className="grid content-start gap-2">
        {rules.length === 0 ? (
          <p className="text-sm text-muted-foreground">No rule proposed for this clause.</p>
        ) : (
          rules.map((rule) => <DraftRuleCard key={rule.id} rule={rule} />)
        )}
      </div>
    </li>
  );
}

const RULES_PAGE = 50;

export function PolicyDetailPage() {
  const { id = '' } = useParams();
  const can = useCan();
  const policy = usePolicy(id);
  // A page at a time: each draft carries a backtest of its preview.
  const rules = useInfiniteQuery({
    queryKey: ['policies', 'rules', id],
    queryFn: ({ pageParam }) =>
      api<Page<DraftRule>>(
        `/api/policies/${id}/rules?limit=${RULES_PAGE}${pageParam ? `&cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

  const back = (
    <Button asChild variant="ghost" size="sm">
      <Link to="/policies">
        <ArrowLeft /> Policies
      </Link>
    </Button>
  );
  return (
    <>
      {back}
      <QueryState query={policy} loading={<LoadingState rows={8} />}>
        {(p) => {
          const loaded = rules.data?.pages.flatMap((page) => page.items) ?? [];
          const drafts = loaded.filter((rule) => rule.status === 'draft');
          const rulesOf = (clause: PolicyClause) => loaded.filter((rule) => rule.clause_ref === clause.key);

          return (
            <>
              <PageHeader
                title={p.name}
                description={
                  <>
                    Version {p.version}
                    {p.framework && ` · ${p.framework}`} · updated {formatDateTime(p.updated_at)} · {p.clause_count}{' '}
                    clauses · {p.rules.approved} rules approved, {p.rules.draft} awaiting review
                  </>
                }
                actions={
                  drafts.length > 0 && can('rules:approve') && !rules.hasNextPage && <ApproveAll drafts={drafts} />
                }
              />
              <div className="mb-4 grid gap-3">
                <FourEyesSetting />
                <RegroundBanner policyId={p.id} drafts={drafts} />
              </div>
              <Tabs defaultValue="clauses">
                <TabsList>
                  <TabsTrigger value="clauses">Clauses and draft rules</TabsTrigger>
                  <TabsTrigger value="versions">Versions and impact</TabsTrigger>
                </TabsList>
                <TabsContent value="clauses">
                  <Card>
                    <CardHeader>
                      <CardTitle>Clauses</CardTitle>
                      <CardDescription>
                        Each clause beside the rules proposed from it; the sentence a rule came from is highlighted.
                      </CardDescription>
                    </CardHeader>
                    <CardContent>
                      {rules.isError && (
                        <ErrorState
                          error={rules.error}
                          onRetry={() => void rules.refetch()}
                          title="Could not load the draft rules"
                        />
                      )}
                      {rules.isPending && <LoadingState rows={3} label="Loading draft rules" />}
                      {p.clauses.length === 0 ? (
                        <EmptyState
                          title="No clauses found"
                          description="The document had no recognizable numbered clauses."
                        />
                      ) : (
                        <ol>
                          {p.clauses.map((clause) => (
                            <ClauseRow key={clause.id} clause={clause} rules={rulesOf(clause)} />
                          ))}
                        </ol>
                      )}
                      {rules.hasNextPage && (
                        <div className="flex flex-wrap items-center gap-3 pt-3">
                          <span className="text-sm text-muted-foreground">
                            {loaded.length} rules shown; more clauses have rules still to load.
                          </span>
                          <Button
                            variant="outline"
                            size="sm"
                            onClick={() => void rules.fetchNextPage()}
                            disabled={rules.isFetchingNextPage}
                          >
                            {rules.isFetchingNextPage ? 'Loading…' : 'Load more rules'}
                          </Button>
                        </div>
                      )}
                    </CardContent>
                  </Card>
                </TabsContent>
                <TabsContent value="versions" className="grid gap-4">
                  {can('policies:write') && (
                    <Card>
                      <CardHeader>
                        <CardTitle>Upload a new version</CardTitle>
                        <CardDescription>
                          Clauses are compared with this version; changed clauses get new drafts, and the impact report
                          backtests the affected rules.
                        </CardDescription>
                      </CardHeader>
                      <CardContent>
                        <PolicyUploadForm policies={[]} fixedPolicyId={p.id} />
                      </CardContent>
                    </Card>
                  )}
                  <Card>
                    <CardHeader>
                      <CardTitle>Versions</CardTitle>
                    </CardHeader>
                    <CardContent>
                      <ol className="grid gap-2">
                        {p.versions.map((version) => (
                          <li
                            key={version.version}
                            className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border p-3 text-sm"
                          >
                            <span className="font-medium tabular-nums">v{version.version}</span>
                            <span>{version.file_name}</span>
                            <span className="text-muted-foreground">
                              {formatBytes(version.size_bytes)} · {formatDateTime(version.created_at)}
                            </span>
                            {version.changes && (
                              <span className="text-muted-foreground">
                                vs v{version.changes.previous_version}: {version.changes.added.length} added,{' '}
                                {version.changes.changed.length} changed, {version.changes.removed.length} removed
                              </span>
                            )}
                            <Button
                              variant="outline"
                              size="sm"
                              className="ml-auto"
                              aria-label={`Download v${version.version} (${version.file_name})`}
                              onClick={() =>
                                void downloadFile(
                                  `/api/policies/${p.id}/versions/${version.version}/file`,
                                  version.file_name,
                                ).catch((caught) =>
                                  toast.error('Could not download the file', { description: problemMessage(caught) }),
                                )
                              }
                            >
                              <Download /> Download
                            </Button>
                          </li>
                        ))}
                      </ol>
                    </CardContent>
                  </Card>
                  {p.version > 1 ? (
                    <ImpactReport policyId={p.id} />
                  ) : (
                    <EmptyState
                      title="Only one version"
                      description="The impact report compares versions: upload a changed document to see it."
                    />
                  )}
                </TabsContent>
              </Tabs>
            </>
          );
        }}
      </QueryState>
    </>
  );
}
