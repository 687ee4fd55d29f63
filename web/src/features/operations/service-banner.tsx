import { useQuery, useQueryClient } from '@tanstack/react-query';
import { DatabaseZap } from 'lucide-react';
import { useEffect, useRef } from 'react';
import { Alert, AlertDescription, AlertTitle } from '../../components/ui/alert';
import { api } from '../../lib/api';
import { useServiceUnavailable } from '../../lib/service-status';

/**
 * Across the app: the API answered 503 (its database unreachable or saturated). While it lasts,
 * /health is asked every Retry-After seconds; its first 200 takes the banner down and reloads
 * whatever failed meanwhile.
 */
export function ServiceBanner() {
  const unavailable = useServiceUnavailable();
  const queryClient = useQueryClient();
  const wasUnavailable = useRef(false);
  useQuery({
    queryKey: ['health'],
    queryFn: () => api<{ status: string; database: string }>('/health'),
    enabled: unavailable !== null,
    refetchInterval: (unavailable?.retryAfter ?? 5) * 1000,
    retry: false,
  });
  useEffect(() => {
    if (unavailable) wasUnavailable.current = true;
    else if (wasUnavailable.current) {
      wasUnavailable.current = false;
      void queryClient.invalidateQueries({ predicate: (query) => query.state.status === 'error' });
    }
  }, [unavailable, queryClient]);
  if (!unavailable) return null;
  return (
    <Alert variant="destructive" className="rounded-none border-x-0 border-t-0" aria-label="Service status">
      <DatabaseZap />
      <AlertTitle>NitiLens cannot reach its database right now</AlertTitle>
      <AlertDescription>
        {unavailable.detail} Nothing you saved is lost; this page checks again every {unavailable.retryAfter ?? 5}{' '}
        seconds and reloads once the database answers.
      </AlertDescription>
    </Alert>
  );
}
