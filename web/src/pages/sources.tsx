import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Copy, KeyRound, Pause, Play, Plus, Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { StatusBadge } from '../components/badges';
import { Field, problemFieldErrors } from '../components/field';
import { PageHeader } from '../components/page-header';
import { Pager, useCursorPages } from '../components/pager';
import { EmptyState, QueryState } from '../components/states';
import { Alert, AlertDescription, AlertTitle } from '../components/ui/alert';
import { Button } from '../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../components/ui/card';
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
import { toast } from '../components/ui/toaster';
import { MappingEditor } from '../features/sources/mapping-editor';
import { RuleVocabulary } from '../features/sources/rule-vocabulary';
import { api, problemMessage, query } from '../lib/api';
import { formatDateTime } from '../lib/format';
import type { Page, Source, SourceSecret } from '../lib/types';

/** The secret exists in this dialog only: closing it drops it from memory. */
function SecretDialog({ secret, onClose }: { secret: SourceSecret | null; onClose: () => void }) {
  const url = secret ? `${location.origin}/api/ingest/${secret.id}` : '';
  return (
    <Dialog
      open={secret !== null}
      onOpenChange={(open) => {
        if (!open) onClose();
      }}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Signing secret for {secret?.name}</DialogTitle>
          <DialogDescription>
            Store it in your ERP now: it is shown this once and cannot be read again.
          </DialogDescription>
        </DialogHeader>
        <div className="grid gap-3">
          <Field label="Webhook URL">
            <Input readOnly value={url} className="font-mono text-xs" />
          </Field>
          <Field label="Signing secret">
            <Input
              readOnly
              value={secret?.signing_secret ?? ''}
              className="font-mono text-xs"
              data-testid="signing-secret"
              onFocus={(event) => event.currentTarget.select()}
            />
          </Field>
          <p className="text-xs text-muted-foreground">
            Sign each request with{' '}
            <code>X-NitiLens-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "t.body")&gt;</code>.
          </p>
        </div>
        <DialogFooter>
          <Button
            variant="outline"
            onClick={() =>
              void navigator.clipboard
                ?.writeText(secret?.signing_secret ?? '')
                .then(() => toast.success('Secret copied'))
            }
          >
            <Copy /> Copy secret
          </Button>
          <Button onClick={onClose}>I have stored it</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function CreateSourceDialog({ onCreated }: { onCreated: (secret: SourceSecret) => void }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (name: string) => api<SourceSecret>('/api/sources', { method: 'POST', body: { name } }),
    onSuccess: (secret) => {
      setOpen(false);
      onCreated(secret);
      void queryClient.invalidateQueries({ queryKey: ['sources'] });
    },
    onError: (caught) => setErrors(problemFieldErrors(caught, 'name')),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    create.mutate(String(new FormData(event.currentTarget).get('name') ?? ''));
  }
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> New source
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New ingest source</DialogTitle>
          <DialogDescription>
            An ERP or script that pushes signed transactions to its own webhook URL.
          </DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="grid gap-4">
          <Field label="Name" error={errors.name}>
            <Input name="name" placeholder="e.g. SAP production" required maxLength={200} />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending}>
              Create source
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function SourceCard({ source, onSecret }: { source: Source; onSecret: (secret: SourceSecret) => void }) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['sources'] });
  const rotate = useMutation({
    mutationFn: () => api<SourceSecret>(`/api/sources/${source.id}/rotate-secret`, { method: 'POST' }),
    onSuccess: onSecret,
    onError: (caught) => toast.error('Could not rotate the secret', { description: problemMessage(caught) }),
  });
  const setActive = useMutation({
    mutationFn: (isActive: boolean) =>
      api<Source>(`/api/sources/${source.id}`, { method: 'PATCH', body: { is_active: isActive } }),
    onSuccess: (updated) => {
      toast.success(
        updated.is_active
          ? `${updated.name} reactivated`
          : `${updated.name} deactivated: its pushes are refused until it is reactivated`,
      );
      refresh();
    },
    onError: (caught) => toast.error('Could not change the source', { description: problemMessage(caught) }),
  });
  const remove = useMutation({
    mutationFn: () => api(`/api/sources/${source.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setConfirming(false);
      toast.success(`Source ${source.name} deleted`);
      refresh();
    },
    onError: (caught) => toast.error('Could not delete the source', { description: problemMessage(caught) }),
  });
  return (
    <Card data-testid="source">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle className="flex items-center gap-2">
            {source.name} <StatusBadge status={source.is_active ? 'active' : 'inactive'} />
          </CardTitle>
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" size="sm" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
              <KeyRound /> Rotate secret
            </Button>
            <Button
              variant={editing ? 'secondary' : 'outline'}
              size="sm"
              onClick={() => setEditing(!editing)}
              aria-expanded={editing}
            >
              {editing ? 'Close mapping' : 'Edit mapping'}
            </Button>
            <Button
              variant="outline"
              size="sm"
              onClick={() => setActive.mutate(!source.is_active)}
              disabled={setActive.isPending}
            >
              {source.is_active ? (
                <>
                  <Pause /> Deactivate
                </>
              ) : (
                <>
                  <Play /> Reactivate
                </>
              )}
            </Button>
            <Dialog open={confirming} onOpenChange={setConfirming}>
              <DialogTrigger asChild>
                <Button variant="outline" size="sm">
                  <Trash2 /> Delete
                </Button>
              </DialogTrigger>
              <DialogContent>
                <DialogHeader>
                  <DialogTitle>Delete {source.name}?</DialogTitle>
                  <DialogDescription>
                    Its webhook URL stops working and its secrets are deleted. The transactions it pushed stay.
                  </DialogDescription>
                </DialogHeader>
                <DialogFooter>
                  <Button variant="outline" onClick={() => setConfirming(false)}>
                    Keep it
                  </Button>
                  <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending}>
                    Delete source
                  </Button>
                </DialogFooter>
              </DialogContent>
            </Dialog>
          </div>
        </div>
        <CardDescription>
          <code className="break-all text-xs">{source.webhook_path}</code> · created {formatDateTime(source.created_at)}
          {source.previous_secret_expires_at && (
            <> · previous secret valid until {formatDateTime(source.previous_secret_expires_at)}</>
          )}
        </CardDescription>
      </CardHeader>
      {editing && (
        <CardContent>
          <MappingEditor source={source} />
        </CardContent>
      )}
    </Card>
  );
}

export function SourcesPage() {
  const pages = useCursorPages();
  const [secret, setSecret] = useState<SourceSecret | null>(null);
  const sources = useQuery({
    queryKey: ['sources', pages.cursor],
    queryFn: () => api<Page<Source>>(`/api/sources${query({ cursor: pages.cursor, limit: 50 })}`),
  });
  return (
    <>
      <PageHeader
        title="Sources"
        description="ERP webhooks: each source has its own signing secret and a mapping from its fields to NitiLens transactions."
        actions={<CreateSourceDialog onCreated={setSecret} />}
      />
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
      <QueryState
        query={sources}
        empty={
          <EmptyState
            title="No sources yet"
            description="Create a source for each system that pushes transactions; uploads need none."
          />
        }
      >
        {(data) => (
          <div className="grid gap-3">
            {data.items.map((source) => (
              <SourceCard key={source.id} source={source} onSecret={setSecret} />
            ))}
            <Pager pages={pages} nextCursor={data.next_cursor} />
          </div>
        )}
      </QueryState>
      <Alert variant="info" className="mt-4">
        <AlertTitle>Uploading an export instead?</AlertTitle>
        <AlertDescription>
          Transactions → Upload can read a file through a source's mapping, so an ERP export is taken as it is.
        </AlertDescription>
      </Alert>
      <div className="mt-4">
        <RuleVocabulary />
      </div>
    </>
  );
}
