import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { UserPlus } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { StatusBadge } from '../components/badges';
import { Field, fieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Alert, AlertDescription } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent } from '../components/ui/card';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '../components/ui/dialog';
import { Input } from '../components/ui/input';
import { Select } from '../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../components/ui/table';
import { toast } from '../components/ui/toaster';
import { ApiProblem, api, problemMessage, query } from '../lib/api';
import { useMe } from '../lib/auth';
import { formatDateTime, humanize } from '../lib/format';
import type { AssignableRole, ManagedUser, Page } from '../lib/types';

const ROLE_CHOICES = [
  'compliance_admin',
  'compliance_analyst',
  'reviewer',
  'viewer',
] as const satisfies readonly AssignableRole[];

const ROLE_SUMMARY: Record<AssignableRole, string> = {
  compliance_admin: 'Everything, including users, sources and the subscription',
  compliance_analyst: 'Uploads policies, writes rules, ingests, runs scans',
  reviewer: 'Approves or rejects rules, reviews violations',
  viewer: 'Reads everything, changes nothing',
};

function AddUserDialog() {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: Record<string, string>) => api<ManagedUser>('/api/users', { method: 'POST', body }),
    onSuccess: (user) => {
      toast.success('User added', { description: `${user.full_name} can now sign in as ${humanize(user.role)}.` });
      void queryClient.invalidateQueries({ queryKey: ['users'] });
      setOpen(false);
    },
    onError: (caught) => {
      if (caught instanceof ApiProblem && caught.errors.length > 0) setErrors(fieldErrors(caught.errors));
      else setError(problemMessage(caught));
    },
  });

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    setError(null);
    create.mutate(Object.fromEntries(new FormData(event.currentTarget)) as Record<string, string>);
  }

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <UserPlus /> Add user
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Add a user</DialogTitle>
          <DialogDescription>They sign in with this email and the initial password you give them.</DialogDescription>
        </DialogHeader>
        <form className="grid gap-4" onSubmit={submit} noValidate>
          {error && (
            <Alert variant="destructive">
              <AlertDescription>{error}</AlertDescription>
            </Alert>
          )}
          <Field label="Full name" error={errors.full_name}>
            <Input name="full_name" required />
          </Field>
          <Field label="Email" error={errors.email}>
            <Input name="email" type="email" required />
          </Field>
          <Field label="Role" error={errors.role}>
            <Select name="role" defaultValue="viewer">
              {ROLE_CHOICES.map((role) => (
                <option key={role} value={role}>
                  {humanize(role)}: {ROLE_SUMMARY[role]}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Initial password" error={errors.password} hint="8 to 256 characters.">
            <Input name="password" type="password" autoComplete="new-password" required />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? 'Adding…' : 'Add user'}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function UserRow({ user, isSelf }: { user: ManagedUser; isSelf: boolean }) {
  const queryClient = useQueryClient();
  const update = useMutation({
    mutationFn: (body: { role?: AssignableRole; is_active?: boolean }) =>
      api<ManagedUser>(`/api/users/${user.id}`, { method: 'PATCH', body }),
    onSuccess: (updated) => {
      toast.success('User updated', {
        description: `${updated.full_name}: ${humanize(updated.role)}, ${updated.is_active ? 'active' : 'deactivated'}.`,
      });
      void queryClient.invalidateQueries({ queryKey: ['users'] });
    },
    onError: (caught) => toast.error('Could not update the user', { description: problemMessage(caught) }),
  });
  const assignable = user.role !== 'super_admin';
  return (
    <TableRow>
      <TableCell>
        <div className="font-medium">
          {user.full_name}
          {isSelf && <span className="text-muted-foreground"> (you)</span>}
        </div>
        <div className="text-xs text-muted-foreground">{user.email}</div>
      </TableCell>
      <TableCell className="min-w-48">
        {assignable ? (
          <Select
            aria-label={`Role of ${user.full_name}`}
            value={user.role}
            disabled={update.isPending}
            onChange={(event) => update.mutate({ role: event.target.value as AssignableRole })}
          >
            {ROLE_CHOICES.map((role) => (
              <option key={role} value={role}>
                {humanize(role)}
              </option>
            ))}
          </Select>
        ) : (
          humanize(user.role)
        )}
      </TableCell>
      <TableCell>
        <StatusBadge status={user.is_active ? 'active' : 'inactive'} />
      </TableCell>
      <TableCell className="text-sm text-muted-foreground">{formatDateTime(user.last_login_at)}</TableCell>
      <TableCell className="text-right">
        {assignable && !isSelf && (
          <Button
            variant="outline"
            size="sm"
            disabled={update.isPending}
            onClick={() => update.mutate({ is_active: !user.is_active })}
          >
            {user.is_active ? 'Deactivate' : 'Reactivate'}
          </Button>
        )}
      </TableCell>
    </TableRow>
  );
}

export function UsersPage() {
  const me = useMe();
  const pages = useCursorPages();
  const users = useQuery({
    queryKey: ['users', pages.cursor],
    queryFn: () => api<Page<ManagedUser>>(`/api/users${query({ cursor: pages.cursor, limit: 50 })}`),
  });

  return (
    <>
      <PageHeader
        title="Users and roles"
        description="Who can sign in to this organization, and what each role may do."
        actions={<AddUserDialog />}
      />
      <Card>
        <CardContent className="pt-5">
          <QueryState query={users} empty={<EmptyState title="No users yet" />}>
            {(data) => (
              <>
                <Table>
                  <TableHeader>
                    <TableRow>
                      <TableHead>User</TableHead>
                      <TableHead>Role</TableHead>
                      <TableHead>Status</TableHead>
                      <TableHead>Last sign-in</TableHead>
                      <TableHead>
                        <span className="sr-only">Actions</span>
                      </TableHead>
                    </TableRow>
                  </TableHeader>
                  <TableBody>
                    {data.items.map((user) => (
                      <UserRow key={user.id} user={user} isSelf={user.id === me?.user.id} />
                    ))}
                  </TableBody>
                </Table>
                <Pager pages={pages} nextCursor={data.next_cursor} />
              </>
            )}
          </QueryState>
        </CardContent>
      </Card>
    </>
  );
}
