import type { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { usage } from '../db/schema';
import { withTenant } from '../db/tenant';
import { usagePeriod } from '../durable-objects/usage-counter';
import type { organizationSummaryView } from '../worker/admin/schemas';
import type { Page } from '../worker/platform/pagination';
import {
  addUser,
  api,
  apiJson,
  registerOrganization,
  type Session,
  signInPlatformOperator,
  uniqueEmail,
  withDatabase,
} from './helpers';

type Summary = z.infer<typeof organizationSummaryView>;

/** Every organization, following the cursor to the end. */
async function allOrganizations(operator: Session, limit: number): Promise<Summary[]> {
  const all: Summary[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<Summary> = await apiJson(
      'GET',
      `/api/admin/organizations?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      200,
      { token: operator.access_token },
    );
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

async function recordUsage(orgId: string, transactions: number) {
  await withDatabase((db) =>
    withTenant(db, orgId, (tx) => tx.insert(usage).values({ orgId, period: usagePeriod(new Date()), transactions })),
  );
}

describe('happy', () => {
  it("a platform operator lists every organization with its plan, active users and this month's transactions", async () => {
    const operator = await signInPlatformOperator();
    const tenant = await registerOrganization(`Admin Listed ${crypto.randomUUID()}`);
    await addUser(tenant, 'viewer');
    await recordUsage(tenant.organization.id, 42);
    const organizations = await allOrganizations(operator, 200);
    expect(organizations.find((org) => org.id === tenant.organization.id)).toEqual({
      id: tenant.organization.id,
      name: tenant.organization.name,
      created_at: expect.any(String),
      plan: 'basic',
      subscription_status: 'active',
      active_users: 2,
      transactions_this_month: 42,
    });
    expect(organizations.find((org) => org.name === 'NitiLens Platform')).toMatchObject({ plan: 'enterprise' });
  });

  it('pages through organizations by name without gaps or repeats', async () => {
    const operator = await signInPlatformOperator();
    for (let i = 0; i < 3; i++) await registerOrganization(`Admin Paged ${i}`);
    const small = await allOrganizations(operator, 2);
    const large = await allOrganizations(operator, 200);
    // The order is the database collation's; small pages must walk exactly the same sequence.
    expect(small.map((org) => org.id)).toEqual(large.map((org) => org.id));
    expect(new Set(small.map((org) => org.id)).size).toBe(small.length);
  });

  it("shows one organization's usage against its plan's limits", async () => {
    const operator = await signInPlatformOperator();
    const tenant = await registerOrganization('Admin Usage');
    await recordUsage(tenant.organization.id, 1234);
    const report = await apiJson('GET', `/api/admin/organizations/${tenant.organization.id}/usage`, 200, {
      token: operator.access_token,
    });
    expect(report).toEqual({
      organization: { id: tenant.organization.id, name: 'Admin Usage', created_at: expect.any(String) },
      plan: { id: 'basic', name: 'Basic', status: 'active' },
      period: usagePeriod(new Date()),
      users: { used: 1, limit: 3 },
      policies: { used: 0, limit: 1 },
      transactions: { used: 1234, limit: 10000 },
      history: [{ period: usagePeriod(new Date()), transactions: 1234 }],
    });
  });
});

describe('errors', () => {
  it('an unknown organization is 404, a malformed id 400', async () => {
    const operator = await signInPlatformOperator();
    expect(
      (await api('GET', `/api/admin/organizations/${crypto.randomUUID()}/usage`, { token: operator.access_token }))
        .status,
    ).toBe(404);
    expect((await api('GET', '/api/admin/organizations/nope/usage', { token: operator.access_token })).status).toBe(
      400,
    );
  });
});

describe('security', () => {
  it('tenant roles, compliance_admin included, get 403 on /api/admin', async () => {
    const tenant = await registerOrganization('Admin Forbidden');
    expect((await api('GET', '/api/admin/organizations', { token: tenant.access_token })).status).toBe(403);
    expect(
      (await api('GET', `/api/admin/organizations/${tenant.organization.id}/usage`, { token: tenant.access_token }))
        .status,
    ).toBe(403);
  });

  it('registration never makes a super_admin, whatever the body says', async () => {
    const response = await apiJson('POST', '/api/auth/register', 201, {
      body: {
        org_name: 'Admin Sneaky',
        email: uniqueEmail(),
        password: 'long enough password',
        full_name: 'S',
        role: 'super_admin',
      },
    });
    expect(response.user.role).toBe('compliance_admin');
    expect((await api('GET', '/api/admin/organizations', { token: response.access_token })).status).toBe(403);
  });
});
