import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Check, X } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { Field } from '../../components/field';
import { Button } from '../../components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '../../components/ui/dialog';
import { Textarea } from '../../components/ui/textarea';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage } from '../../lib/api';
import type { Rule } from '../../lib/types';

type Decision = 'approve' | 'reject';

/** Approve or reject one draft version; shown only to roles with rules:approve. */
export function DecisionButtons({
  ruleId,
  version,
  name,
  size = 'default',
}: {
  ruleId: string;
  version: number;
  name: string;
  size?: 'default' | 'sm';
}) {
  const queryClient = useQueryClient();
  const [rejecting, setRejecting] = useState(false);
  const decide = useMutation({
    mutationFn: ({ decision, comment }: { decision: Decision; comment?: string }) =>
      api<Rule>(`/api/rules/${ruleId}/${decision}`, {
        method: 'POST',
        body: comment ? { version, comment } : { version },
      }),
    onSuccess: (rule, { decision }) => {
      toast.success(decision === 'approve' ? 'Rule approved' : 'Rule rejected', {
        description: `${rule.name}, version ${version}${decision === 'approve' ? ' is now evaluated.' : '.'}`,
      });
      setRejecting(false);
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      void queryClient.invalidateQueries({ queryKey: ['policies'] });
    },
    onError: (caught) => toast.error('Could not record the decision', { description: problemMessage(caught) }),
  });

  function reject(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const comment = String(new FormData(event.currentTarget).get('comment') ?? '').trim();
    decide.mutate(comment ? { decision: 'reject', comment } : { decision: 'reject' });
  }

  return (
    <div className="flex gap-2">
      <Button
        size={size}
        onClick={() => decide.mutate({ decision: 'approve' })}
        disabled={decide.isPending}
        aria-label={`Approve ${name}`}
      >
        <Check /> Approve
      </Button>
      <Dialog open={rejecting} onOpenChange={setRejecting}>
        <DialogTrigger asChild>
          <Button size={size} variant="outline" disabled={decide.isPending} aria-label={`Reject ${name}`}>
            <X /> Reject
          </Button>
        </DialogTrigger>
        <DialogContent>
          <DialogHeader>
            <DialogTitle>Reject “{name}”</DialogTitle>
            <DialogDescription>Version {version} will not be evaluated. The author sees your reason.</DialogDescription>
          </DialogHeader>
          <form onSubmit={reject} className="grid gap-4">
            <Field label="Reason (optional)">
              <Textarea name="comment" rows={3} maxLength={2000} />
            </Field>
            <DialogFooter>
              <Button type="submit" variant="destructive" disabled={decide.isPending}>
                Reject version {version}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
    </div>
  );
}
