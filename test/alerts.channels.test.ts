import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { alertChannels } from '../db/schema';
import { withTenant } from '../db/tenant';
import { mailTo, receiver, type SlackMessage, type WebhookEvent, waitForMail, webhookChannel } from './alerts-fixtures';
import { addMember, api, apiJson, registerOrganization, type Session, withDatabase } from './helpers';

let org: Session;

beforeAll(async () => {
  org = await registerOrganization('Alert Channels Org');
});

const post = <P extends string, S extends number>(path: P, status: S, body?: unknown, token = org.access_token) =>
  apiJson('POST', path, status, { token, ...(body === undefined ? {} : { body }) });

describe('happy', () => {
  it('creates a webhook channel whose secret is shown once, and its test message is signed (Standard Webhooks)', async () => {
    const hook = receiver();
    const channel = await webhookChannel(org.access_token, hook.url);
    expect(channel).toMatchObject({
      name: 'Ops webhook',
      type: 'webhook',
      config: { url: hook.url },
      previous_secret_expires_at: null,
      signing_secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const shown = await apiJson('GET', `/api/alert-channels/${channel.id}`, 200, { token: org.access_token });
    expect((shown as { signing_secret?: string }).signing_secret).toBeUndefined();
    expect(JSON.stringify(shown)).not.toContain(channel.signing_secret.slice(6));

    const delivery = await post(`/api/alert-channels/${channel.id}/test`, 200);
    expect(delivery).toMatchObject({
      channel_id: channel.id,
      event_type: 'alert.test',
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      delivered_at: expect.any(String),
    });
    const [request] = await hook.requests();
    expect(request!.headers['webhook-id']).toBe(delivery.id);
    const body = new Webhook(channel.signing_secret).verify(request!.body, request!.headers) as WebhookEvent;
    expect(body).toMatchObject({ type: 'alert.test', timestamp: expect.any(String), data: { channel_id: channel.id } });
  });

  it('rotates a webhook secret: both secrets sign for 24 hours', async () => {
    const hook = receiver();
    const channel = await webhookChannel(org.access_token, hook.url);
    const rotated = await post(`/api/alert-channels/${channel.id}/rotate-secret`, 200);
    expect(rotated.signing_secret).not.toBe(channel.signing_secret);
    const expires = Date.parse(rotated.previous_secret_expires_at!) - Date.now();
    expect(expires).toBeGreaterThan(23.9 * 3600_000);
    expect(expires).toBeLessThanOrEqual(24 * 3600_000);

    await post(`/api/alert-channels/${channel.id}/test`, 200);
    const [request] = await hook.requests();
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    // A receiver still holding the old secret verifies, and so does one with the new.
    expect(() => new Webhook(channel.signing_secret).verify(request!.body, request!.headers)).not.toThrow();
    expect(() => new Webhook(rotated.signing_secret).verify(request!.body, request!.headers)).not.toThrow();
    expect(() =>
      new Webhook(`whsec_${btoa('another secret, 24 bytes!')}`).verify(request!.body, request!.headers),
    ).toThrow();
  });

  it('sends a Slack-style test with Block Kit, its webhook URL kept secret', async () => {
    const hook = receiver();
    const channel = await post('/api/alert-channels', 201, {
      name: '#compliance',
      type: 'slack',
      config: { webhook_url: hook.url },
    });
    expect(channel.signing_secret).toBeUndefined();
    expect(channel.config.webhook_url).not.toBe(hook.url);
    expect(channel.config.webhook_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…/);
    const delivery = await post(`/api/alert-channels/${channel.id}/test`, 200);
    expect(delivery.status).toBe('delivered');
    const body = JSON.parse((await hook.requests())[0]!.body) as SlackMessage;
    expect(body.text).toContain('Test alert from NitiLens');
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Test alert from NitiLens', emoji: false },
    });
    expect(body.blocks.find((block) => block.type === 'actions')!.elements![0]).toMatchObject({
      type: 'button',
      url: 'https://app.nitilens.test/',
    });
  });

  it('emails a test through SMTP with a text and an HTML part', async () => {
    const to = `ops-${crypto.randomUUID()}@example.test`;
    const channel = await post('/api/alert-channels', 201, { name: 'Ops mail', type: 'email', config: { to: [to] } });
    expect(channel.config).toEqual({ to: [to] });
    const delivery = await post(`/api/alert-channels/${channel.id}/test`, 200);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });
    const [message] = await waitForMail(to, 1);
    expect(message).toMatchObject({
      from: 'alerts@nitilens.test',
      to: [to],
      subject: '[NitiLens] Test alert from NitiLens',
    });
    expect(message!.text).toContain('If you can read this, alerts reach this channel.');
    expect(message!.html).toContain('<h2>Test alert from NitiLens</h2>');
  });

  it('lists, renames and deletes channels', async () => {
    const fresh = await registerOrganization('Channel List Org');
    const token = fresh.access_token;
    const first = await webhookChannel(token, receiver().url, 'First');
    await webhookChannel(token, receiver().url, 'Second');
    const page = await apiJson('GET', '/api/alert-channels?limit=1', 200, { token });
    expect(page.items.map((c) => c.name)).toEqual(['Second']);
    const next = await apiJson('GET', `/api/alert-channels?limit=1&cursor=${page.next_cursor}`, 200, { token });
    expect(next).toEqual({ items: [expect.objectContaining({ name: 'First' })], next_cursor: null });
    const renamed = await apiJson('PATCH', `/api/alert-channels/${first.id}`, 200, {
      token,
      body: { name: 'Renamed' },
    });
    expect(renamed.name).toBe('Renamed');
    expect((await api('DELETE', `/api/alert-channels/${first.id}`, { token })).status).toBe(204);
    expect((await api('GET', `/api/alert-channels/${first.id}`, { token })).status).toBe(404);
  });
});

