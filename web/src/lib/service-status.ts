import { useSyncExternalStore } from 'react';

/**
 * Whether the API last said it cannot serve (503: its database unreachable or saturated). Every
 * API answer updates it, so the banner it drives goes away with the first answer that succeeds.
 */
let unavailable: { detail: string; retryAfter: number | null } | null = null;
const listeners = new Set<() => void>();

export function noteServiceAnswer(response: Response, detail?: string): void {
  const next =
    response.status === 503
      ? {
          detail: detail || 'The service is unavailable.',
          retryAfter: Number(response.headers.get('retry-after')) || null,
        }
      : null;
  if (next?.detail === unavailable?.detail && (next === null) === (unavailable === null)) return;
  unavailable = next;
  for (const listener of listeners) listener();
}

export function useServiceUnavailable() {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => unavailable,
  );
}
