import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ArrowLeft } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { SEVERITIES } from '../../../worker/rules/language/schema';
import { Field, fieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { LoadingState, QueryState } from '../components/states';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '../components/ui/card';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { toast } from '../components/ui/toaster';
import { ApiProblem, api, problemMessage } from '../lib/api';
import { humanize } from '../lib/format';
import type { CaseSettings } from '../lib/types';

function SettingsForm({ settings }: { settings: CaseSettings }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState(settings);
  const save = useMutation({
    mutationFn: (body: CaseSettings) => api<CaseSettings>('/api/cases/settings', { method: 'PUT', body }),
    onSuccess: (saved) => {
      toast.success('Case settings saved');
      queryClient.setQueryData(['cases', 'settings'], saved);
    },
    onError: (caught) => toast.error('Could not save the settings', { description: problemMessage(caught) }),
  });
  const errors = fieldErrors(save.error instanceof ApiProblem ? save.error.errors : undefined);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(draft);
  }

  return (
    <form onSubmit={submit} className="grid max-w-xl gap-4" aria-label="Case settings">
      <Field label="Open cases automatically from" hint="New violations at or above this severity open or join a case.">
        <Select
          value={draft.auto_create_min_severity ?? ''}
          onChange={(event) =>
            setDraft({
              ...draft,
              auto_create_min_severity: (event.target.value || null) as CaseSettings['auto_create_min_severity'],
            })
          }
        >
          <option value="">Never (cases by hand only)</option>
          {SEVERITIES.map((severity) => (
            <option key={severity} value={severity}>
              {humanize(severity)} and above
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Group" hint="By account: new violations join the open case of their account.">
        <Select
          value={draft.group_by}
          onChange={(event) => setDraft({ ...draft, group_by: event.target.value as CaseSettings['group_by'] })}
        >
          <option value="account">One case per account</option>
          <option value="none">One case per violation</option>
        </Select>
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={draft.auto_assign}
          onChange={(event) => setDraft({ ...draft, auto_assign: event.target.checked })}
        />
        Assign new cases to the least-loaded analyst
      </label>
      <fieldset className="grid grid-cols-2 gap-3">
        <legend className="mb-2 text-sm font-medium">SLA per priority (minutes)</legend>
        {[...SEVERITIES].reverse().map((severity) => (
          <Field key={severity} label={`${humanize(severity)} SLA (minutes)`} error={errors[`sla_minutes.${severity}`]}>
            <Input
              type="number"
              min={1}
              value={draft.sla_minutes[severity]}
              onChange={(event) =>
                setDraft({ ...draft, sla_minutes: { ...draft.sla_minutes, [severity]: Number(event.target.value) } })
              }
            />
          </Field>
        ))}
      </fieldset>
      <Button type="submit" disabled={save.isPending}>
        {save.isPending ? 'Saving…' : 'Save settings'}
      </Button>
    </form>
  );
}

export function CaseSettingsPage() {
  const settings = useQuery({
    queryKey: ['cases', 'settings'],
    queryFn: () => api<CaseSettings>('/api/cases/settings'),
  });
  return (
    <>
      <Button asChild variant="ghost" size="sm">
        <Link to="/cases">
          <ArrowLeft /> Cases
        </Link>
      </Button>
      <PageHeader
        title="Case settings"
        description="When cases open, how they group, who gets them and how long they may take."
      />
      <Card>
        <CardHeader>
          <CardTitle>Automatic cases and SLAs</CardTitle>
        </CardHeader>
        <CardContent>
          <QueryState query={settings} loading={<LoadingState rows={4} />}>
            {(data) => <SettingsForm settings={data} />}
          </QueryState>
        </CardContent>
      </Card>
    </>
  );
}