describe('errors', () => {
  it('refuses a metadata address on save, by literal and by name', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data', 'https://169-254-169-254.ip.nitilens.test/hook']) {
      const problem = await post('/api/alert-channels', 400, { name: 'Bad', type: 'webhook', config: { url } });
      expect(problem.errors).toEqual([
        { path: 'config.url', message: expect.stringContaining('points to a cloud metadata address') },
      ]);
    }
    const slack = await post('/api/alert-channels', 400, {
      name: 'Bad',
      type: 'slack',
      config: { webhook_url: 'http://[fe80::1]/services/x' },
    });
    expect(slack.errors![0]).toMatchObject({
      path: 'config.webhook_url',
      message: expect.stringContaining('link-local'),
    });
  });

  it('fails a delivery at the attempt when the stored URL points to a metadata address', async () => {
    const channel = await webhookChannel(org.access_token, receiver().url);
    // A URL stored before it became refused: the guard runs again at every attempt.
    await withDatabase((db) =>
      withTenant(db, org.organization.id, (tx) =>
        tx
          .update(alertChannels)
          .set({ config: { url: 'http://169.254.169.254/latest/meta-data' } })
          .where(eq(alertChannels.id, channel.id)),
      ),
    );
    const delivery = await post(`/api/alert-channels/${channel.id}/test`, 200);
    expect(delivery).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: null,
      last_error: 'The URL points to a cloud metadata address: 169.254.169.254.',
    });
  });

  it('reports invalid configs field by field', async () => {
    const problem = await post('/api/alert-channels', 400, {
      name: '',
      type: 'email',
      config: { to: ['not-an-address'] },
    });
    expect(problem.errors!.map((e) => e.path).sort()).toEqual(['config.to.0', 'name']);
    const patch = await apiJson(
      'PATCH',
      `/api/alert-channels/${(await webhookChannel(org.access_token, receiver().url)).id}`,
      400,
      {
        token: org.access_token,
        body: { config: { to: ['a@b.test'] } },
      },
    );
    expect(patch.errors!.map((e) => e.path).sort()).toEqual(['config.to', 'config.url']);
  });

  it('fails an email to a mailbox the server refuses, without retrying', async () => {
    const channel = await post('/api/alert-channels', 201, {
      name: 'Nobody',
      type: 'email',
      config: { to: ['nobody@example.test'] },
    });
    const delivery = await post(`/api/alert-channels/${channel.id}/test`, 200);
    expect(delivery).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: null });
    expect(delivery.last_error).toContain('550');
    expect(await mailTo('nobody@example.test')).toEqual([]);
  });

  it('does not follow redirects, and gives up on an attempt after 10 s', async () => {
    const moved = receiver();
    await moved.answer([302]);
    const redirected = await post(
      `/api/alert-channels/${(await webhookChannel(org.access_token, moved.url)).id}/test`,
      200,
    );
    expect(redirected).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 302 });
    expect(redirected.last_error).toMatch(/^Redirect to http:\/\/127\.0\.0\.1:\d+\/elsewhere not followed\.$/);
    expect(await moved.requests()).toHaveLength(1);

    const slow = receiver();
    await slow.answer([200], 12_000);
    const started = Date.now();
    const timedOut = await post(
      `/api/alert-channels/${(await webhookChannel(org.access_token, slow.url)).id}/test`,
      200,
    );
    expect(Date.now() - started).toBeLessThan(11_500);
    expect(timedOut).toMatchObject({ status: 'pending', attempts: 1, last_error: 'No answer within 10 s.' });
  }, 30_000);

  it('rotates only webhook secrets', async () => {
    const email = await post('/api/alert-channels', 201, {
      name: 'Mail',
      type: 'email',
      config: { to: ['x@example.test'] },
    });
    await post(`/api/alert-channels/${email.id}/rotate-secret`, 409);
  });
});

describe('security', () => {
  it('is for admins only, and another organization’s channel is not found', async () => {
    const channel = await webhookChannel(org.access_token, receiver().url);
    const analyst = await addMember(org, 'compliance_analyst');
    expect((await api('GET', '/api/alert-channels', { token: analyst.token })).status).toBe(403);
    expect((await api('POST', `/api/alert-channels/${channel.id}/test`, { token: analyst.token })).status).toBe(403);
    const other = await registerOrganization('Other Alerts Org');
    for (const [method, path] of [
      ['GET', `/api/alert-channels/${channel.id}`],
      ['POST', `/api/alert-channels/${channel.id}/test`],
      ['POST', `/api/alert-channels/${channel.id}/rotate-secret`],
      ['DELETE', `/api/alert-channels/${channel.id}`],
    ] as const) {
      expect((await api(method, path, { token: other.access_token })).status).toBe(404);
    }
  });

  it('stores secrets encrypted', async () => {
    const hook = receiver();
    const channel = await post('/api/alert-channels', 201, {
      name: 'Slack',
      type: 'slack',
      config: { webhook_url: hook.url },
    });
    const [row] = await withDatabase((db) =>
      withTenant(db, org.organization.id, (tx) =>
        tx.select().from(alertChannels).where(eq(alertChannels.id, channel.id)),
      ),
    );
    expect(JSON.stringify(row)).not.toContain(hook.url);
    expect(row!.secretCiphertext).toMatch(/^v2\.[0-9a-f]{8}\./);
  });
});
