import { cloneElement, type ReactElement, useId } from 'react';
import { ApiProblem, problemMessage } from '../lib/api';
import { humanize } from '../lib/format';
import { Label } from './ui/label';
import { Select } from './ui/select';

/** A labelled control with its hint and error wired to aria-describedby / aria-invalid. */
export function Field({
  label,
  error,
  hint,
  children,
  className,
}: {
  label: string;
  error?: string | undefined;
  hint?: string;
  children: ReactElement<{ id?: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }>;
  className?: string;
}) {
  const id = useId();
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className ?? 'grid gap-1.5'}>
      <Label htmlFor={id}>{label}</Label>
      {cloneElement(children, { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && (
        <p id={`${id}-hint`} className="text-xs text-muted-foreground">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="text-xs text-red-600">
          {error}
        </p>
      )}
    </div>
  );
}

/** A list filter over a fixed set of values: `anyLabel` (the empty value) first, then each value humanized. */
export function ChoiceFilter({
  label,
  value,
  anyLabel,
  choices,
  onChange,
  className,
}: {
  label: string;
  value: string;
  anyLabel: string;
  choices: readonly string[];
  onChange: (value: string) => void;
  className?: string;
}) {
  return (
    <Field label={label}>
      <Select value={value} onChange={(event) => onChange(event.target.value)} className={className}>
        <option value="">{anyLabel}</option>
        {choices.map((choice) => (
          <option key={choice} value={choice}>
            {humanize(choice)}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/** The first message for each field path of a 400 problem. */
export function fieldErrors(errors: { path: string; message: string }[] | undefined): Record<string, string> {
  const byPath: Record<string, string> = {};
  for (const error of errors ?? []) byPath[error.path] ??= error.message;
  return byPath;
}

/** A failed form's errors: per field for a 400 with `errors`, otherwise the problem's message on `fallback`. */
export function problemFieldErrors(caught: unknown, fallback: string): Record<string, string> {
  return caught instanceof ApiProblem && caught.errors.length > 0
    ? fieldErrors(caught.errors)
    : { [fallback]: problemMessage(caught) };
}
