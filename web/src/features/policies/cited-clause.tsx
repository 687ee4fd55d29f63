import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { LoadingState, QueryState } from '../../components/states';
import { api } from '../../lib/api';
import type { PolicyDetail } from '../../lib/types';

/** Rules cite a clause by its stable key (`clause_ref`), which survives new versions. */
export function findClause(policy: PolicyDetail, clauseRef: string) {
  return policy.clauses.find((clause) => clause.key === clauseRef);
}

export function usePolicy(policyId: string | null | undefined) {
  return useQuery({
    queryKey: ['policies', 'detail', policyId],
    queryFn: () => api<PolicyDetail>(`/api/policies/${policyId}`),
    enabled: Boolean(policyId),
  });
}

export function CitedClause({
  policyId,
  clauseRef,
  sourceText,
}: {
  policyId: string | null;
  clauseRef: string | null;
  sourceText?: string | null;
}) {
  const policy = usePolicy(policyId);
  if (!policyId || !clauseRef)
    return <p className="text-sm text-muted-foreground">This rule was written by hand; it cites no policy clause.</p>;
  return (
    <QueryState query={policy} loading={<LoadingState rows={2} />}>
      {(data) => {
        const clause = findClause(data, clauseRef);
        return (
          <figure className="grid gap-2">
            <figcaption className="text-sm text-muted-foreground">
              <Link className="font-medium text-primary hover:underline" to={`/policies/${policyId}`}>
                {data.name}
              </Link>{' '}
              v{data.version}, clause {clause?.number ?? clauseRef}
              {clause?.heading && ` (${clause.heading})`}
            </figcaption>
            <blockquote className="border-l-4 border-indigo-300 bg-indigo-50/50 px-4 py-3 text-sm leading-relaxed">
              {clause ? (
                <HighlightedText text={clause.text} highlight={sourceText ?? null} />
              ) : (
                `Clause ${clauseRef} is not in the current version of this policy.`
              )}
            </blockquote>
          </figure>
        );
      }}
    </QueryState>
  );
}

/** The clause with the sentence a rule came from marked, so reviewers see exactly what was read. */
export function HighlightedText({ text, highlight }: { text: string; highlight: string | null }) {
  const at = highlight ? text.indexOf(highlight) : -1;
  if (!highlight || at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <mark className="rounded bg-amber-200/70 px-0.5 text-slate-900">{highlight}</mark>
      {text.slice(at + highlight.length)}
    </>
  );
}
