import { useSyncExternalStore } from 'react';
import type { z } from 'zod';
import type { registerBody } from '../../../worker/auth/schemas';
import { type Permission, roleHas } from '../../../worker/platform/permissions';
import { api, refreshSession } from './api';
import { type Me, type Session, sessionStore } from './session';

export function useMe(): Me | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.me);
}

/** Mirrors the worker's permission table so the interface offers only what the role may do. */
export function useCan(): (permission: Permission) => boolean {
  const me = useMe();
  return (permission) => (me ? roleHas(me.user.role, permission) : false);
}

export async function signUp(input: z.input<typeof registerBody>): Promise<void> {
  sessionStore.start(await api<Session>('/api/auth/register', { method: 'POST', body: input }));
}

export async function signIn(email: string, password: string): Promise<void> {
  sessionStore.start(await api<Session>('/api/auth/login', { method: 'POST', body: { email, password } }));
}

export async function signOut(): Promise<void> {
  const refreshToken = sessionStore.refreshToken();
  sessionStore.end();
  // Revoking is best effort: the local session is gone either way.
  if (refreshToken)
    await api('/api/auth/logout', { method: 'POST', body: { refresh_token: refreshToken } }).catch(() => undefined);
}

let restoring: Promise<void> | null = null;

/** On load, a refresh token left in this tab's storage restores the session once. */
export function restoreSession(): Promise<void> {
  restoring ??= sessionStore.refreshToken() ? refreshSession().then(() => undefined) : Promise.resolve();
  return restoring;
}
