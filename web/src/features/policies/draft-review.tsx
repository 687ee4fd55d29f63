import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { AlertTriangle, CheckCheck, RefreshCw, ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { Alert, AlertDescription, AlertTitle } from '../../components/ui/alert';
import { Badge } from '../../components/ui/badge';
import { Button } from '../../components/ui/button';
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
} from '../../components/ui/dialog';
import { toast } from '../../components/ui/toaster';
import { api, problemMessage } from '../../lib/api';
import { useCan } from '../../lib/auth';
import type { DraftRule } from '../../lib/types';

type Flag = DraftRule['flags'][number];

/** What each review flag means, in the words the reviewer reads beside the draft. */
export const FLAG_LABELS: Record<Flag, string> = {
  no_hits: 'No hits on your data',
  high_share: 'Flags a large share',
  ungrounded: 'Drafted before any data',
  unmatched: 'Words not found in your data',
};

function flagDetail(rule: DraftRule, flag: Flag): string {
  const { hits, transactions_checked: checked } = rule.preview;
  if (flag === 'no_hits') return `would have flagged none of ${checked} stored transactions`;
  if (flag === 'high_share')
    return `would have flagged ${hits} of ${checked} stored transactions (${percent(hits, checked)})`;
  if (flag === 'ungrounded') return 'written before any transaction was stored: its values are assumptions';
  return 'some of its values or attributes appear in no stored transaction';
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`;
}

export function FlagBadges({ rule }: { rule: DraftRule }) {
  return (
    <>
      {rule.flags.map((flag) => (
        <Badge
          key={flag}
          variant="outline"
          className="border-amber-300 bg-amber-50 text-amber-900"
          title={flagDetail(rule, flag)}
        >
          <AlertTriangle className="size-3" /> {FLAG_LABELS[flag]}
        </Badge>
      ))}
    </>
  );
}

/** What the draft would have flagged on the stored history, with a few examples to open. */
export function HitPreview({ rule }: { rule: DraftRule }) {
  const { hits, transactions_checked: checked, examples } = rule.preview;
  if (checked === 0)
    return (
      <p className="text-sm text-muted-foreground" data-testid="hit-preview">
        No transactions stored yet: upload some to see what this rule would flag.
      </p>
    );
  return (
    <div className="grid gap-1 text-sm" data-testid="hit-preview">
      <p>
        Would have flagged <strong className="tabular-nums">{hits}</strong> of{' '}
        <span className="tabular-nums">{checked}</span> stored transactions ({percent(hits, checked)}).
      </p>
      {examples.length > 0 && (
        <ul className="grid gap-0.5 text-xs text-muted-foreground">
          {examples.map((example) => (
            <li key={example.transaction_id}>
              <Link
                className="font-mono text-foreground underline"
                to={`/transactions/${encodeURIComponent(example.transaction_id)}`}
              >
                {example.transaction_id}
              </Link>{' '}
              {example.explanation}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Assumptions({ rule }: { rule: DraftRule }) {
  return (
    <div className="grid gap-2 text-sm">
      {rule.assumptions.length > 0 && (
        <details open={rule.flags.includes('unmatched') || rule.flags.includes('ungrounded')}>
          <summary className="cursor-pointer text-xs font-semibold uppercase tracking-wide text-muted-foreground">
            How the policy's words were read ({rule.assumptions.length})
          </summary>
          <ul className="mt-1 list-disc pl-5 text-xs leading-relaxed">
            {rule.assumptions.map((assumption) => (
              <li key={assumption}>{assumption}</li>
            ))}
          </ul>
        </details>
      )}
      {rule.not_enforced.length > 0 && (
        <div className="rounded border border-slate-200 bg-slate-50 p-2 text-xs">
          <p className="font-semibold">Not enforced by this rule</p>
          <ul className="list-disc pl-5">
            {rule.not_enforced.map((part) => (
              <li key={part}>{part}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Approving every draft at once asks first, and names the drafts review flagged. */
export function ApproveAll({ drafts }: { drafts: DraftRule[] }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const flagged = drafts.filter((rule) => rule.flags.length > 0);
  const approveAll = useMutation({
    // One by one: each approval is its own audited decision.
    mutationFn: async () => {
      for (const rule of drafts)
        await api(`/api/rules/${rule.id}/approve`, { method: 'POST', body: { version: rule.version } });
    },
    onSuccess: () => {
      setOpen(false);
      toast.success(`Approved ${drafts.length} rules`, {
        description: 'They are now evaluated on new transactions and in scans.',
      });
    },
    onError: (caught) => toast.error('Not every rule was approved', { description: problemMessage(caught) }),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['rules'] });
      void queryClient.invalidateQueries({ queryKey: ['policies'] });
    },
  });
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <Button onClick={() => setOpen(true)}>
        <CheckCheck /> Approve all {drafts.length} drafts
      </Button>
      <DialogContent aria-describedby="approve-all-description">
        <DialogHeader>
          <DialogTitle>Approve {drafts.length} draft rules?</DialogTitle>
          <DialogDescription id="approve-all-description">
            Approved rules are evaluated on every new transaction and in scans.
            {flagged.length === 0
              ? ' Review flagged none of them.'
              : ` Review flagged ${flagged.length} of them: look at these before approving.`}
          </DialogDescription>
        </DialogHeader>
        {flagged.length > 0 && (
          <ul className="grid gap-2 text-sm" aria-label="Flagged drafts">
            {flagged.map((rule) => (
              <li key={rule.id} className="rounded border border-amber-200 bg-amber-50 p-2">
                <p className="font-medium">
                  Clause {rule.clause_ref}: {rule.name}
                </p>
                <p className="text-xs text-amber-900">
                  {rule.flags.map((flag) => `${FLAG_LABELS[flag]}: ${flagDetail(rule, flag)}`).join('; ')}
                </p>
              </li>
            ))}
          </ul>
        )}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="outline">Cancel</Button>
          </DialogClose>
          <Button onClick={() => approveAll.mutate()} disabled={approveAll.isPending}>
            {approveAll.isPending ? 'Approving…' : `Approve ${drafts.length} drafts`}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

/** Drafts written without data, or with words the data lacked, can be grounded again once transactions are stored. */
export function RegroundBanner({ policyId, drafts }: { policyId: string; drafts: DraftRule[] }) {
  const can = useCan();
  const queryClient = useQueryClient();
  const pending = drafts.filter((rule) => rule.grounding === 'ungrounded' || rule.grounding === 'partial');
  const hasData = drafts.some((rule) => rule.preview.transactions_checked > 0);
  const reground = useMutation({
    mutationFn: () =>
      api<{ drafts_checked: number; drafts_changed: number }>(`/api/policies/${policyId}/reground`, { method: 'POST' }),
    onSuccess: (result) =>
      toast.success(`Re-grounded ${result.drafts_checked} drafts`, {
        description: `${result.drafts_changed} got a new draft version written in your data's values.`,
      }),
    onError: (caught) => toast.error('Could not re-ground the drafts', { description: problemMessage(caught) }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['policies'] }),
  });
  if (pending.length === 0) return null;
  const ungrounded = pending.filter((rule) => rule.grounding === 'ungrounded').length;
  return (
    <Alert>
      <AlertTriangle />
      <AlertTitle>
        {ungrounded > 0
          ? `${ungrounded} drafts were written before any transaction was stored`
          : `${pending.length} drafts use words not found in your data`}
      </AlertTitle>
      <AlertDescription className="flex flex-wrap items-center gap-3">
        <span>
          {hasData
            ? 'Transactions are stored now: ground the drafts again to map their values onto your data.'
            : 'Upload transactions, then ground the drafts again to map their values onto your data.'}
        </span>
        {hasData && can('policies:write') && (
          <Button size="sm" variant="outline" onClick={() => reground.mutate()} disabled={reground.isPending}>
            <RefreshCw /> {reground.isPending ? 'Re-grounding…' : 'Re-ground drafts on your data'}
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}

/** The organization's four-eyes setting: with it on, the author of a rule version cannot approve it. */
export function FourEyesSetting() {
  const can = useCan();
  const queryClient = useQueryClient();
  const settings = useQuery({
    queryKey: ['rules', 'settings'],
    queryFn: () => api<{ four_eyes: boolean }>('/api/rules/settings'),
  });
  const update = useMutation({
    mutationFn: (fourEyes: boolean) =>
      api<{ four_eyes: boolean }>('/api/rules/settings', { method: 'PATCH', body: { four_eyes: fourEyes } }),
    onSuccess: (result) => {
      queryClient.setQueryData(['rules', 'settings'], result);
      toast.success(result.four_eyes ? 'Four-eyes approval is on' : 'Four-eyes approval is off');
    },
    onError: (caught) => toast.error('Could not change the setting', { description: problemMessage(caught) }),
  });
  if (!settings.data) return null;
  const on = settings.data.four_eyes;
  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" data-testid="four-eyes">
      <ShieldCheck className="size-4" />
      <span>
        Four-eyes approval is <strong>{on ? 'on' : 'off'}</strong>:{' '}
        {on
          ? 'a rule version is approved by someone other than its author.'
          : 'an author may approve their own drafts.'}
      </span>
      {can('users:manage') && (
        <Button size="sm" variant="outline" onClick={() => update.mutate(!on)} disabled={update.isPending}>
          {on ? 'Turn off' : 'Turn on'} four-eyes approval
        </Button>
      )}
    </div>
  );
}
