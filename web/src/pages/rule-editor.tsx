import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft, Save } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { SEVERITIES, validateRule } from '../../../worker/rules/language/schema';
import { StatusBadge } from '../components/badges';
import { Field } from '../components/field';
import { PageHeader } from '../components/page-header';
import { LoadingState, QueryState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Textarea } from '../components/ui/textarea';
import { toast } from '../components/ui/toaster';
import { RulePerformancePanel, RuleSnoozesPanel } from '../features/cases/rule-feedback';
import { CitedClause } from '../features/policies/cited-clause';
import { BacktestPanel } from '../features/rules/backtest-panel';
import {
  type ConditionNode,
  errorsByNode,
  fromJson,
  newGroup,
  toJson,
  UnsupportedCondition,
} from '../features/rules/condition';
import { DecisionButtons } from '../features/rules/decision-buttons';
import { ConditionEditor } from '../features/rules/rule-builder';
import { ApiProblem, api, type FieldError, problemMessage } from '../lib/api';
import { useCan } from '../lib/auth';
import { formatDateTime, humanize } from '../lib/format';
import type { RuleDetail, RuleInput } from '../lib/types';

type Draft = { name: string; description: string; severity: RuleDetail['severity']; condition: ConditionNode };

function initialDraft(rule: RuleDetail | null): Draft {
  if (!rule) return { name: '', description: '', severity: 'medium', condition: newGroup('all') };
  return {
    name: rule.name,
    description: rule.description ?? '',
    severity: rule.severity,
    condition: fromJson(rule.condition),
  };
}

function requestBody(draft: Draft, rule: RuleDetail | null): RuleInput {
  const body: RuleInput = { name: draft.name, severity: draft.severity, condition: toJson(draft.condition) };
  if (draft.description.trim()) body.description = draft.description.trim();
  if (rule?.policy_id) body.policy_id = rule.policy_id;
  if (rule?.clause_ref) body.clause_ref = rule.clause_ref;
  return body;
}

const pretty = (node: ConditionNode) => JSON.stringify(toJson(node), null, 2);

