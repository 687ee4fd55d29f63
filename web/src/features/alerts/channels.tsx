import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Copy, KeyRound, Plus, Send, Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { CHANNEL_TYPES } from '../../../../worker/alerts/kinds';
import { Field, fieldErrors } from '../../components/field';
import { Pager, useCursorPages } from '../../components/pager';
import { EmptyState, QueryState } from '../../components/states';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '../../components/ui/dialog';
import { Input } from '../../components/ui/input';
import { Select } from '../../components/ui/select';
import { toast } from '../../components/ui/toaster';
import { ApiProblem, api, problemMessage, query } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import type { AlertChannel, AlertChannelSecret, AlertDelivery, Page } from '../../lib/types';

type ChannelType = (typeof CHANNEL_TYPES)[number];

const TYPE_LABELS: Record<ChannelType, string> = {
  slack: 'Slack (incoming webhook)',
  email: 'Email',
  webhook: 'Webhook (signed)',
};

/** What a channel sends to, in one line (a Slack URL is only ever shown shortened). */
function destination(channel: AlertChannel): string {
  const config = channel.config as { to?: string[]; url?: string; webhook_url?: string };
  if (channel.type === 'email') return (config.to ?? []).join(', ');
  return (channel.type === 'slack' ? config.webhook_url : config.url) ?? '';
}

