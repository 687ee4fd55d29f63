import { type FormEvent, useState } from 'react';
import { CASE_OUTCOMES, type CaseOutcome } from '../../../../worker/cases/kinds';
import { Field } from '../../components/field';
import { Button } from '../../components/ui/button';
import { Select } from '../../components/ui/select';
import { Textarea } from '../../components/ui/textarea';
import { humanize } from '../../lib/format';

export const OUTCOME_HINTS: Record<CaseOutcome, string> = {
  confirmed: 'A real breach: its violations become resolved.',
  false_positive: 'The rule was wrong here: its violations become false positives (the rule’s precision drops).',
  inconclusive: 'Could not tell: its violations become reviewed.',
};

/** Closing takes an outcome and a reason (one case, or many at once). */
export function CloseForm({
  pending,
  onClose,
  submitLabel = 'Close case',
}: {
  pending: boolean;
  onClose: (body: { outcome: CaseOutcome; reason: string }) => void;
  submitLabel?: string;
}) {
  const [outcome, setOutcome] = useState<CaseOutcome>('confirmed');
  const [reason, setReason] = useState('');

  function submit(event: FormEvent) {
    event.preventDefault();
    if (reason.trim()) onClose({ outcome, reason: reason.trim() });
  }

  return (
    <form onSubmit={submit} className="grid gap-3" aria-label="Close with an outcome">
      <Field label="Outcome" hint={OUTCOME_HINTS[outcome]}>
        <Select value={outcome} onChange={(event) => setOutcome(event.target.value as CaseOutcome)}>
          {CASE_OUTCOMES.map((choice) => (
            <option key={choice} value={choice}>
              {humanize(choice)}
            </option>
          ))}
        </Select>
      </Field>
      <Field label="Reason">
        <Textarea
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          rows={3}
          maxLength={2000}
          required
          placeholder="What you found, for the record"
        />
      </Field>
      <Button type="submit" disabled={pending || !reason.trim()}>
        {pending ? 'Closing…' : submitLabel}
      </Button>
    </form>
  );
}
