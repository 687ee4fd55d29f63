import { useQueryClient } from '@tanstack/react-query';
import { FileUp } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { Field } from '../../components/field';
import { Alert, AlertDescription } from '../../components/ui/alert';
import { Button } from '../../components/ui/button';
import { Input } from '../../components/ui/input';
import { Select } from '../../components/ui/select';
import { toast } from '../../components/ui/toaster';
import { UploadProgress } from '../../components/upload-progress';
import { type UploadProgress as Progressed, problemMessage, uploadWithProgress } from '../../lib/api';
import type { PolicySummary, PolicyUploadResult } from '../../lib/types';

const ACCEPTED = '.pdf,.docx,.md,.markdown,.txt';

/** A policy document upload: a new policy, or a new version of one (`fixedPolicyId` on its own page). */
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
