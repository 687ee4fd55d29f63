import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  runDurableObjectAlarm,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertDeliveries } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { AlertQueueMessage } from '../queues/messages';
import { type ProductEvent, raiseEvents } from '../worker/alerts/events';
import worker from '../worker/index';
import {
  deliveries,
  pushTransactions,
  receiver,
  route,
  type SlackMessage,
  settle,
  transaction,
  type WebhookEvent,
  waitUntil,
  webhookChannel,
} from './alerts-fixtures';
import { api, apiJson, approvedRule, registerOrganization, type Session, withDatabase } from './helpers';
import { insertTransactions, waitForScan } from './rules-fixtures';

let org: Session;
let highRule: { id: string };
let criticalRule: { id: string };

beforeAll(async () => {
  org = await registerOrganization('Alert Delivery Org');
  highRule = await approvedRule(org.access_token, {
    name: 'Large amount',
    severity: 'high',
    condition: { field: 'amount', op: 'gt', value: 10000 },
  });
  criticalRule = await approvedRule(org.access_token, {
    name: 'Sanctioned country',
    severity: 'critical',
    condition: { field: 'counterparty_country', op: 'eq', value: 'IR' },
  });
});

/** Runs the organization's hub alarm until nothing is armed (the usage flush may come first). */
async function runHubAlarms(orgId: string): Promise<void> {
  const hub = env.ORG_HUB.get(env.ORG_HUB.idFromName(orgId));
  for (let i = 0; i < 5 && (await runDurableObjectAlarm(hub)); i++);
}

const large = (overrides: Record<string, unknown> = {}) =>
  transaction({ amount: '12500.00', type: 'wire', ...overrides });

