import { useMutation } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { Field } from '../components/field';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Input } from '../components/ui/input';
import { AuthShell } from '../features/account/auth-shell';
import { ApiProblem, problemMessage } from '../lib/api';
import { signIn } from '../lib/auth';

/** Only same-site paths, so a crafted link cannot send a fresh session elsewhere. */
function safeDestination(from: string | null): string {
  return from?.startsWith('/') && !from.startsWith('//') ? from : '/';
}

export function SignInPage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const session = useMutation({
    mutationFn: ({ email, password }: { email: string; password: string }) => signIn(email, password),
    onSuccess: () => navigate(safeDestination(params.get('from')), { replace: true }),
  });
  const error =
    session.error &&
    (session.error instanceof ApiProblem && session.error.status === 401
      ? 'The email or password is incorrect.'
      : problemMessage(session.error));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    session.mutate({ email: String(form.get('email')), password: String(form.get('password')) });
  }

  return (
    <AuthShell
      title="Sign in"
      subtitle="Welcome back to your compliance workspace."
      footer={
        <>
          New to NitiLens?{' '}
          <Link className="font-medium text-primary hover:underline" to="/signup">
            Create an organization
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
        <Field label="Email">
          <Input name="email" type="email" autoComplete="email" required />
        </Field>
        <Field label="Password">
          <Input name="password" type="password" autoComplete="current-password" required />
        </Field>
        <Button type="submit" disabled={session.isPending}>
          {session.isPending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </AuthShell>
  );
}