/** The secret exists in this dialog only: closing it drops it from memory. */
function SecretDialog({ secret, onClose }: { secret: AlertChannelSecret | null; onClose: () => void }) {
  return (
    <Dialog open={secret !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Signing secret for {secret?.name}</DialogTitle>
          <DialogDescription>
            Give it to the receiving system now: it is shown this once. Requests carry webhook-id, webhook-timestamp and
            webhook-signature headers (Standard Webhooks).
          </DialogDescription>
        </DialogHeader>
        <Field label="Signing secret">
          <Input
            readOnly
            value={secret?.signing_secret ?? ''}
            className="font-mono text-xs"
            data-testid="alert-signing-secret"
            onFocus={(event) => event.currentTarget.select()}
          />
        </Field>
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

function channelBody(form: FormData) {
  const type = String(form.get('type')) as ChannelType;
  const target = String(form.get('target') ?? '').trim();
  const config =
    type === 'email'
      ? {
          to: target
            .split(/[,\s]+/)
            .map((address) => address.trim())
            .filter(Boolean),
        }
      : type === 'slack'
        ? { webhook_url: target }
        : { url: target };
  return { name: String(form.get('name') ?? ''), type, config };
}

function CreateChannelDialog({ onSecret }: { onSecret: (secret: AlertChannelSecret) => void }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [type, setType] = useState<ChannelType>('slack');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation({
    mutationFn: (body: ReturnType<typeof channelBody>) =>
      api<AlertChannel & { signing_secret?: string }>('/api/alert-channels', { method: 'POST', body }),
    onSuccess: (channel) => {
      setOpen(false);
      toast.success(`Channel ${channel.name} created`);
      if (channel.signing_secret) onSecret(channel as AlertChannelSecret);
      void queryClient.invalidateQueries({ queryKey: ['alert-channels'] });
    },
    onError: (caught) => {
      const byPath = caught instanceof ApiProblem ? fieldErrors(caught.errors) : {};
      const target =
        byPath['config.url'] ?? byPath['config.webhook_url'] ?? byPath['config.to'] ?? byPath['config.to.0'];
      setErrors(
        Object.keys(byPath).length > 0 ? { ...byPath, target: target ?? '' } : { target: problemMessage(caught) },
      );
    },
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    create.mutate(channelBody(new FormData(event.currentTarget)));
  }
  const targetLabel = type === 'email' ? 'Recipients' : type === 'slack' ? 'Slack webhook URL' : 'Endpoint URL';
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> New channel
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New alert channel</DialogTitle>
          <DialogDescription>
            Where alerts go: a Slack channel, email recipients or your own endpoint.
          </DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="grid gap-4">
          <Field label="Name" error={errors.name}>
            <Input name="name" placeholder="e.g. #compliance-alerts" required maxLength={200} />
          </Field>
          <Field label="Type">
            <Select name="type" value={type} onChange={(event) => setType(event.target.value as ChannelType)}>
              {CHANNEL_TYPES.map((value) => (
                <option key={value} value={value}>
                  {TYPE_LABELS[value]}
                </option>
              ))}
            </Select>
          </Field>
          <Field
            label={targetLabel}
            error={errors.target || undefined}
            hint={
              type === 'email'
                ? 'One or more addresses, separated by commas.'
                : 'https only; internal and private addresses are refused.'
            }
          >
            <Input
              name="target"
              required
              placeholder={type === 'email' ? 'compliance@example.com' : 'https://'}
              maxLength={2048}
            />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending}>
              Create channel
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

function ChannelCard({ channel, onSecret }: { channel: AlertChannel; onSecret: (secret: AlertChannelSecret) => void }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['alert-channels'] });
    void queryClient.invalidateQueries({ queryKey: ['alert-routes'] });
    void queryClient.invalidateQueries({ queryKey: ['alert-deliveries'] });
  };
  const test = useMutation({
    mutationFn: () => api<AlertDelivery>(`/api/alert-channels/${channel.id}/test`, { method: 'POST' }),
    onSuccess: (delivery) => {
      void queryClient.invalidateQueries({ queryKey: ['alert-deliveries'] });
      if (delivery.status === 'delivered') toast.success(`Test message delivered to ${channel.name}`);
      else if (delivery.status === 'pending')
        toast.warning('Test message not delivered yet; it will be retried', { description: delivery.last_error ?? '' });
      else toast.error('Test message failed', { description: delivery.last_error ?? '' });
    },
    onError: (caught) => toast.error('Could not send a test', { description: problemMessage(caught) }),
  });
  const rotate = useMutation({
    mutationFn: () => api<AlertChannelSecret>(`/api/alert-channels/${channel.id}/rotate-secret`, { method: 'POST' }),
    onSuccess: (secret) => {
      onSecret(secret);
      refresh();
    },
    onError: (caught) => toast.error('Could not rotate the secret', { description: problemMessage(caught) }),
  });
  const remove = useMutation({
    mutationFn: () => api(`/api/alert-channels/${channel.id}`, { method: 'DELETE' }),
    onSuccess: () => {
      setConfirming(false);
      toast.success(`Channel ${channel.name} deleted`);
      refresh();
    },
    onError: (caught) => toast.error('Could not delete the channel', { description: problemMessage(caught) }),
  });
  return (
    <Card data-testid="alert-channel">
      <CardHeader>
        <div className="flex flex-wrap items-center justify-between gap-2">
          <CardTitle className="flex items-center gap-2">
            {channel.name} <Badge variant="outline">{TYPE_LABELS[channel.type]}</Badge>
          </CardTitle>
          <div className="flex flex-wrap gap-2">
            <Button variant="outline" size="sm" onClick={() => test.mutate()} disabled={test.isPending}>
              <Send /> {test.isPending ? 'Sending…' : 'Send test'}
            </Button>
            {channel.type === 'webhook' && (
              <Button variant="outline" size="sm" onClick={() => rotate.mutate()} disabled={rotate.isPending}>
                <KeyRound /> Rotate secret
              </Button>
            )}
            <Dialog open={confirming} onOpenChange={setConfirming}>
              <DialogTrigger asChild>
                <Button variant="outline" size="sm">
                  <Trash2 /> Delete
                </Button>
              </DialogTrigger>
              <DialogContent>
                <DialogHeader>
                  <DialogTitle>Delete {channel.name}?</DialogTitle>
                  <DialogDescription>Its routes and its delivery log are deleted with it.</DialogDescription>
                </DialogHeader>
                <DialogFooter>
                  <Button variant="outline" onClick={() => setConfirming(false)}>
                    Keep it
                  </Button>
                  <Button variant="destructive" onClick={() => remove.mutate()} disabled={remove.isPending}>
                    Delete channel
                  </Button>
                </DialogFooter>
              </DialogContent>
            </Dialog>
          </div>
        </div>
        <CardDescription>
          <span className="break-all font-mono text-xs">{destination(channel)}</span> · created{' '}
          {formatDateTime(channel.created_at)}
          {channel.previous_secret_expires_at && (
            <> · previous secret valid until {formatDateTime(channel.previous_secret_expires_at)}</>
          )}
        </CardDescription>
      </CardHeader>
    </Card>
  );
}

export function ChannelsPanel() {
  const pages = useCursorPages();
  const [secret, setSecret] = useState<AlertChannelSecret | null>(null);
  const channels = useQuery({
    queryKey: ['alert-channels', pages.cursor],
    queryFn: () => api<Page<AlertChannel>>(`/api/alert-channels${query({ cursor: pages.cursor, limit: 50 })}`),
  });
  return (
    <div className="grid gap-3">
      <div className="flex justify-end">
        <CreateChannelDialog onSecret={setSecret} />
      </div>
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
      <QueryState
        query={channels}
        empty={
          <EmptyState
            title="No channels yet"
            description="Add a Slack webhook, email recipients or a signed webhook, then route events to it."
          />
        }
      >
        {(data) => (
          <>
            {data.items.map((channel) => (
              <ChannelCard key={channel.id} channel={channel} onSecret={setSecret} />
            ))}
            <Pager pages={pages} nextCursor={data.next_cursor} />
          </>
        )}
      </QueryState>
    </div>
  );
}