describe('happy', () => {
  it('delivers one message per routed event and none for filtered ones', async () => {
    const fresh = await registerOrganization('Routing Org');
    const token = fresh.access_token;
    const high = await approvedRule(token, {
      name: 'Large amount',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 10000 },
    });
    const low = await approvedRule(token, {
      name: 'Card payment',
      severity: 'low',
      condition: { field: 'type', op: 'eq', value: 'card' },
    });
    const hook = receiver();
    const slack = receiver();
    const channel = await webhookChannel(token, hook.url);
    await route(token, {
      channel_id: channel.id,
      events: ['violation.created'],
      min_severity: 'high',
      mode: 'immediate',
    });
    const slackChannel = await apiJson('POST', '/api/alert-channels', 201, {
      token,
      body: { name: '#cards', type: 'slack', config: { webhook_url: slack.url } },
    });
    await route(token, {
      channel_id: slackChannel.id,
      events: ['violation.created'],
      rule_ids: [low.id],
      mode: 'immediate',
    });

    await pushTransactions(token, [
      large({ account: 'ACC-7' }),
      transaction({ type: 'card', amount: '50.00' }),
      transaction({ amount: '99.00' }),
      large(),
    ]);
    const received = await hook.waitFor(2);
    const cards = await slack.waitFor(1);
    await settle();
    expect(await hook.requests()).toHaveLength(2);
    expect(await slack.requests()).toHaveLength(1);

    const bodies = received.map(
      (request) => new Webhook(channel.signing_secret).verify(request.body, request.headers) as WebhookEvent,
    );
    expect(bodies.map((body) => body.type)).toEqual(['violation.created', 'violation.created']);
    expect(bodies.find((body) => body.data.account === 'ACC-7')!.data).toMatchObject({
      rule_id: high.id,
      rule_name: 'Large amount',
      severity: 'high',
      amount: '12500',
      currency: 'USD',
      explanation: 'amount 12,500.00 USD > 10,000',
    });
    expect(new Set(received.map((request) => request.headers['webhook-id'])).size).toBe(2);

    const slackBody = JSON.parse(cards[0]!.body) as SlackMessage;
    expect(slackBody.text).toContain('Low violation: Card payment');
    const fields = slackBody.blocks.find((block) => block.fields)!.fields!.map((field) => field.text);
    expect(fields).toEqual([
      '*Severity*\nlow',
      '*Rule*\nCard payment',
      '*Account*\nACC-1',
      '*Amount*\n50 USD',
      expect.any(String),
    ]);
    const button = slackBody.blocks.find((block) => block.type === 'actions')!.elements![0]!;
    expect(button.url).toMatch(/^https:\/\/app\.nitilens\.test\/violations\/[0-9a-f-]{36}$/);

    const log = await waitUntil(
      () => deliveries(token),
      (items) => items.every((item) => item.status === 'delivered'),
      10_000,
      'deliveries settled',
    );
    expect(log).toHaveLength(3);
    expect(log[0]).toMatchObject({
      event_type: 'violation.created',
      attempts: 1,
      last_status_code: 200,
      summary: expect.any(String),
    });
  });

  it('retries a 500 with growing delays, keeping the webhook-id', async () => {
    const hook = receiver();
    await hook.answer([500, 200]);
    const channel = await webhookChannel(org.access_token, hook.url);
    await route(org.access_token, {
      channel_id: channel.id,
      events: ['violation.created'],
      rule_ids: [criticalRule.id],
      mode: 'immediate',
    });
    await pushTransactions(org.access_token, [transaction({ counterparty_country: 'IR' })]);
    const [first] = await hook.waitFor(1);
    const pending = await waitUntil(
      () => deliveries(org.access_token, `&channel_id=${channel.id}`),
      (items) => items[0]?.last_status_code === 500,
      10_000,
      'the first attempt recorded',
    );
    expect(pending[0]).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: expect.stringContaining('HTTP 500'),
    });
    const wait = Date.parse(pending[0]!.next_attempt_at!) - Date.parse(pending[0]!.created_at);
    expect(wait).toBeGreaterThan(15_000);
    expect(wait).toBeLessThan(60_000);

    const requests = await hook.waitFor(2, 45_000);
    expect(requests[1]!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(requests[1]!.body).toBe(first!.body);
    expect(() => new Webhook(channel.signing_secret).verify(requests[1]!.body, requests[1]!.headers)).not.toThrow();
    const delivered = await waitUntil(
      () => deliveries(org.access_token, `&channel_id=${channel.id}`),
      (items) => items[0]?.status === 'delivered',
      10_000,
      'the retry recorded',
    );
    expect(delivered[0]).toMatchObject({ attempts: 2, last_status_code: 200, last_error: null, next_attempt_at: null });
  }, 90_000);

  it('folds 20 events into one digest, and sends nothing for an empty window', async () => {
    const hook = receiver();
    const channel = await webhookChannel(org.access_token, hook.url);
    await route(org.access_token, {
      channel_id: channel.id,
      events: ['violation.created'],
      rule_ids: [highRule.id],
      mode: 'digest',
    });
    await pushTransactions(
      org.access_token,
      Array.from({ length: 20 }, (_, n) => large({ account: `ACC-D${n}` })),
    );
    await settle(1500);
    expect(await hook.requests()).toHaveLength(0);

    await runHubAlarms(org.organization.id);
    const [digest] = await hook.waitFor(1);
    const body = new Webhook(channel.signing_secret).verify(digest!.body, digest!.headers) as WebhookEvent;
    expect(body.type).toBe('alert.digest');
    expect(body.data).toMatchObject({
      total: 20,
      by_type: { 'violation.created': 20 },
      by_severity: { high: 20 },
      by_rule: [{ rule_id: highRule.id, rule_name: 'Large amount', count: 20 }],
    });
    expect(body.data.examples).toHaveLength(10);
    expect(body.data.examples![0]).toMatchObject({ type: 'violation.created', data: { account: 'ACC-D0' } });

    // The next window closes with nothing in it: nothing is sent.
    await runHubAlarms(org.organization.id);
    await settle();
    expect(await hook.requests()).toHaveLength(1);
  });

  it('reports scans: violation.created from a scan, then scan.completed', async () => {
    const fresh = await registerOrganization('Scan Alerts Org');
    const token = fresh.access_token;
    await approvedRule(token, {
      name: 'Large amount',
      severity: 'high',
      condition: { field: 'amount', op: 'gt', value: 10000 },
    });
    await insertTransactions(fresh.organization.id, [
      { id: 'SC-1', occurred_at: '2026-03-01T10:00:00Z', amount: '15000.00', account: 'ACC-1' },
      { id: 'SC-2', occurred_at: '2026-03-01T11:00:00Z', amount: '20.00', account: 'ACC-1' },
      { id: 'SC-3', occurred_at: '2026-03-01T12:00:00Z', amount: '11000.00', account: 'ACC-2' },
    ]);
    const hook = receiver();
    const channel = await webhookChannel(token, hook.url);
    await route(token, { channel_id: channel.id, events: ['violation.created', 'scan.completed'], mode: 'immediate' });
    const scan = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    await waitForScan(token, scan.id);
    await hook.waitFor(3);
    await settle();
    const bodies = (await hook.requests()).map((request) => JSON.parse(request.body) as WebhookEvent);
    expect(bodies.map((body) => body.type).sort()).toEqual([
      'scan.completed',
      'violation.created',
      'violation.created',
    ]);
    expect(bodies.find((body) => body.type === 'scan.completed')?.data).toMatchObject({
      scan_id: scan.id,
      status: 'completed',
      total: 3,
      violations_found: 2,
    });
    expect(
      bodies
        .filter((body) => body.type === 'violation.created')
        .map((body) => body.data.transaction_id)
        .sort(),
    ).toEqual(['SC-1', 'SC-3']);
  });

  it('redelivers a delivery with the same webhook-id, and a 400 is not retried', async () => {
    const hook = receiver();
    await hook.answer([400, 200]);
    const channel = await webhookChannel(org.access_token, hook.url);
    const failed = await apiJson('POST', `/api/alert-channels/${channel.id}/test`, 200, { token: org.access_token });
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 400, next_attempt_at: null });
    expect(failed.last_error).toContain('HTTP 400');
    await settle();
    expect(await hook.requests()).toHaveLength(1);

    const queued = await apiJson('POST', `/api/alert-deliveries/${failed.id}/redeliver`, 202, {
      token: org.access_token,
    });
    expect(queued).toMatchObject({ id: failed.id, status: 'pending', attempts: 0 });
    const requests = await hook.waitFor(2);
    expect(requests[1]!.headers['webhook-id']).toBe(failed.id);
    const [delivered] = await waitUntil(
      () => deliveries(org.access_token, `&channel_id=${channel.id}`),
      (items) => items[0]?.status === 'delivered',
      10_000,
      'the redelivery recorded',
    );
    expect(delivered).toMatchObject({ id: failed.id, attempts: 1, last_status_code: 200 });
  });
});

