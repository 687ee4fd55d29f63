import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { describe, expect, inject, it } from 'vitest';
import { withTenant } from '../db/tenant';
import type { Env } from '../worker/env';
import worker from '../worker/index';
import { apiJson, expectProblem, registerOrganization, type Session, withDatabase } from './helpers';

const WEBHOOK_SECRET = 'whsec_nitilens_test_0123456789abcdef';
const stripeUrl = inject('stripeUrl');
/** Stripe billing on, against the local stand-in: nothing reaches the network. */
const BILLING: Partial<Env> = {
  STRIPE_SECRET_KEY: inject('stripeSecretKey'),
  STRIPE_API_URL: stripeUrl,
  STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  APP_BASE_URL: 'https://app.nitilens.test',
};

type Call = { token?: string; body?: string; headers?: Record<string, string> };

/** The Worker with `overrides` in its environment, through its real fetch handler. */
async function call(overrides: Partial<Env>, method: string, path: string, options: Call = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://nitilens.test${path}`, { method, headers, body: options.body }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

function checkout(session: Session, plan: string, overrides: Partial<Env> = BILLING) {
  return call(overrides, 'POST', '/api/subscription/checkout', {
    token: session.access_token,
    body: JSON.stringify({ plan }),
  });
}

let eventCounter = 0;
function stripeEvent(type: string, object: Record<string, unknown>) {
  eventCounter += 1;
  return {
    id: `evt_test_${Date.now().toString(36)}_${eventCounter}`,
    object: 'event',
    api_version: '2026-11-18.endive',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

/** Sends `event` to the webhook, signed with Stripe's own test header helper. */
async function deliver(event: unknown, options: { secret?: string; timestamp?: number } = {}): Promise<Response> {
  const payload = JSON.stringify(event);
  const signature = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp,
    cryptoProvider: Stripe.createSubtleCryptoProvider(),
  });
  return call(BILLING, 'POST', '/api/billing/stripe/webhook', {
    body: payload,
    headers: { 'stripe-signature': signature },
  });
}

const completed = (orgId: string, plan: string, ids: { customer: string; subscription: string }) =>
  stripeEvent('checkout.session.completed', {
    id: `cs_test_${crypto.randomUUID()}`,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: orgId,
    customer: ids.customer,
    subscription: ids.subscription,
    metadata: { org_id: orgId, plan },
  });

const subscriptionObject = (orgId: string, id: string, status: string, plan: string, customer: string) => ({
  id,
  object: 'subscription',
  customer,
  status,
  metadata: { org_id: orgId, plan },
  items: { object: 'list', data: [{ id: `si_${id}`, object: 'subscription_item', current_period_end: 1_900_000_000 }] },
});

const paymentFailed = (subscription: string, customer: string, metadata: Record<string, string> = {}) =>
  stripeEvent('invoice.payment_failed', {
    id: `in_${crypto.randomUUID()}`,
    object: 'invoice',
    customer,
    amount_due: 9900,
    currency: 'usd',
    attempt_count: 1,
    next_payment_attempt: Math.floor(Date.now() / 1000) + 3 * 86_400,
    hosted_invoice_url: 'https://invoice.stripe.com/i/test',
    parent: { type: 'subscription_details', subscription_details: { subscription, metadata } },
  });

async function subscription(session: Session) {
  return apiJson('GET', '/api/subscription', 200, { token: session.access_token });
}

async function subscriptionAudit(session: Session) {
  const trail = await apiJson('GET', '/api/audit?target_type=organization&limit=200', 200, {
    token: session.access_token,
  });
  return trail.items.filter((item: { action: string }) => item.action.startsWith('subscription.'));
}

/** A paying organization: its checkout completed through the webhook. */
async function payingOrganization(name: string) {
  const admin = await registerOrganization(name);
  const ids = {
    customer: `cus_${crypto.randomUUID().slice(0, 8)}`,
    subscription: `sub_${crypto.randomUUID().slice(0, 8)}`,
  };
  expect((await deliver(completed(admin.organization.id, 'pro', ids))).status).toBe(200);
  return { admin, ...ids };
}

type Received = { method: string; path: string; params: Record<string, unknown>; idempotencyKey: string };

async function standInRequests(): Promise<Received[]> {
  return (await fetch(`${stripeUrl}/_stand-in/requests`)).json();
}

describe('checkout', () => {
  it('answers the URL of a Stripe Checkout session that carries the organization and the plan', async () => {
    const admin = await registerOrganization('Buyer');
    const response = await checkout(admin, 'pro');
    expect(response.status).toBe(200);
    const { url } = await response.json<{ url: string }>();
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_[0-9a-f]+$/);
    const sessionId = url.split('/').at(-1);
    const created = (await standInRequests()).find(
      (request) =>
        request.path === '/v1/checkout/sessions' && request.params.client_reference_id === admin.organization.id,
    );
    expect(created?.params).toMatchObject({
      mode: 'subscription',
      metadata: { org_id: admin.organization.id, plan: 'pro' },
      subscription_data: { metadata: { org_id: admin.organization.id, plan: 'pro' } },
      line_items: [
        { quantity: '1', price_data: { currency: 'usd', unit_amount: '9900', recurring: { interval: 'month' } } },
      ],
      customer_email: admin.user.email,
      success_url: 'https://app.nitilens.test/subscription?checkout=success',
      cancel_url: 'https://app.nitilens.test/subscription?checkout=canceled',
    });
    expect(created?.idempotencyKey).toContain(`checkout:${admin.organization.id}:pro:`);
    const stored = await (
      await fetch(`${stripeUrl}/v1/checkout/sessions/${sessionId}`, {
        headers: { authorization: `Bearer ${inject('stripeSecretKey')}` },
      })
    ).json<{ metadata: unknown }>();
    expect(stored.metadata).toEqual({ org_id: admin.organization.id, plan: 'pro' });
    const audit = await subscriptionAudit(admin);
    expect(audit[0]).toMatchObject({
      action: 'subscription.checkout_started',
      details: { plan: 'pro', stripe_session: sessionId },
    });
    // Nothing changes until Stripe reports the payment.
    expect(await subscription(admin)).toMatchObject({ plan: 'basic', checkout_available: false });
  });

  it('answers 503 naming STRIPE_SECRET_KEY when billing is not configured', async () => {
    const admin = await registerOrganization('No Billing');
    const response = await checkout(admin, 'pro', {});
    expect(response.status).toBe(503);
    expect((await response.json<{ detail: string }>()).detail).toContain('STRIPE_SECRET_KEY');
  });

  it('answers 503 with Stripe’s reason when Stripe refuses the key', async () => {
    const admin = await registerOrganization('Bad Key');
    const response = await checkout(admin, 'pro', { ...BILLING, STRIPE_SECRET_KEY: 'sk_test_wrong' });
    expect(response.status).toBe(503);
    expect((await response.json<{ detail: string }>()).detail).toMatch(
      /^Stripe did not accept the request: .*Invalid API Key provided\.$/,
    );
  });

  it('sells only paid plans, and sends paid upgrades through Checkout when billing is on', async () => {
    const admin = await registerOrganization('Free Rider');
    expect((await checkout(admin, 'basic')).status).toBe(400);
    const direct = await call(BILLING, 'POST', '/api/subscription/change', {
      token: admin.access_token,
      body: JSON.stringify({ plan: 'enterprise' }),
    });
    expect(direct.status).toBe(402);
    expect(await direct.json()).toMatchObject({
      type: 'https://nitilens.dev/problems/checkout-required',
      plan: 'basic',
      checkout: '/api/subscription/checkout',
    });
    expect((await subscription(admin)).plan).toBe('basic');
  });
});

