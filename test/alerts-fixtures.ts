import type { z } from '@hono/zod-openapi';
import { inject } from 'vitest';
import type { ReceivedMail, ReceivedRequest } from '../scripts/alert-receivers';
import type { channelView } from '../worker/alerts/schemas';
import { apiJson, createSource, pushSigned } from './helpers';

/** One named endpoint of the local HTTP receiver (scripts/alert-receivers.ts), and what it received. */
export function receiver(name = `hook-${crypto.randomUUID()}`) {
  const base = inject('alertReceiverUrl');
  const requests = async (): Promise<ReceivedRequest[]> =>
    ((await (await fetch(`${base}/control/hooks/${name}`)).json()) as { requests: ReceivedRequest[] }).requests;
  return {
    url: `${base}/hooks/${name}`,
    /** The statuses of successive answers (the last repeats); 200 when never set. */
    answer: async (statuses: number[], delayMs = 0) => {
      await fetch(`${base}/control/hooks/${name}`, {
        method: 'PUT',
        body: JSON.stringify({ statuses, delay_ms: delayMs }),
      });
    },
    requests,
    /** Waits until at least `count` requests arrived, then returns all of them. */
    waitFor: async (count: number, timeoutMs = 15_000): Promise<ReceivedRequest[]> =>
      waitUntil(requests, (list) => list.length >= count, timeoutMs, `${count} requests at ${name}`),
  };
}

/** Mail the local SMTP server received for `to`. */
export async function mailTo(to: string): Promise<ReceivedMail[]> {
  const response = await fetch(`${inject('alertReceiverUrl')}/control/mail?to=${encodeURIComponent(to)}`);
  return ((await response.json()) as { messages: ReceivedMail[] }).messages;
}

export async function waitForMail(to: string, count: number, timeoutMs = 15_000): Promise<ReceivedMail[]> {
  return waitUntil(
    () => mailTo(to),
    (list) => list.length >= count,
    timeoutMs,
    `${count} messages to ${to}`,
  );
}

export async function waitUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Lets the queue settle: nothing more may arrive after what a test waited for. */
export const settle = (ms = 2500) => new Promise((resolve) => setTimeout(resolve, ms));

export async function webhookChannel(token: string, url: string, name = 'Ops webhook') {
  return apiJson<z.infer<typeof channelView> & { signing_secret: string }>('POST', '/api/alert-channels', 201, {
    token,
    body: { name, type: 'webhook', config: { url } },
  });
}

export async function route(token: string, body: Record<string, unknown>) {
  return apiJson('POST', '/api/alert-routes', 201, { token, body });
}

/** A Standard Webhooks event as a webhook channel receives it (the members these tests read). */
export type WebhookEvent = {
  type: string;
  timestamp: string;
  data: { account?: string; examples?: unknown[]; [member: string]: unknown };
};

/** A Slack message as a Slack channel receives it (Block Kit). */
export type SlackMessage = {
  text: string;
  blocks: { type: string; fields?: { text: string }[]; elements?: { url?: string }[] }[];
};

export async function deliveries(token: string, query = '') {
  return (await apiJson('GET', `/api/alert-deliveries?limit=200${query}`, 200, { token })).items;
}

/** A source to push through, and a push of transactions (each accepted). */
export async function pushTransactions(token: string, transactions: Record<string, unknown>[]) {
  const source = await createSource(token, { name: `ERP ${crypto.randomUUID().slice(0, 8)}` });
  const response = await pushSigned(source.id, source.signing_secret, transactions);
  if (response.status !== 200) throw new Error(`push: ${response.status} ${await response.text()}`);
  return (await response.json()) as { results: { status: string; violations: unknown[] }[] };
}

let sequence = 0;
/** A valid transaction; `overrides` change what a rule looks at. */
export function transaction(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    id: `ALERT-${Date.now().toString(36)}-${sequence}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '100.00',
    currency: 'USD',
    account: 'ACC-1',
    ...overrides,
  };
}
