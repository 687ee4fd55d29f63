import { useEffect, useSyncExternalStore } from 'react';
import type { LiveEvent } from '../../../durable-objects/org-hub';
import { api } from './api';
import { sessionStore } from './session';

export type { LiveEvent };

type LiveStatus = 'connecting' | 'open' | 'closed';

type Listener = (event: LiveEvent) => void;

const listeners = new Set<Listener>();
const statusListeners = new Set<() => void>();
let status: LiveStatus = 'closed';
let socket: WebSocket | null = null;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let pingTimer: ReturnType<typeof setInterval> | undefined;
let attempts = 0;
// Bumped on every disconnect so a connect still awaiting its ticket knows it is stale.
let generation = 0;
let wanted = false;

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

function setStatus(next: LiveStatus) {
  status = next;
  for (const listener of statusListeners) listener();
}

/** Opens the organization's socket: a single-use ticket first, then the upgrade; reconnects with backoff. */
async function connect() {
  if (!wanted || socket) return;
  const mine = generation;
  setStatus('connecting');
  try {
    const { ticket } = await api<{ ticket: string }>('/api/ws/ticket', { method: 'POST' });
    if (mine !== generation || socket) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    socket = new WebSocket(`${scheme}://${location.host}/api/ws?ticket=${encodeURIComponent(ticket)}`);
  } catch {
    scheduleReconnect();
    return;
  }
  socket.onopen = () => {
    attempts = 0;
    setStatus('open');
    pingTimer = setInterval(() => socket?.send('ping'), PING_MS);
  };
  socket.onmessage = (message) => {
    const event = parseEvent(message.data);
    if (!event) return;
    for (const listener of listeners) listener(event);
  };
  const opened = socket;
  socket.onclose = () => {
    clearInterval(pingTimer);
    if (socket !== opened) return;
    socket = null;
    scheduleReconnect();
  };
}

function parseEvent(data: unknown): LiveEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const event = JSON.parse(data) as { type?: string };
    return event.type && event.type !== 'pong' ? (event as LiveEvent) : null;
  } catch {
    return null;
  }
}

function scheduleReconnect() {
  setStatus('closed');
  if (!wanted || !sessionStore.accessToken()) return;
  attempts += 1;
  retryTimer = setTimeout(connect, Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempts, 5)));
}

function disconnect() {
  wanted = false;
  generation += 1;
  clearTimeout(retryTimer);
  clearInterval(pingTimer);
  socket?.close(1000, 'signed out');
  socket = null;
  setStatus('closed');
}

/** Keeps the socket open while a signed-in layout is mounted. */
export function useLiveConnection(signedIn: boolean) {
  useEffect(() => {
    if (!signedIn) return;
    wanted = true;
    void connect();
    return disconnect;
  }, [signedIn]);
}

export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore(
    (listener) => {
      statusListeners.add(listener);
      return () => statusListeners.delete(listener);
    },
    () => status,
  );
}

/** Calls `onEvent` for every live event while the component is mounted. */
export function useLiveEvents(onEvent: Listener) {
  useEffect(() => {
    listeners.add(onEvent);
    return () => {
      listeners.delete(onEvent);
    };
  }, [onEvent]);
}
