import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Trash2 } from 'lucide-react';
import { type FormEvent, useState } from 'react';
import { EVENT_TYPES, ROUTE_MODES } from '../../../../worker/alerts/kinds';
import { SEVERITIES } from '../../../../worker/rules/language/schema';
import { SeverityBadge } from '../../components/badges';
import { problemFieldErrors } from '../../components/field';
import { Pager, useCursorPages } from '../../components/pager';
import { EmptyState, QueryState } from '../../components/states';
import { Alert, AlertDescription } from '../../components/ui/alert';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '../../components/ui/card';
import { Label } from '../../components/ui/label';
import { Select } from '../../components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '../../components/ui/table';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage, query } from '../../lib/api';
import { humanize } from '../../lib/format';
import type { AlertChannel, AlertRoute, Page, Rule } from '../../lib/types';

type RouteBody = {
  channel_id: string;
  events: string[];
  min_severity: string | null;
  rule_ids: string[] | null;
  mode: string;
};

const MODE_HINTS: Record<(typeof ROUTE_MODES)[number], string> = {
  immediate: 'one message per event',
  digest: 'one message every 5 minutes at most, with counts and examples',
};

function routeBody(form: FormData): RouteBody {
  const ruleIds = form.getAll('rule_ids').map(String);
  return {
    channel_id: String(form.get('channel_id') ?? ''),
    events: form.getAll('events').map(String),
    min_severity: String(form.get('min_severity') ?? '') || null,
    rule_ids: ruleIds.length > 0 ? ruleIds : null,
    mode: String(form.get('mode') ?? 'immediate'),
  };
}