describe('webhook', () => {
  it('applies a completed checkout once: the plan, the Stripe customer, an audit entry', async () => {
    const admin = await registerOrganization('Paid Up');
    const event = completed(admin.organization.id, 'pro', { customer: 'cus_paidup', subscription: 'sub_paidup' });
    const first = await deliver(event);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ received: true, applied: true, duplicate: false });
    expect(await subscription(admin)).toMatchObject({
      plan: 'pro',
      plan_in_force: 'pro',
      status: 'active',
      stripe_customer: true,
      limits: { users: 20 },
    });
    const replay = await deliver(event);
    expect(await replay.json()).toEqual({ received: true, applied: false, duplicate: true });
    const audit = await subscriptionAudit(admin);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'subscription.plan_changed',
      actor_id: null,
      details: { from: 'basic', to: 'pro', via: 'stripe', stripe_event: event.id },
    });
  });

  it('marks the subscription past_due on a failed payment and keeps the plan through the grace period', async () => {
    const { admin, customer, subscription: subscriptionId } = await payingOrganization('Card Declined');
    const response = await deliver(paymentFailed(subscriptionId, customer));
    expect(await response.json()).toMatchObject({ applied: true });
    const overdue = await subscription(admin);
    expect(overdue).toMatchObject({ plan: 'pro', plan_in_force: 'pro', status: 'past_due' });
    expect(Math.abs(Date.parse(overdue.grace_period_ends_at!) - Date.now() - 14 * 86_400_000)).toBeLessThan(60_000);
    // A second failure keeps the grace period where the first started it.
    await deliver(paymentFailed(subscriptionId, customer));
    expect((await subscription(admin)).grace_period_ends_at).toBe(overdue.grace_period_ends_at);
    const audit = await subscriptionAudit(admin);
    expect(audit.filter((entry: { action: string }) => entry.action === 'subscription.status_changed')).toHaveLength(1);

    const recovered = stripeEvent(
      'customer.subscription.updated',
      subscriptionObject(admin.organization.id, subscriptionId, 'active', 'pro', customer),
    );
    await deliver(recovered);
    expect(await subscription(admin)).toMatchObject({
      status: 'active',
      grace_period_ends_at: null,
      current_period_end: new Date(1_900_000_000 * 1000).toISOString(),
    });
  });

  it("follows the subscription's plan and ends it on deletion", async () => {
    const { admin, customer, subscription: subscriptionId } = await payingOrganization('Plan Mover');
    const orgId = admin.organization.id;
    await deliver(
      stripeEvent(
        'customer.subscription.updated',
        subscriptionObject(orgId, subscriptionId, 'active', 'enterprise', customer),
      ),
    );
    expect(await subscription(admin)).toMatchObject({ plan: 'enterprise', limits: { users: null } });
    await deliver(
      stripeEvent(
        'customer.subscription.deleted',
        subscriptionObject(orgId, subscriptionId, 'canceled', 'enterprise', customer),
      ),
    );
    expect(await subscription(admin)).toMatchObject({
      plan: 'basic',
      plan_in_force: 'basic',
      status: 'canceled',
      stripe_customer: true,
    });
  });

  it('cancels the replaced Stripe subscription when a new checkout completes, and ignores its later events', async () => {
    const { admin, customer, subscription: old } = await payingOrganization('Upgrader');
    const orgId = admin.organization.id;
    await deliver(completed(orgId, 'enterprise', { customer, subscription: 'sub_upgraded' }));
    expect((await standInRequests()).some((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${old}`)).toBe(
      true,
    );
    const late = await deliver(
      stripeEvent('customer.subscription.deleted', subscriptionObject(orgId, old, 'canceled', 'pro', customer)),
    );
    expect(await late.json()).toMatchObject({ applied: false, duplicate: false });
    expect(await subscription(admin)).toMatchObject({ plan: 'enterprise', status: 'active' });
  });

  it('ends the Stripe subscription when a paying organization moves to the free plan', async () => {
    const { admin, customer, subscription: paid } = await payingOrganization('Going Free');
    const downgraded = await call(BILLING, 'POST', '/api/subscription/change', {
      token: admin.access_token,
      body: JSON.stringify({ plan: 'basic' }),
    });
    expect(downgraded.status).toBe(200);
    expect(await downgraded.json()).toMatchObject({ plan: 'basic', status: 'active' });
    expect((await standInRequests()).some((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${paid}`)).toBe(
      true,
    );
    const echo = stripeEvent(
      'customer.subscription.deleted',
      subscriptionObject(admin.organization.id, paid, 'canceled', 'pro', customer),
    );
    expect(await (await deliver(echo)).json()).toMatchObject({ applied: false });
    expect(await subscription(admin)).toMatchObject({ plan: 'basic', status: 'active' });
  });

  it('finds the organization of an invoice by its Stripe customer when the metadata is missing', async () => {
    const { admin, customer, subscription: subscriptionId } = await payingOrganization('By Customer');
    const event = paymentFailed(subscriptionId, customer);
    await deliver(event);
    expect((await subscription(admin)).status).toBe('past_due');
  });

  it('acknowledges events it does not apply', async () => {
    const other = await deliver(stripeEvent('charge.succeeded', { id: 'ch_1', object: 'charge', customer: 'cus_x' }));
    expect(await other.json()).toEqual({ received: true, applied: false, duplicate: false });
    const nobody = await deliver(
      completed(crypto.randomUUID(), 'pro', { customer: 'cus_nobody', subscription: 'sub_nobody' }),
    );
    expect(nobody.status).toBe(200);
    expect(await nobody.json()).toEqual({ received: true, applied: false, duplicate: false });
  });
});