function RuleEditor({ rule }: { rule: RuleDetail | null }) {
  const can = useCan();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const readOnly = !can('rules:write');
  const [draft, setDraft] = useState(() => initialDraft(rule));
  const [jsonText, setJsonText] = useState(() => pretty(draft.condition));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<FieldError[]>([]);

  const body = requestBody(draft, rule);
  // The API's own validator, run in the browser: the same messages and paths a save would return.
  const validation = validateRule(body);
  const errors = [...(validation.ok ? [] : validation.errors), ...serverErrors];
  const nodeErrors = errorsByNode(
    draft.condition,
    errors.filter((error) => error.path.startsWith('condition')),
  );
  const formError = (field: string) => errors.find((error) => error.path === field)?.message;
  const unplaced = errors.filter(
    (error) =>
      error.path !== '' &&
      !['name', 'description', 'severity'].includes(error.path) &&
      !error.path.startsWith('condition'),
  );
  const dirty = !rule || JSON.stringify(body) !== JSON.stringify(requestBody(initialDraft(rule), rule));

  function setCondition(condition: ConditionNode) {
    setDraft((previous) => ({ ...previous, condition }));
    setJsonText(pretty(condition));
    setJsonError(null);
    setServerErrors([]);
  }

  function editJson(text: string) {
    setJsonText(text);
    setServerErrors([]);
    try {
      const condition = fromJson(JSON.parse(text));
      setDraft((previous) => ({ ...previous, condition }));
      setJsonError(null);
    } catch (caught) {
      setJsonError(
        caught instanceof UnsupportedCondition ? caught.message : `Not valid JSON: ${(caught as Error).message}`,
      );
    }
  }

  const save = useMutation({
    mutationFn: () =>
      rule
        ? api<RuleDetail>(`/api/rules/${rule.id}`, { method: 'PUT', body })
        : api<RuleDetail>('/api/rules', { method: 'POST', body }),
    onSuccess: (saved) => {
      toast.success(rule ? `Saved as draft version ${saved.version}` : 'Rule created as a draft');
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      navigate(`/rules/${saved.id}`, { replace: true });
    },
    onError: (caught) => {
      if (caught instanceof ApiProblem && caught.errors.length > 0) setServerErrors(caught.errors);
      else toast.error('Could not save the rule', { description: problemMessage(caught) });
    },
  });

  const canSave = !readOnly && dirty && validation.ok && jsonError === null && !save.isPending;
  const pendingDraft = rule && rule.status === 'draft' && !dirty;

  return (
    <>
      <Button asChild variant="ghost" size="sm">
        <Link to="/rules">
          <ArrowLeft /> Rules
        </Link>
      </Button>
      <PageHeader
        title={rule ? rule.name : 'New rule'}
        description={
          rule && (
            <span className="flex flex-wrap items-center gap-2">
              Version {rule.version} <StatusBadge status={rule.status} />
              {rule.active_version && <span>· v{rule.active_version} is evaluated</span>}
            </span>
          )
        }
        actions={
          <>
            {pendingDraft && can('rules:approve') && (
              <DecisionButtons ruleId={rule.id} version={rule.version} name={rule.name} />
            )}
            {!readOnly && (
              <Button onClick={() => save.mutate()} disabled={!canSave}>
                <Save /> {save.isPending ? 'Saving…' : rule ? 'Save as new draft' : 'Create draft'}
              </Button>
            )}
          </>
        }
      />
      <div className="grid gap-4">
        <Card>
          <CardContent className="grid gap-4 pt-5 md:grid-cols-[1fr_12rem]">
            <Field label="Name" error={formError('name')}>
              <Input
                value={draft.name}
                readOnly={readOnly}
                onChange={(event) => setDraft({ ...draft, name: event.target.value })}
              />
            </Field>
            <Field label="Severity" error={formError('severity')}>
              <Select
                value={draft.severity}
                disabled={readOnly}
                onChange={(event) => setDraft({ ...draft, severity: event.target.value as Draft['severity'] })}
              >
                {SEVERITIES.map((severity) => (
                  <option key={severity} value={severity}>
                    {humanize(severity)}
                  </option>
                ))}
              </Select>
            </Field>
            <Field
              label="Description (optional)"
              error={formError('description')}
              className="grid gap-1.5 md:col-span-2"
            >
              <Textarea
                rows={2}
                value={draft.description}
                readOnly={readOnly}
                onChange={(event) => setDraft({ ...draft, description: event.target.value })}
              />
            </Field>
          </CardContent>
        </Card>

        {(!validation.ok || serverErrors.length > 0) && (
          <Alert variant="warning">
            <AlertTitle>
              {errors.length} {errors.length === 1 ? 'problem' : 'problems'} to fix before saving
            </AlertTitle>
            <AlertDescription>
              Each is shown on the part of the rule it concerns.
              {unplaced.length > 0 && (
                <ul className="mt-1 list-disc pl-5">
                  {unplaced.map((error) => (
                    <li key={error.path + error.message}>
                      <code>{error.path}</code>: {error.message}
                    </li>
                  ))}
                </ul>
              )}
            </AlertDescription>
          </Alert>
        )}

        <div className="grid gap-4 xl:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
          <Card>
            <CardHeader>
              <CardTitle>Condition</CardTitle>
              <CardDescription>
                Build it visually; the JSON beside it follows, and edits to the JSON come back here.
              </CardDescription>
            </CardHeader>
            <CardContent>
              <ConditionEditor node={draft.condition} errors={nodeErrors} readOnly={readOnly} onChange={setCondition} />
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>JSON</CardTitle>
              <CardDescription>The rule language as the API stores it.</CardDescription>
            </CardHeader>
            <CardContent className="grid gap-2">
              <Field label="Condition JSON" error={jsonError ?? undefined}>
                <Textarea
                  value={jsonText}
                  readOnly={readOnly}
                  onChange={(event) => editJson(event.target.value)}
                  spellCheck={false}
                  rows={24}
                  className="font-mono text-xs"
                />
              </Field>
            </CardContent>
          </Card>
        </div>

        <div className="grid gap-4 lg:grid-cols-2">
          <BacktestPanel
            ruleId={rule?.id ?? null}
            version={rule?.version ?? null}
            blockedReason={
              !rule
                ? 'Create the draft first: a backtest runs a saved version.'
                : dirty
                  ? 'Save your changes as a new draft to backtest them.'
                  : null
            }
          />
          {rule?.policy_id && (
            <Card>
              <CardHeader>
                <CardTitle>Source clause</CardTitle>
              </CardHeader>
              <CardContent>
                <CitedClause policyId={rule.policy_id} clauseRef={rule.clause_ref} />
              </CardContent>
            </Card>
          )}
        </div>

        {rule && (
          <div className="grid gap-4 lg:grid-cols-2">
            <RulePerformancePanel ruleId={rule.id} />
            <RuleSnoozesPanel ruleId={rule.id} />
          </div>
        )}

        {rule && (
          <Card>
            <CardHeader>
              <CardTitle>Versions</CardTitle>
            </CardHeader>
            <CardContent>
              <ol className="grid gap-2">
                {[...rule.versions]
                  .sort((a, b) => b.version - a.version)
                  .map((version) => (
                    <li
                      key={version.version}
                      className="flex flex-wrap items-center gap-2 rounded-md border p-3 text-sm"
                    >
                      <span className="font-medium tabular-nums">v{version.version}</span>
                      <StatusBadge status={version.status} />
                      <span className="text-muted-foreground">created {formatDateTime(version.created_at)}</span>
                      {version.decided_at && (
                        <span className="text-muted-foreground">· decided {formatDateTime(version.decided_at)}</span>
                      )}
                      {version.decision_comment && (
                        <span className="w-full text-muted-foreground">“{version.decision_comment}”</span>
                      )}
                    </li>
                  ))}
              </ol>
            </CardContent>
          </Card>
        )}
      </div>
    </>
  );
}

export function RuleEditorPage() {
  const { id } = useParams();
  const rule = useQuery({
    queryKey: ['rules', 'detail', id],
    queryFn: () => api<RuleDetail>(`/api/rules/${id}`),
    enabled: Boolean(id),
  });
  if (!id) return <RuleEditor key="new" rule={null} />;
  return (
    <QueryState query={rule} loading={<LoadingState rows={8} />}>
      {(data) => <RuleEditor key={`${data.id}:${data.version}:${data.status}`} rule={data} />}
    </QueryState>
  );
}
