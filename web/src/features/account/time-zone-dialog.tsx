import { useMutation, useQueryClient } from '@tanstack/react-query';
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
} from '../../components/ui/dialog';
import { Select } from '../../components/ui/select';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage } from '../../lib/api';
import { useMe } from '../../lib/auth';
import { BROWSER_TIME_ZONE, formatDateTime } from '../../lib/format';
import { type Me, sessionStore } from '../../lib/session';

// UTC first: not every browser lists it among its zones.
const ZONES = [...new Set(['UTC', ...Intl.supportedValuesOf('timeZone')])];
/** The select's value for "no setting": follow the browser. */
const BROWSER = '';

/** The user's own time zone: every time in the dashboard is shown in it, and the overview counts days in it. */
export function TimeZoneDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [zone, setZone] = useState(me?.user.time_zone ?? BROWSER);
  const save = useMutation({
    mutationFn: (timeZone: string | null) =>
      api<Me>('/api/auth/me', { method: 'PATCH', body: { time_zone: timeZone } }),
    onSuccess: (updated) => {
      sessionStore.update(updated);
      // The overview counts its days in the zone; every other page re-renders its times on the change.
      void queryClient.invalidateQueries({ queryKey: ['overview'] });
      onOpenChange(false);
      toast.success(`Times are shown in ${updated.user.time_zone ?? `${BROWSER_TIME_ZONE} (this browser's)`}`);
    },
    onError: (caught) => toast.error('Could not save the time zone', { description: problemMessage(caught) }),
  });
  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate(zone === BROWSER ? null : zone);
  }
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        if (next) setZone(me?.user.time_zone ?? BROWSER);
        onOpenChange(next);
      }}
    >
      <DialogContent>
        <DialogHeader>
          <DialogTitle>Time zone</DialogTitle>
          <DialogDescription>
            Times across the dashboard are shown in this zone, and the overview counts its days in it.
          </DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="grid gap-4" aria-label="Time zone">
          <Field label="Show times in" hint={`Now: ${formatDateTime(new Date().toISOString())}`}>
            <Select value={zone} onChange={(event) => setZone(event.target.value)}>
              <option value={BROWSER}>This browser's time zone ({BROWSER_TIME_ZONE})</option>
              {ZONES.map((name) => (
                <option key={name} value={name}>
                  {name.replaceAll('_', ' ')}
                </option>
              ))}
            </Select>
          </Field>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={save.isPending}>
              Save
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