describe('security', () => {
  it('refuses an event signed with another secret, a stale one and an unsigned one (400)', async () => {
    const admin = await registerOrganization('Forgery Target');
    const forged = completed(admin.organization.id, 'enterprise', { customer: 'cus_f', subscription: 'sub_f' });
    await expectProblem(await deliver(forged, { secret: 'whsec_not_the_secret' }), 400);
    const stale = await deliver(forged, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(400);
    expect((await stale.json<{ detail: string }>()).detail).toContain('older than 300 s');
    const unsigned = await call(BILLING, 'POST', '/api/billing/stripe/webhook', { body: JSON.stringify(forged) });
    expect(unsigned.status).toBe(400);
    expect((await subscription(admin)).plan).toBe('basic');
    const recorded = await withDatabase((db) =>
      withTenant(db, admin.organization.id, (tx) => tx.execute(sql`select count(*)::int as n from billing_events`)),
    );
    expect(recorded[0]).toEqual({ n: 0 });
  });

  it('answers 503 naming STRIPE_WEBHOOK_SECRET when the webhook is not configured', async () => {
    const response = await call({}, 'POST', '/api/billing/stripe/webhook', {
      body: '{}',
      headers: { 'stripe-signature': 't=1,v1=00' },
    });
    expect(response.status).toBe(503);
    expect((await response.json<{ detail: string }>()).detail).toContain('STRIPE_WEBHOOK_SECRET');
  });
});
