import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RotateCcw } from 'lucide-react';
import { useState } from 'react';
import { DELIVERY_STATUSES } from '../../../../worker/alerts/kinds';
import { StatusBadge } from '../../components/badges';
import { ChoiceFilter } from '../../components/field';
import { Pager, useCursorPages } from '../../components/pager';
import { EmptyState, QueryState } from '../../components/states';
import { Button } from '../../components/ui/button';
import { Label } from '../../components/ui/label';
import { Select } from '../../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage, query } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import type { AlertChannel, AlertDelivery, Page } from '../../lib/types';

// Retries come every 20 s at first: the log refreshes while something is still pending.
const PENDING_REFRESH_MS = 3000;

function DeliveryRow({ delivery, channel }: { delivery: AlertDelivery; channel: string }) {
  const queryClient = useQueryClient();
  const redeliver = useMutation({
    mutationFn: () => api<AlertDelivery>(`/api/alert-deliveries/${delivery.id}/redeliver`, { method: 'POST' }),
    onSuccess: () => {
      toast.success('Queued for delivery again');
      void queryClient.invalidateQueries({ queryKey: ['alert-deliveries'] });
    },
    onError: (caught) => toast.error('Could not redeliver', { description: problemMessage(caught) }),
  });
  return (
    <TableRow data-testid="alert-delivery">
      <TableCell className="whitespace-nowrap text-xs">{formatDateTime(delivery.created_at)}</TableCell>
      <TableCell>{channel}</TableCell>
      <TableCell>
        <div className="font-medium">{delivery.summary}</div>
        <code className="text-xs text-muted-foreground">{delivery.event_type}</code>
      </TableCell>
      <TableCell>
        <StatusBadge status={delivery.status} />
      </TableCell>
      <TableCell className="tabular-nums">{delivery.attempts}</TableCell>
      <TableCell className="max-w-72 text-xs">
        {delivery.last_error ? (
          <span className="break-words text-muted-foreground">{delivery.last_error}</span>
        ) : (
          delivery.last_status_code !== null && <span className="font-mono">{delivery.last_status_code} OK</span>
        )}
      </TableCell>
      <TableCell className="whitespace-nowrap text-xs">
        {delivery.status === 'pending'
          ? formatDateTime(delivery.next_attempt_at)
          : delivery.delivered_at
            ? `delivered ${formatDateTime(delivery.delivered_at)}`
            : ''}
      </TableCell>
      <TableCell className="text-right">
        <Button variant="outline" size="sm" onClick={() => redeliver.mutate()} disabled={redeliver.isPending}>
          <RotateCcw /> Redeliver
        </Button>
      </TableCell>
    </TableRow>
  );
}

export function DeliveryLogPanel() {
  const pages = useCursorPages();
  const [status, setStatus] = useState('');
  const [channelId, setChannelId] = useState('');
  const channels = useQuery({
    queryKey: ['alert-channels', 'all'],
    queryFn: () => api<Page<AlertChannel>>(`/api/alert-channels${query({ limit: 200 })}`),
  });
  const deliveries = useQuery({
    queryKey: ['alert-deliveries', pages.cursor, status, channelId],
    queryFn: () =>
      api<Page<AlertDelivery>>(
        `/api/alert-deliveries${query({ cursor: pages.cursor, limit: 50, status: status || undefined, channel_id: channelId || undefined })}`,
      ),
    refetchInterval: (current) =>
      current.state.data?.items.some((delivery) => delivery.status === 'pending') ? PENDING_REFRESH_MS : false,
  });
  const channelName = (id: string) => channels.data?.items.find((channel) => channel.id === id)?.name ?? '—';
  return (
    <div className="grid gap-3">
      <search className="flex flex-wrap items-end gap-3">
        <ChoiceFilter
          label="Status"
          value={status}
          anyLabel="Any status"
          choices={DELIVERY_STATUSES}
          onChange={(value) => {
            setStatus(value);
            pages.reset();
          }}
        />
        <div className="grid gap-1.5">
          <Label htmlFor="delivery-channel">Channel</Label>
          <Select
            id="delivery-channel"
            value={channelId}
            onChange={(event) => {
              setChannelId(event.target.value);
              pages.reset();
            }}
          >
            <option value="">Every channel</option>
            {(channels.data?.items ?? []).map((channel) => (
              <option key={channel.id} value={channel.id}>
                {channel.name}
              </option>
            ))}
          </Select>
        </div>
      </search>
      <QueryState
        query={deliveries}
        empty={
          <EmptyState
            title="Nothing delivered yet"
            description="Each message to a channel is listed here with its attempts, once an event is routed or a test is sent."
          />
        }
      >
        {(data) => (
          <div className="overflow-x-auto">
            <Table aria-label="Alert deliveries">
              <TableHeader>
                <TableRow>
                  <TableHead>Created</TableHead>
                  <TableHead>Channel</TableHead>
                  <TableHead>Event</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead>Attempts</TableHead>
                  <TableHead>Last result</TableHead>
                  <TableHead>Next attempt</TableHead>
                  <TableHead>
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.items.map((delivery) => (
                  <DeliveryRow key={delivery.id} delivery={delivery} channel={channelName(delivery.channel_id)} />
                ))}
              </TableBody>
            </Table>
            <Pager pages={pages} nextCursor={data.next_cursor} />
          </div>
        )}
      </QueryState>
    </div>
  );
}