function CreateRouteCard({ channels }: { channels: AlertChannel[] }) {
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const rules = useQuery({
    queryKey: ['rules', 'for-routes'],
    queryFn: () => api<Page<Rule>>(`/api/rules${query({ limit: 200 })}`),
  });
  const create = useMutation({
    mutationFn: (body: RouteBody) => api<AlertRoute>('/api/alert-routes', { method: 'POST', body }),
    onSuccess: (route) => {
      toast.success(`Route to ${route.channel.name} created`);
      void queryClient.invalidateQueries({ queryKey: ['alert-routes'] });
    },
    onError: (caught) => setErrors(problemFieldErrors(caught, 'form')),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setErrors({});
    create.mutate(routeBody(new FormData(event.currentTarget)));
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle>Route events to a channel</CardTitle>
        <CardDescription>
          Severity and rule filters apply to events that carry them (violations); other events pass.
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="grid gap-4 lg:grid-cols-2">
          <div className="grid gap-1.5">
            <Label htmlFor="route-channel">Channel</Label>
            <Select id="route-channel" name="channel_id" required aria-invalid={errors.channel_id ? true : undefined}>
              {channels.map((channel) => (
                <option key={channel.id} value={channel.id}>
                  {channel.name} ({channel.type})
                </option>
              ))}
            </Select>
            {errors.channel_id && <p className="text-xs text-red-600">{errors.channel_id}</p>}
          </div>
          <div className="grid gap-1.5">
            <Label htmlFor="route-severity">Minimum severity</Label>
            <Select id="route-severity" name="min_severity" defaultValue="">
              <option value="">Any severity</option>
              {SEVERITIES.map((severity) => (
                <option key={severity} value={severity}>
                  {humanize(severity)} and above
                </option>
              ))}
            </Select>
          </div>
          <fieldset className="grid gap-1.5">
            <legend className="text-sm font-medium">Events</legend>
            <div className="grid grid-cols-1 gap-1 sm:grid-cols-2">
              {EVENT_TYPES.map((type) => (
                <label key={type} className="flex items-center gap-2 text-sm">
                  <input type="checkbox" name="events" value={type} defaultChecked={type === 'violation.created'} />
                  <code className="text-xs">{type}</code>
                </label>
              ))}
            </div>
            {errors.events && <p className="text-xs text-red-600">{errors.events}</p>}
          </fieldset>
          <div className="grid content-start gap-4">
            <fieldset className="grid gap-1.5">
              <legend className="text-sm font-medium">Delivery</legend>
              {ROUTE_MODES.map((mode) => (
                <label key={mode} className="flex items-center gap-2 text-sm">
                  <input type="radio" name="mode" value={mode} defaultChecked={mode === 'immediate'} />
                  {humanize(mode)} <span className="text-muted-foreground">({MODE_HINTS[mode]})</span>
                </label>
              ))}
            </fieldset>
            <div className="grid gap-1.5">
              <Label htmlFor="route-rules">Only these rules (optional)</Label>
              <select
                id="route-rules"
                name="rule_ids"
                multiple
                className="min-h-20 rounded-md border border-input bg-white p-1 text-sm"
              >
                {(rules.data?.items ?? []).map((rule) => (
                  <option key={rule.id} value={rule.id}>
                    {rule.name}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {errors.form && (
            <Alert variant="destructive" className="lg:col-span-2">
              <AlertDescription>{errors.form}</AlertDescription>
            </Alert>
          )}
          <div className="lg:col-span-2">
            <Button type="submit" disabled={create.isPending}>
              Create route
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function RouteRow({ route }: { route: AlertRoute }) {
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api(`/api/alert-routes/${route.id}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['alert-routes'] }),
    onError: (caught) => toast.error('Could not delete the route', { description: problemMessage(caught) }),
  });
  return (
    <TableRow>
      <TableCell className="font-medium">{route.channel.name}</TableCell>
      <TableCell>
        <div className="flex flex-wrap gap-1">
          {route.events.map((type) => (
            <Badge key={type} variant="outline">
              {type}
            </Badge>
          ))}
        </div>
      </TableCell>
      <TableCell>{route.min_severity ? <SeverityBadge severity={route.min_severity} /> : 'Any'}</TableCell>
      <TableCell>{route.rule_ids ? `${route.rule_ids.length} rules` : 'All rules'}</TableCell>
      <TableCell>{humanize(route.mode)}</TableCell>
      <TableCell className="text-right">
        <Button
          variant="ghost"
          size="sm"
          onClick={() => remove.mutate()}
          disabled={remove.isPending}
          aria-label={`Delete the route to ${route.channel.name}`}
        >
          <Trash2 />
        </Button>
      </TableCell>
    </TableRow>
  );
}

export function RoutesPanel() {
  const pages = useCursorPages();
  const channels = useQuery({
    queryKey: ['alert-channels', 'all'],
    queryFn: () => api<Page<AlertChannel>>(`/api/alert-channels${query({ limit: 200 })}`),
  });
  const routes = useQuery({
    queryKey: ['alert-routes', pages.cursor],
    queryFn: () => api<Page<AlertRoute>>(`/api/alert-routes${query({ cursor: pages.cursor, limit: 50 })}`),
  });
  return (
    <div className="grid gap-4">
      {channels.data && channels.data.items.length > 0 ? (
        <CreateRouteCard channels={channels.data.items} />
      ) : (
        channels.data && (
          <Alert variant="info">
            <AlertDescription>Create a channel first; routes send events to a channel.</AlertDescription>
          </Alert>
        )
      )}
      <QueryState
        query={routes}
        empty={<EmptyState title="No routes yet" description="Without a route, no event is sent to any channel." />}
      >
        {(data) => (
          <div>
            <Table aria-label="Alert routes">
              <TableHeader>
                <TableRow>
                  <TableHead>Channel</TableHead>
                  <TableHead>Events</TableHead>
                  <TableHead>Minimum severity</TableHead>
                  <TableHead>Rules</TableHead>
                  <TableHead>Delivery</TableHead>
                  <TableHead>
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {data.items.map((route) => (
                  <RouteRow key={route.id} route={route} />
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
