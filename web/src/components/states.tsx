import type { UseQueryResult } from '@tanstack/react-query';
import { AlertCircle, Inbox, RefreshCw } from 'lucide-react';
import type { ReactNode } from 'react';
import { problemMessage } from '../lib/api';
import { Alert, AlertDescription, AlertTitle } from './ui/alert';
import { Button } from './ui/button';
import { Skeleton } from './ui/skeleton';

export function LoadingState({ rows = 5, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-live="polite" className="grid gap-2 py-2">
      <span className="sr-only">{label}…</span>
      {Array.from({ length: rows }, (_, index) => (
        <Skeleton key={index} className="h-9 w-full" />
      ))}
    </div>
  );
}

export function ErrorState({
  error,
  onRetry,
  title = 'Could not load this',
}: {
  error: unknown;
  onRetry?: () => void;
  title?: string;
}) {
  return (
    <Alert variant="destructive">
      <AlertCircle />
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription className="flex flex-wrap items-center justify-between gap-3">
        <span>{problemMessage(error)}</span>
        {onRetry && (
          <Button size="sm" variant="outline" onClick={onRetry}>
            <RefreshCw /> Try again
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}

export function EmptyState({
  title,
  description,
  action,
}: {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
}) {
  return (
    <div className="flex flex-col items-center gap-2 rounded-lg border border-dashed bg-white px-6 py-10 text-center">
      <Inbox aria-hidden className="size-8 text-slate-400" />
      <p className="font-medium">{title}</p>
      {description && <p className="max-w-md text-sm text-muted-foreground">{description}</p>}
      {action && <div className="mt-2">{action}</div>}
    </div>
  );
}

/** A page of the API (`{items, next_cursor}`) or a plain list is empty when it has no item. */
function hasNoItems(data: unknown): boolean {
  if (Array.isArray(data)) return data.length === 0;
  const items = (data as { items?: unknown } | null | undefined)?.items;
  return Array.isArray(items) && items.length === 0;
}

/**
 * What a query shows in each of its states: `loading` while it is pending, the error with a retry
 * when it failed, `empty` when it answered no item (a page's `items` or a list; `isEmpty` for any
 * other reading), else its data through `children`.
 */
export function QueryState<T>({
  query,
  loading = <LoadingState />,
  errorTitle,
  retry = true,
  empty,
  isEmpty = hasNoItems,
  children,
}: {
  query: UseQueryResult<T>;
  loading?: ReactNode;
  errorTitle?: string;
  retry?: boolean;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return loading;
  if (query.isError)
    return (
      <ErrorState title={errorTitle} error={query.error} onRetry={retry ? () => void query.refetch() : undefined} />
    );
  if (empty !== undefined && isEmpty(query.data)) return empty;
  return children(query.data);
}
