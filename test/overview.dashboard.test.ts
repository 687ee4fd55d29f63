import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import {
  addUser,
  api,
  apiJson,
  approvedRule,
  registerOrganization,
  setPlan,
  signInPlatformOperator,
  withDatabase,
} from './helpers';
import { insertTransactions, waitForScan } from './rules-fixtures';

const thisMonth = new Date().toISOString().slice(0, 7);
const today = new Date().toISOString().slice(0, 10);

describe('happy', () => {
  it('summarizes violations, compliance and the last scan from live data', async () => {
    const admin = await registerOrganization('Overview Bank');
    const token = admin.access_token;
    const empty = await apiJson('GET', '/api/overview', 200, { token });
    expect(empty).toMatchObject({
      period: thisMonth,
      transactions: { this_month: 0, limit: 10000, plan: 'basic' },
      open_violations: { low: 0, medium: 0, high: 0, critical: 0 },
      compliance_rate: null,
      last_scan: null,
      top_rules: [],
    });
    expect(empty.violations_by_day).toHaveLength(30);
    expect(empty.violations_by_day.at(-1)).toEqual({ date: today, low: 0, medium: 0, high: 0, critical: 0 });

    const rule = await approvedRule(token, {
      name: 'Cash over 10,000',
      severity: 'critical',
      condition: {
        all: [
          { field: 'type', op: 'eq', value: 'cash' },
          { field: 'amount', op: 'gt', value: 10000 },
        ],
      },
    });
    const at = `${thisMonth}-01T09:00:00Z`;
    await insertTransactions(admin.organization.id, [
      { id: 'OV-1', occurred_at: at, amount: '12000.00', type: 'cash' },
      { id: 'OV-2', occurred_at: at, amount: '15000.00', type: 'cash' },
      { id: 'OV-3', occurred_at: at, amount: '50.00', type: 'cash' },
      { id: 'OV-4', occurred_at: at, amount: '90000.00', type: 'wire' },
    ]);
    const scan = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    expect((await waitForScan(token, scan.id)).status).toBe('completed');
    const [violation] = (await apiJson('GET', '/api/violations?transaction_id=OV-2', 200, { token })).items;
    await apiJson('PATCH', `/api/violations/${violation!.id}`, 200, {
      token,
      body: { status: 'false_positive', comment: 'known customer' },
    });

    const overview = await apiJson('GET', '/api/overview', 200, { token });
    expect(overview.open_violations).toEqual({ low: 0, medium: 0, high: 0, critical: 1 });
    expect(overview.compliance_rate).toBe(0.75);
    expect(overview.last_scan).toMatchObject({ id: scan.id, status: 'completed', violations_found: 2 });
    expect(overview.violations_by_day.at(-1)).toEqual({ date: today, low: 0, medium: 0, high: 0, critical: 2 });
    expect(overview.top_rules).toEqual([{ rule_id: rule.id, name: 'Cash over 10,000', violations: 2, open: 1 }]);
  });

  it("counts a back-loaded month by transaction date too, in the user's time zone", async () => {
    const admin = await registerOrganization('Back-loaded Bank');
    const token = admin.access_token;
    await approvedRule(token, {
      name: 'Any wire',
      severity: 'low',
      condition: { field: 'type', op: 'eq', value: 'wire' },
    });
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    await insertTransactions(admin.organization.id, [
      { id: 'BL-1', occurred_at: `${daysAgo(10)}T12:00:00Z`, amount: '10.00', type: 'wire' },
      { id: 'BL-2', occurred_at: `${daysAgo(10)}T12:30:00Z`, amount: '10.00', type: 'wire' },
      { id: 'BL-3', occurred_at: `${daysAgo(3)}T12:00:00Z`, amount: '10.00', type: 'wire' },
    ]);
    const scan = await apiJson('POST', '/api/scans', 202, { token, body: {} });
    expect((await waitForScan(token, scan.id)).status).toBe('completed');
    const overview = await apiJson('GET', '/api/overview', 200, { token });
    expect(overview.time_zone).toBe('UTC');
    expect(overview.transactions.counted_by).toBe('ingestion');
    const byDate = (days: { date: string; low: number }[]) =>
      Object.fromEntries(days.filter((day) => day.low > 0).map((day) => [day.date, day.low]));
    // By detection: one spike today. By transaction date: where each transaction happened.
    expect(byDate(overview.violations_by_day)).toEqual({ [today]: 3 });
    expect(byDate(overview.violations_by_transaction_day)).toEqual({ [daysAgo(10)]: 2, [daysAgo(3)]: 1 });

    // A user's time zone decides the days: 12:00 UTC is already the next day in Kiritimati (UTC+14).
    const me = await apiJson('PATCH', '/api/auth/me', 200, { token, body: { time_zone: 'Pacific/Kiritimati' } });
    expect(me.user.time_zone).toBe('Pacific/Kiritimati');
    expect((await apiJson('GET', '/api/auth/me', 200, { token })).user.time_zone).toBe('Pacific/Kiritimati');
    const zoned = await apiJson('GET', '/api/overview', 200, { token });
    expect(zoned.time_zone).toBe('Pacific/Kiritimati');
    expect(byDate(zoned.violations_by_transaction_day)).toEqual({ [daysAgo(9)]: 2, [daysAgo(2)]: 1 });
    // The dashboard may ask for a zone explicitly (the browser's, when the user has none).
    const asked = await apiJson('GET', '/api/overview?time_zone=UTC', 200, { token });
    expect(byDate(asked.violations_by_transaction_day)).toEqual({ [daysAgo(10)]: 2, [daysAgo(3)]: 1 });

    const bad = await api('PATCH', '/api/auth/me', { token, body: { time_zone: 'Mars/Olympus' } });
    expect(bad.status).toBe(400);
    expect((await api('GET', '/api/overview?time_zone=Nowhere', { token })).status).toBe(400);
    const cleared = await apiJson('PATCH', '/api/auth/me', 200, { token, body: { time_zone: null } });
    expect(cleared.user.time_zone).toBeNull();
  });

  it("shows the organization's plan and usage to its admins", async () => {
    const admin = await registerOrganization('Subscriber');
    const subscription = await apiJson('GET', '/api/subscription', 200, { token: admin.access_token });
    expect(subscription).toMatchObject({
      plan: 'basic',
      period: thisMonth,
      usage: { users: 1, policies: 0, transactions_per_month: 0 },
      limits: { users: 3, policies: 1, transactions_per_month: 10000 },
    });
  });

  it('holds an organization without a subscription to the basic plan, status none', async () => {
    const admin = await registerOrganization('Lapsed');
    await setPlan(admin.organization.id, 'enterprise');
    await withDatabase((db) =>
      withTenant(db, admin.organization.id, (tx) => tx.execute(sql`delete from subscriptions`)),
    );
    const subscription = await apiJson('GET', '/api/subscription', 200, { token: admin.access_token });
    expect(subscription).toMatchObject({
      plan: 'basic',
      plan_in_force: 'basic',
      status: 'none',
      limits: { users: 3, transactions_per_month: 10000 },
    });
  });

  it('lets a platform operator move an organization to another plan, audited in its trail', async () => {
    const admin = await registerOrganization('Upgrader');
    const operator = await signInPlatformOperator();
    const moved = await apiJson('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, 200, {
      token: operator.access_token,
      body: { plan: 'enterprise' },
    });
    expect(moved.plan).toBe('enterprise');
    expect(moved.limits.transactions_per_month).toBeNull();
    const trail = await apiJson('GET', '/api/audit?action=subscription.plan_changed', 200, {
      token: admin.access_token,
    });
    expect(trail.items).toHaveLength(1);
    expect(trail.items[0]!.details).toEqual({ from: 'basic', to: 'enterprise', via: 'operator' });
  });
});

describe('security', () => {
  it('keeps the subscription to admins and plan changes to platform operators', async () => {
    const admin = await registerOrganization('Guarded Plan');
    const viewer = await addUser(admin, 'viewer');
    expect((await api('GET', '/api/overview', { token: viewer.access_token })).status).toBe(200);
    expect((await api('GET', '/api/subscription', { token: viewer.access_token })).status).toBe(403);
    const selfUpgrade = await api('PATCH', `/api/admin/organizations/${admin.organization.id}/subscription`, {
      token: admin.access_token,
      body: { plan: 'enterprise' },
    });
    expect(selfUpgrade.status).toBe(403);
  });
});