describe('errors', () => {
  it('sends nothing for events of a transaction that rolled back', async () => {
    const fresh = await registerOrganization('Rollback Org');
    const orgId = fresh.organization.id;
    const immediate = receiver();
    const digested = receiver();
    const now = await webhookChannel(fresh.access_token, immediate.url);
    const later = await webhookChannel(fresh.access_token, digested.url);
    await route(fresh.access_token, { channel_id: now.id, events: ['job.failed'], mode: 'immediate' });
    await route(fresh.access_token, { channel_id: later.id, events: ['job.failed'], mode: 'digest' });
    const event = (job: string): ProductEvent => ({ type: 'job.failed', data: { job } });

    await withDatabase((db) =>
      withTenant(db, orgId, async (tx) => {
        await raiseEvents(env, tx, orgId, [event('rolled back')]);
        throw new Error('the change failed');
      }),
    ).catch(() => undefined);
    await withDatabase((db) => withTenant(db, orgId, (tx) => raiseEvents(env, tx, orgId, [event('committed')])));

    const [request] = await immediate.waitFor(1);
    await settle();
    expect((await immediate.requests()).map((r) => (JSON.parse(r.body) as WebhookEvent).data.job)).toEqual([
      'committed',
    ]);
    expect(request).toBeDefined();
    await runHubAlarms(orgId);
    const [digest] = await digested.waitFor(1);
    expect((JSON.parse(digest!.body) as WebhookEvent).data).toMatchObject({
      total: 1,
      examples: [{ data: { job: 'committed' } }],
    });
  });

  it('marks dead-lettered deliveries failed, and the sweeper queues a delivery whose message was lost', async () => {
    const hook = receiver();
    const channel = await webhookChannel(org.access_token, hook.url);
    const insert = (minutesAgo: number) =>
      withDatabase((db) =>
        withTenant(db, org.organization.id, async (tx) => {
          const [row] = await tx
            .insert(alertDeliveries)
            .values({
              orgId: org.organization.id,
              channelId: channel.id,
              eventType: 'job.failed',
              payload: { type: 'job.failed', timestamp: new Date().toISOString(), data: { job: `${minutesAgo}` } },
              nextAttemptAt: new Date(Date.now() - minutesAgo * 60_000),
            })
            .returning();
          return row!;
        }),
      );
    const dead = await insert(0);
    const message: AlertQueueMessage = {
      kind: 'alert.delivery',
      orgId: org.organization.id,
      deliveryId: dead.id,
      round: 0,
      xid: null,
    };
    const batch = createMessageBatch('nitilens-alerts-dlq', [
      { id: 'd1', timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['d1']);
    const [failed] = await deliveries(org.access_token, `&channel_id=${channel.id}&status=failed`);
    expect(failed).toMatchObject({ id: dead.id, status: 'failed', last_error: '(the queue gave up on this delivery)' });

    const lost = await insert(5);
    await worker.scheduled(
      createScheduledController({ cron: '* * * * *', scheduledTime: Date.now() }),
      env,
      createExecutionContext(),
    );
    const [request] = await hook.waitFor(1);
    expect(request!.headers['webhook-id']).toBe(lost.id);
    await settle();
    expect(await hook.requests()).toHaveLength(1);
  });

  it('refuses a route to an unknown channel or rule', async () => {
    const other = await registerOrganization('Foreign Channel Org');
    const foreign = await webhookChannel(other.access_token, receiver().url);
    const problem = await apiJson('POST', '/api/alert-routes', 400, {
      token: org.access_token,
      body: {
        channel_id: foreign.id,
        events: ['violation.created'],
        rule_ids: [crypto.randomUUID()],
        mode: 'immediate',
      },
    });
    expect(problem.errors!.map((e) => e.path)).toEqual(['channel_id', 'rule_ids.0']);
    const invalid = await apiJson('POST', '/api/alert-routes', 400, {
      token: org.access_token,
      body: { channel_id: foreign.id, events: ['violation.deleted'], min_severity: 'urgent', mode: 'later' },
    });
    expect(invalid.errors!.map((e) => e.path).sort()).toEqual(['events.0', 'min_severity', 'mode']);
  });
});

describe('security', () => {
  it('keeps routes and deliveries to their organization', async () => {
    const other = await registerOrganization('Other Delivery Org');
    const channel = await webhookChannel(org.access_token, receiver().url);
    const created = await route(org.access_token, {
      channel_id: channel.id,
      events: ['scan.failed'],
      mode: 'immediate',
    });
    const delivery = await apiJson('POST', `/api/alert-channels/${channel.id}/test`, 200, { token: org.access_token });
    expect((await api('DELETE', `/api/alert-routes/${created.id}`, { token: other.access_token })).status).toBe(404);
    expect(
      (await api('POST', `/api/alert-deliveries/${delivery.id}/redeliver`, { token: other.access_token })).status,
    ).toBe(404);
    expect(await deliveries(other.access_token)).toEqual([]);
    const routes = await apiJson('GET', '/api/alert-routes', 200, { token: other.access_token });
    expect(routes.items).toEqual([]);
    expect((await api('DELETE', `/api/alert-routes/${created.id}`, { token: org.access_token })).status).toBe(204);
  });
});
