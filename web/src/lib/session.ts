import type { z } from 'zod';
import type { meView, sessionView } from '../../../worker/auth/schemas';

export type Session = z.infer<typeof sessionView>;
export type Me = z.infer<typeof meView>;

type Stored = { accessToken: string | null; refreshToken: string; me: Me };

// The refresh token survives a reload of this tab only; the access token never leaves memory.
const REFRESH_KEY = 'nitilens.refresh';

let current: Stored | null = null;
const listeners = new Set<() => void>();

function notify() {
  for (const listener of listeners) listener();
}

export const sessionStore = {
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  me: (): Me | null => current?.me ?? null,
  accessToken: (): string | null => current?.accessToken ?? null,
  refreshToken: (): string | null => current?.refreshToken ?? sessionStorage.getItem(REFRESH_KEY),
  start(session: Session) {
    current = {
      accessToken: session.access_token,
      refreshToken: session.refresh_token,
      me: { user: session.user, organization: session.organization },
    };
    sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
    notify();
  },
  /** The signed-in user changed (their preferences): the same session, a new `me`. */
  update(me: Me) {
    if (!current) return;
    current = { ...current, me };
    notify();
  },
  end() {
    current = null;
    sessionStorage.removeItem(REFRESH_KEY);
    notify();
  },
};
