import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  apiJson,
  approvedRule,
  expectProblem,
  registerOrganization,
  type Session,
  setPlan,
  uniqueEmail,
} from './helpers';
import { waitForScan } from './rules-fixtures';

const created = async (path: string, owner: Session, body: unknown, status = 201) =>
  (await apiJson<{ id: string }>('POST', path, status, { token: owner.access_token, body })).id;

const alwaysTrueRule = {
  name: 'Every transaction',
  severity: 'low',
  condition: { field: 'amount', op: 'gte', value: 0 },
};

const approvedRuleId = async (owner: Session) => (await approvedRule(owner.access_token, alwaysTrueRule)).id;

/** A policy uploaded twice (two versions), so every policy route, impact included, has something to show. */
async function policyWithTwoVersions(owner: Session): Promise<Record<string, string>> {
  const upload = async (text: string, policyId?: string) => {
    const form = new FormData();
    form.set('name', 'Cash policy');
    form.set('file', new File([text], 'cash.md', { type: 'text/markdown' }));
    if (policyId) form.set('policy_id', policyId);
    return (await apiJson('POST', '/api/policies', 201, { token: owner.access_token, rawBody: form })).id;
  };
  const id = await upload('# Cash\n\n1. Cash deposits above 10,000 USD must be reported.\n');
  await upload('# Cash\n\n1. Cash deposits above 5,000 USD must be reported.\n', id);
  return { id, version: '1' };
}

/** A case opened by hand from a violation found by a scan. */
async function caseOf(owner: Session): Promise<Record<string, string>> {
  const ruleId = await approvedRuleId(owner);
  await apiJson('POST', '/api/transactions', 200, { token: owner.access_token, body: [transaction()] });
  await waitForScan(owner.access_token, await created('/api/scans', owner, { rule_ids: [ruleId] }, 202));
  const page = await apiJson('GET', `/api/violations?rule_id=${ruleId}`, 200, {
    token: owner.access_token,
  });
  return { id: await created('/api/cases', owner, { violation_ids: [page.items[0]!.id] }) };
}
const restConnector = {
  name: 'ERP API',
  type: 'rest',
  config: { url: 'http://127.0.0.1:9/payments', items_path: 'data', cursor_param: 'after' },
};

const transaction = () => ({
  id: `TX-${crypto.randomUUID()}`,
  occurred_at: '2026-03-01T09:30:00Z',
  amount: '10.00',
  currency: 'USD',
  account: 'ACC-1',
});

/**
 * How to make organization A's resource for each GET route with path parameters: a function of
 * A's compliance_admin session returning the path parameters. Adding such a route? Add its fixture.
 */
/** A watch list of one entry (screening). */
async function screeningList(owner: Session): Promise<Record<string, string>> {
  const form = new FormData();
  form.set('name', 'Watch list');
  form.set('file', new File(['id,name,aliases,type,country,program\nP-1,Ivan Petrov,,person,RU,\n'], 'list.csv'));
  return {
    id: (await apiJson('POST', '/api/screening/lists', 201, { token: owner.access_token, rawBody: form })).id,
  };
}

