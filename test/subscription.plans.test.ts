import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rules, users } from '../db/schema';
import { withTenant } from '../db/tenant';
import type { Env } from '../worker/env';
import worker from '../worker/index';
import { handleError } from '../worker/platform/errors';
import { createRouter, defineRoute } from '../worker/platform/openapi';
import { requestContext, requestDatabase } from '../worker/platform/request';
import { jsonResponse, problemResponses } from '../worker/platform/responses';
import { PLANS } from '../worker/subscription/catalogue';
import { planFeature } from '../worker/subscription/features';
import {
  addMember,
  addUser,
  api,
  apiJson,
  expectProblem,
  registerOrganization,
  type Session,
  signInPlatformOperator,
  uniqueEmail,
  withDatabase,
} from './helpers';

const period = () => new Date().toISOString().slice(0, 7);
const DAY_MS = 86_400_000;

/** The Worker with some settings changed (a trial), through its real fetch handler. */
async function apiWith(overrides: Partial<Env>, method: string, path: string, body?: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://nitilens.test${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

async function subscription(session: Session) {
  return apiJson('GET', '/api/subscription', 200, { token: session.access_token });
}

async function changePlan(session: Session, plan: string) {
  return api('POST', '/api/subscription/change', { token: session.access_token, body: { plan } });
}

async function inTenant<T>(orgId: string, work: (tx: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<T>) {
  return withDatabase((db) => withTenant(db, orgId, work));
}

async function notices(orgId: string) {
  return inTenant(orgId, (tx) =>
    tx.execute<{ limit_name: string; used: string; allowed: string; period: string }>(
      sql`select limit_name, used, allowed, period from usage_notices order by limit_name`,
    ),
  );
}

async function newUser(session: Session) {
  return api('POST', '/api/users', {
    token: session.access_token,
    body: { email: uniqueEmail('member'), full_name: 'A member', role: 'viewer', password: 'member password 123' },
  });
}

/** A route of the `screening` feature and one of `connectors`, gated as every feature route is. */
function featureProbe() {
  const probe = createRouter();
  for (const feature of ['screening', 'connectors'] as const) {
    probe.openapi(
      defineRoute(
        { permission: 'data:read', gate: planFeature(feature) },
        {
          method: 'get',
          path: `/${feature}`,
          responses: {
            200: jsonResponse(z.object({ feature: z.string() }), 'The feature answered'),
            ...problemResponses,
          },
        },
      ),
      (c) => c.json({ feature }, 200),
    );
  }
  const app = createRouter();
  app.use('*', requestContext());
  app.use('*', requestDatabase());
  app.route('/probe', probe);
  app.onError(handleError);
  return async (session: Session, feature: string) => {
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`http://nitilens.test/probe/${feature}`, {
        headers: { authorization: `Bearer ${session.access_token}` },
      }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };
}

describe('happy', () => {
  it('publishes the plan catalogue without signing in', async () => {
    const plans = await apiJson('GET', '/api/plans', 200);
    expect(plans.map((plan: { id: string }) => plan.id)).toEqual(['basic', 'pro', 'enterprise']);
    expect(plans[0]).toEqual({
      id: 'basic',
      name: 'Basic',
      price_monthly: 0,
      limits: { users: 3, policies: 1, rules: 25, transactions_per_month: 10_000 },
      features: ['alerts', 'cases'],
    });
    expect(plans[2]!.limits).toEqual({ users: null, policies: null, rules: null, transactions_per_month: null });
    expect(plans[2]!.features).toEqual(['alerts', 'cases', 'screening', 'risk', 'reports', 'connectors']);
  });

  it("shows a new organization's plan, status, usage, limits and features", async () => {
    const admin = await registerOrganization('Subscriber');
    const now = new Date();
    expect(await subscription(admin)).toEqual({
      plan: 'basic',
      plan_in_force: 'basic',
      status: 'active',
      current_period_end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      grace_period_ends_at: null,
      period: period(),
      usage: { users: 1, policies: 0, rules: 0, transactions_per_month: 0 },
      limits: { users: 3, policies: 1, rules: 25, transactions_per_month: 10_000 },
      features: ['alerts', 'cases'],
      checkout_available: false,
      stripe_customer: false,
      history: [],
    });
  });

  it('refuses the fourth user of the basic plan with a clear 402, and lifts the limit on upgrade', async () => {
    const admin = await registerOrganization('Growing Team');
    await addUser(admin, 'viewer');
    await addUser(admin, 'reviewer');
    const refused = await newUser(admin);
    const problem = await expectProblem(refused, 402);
    expect(problem).toMatchObject({ status: 402, limit: 3, used: 3, plan: 'basic', limit_name: 'users' });
    expect(problem.detail).toBe(
      'The Basic plan allows 3 active users and 3 are in use; deactivate a user or upgrade the plan on the Subscription page.',
    );

    const upgraded = await changePlan(admin, 'pro');
    expect(upgraded.status).toBe(200);
    expect(await upgraded.json()).toMatchObject({ plan: 'pro', plan_in_force: 'pro', limits: { users: 20 } });
    expect((await newUser(admin)).status).toBe(201);
    const trail = await apiJson('GET', '/api/audit?action=subscription.plan_changed', 200, {
      token: admin.access_token,
    });
    expect(trail.items).toHaveLength(1);
    expect(trail.items[0]).toMatchObject({
      actor_id: admin.user.id,
      details: { from: 'basic', to: 'pro', via: 'api' },
    });
  });

  it('downgrades at once when the usage fits the smaller plan', async () => {
    const admin = await registerOrganization('Shrinking');
    expect((await changePlan(admin, 'enterprise')).status).toBe(200);
    const downgraded = await changePlan(admin, 'basic');
    expect(downgraded.status).toBe(200);
    expect(await downgraded.json()).toMatchObject({ plan: 'basic', limits: { users: 3 } });
  });

  it('raises usage.limit_near once a month when a limit reaches 80%', async () => {
    const admin = await registerOrganization('Near Seats');
    await addUser(admin, 'viewer');
    expect(await notices(admin.organization.id)).toHaveLength(0);
    // The third of three seats is past 80% (2.4).
    const third = await addUser(admin, 'viewer');
    const raised = await notices(admin.organization.id);
    expect(raised).toEqual([{ limit_name: 'users', used: '3', allowed: '3', period: period() }]);
    await apiJson('PATCH', `/api/users/${third.user.id}`, 200, {
      token: admin.access_token,
      body: { is_active: false },
    });
    await apiJson('PATCH', `/api/users/${third.user.id}`, 200, {
      token: admin.access_token,
      body: { is_active: true },
    });
    expect(await notices(admin.organization.id)).toHaveLength(1);
  });

  it('raises usage.limit_near for transactions when a push crosses 80% of the month', async () => {
    const admin = await registerOrganization('Near Transactions');
    const orgId = admin.organization.id;
    await inTenant(orgId, (tx) =>
      tx.execute(sql`insert into usage (org_id, period, transactions) values (${orgId}, ${period()}, 7998)`),
    );
    const rows = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}-${i}`,
        occurred_at: '2026-03-01T09:30:00Z',
        amount: '1',
        currency: 'USD',
        account: 'A',
      }));
    await apiJson('POST', '/api/transactions', 200, { token: admin.access_token, body: rows('BELOW', 1) });
    expect(await notices(orgId)).toHaveLength(0);
    await apiJson('POST', '/api/transactions', 200, { token: admin.access_token, body: rows('CROSS', 2) });
    expect(await notices(orgId)).toEqual([
      { limit_name: 'transactions_per_month', used: '8001', allowed: '10000', period: period() },
    ]);
    await apiJson('POST', '/api/transactions', 200, { token: admin.access_token, body: rows('AFTER', 5) });
    expect(await notices(orgId)).toHaveLength(1);
  });

  it('lets every member read the billing status', async () => {
    const admin = await registerOrganization('Status Readers');
    const viewer = await addMember(admin, 'viewer');
    expect(await apiJson('GET', '/api/subscription/status', 200, { token: viewer.token })).toEqual({
      plan: 'basic',
      plan_in_force: 'basic',
      status: 'active',
      grace_period_ends_at: null,
    });
  });

  it('starts new organizations on a trial of DEFAULT_PLAN when TRIAL_DAYS is set, then holds them to basic', async () => {
    const response = await apiWith({ DEFAULT_PLAN: 'pro', TRIAL_DAYS: '14' }, 'POST', '/api/auth/register', {
      org_name: 'Trial Org',
      email: uniqueEmail('trial'),
      password: 'correct horse battery staple',
      full_name: 'Tess Trial',
    });
    expect(response.status).toBe(201);
    const admin = await response.json<Session>();
    const trial = await subscription(admin);
    expect(trial).toMatchObject({ plan: 'pro', plan_in_force: 'pro', status: 'trialing' });
    const ends = Date.parse(trial.current_period_end) - Date.now();
    expect(Math.abs(ends - 14 * DAY_MS)).toBeLessThan(60_000);
    await inTenant(admin.organization.id, (tx) =>
      tx.execute(sql`update subscriptions set current_period_end = now() - interval '1 minute'`),
    );
    expect(await subscription(admin)).toMatchObject({
      plan: 'pro',
      plan_in_force: 'basic',
      status: 'trialing',
      limits: { users: 3 },
    });
  });
});

describe('features', () => {
  const probe = featureProbe();

  it("answers 402 with the feature and the plan for a feature outside the organization's plan", async () => {
    const admin = await registerOrganization('Feature Gate');
    const refused = await probe(admin, 'screening');
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      type: 'https://nitilens.dev/problems/feature-unavailable',
      title: 'Not included in your plan',
      status: 402,
      detail:
        'Sanctions and watch-list screening is not part of the Basic plan; it comes with Pro and Enterprise. Upgrade on the Subscription page.',
      feature: 'screening',
      plan: 'basic',
      available_on: ['pro', 'enterprise'],
    });
    await changePlan(admin, 'pro');
    expect((await probe(admin, 'screening')).status).toBe(200);
    expect(await (await probe(admin, 'connectors')).json()).toMatchObject({ feature: 'connectors', plan: 'pro' });
    await changePlan(admin, 'enterprise');
    expect((await probe(admin, 'connectors')).status).toBe(200);
  });

  it('publishes the feature and its 402 in the OpenAPI document', () => {
    const route = defineRoute(
      { permission: 'data:read', gate: planFeature('reports') },
      { method: 'get', path: '/', responses: { 200: jsonResponse(z.object({}), 'ok') } },
    ) as unknown as Record<string, unknown> & { responses: Record<number, { description: string }>; middleware: [] };
    expect(route['x-feature']).toBe('reports');
    expect(route['x-permission']).toBe('data:read');
    expect(route.responses[402]?.description).toBe('The reports feature is not part of the plan in force');
    expect(route.middleware).toHaveLength(2);
  });

  it('authenticates before it reads the plan', async () => {
    const admin = await registerOrganization('Gate Order');
    const anonymous = await probe({ ...admin, access_token: 'not-a-token' }, 'screening');
    expect(anonymous.status).toBe(401);
  });

  it('keeps features and limits through the grace period of a failed payment, then holds the organization to basic', async () => {
    const admin = await registerOrganization('Overdue');
    const operator = await signInPlatformOperator();
    const orgId = admin.organization.id;
    await apiJson('PATCH', `/api/admin/organizations/${orgId}/subscription`, 200, {
      token: operator.access_token,
      body: { plan: 'pro', status: 'past_due' },
    });
    const overdue = await subscription(admin);
    expect(overdue).toMatchObject({
      plan: 'pro',
      plan_in_force: 'pro',
      status: 'past_due',
      features: ['alerts', 'cases', 'screening', 'risk', 'reports'],
    });
    expect(Math.abs(Date.parse(overdue.grace_period_ends_at!) - Date.now() - 14 * DAY_MS)).toBeLessThan(60_000);
    expect((await probe(admin, 'screening')).status).toBe(200);

    await inTenant(orgId, (tx) =>
      tx.execute(sql`update subscriptions set past_due_since = now() - interval '15 days'`),
    );
    expect(await subscription(admin)).toMatchObject({ plan: 'pro', plan_in_force: 'basic', limits: { users: 3 } });
    const lapsed = await probe(admin, 'screening');
    expect(lapsed.status).toBe(402);
    expect((await lapsed.json<{ detail: string }>()).detail).toContain('your pro subscription is past_due');
  });
});

describe('limits', () => {
  it('refuses a downgrade the usage exceeds, naming each exceeded limit', async () => {
    const admin = await registerOrganization('Too Big To Shrink');
    const orgId = admin.organization.id;
    // Before the hub's first count this month, which starts from Postgres.
    await inTenant(orgId, (tx) =>
      tx.execute(sql`insert into usage (org_id, period, transactions) values (${orgId}, ${period()}, 12000)`),
    );
    await changePlan(admin, 'pro');
    for (let i = 0; i < 3; i++) await addMember(admin, 'viewer');
    const refused = await changePlan(admin, 'basic');
    expect(refused.status).toBe(409);
    const problem = await refused.json<Record<string, unknown>>();
    expect(problem).toMatchObject({
      plan: 'basic',
      exceeded: [
        { limit: 'users', used: 4, allowed: 3 },
        { limit: 'transactions_per_month', used: 12_000, allowed: 10_000 },
      ],
    });
    expect(problem.detail).toBe(
      'The Basic plan allows at most 3 active users (you have 4), 10,000 transactions this month (you have 12,000). Reduce your usage below these limits, then change the plan.',
    );
    expect(await subscription(admin)).toMatchObject({ plan: 'pro' });
  });

  it('counts rules in force against the plan: the first approval past the limit is a 402', async () => {
    const admin = await registerOrganization('Rule Heavy');
    const orgId = admin.organization.id;
    const basicRules = PLANS[0]!.limits.rules!;
    await inTenant(orgId, (tx) =>
      tx.insert(rules).values(
        Array.from({ length: basicRules }, () => ({
          orgId,
          createdBy: admin.user.id,
          activeVersion: 1,
          latestVersion: 1,
        })),
      ),
    );
    const draft = await apiJson('POST', '/api/rules', 201, {
      token: admin.access_token,
      body: { name: 'Cash over 10,000', severity: 'high', condition: { field: 'amount', op: 'gt', value: 10000 } },
    });
    const refused = await api('POST', `/api/rules/${draft.id}/approve`, { token: admin.access_token, body: {} });
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      limit: basicRules,
      used: basicRules,
      plan: 'basic',
      limit_name: 'rules',
    });
    await changePlan(admin, 'pro');
    expect((await api('POST', `/api/rules/${draft.id}/approve`, { token: admin.access_token, body: {} })).status).toBe(
      200,
    );
    expect((await subscription(admin)).usage.rules).toBe(basicRules + 1);
  });

  it('counts deactivated users out of the seats', async () => {
    const admin = await registerOrganization('Seat Swap');
    await inTenant(admin.organization.id, (tx) =>
      tx.insert(users).values(
        Array.from({ length: 2 }, (_, i) => ({
          orgId: admin.organization.id,
          email: uniqueEmail(`inactive-${i}`),
          fullName: 'Former member',
          role: 'viewer',
          passwordHash: 'unused-in-tests',
          isActive: false,
        })),
      ),
    );
    expect((await subscription(admin)).usage.users).toBe(1);
    expect((await newUser(admin)).status).toBe(201);
  });
});

describe('operators', () => {
  it("lets a platform operator override an organization's plan and status, audited in its trail", async () => {
    const admin = await registerOrganization('Overridden');
    const operator = await signInPlatformOperator();
    const moved = await apiJson('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, 200, {
      token: operator.access_token,
      body: { plan: 'enterprise' },
    });
    expect(moved).toMatchObject({ plan: 'enterprise', status: 'active', limits: { users: null } });
    await apiJson('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, 200, {
      token: operator.access_token,
      body: { status: 'canceled' },
    });
    expect(await subscription(admin)).toMatchObject({ plan: 'enterprise', plan_in_force: 'basic', status: 'canceled' });
    const trail = await apiJson('GET', '/api/audit?target_type=organization', 200, { token: admin.access_token });
    const changes = trail.items
      .filter((item) => item.action.startsWith('subscription.'))
      .map((item) => [item.action, item.actor_id, item.details]);
    expect(changes).toEqual(
      expect.arrayContaining([
        ['subscription.plan_changed', operator.user.id, { from: 'basic', to: 'enterprise', via: 'operator' }],
        ['subscription.status_changed', operator.user.id, { from: 'active', to: 'canceled', via: 'operator' }],
      ]),
    );
  });
});

describe('errors', () => {
  it('refuses unknown plans, empty overrides and unknown organizations', async () => {
    const admin = await registerOrganization('Typos');
    const unknown = await changePlan(admin, 'gold');
    expect(unknown.status).toBe(400);
    expect((await unknown.json<{ errors: { path: string }[] }>()).errors[0]!.path).toBe('plan');
    const operator = await signInPlatformOperator();
    const empty = await api('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, {
      token: operator.access_token,
      body: {},
    });
    expect(empty.status).toBe(400);
    const missing = await api('PATCH', `/api/admin/organizations/${crypto.randomUUID()}/subscription`, {
      token: operator.access_token,
      body: { plan: 'pro' },
    });
    expect(missing.status).toBe(404);
  });
});

describe('security', () => {
  it('keeps plan changes to admins and overrides to platform operators', async () => {
    const admin = await registerOrganization('Guarded Plan');
    const analyst = await addMember(admin, 'compliance_analyst');
    expect(
      (await api('POST', '/api/subscription/change', { token: analyst.token, body: { plan: 'enterprise' } })).status,
    ).toBe(403);
    expect((await api('GET', '/api/subscription', { token: analyst.token })).status).toBe(403);
    const selfOverride = await api('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, {
      token: admin.access_token,
      body: { plan: 'enterprise' },
    });
    expect(selfOverride.status).toBe(403);
    expect((await subscription(admin)).plan).toBe('basic');
  });
});
