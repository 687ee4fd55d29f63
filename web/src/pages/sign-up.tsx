import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { Field, fieldErrors } from '../components/field';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Input } from '../components/ui/input';
import { AuthShell } from '../features/account/auth-shell';
import { ApiProblem, problemMessage } from '../lib/api';
import { signUp } from '../lib/auth';

export function SignUpPage() {
  const navigate = useNavigate();
  const registration = useMutation({
    mutationFn: signUp,
    onSuccess: () => navigate('/', { replace: true }),
  });
  // Field-level problems go beside their fields; anything else above the form.
  const failure = registration.error;
  const errors = failure instanceof ApiProblem && failure.errors.length > 0 ? fieldErrors(failure.errors) : {};
  const error = failure && Object.keys(errors).length === 0 ? problemMessage(failure) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    registration.mutate({
      org_name: String(form.get('org_name')),
      full_name: String(form.get('full_name')),
      email: String(form.get('email')),
      password: String(form.get('password')),
    });
  }

  return (
    <AuthShell
      title="Create your organization"
      subtitle="You become its compliance admin and can invite your team next."
      footer={
        <>
          Already have an account?{' '}
          <Link className="font-medium text-primary hover:underline" to="/signin">
            Sign in
          </Link>
        </>
      }
    >
      <form className="grid gap-4" onSubmit={submit} noValidate>
        {error && (
          <Alert variant="destructive">
            <AlertDescription>{error}</AlertDescription>
          </Alert>
        )}
        <Field label="Organization" error={errors.org_name}>
          <Input name="org_name" autoComplete="organization" required />
        </Field>
        <Field label="Your name" error={errors.full_name}>
          <Input name="full_name" autoComplete="name" required />
        </Field>
        <Field label="Work email" error={errors.email}>
          <Input name="email" type="email" autoComplete="email" required />
        </Field>
        <Field label="Password" error={errors.password} hint="8 to 256 characters.">
          <Input name="password" type="password" autoComplete="new-password" minLength={8} maxLength={256} required />
        </Field>
        <Button type="submit" disabled={registration.isPending}>
          {registration.isPending ? 'Creating…' : 'Create organization'}
        </Button>
      </form>
    </AuthShell>
  );
}