/** A completed report (its file exists), so B's 404 is not a 409 for one still being made. */
async function report(owner: Session): Promise<Record<string, string>> {
  const day = new Date().toISOString().slice(0, 10);
  const id = await created('/api/reports', owner, { type: 'cases', from: day, to: day }, 202);
  for (let i = 0; i < 100; i++) {
    const { status } = await apiJson('GET', `/api/reports/${id}`, 200, {
      token: owner.access_token,
    });
    if (status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { id };
}

const FIXTURES: Record<string, (owner: Session) => Promise<Record<string, string>>> = {
  '/api/screening/lists/{id}': screeningList,
  '/api/screening/lists/{id}/entries': screeningList,
  '/api/users/{id}': async (owner) => ({
    id: await created('/api/users', owner, {
      email: uniqueEmail('fixture'),
      full_name: 'Fixture User',
      role: 'viewer',
      password: 'fixture password',
    }),
  }),
  '/api/audit/{id}': async (owner) => {
    const page = await apiJson('GET', '/api/audit?limit=1', 200, {
      token: owner.access_token,
    });
    return { id: page.items[0]!.id };
  },
  '/api/rules/{id}': async (owner) => ({ id: await created('/api/rules', owner, alwaysTrueRule) }),
  '/api/rules/{id}/versions': async (owner) => ({ id: await created('/api/rules', owner, alwaysTrueRule) }),
  '/api/sources/{id}': async (owner) => ({ id: await created('/api/sources', owner, { name: 'ERP' }) }),
  '/api/connectors/{id}': async (owner) => ({ id: await created('/api/connectors', owner, restConnector) }),
  '/api/connectors/{id}/runs': async (owner) => ({ id: await created('/api/connectors', owner, restConnector) }),
  '/api/alert-channels/{id}': async (owner) => ({
    id: await created('/api/alert-channels', owner, {
      name: 'Ops mail',
      type: 'email',
      config: { to: ['ops@example.test'] },
    }),
  }),
  '/api/scans/{id}': async (owner) => ({
    id: await created('/api/scans', owner, { rule_ids: [await approvedRuleId(owner)] }, 202),
  }),
  '/api/scans/schedules/{id}': async (owner) => ({
    id: await created('/api/scans/schedules', owner, { frequency: 'daily' }),
  }),
  '/api/transactions/{id}': async (owner) => {
    const pushed = transaction();
    await apiJson('POST', '/api/transactions', 200, { token: owner.access_token, body: [pushed] });
    return { id: encodeURIComponent(pushed.id) };
  },
  '/api/violations/{id}': async (owner) => {
    const ruleId = await approvedRuleId(owner);
    await apiJson('POST', '/api/transactions', 200, { token: owner.access_token, body: [transaction()] });
    const scanId = await created('/api/scans', owner, { rule_ids: [ruleId] }, 202);
    await waitForScan(owner.access_token, scanId);
    const page = await apiJson('GET', `/api/violations?rule_id=${ruleId}`, 200, {
      token: owner.access_token,
    });
    return { id: page.items[0]!.id };
  },
  '/api/cases/{id}': caseOf,
  '/api/cases/{id}/events': caseOf,
  '/api/cases/{id}/violations': caseOf,
  '/api/cases/{id}/evidence-pack': caseOf,
  '/api/reports/{id}': report,
  '/api/reports/{id}/file': report,
  '/api/rules/{id}/performance': async (owner) => ({ id: await approvedRuleId(owner) }),
  '/api/rules/{id}/snoozes': async (owner) => ({ id: await approvedRuleId(owner) }),
  '/api/policies/{id}': policyWithTwoVersions,
  '/api/policies/{id}/versions/{version}': policyWithTwoVersions,
  '/api/policies/{id}/versions/{version}/file': policyWithTwoVersions,
  '/api/policies/{id}/rules': policyWithTwoVersions,
  '/api/policies/{id}/impact': policyWithTwoVersions,
};

/** Routes that read across organizations by design (platform operators). */
const CROSS_ORGANIZATION_PERMISSIONS = new Set(['platform:admin', 'public']);

const doc = await apiJson('GET', '/api/openapi.json', 200);
const resourceRoutes = Object.entries(doc.paths)
  .filter(
    ([path, methods]) =>
      path.includes('{') && methods.get && !CROSS_ORGANIZATION_PERMISSIONS.has(methods.get['x-permission'] ?? ''),
  )
  .map(([path]) => path);

const fill = (path: string, params: Record<string, string>) =>
  path.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? '');

let a: Session;
let b: Session;

beforeAll(async () => {
  a = await registerOrganization('Cross Tenant A');
  // The fixtures create more than the basic plan allows (users, policies).
  await setPlan(a.organization.id, 'enterprise');
  b = await registerOrganization('Cross Tenant B');
  // On a plan with every feature, B's 404s are about tenancy, not a 402 for a feature it lacks.
  await setPlan(b.organization.id, 'enterprise');
});

describe('security', () => {
  it('finds resource routes to check', () => {
    expect(resourceRoutes).toEqual(expect.arrayContaining(Object.keys(FIXTURES)));
  });

  it.each(resourceRoutes)("GET %s: organization B asking for A's resource gets 404", async (path) => {
    const fixture = FIXTURES[path];
    if (!fixture)
      throw new Error(
        `No cross-tenant fixture for GET ${path}: add one to FIXTURES in test/access.cross-tenant.test.ts`,
      );
    const url = fill(path, await fixture(a));
    expect((await api('GET', url, { token: a.access_token })).status).toBe(200);
    await expectProblem(await api('GET', url, { token: b.access_token }), 404);
  });
});
