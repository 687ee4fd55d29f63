import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, apiJson, expectProblem, type Problem, registerOrganization, type Session } from './helpers';
import { countRows } from './rules-fixtures';

const largeCash = {
  name: 'Large cash deposit',
  description: 'Cash above the reporting threshold',
  severity: 'high',
  clause_ref: '4.2',
  condition: {
    all: [
      { field: 'type', op: 'eq', value: 'cash' },
      { field: 'amount', op: 'gt', value: 10000 },
    ],
  },
};

let admin: Session;

beforeAll(async () => {
  admin = await registerOrganization('Rules Lifecycle Org');
});

describe('happy', () => {
  it('creates a rule as version 1 draft and shows it', async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    expect(rule).toMatchObject({
      id: expect.any(String),
      version: 1,
      status: 'draft',
      active_version: null,
      name: largeCash.name,
      description: largeCash.description,
      severity: 'high',
      condition: largeCash.condition,
      policy_id: null,
      clause_ref: '4.2',
      created_by: admin.user.id,
      created_at: expect.any(String),
    });
    const detail = await apiJson('GET', `/api/rules/${rule.id}`, 200, { token: admin.access_token });
    expect(detail.versions).toEqual([
      expect.objectContaining({ version: 1, status: 'draft', created_by: admin.user.id, decided_by: null }),
    ]);
    expect(
      await countRows(admin.organization.id, 'audit_log', sql`action = 'rule.created' and target_id = ${rule.id}`),
    ).toBe(1);
  });

  it('editing an approved rule makes a new draft while the approved version stays active', async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    const approved = await apiJson('POST', `/api/rules/${rule.id}/approve`, 200, {
      token: admin.access_token,
      body: { comment: 'ok' },
    });
    expect(approved).toMatchObject({ version: 1, status: 'approved', active_version: 1 });

    const edited = await apiJson('PUT', `/api/rules/${rule.id}`, 200, {
      token: admin.access_token,
      body: { ...largeCash, name: 'Large cash deposit (15k)', condition: { field: 'amount', op: 'gt', value: 15000 } },
    });
    expect(edited).toMatchObject({ version: 2, status: 'draft', active_version: 1, name: 'Large cash deposit (15k)' });

    const versions = await apiJson('GET', `/api/rules/${rule.id}/versions`, 200, { token: admin.access_token });
    expect(versions.items.map((v) => [v.version, v.status])).toEqual([
      [2, 'draft'],
      [1, 'approved'],
    ]);
    expect(versions.items[1]).toMatchObject({
      condition: largeCash.condition,
      decided_by: admin.user.id,
      decision_comment: 'ok',
    });

    const second = await apiJson('POST', `/api/rules/${rule.id}/approve`, 200, { token: admin.access_token, body: {} });
    expect(second).toMatchObject({ version: 2, status: 'approved', active_version: 2 });
    const after = await apiJson('GET', `/api/rules/${rule.id}`, 200, { token: admin.access_token });
    expect(after.versions.map((v) => [v.version, v.status])).toEqual([
      [2, 'approved'],
      [1, 'superseded'],
    ]);
    const actions = await countRows(
      admin.organization.id,
      'audit_log',
      sql`target_id = ${rule.id} and action in ('rule.version_created', 'rule.approved')`,
    );
    expect(actions).toBe(3);
  });

  it('a newer draft supersedes an older one still awaiting review', async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    await apiJson('PUT', `/api/rules/${rule.id}`, 200, {
      token: admin.access_token,
      body: { ...largeCash, severity: 'critical' },
    });
    const versions = await apiJson('GET', `/api/rules/${rule.id}/versions`, 200, { token: admin.access_token });
    expect(versions.items.map((v) => [v.version, v.status])).toEqual([
      [2, 'draft'],
      [1, 'superseded'],
    ]);
  });

  it('rejects a draft with a comment, and the rule stays without an active version', async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    const rejected = await apiJson('POST', `/api/rules/${rule.id}/reject`, 200, {
      token: admin.access_token,
      body: { version: 1, comment: 'too broad' },
    });
    expect(rejected).toMatchObject({ version: 1, status: 'rejected', active_version: null });
    expect(
      await countRows(admin.organization.id, 'audit_log', sql`action = 'rule.rejected' and target_id = ${rule.id}`),
    ).toBe(1);
  });

  it('lists rules with cursor pagination and filters by status', async () => {
    const org = await registerOrganization('Rules Listing Org');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await apiJson('POST', '/api/rules', 201, {
            token: org.access_token,
            body: { ...largeCash, name: `Rule ${i}` },
          })
        ).id,
      );
    await apiJson('POST', `/api/rules/${ids[0]}/approve`, 200, { token: org.access_token });

    const first = await apiJson('GET', '/api/rules?limit=2', 200, { token: org.access_token });
    expect(first.items.map((r) => r.name)).toEqual(['Rule 4', 'Rule 3']);
    const second = await apiJson('GET', `/api/rules?limit=2&cursor=${first.next_cursor}`, 200, {
      token: org.access_token,
    });
    const third = await apiJson('GET', `/api/rules?limit=2&cursor=${second.next_cursor}`, 200, {
      token: org.access_token,
    });
    expect([...second.items, ...third.items].map((r) => r.name)).toEqual(['Rule 2', 'Rule 1', 'Rule 0']);
    expect(third.next_cursor).toBeNull();

    const approved = await apiJson('GET', '/api/rules?status=approved', 200, { token: org.access_token });
    expect(approved.items.map((r) => r.id)).toEqual([ids[0]]);
  });

  it('four-eyes: the author cannot approve, another reviewer can', async () => {
    const org = await registerOrganization('Four Eyes Org');
    expect(await apiJson('GET', '/api/rules/settings', 200, { token: org.access_token })).toEqual({ four_eyes: false });
    expect(
      await apiJson('PATCH', '/api/rules/settings', 200, { token: org.access_token, body: { four_eyes: true } }),
    ).toEqual({ four_eyes: true });

    const rule = await apiJson('POST', '/api/rules', 201, { token: org.access_token, body: largeCash });
    const refused = await api('POST', `/api/rules/${rule.id}/approve`, { token: org.access_token, body: {} });
    const problem = await expectProblem(refused, 403);
    expect(problem.detail).toMatch(/four-eyes/i);

    const reviewer = await addMember(org, 'reviewer');
    const approved = await apiJson('POST', `/api/rules/${rule.id}/approve`, 200, { token: reviewer.token, body: {} });
    expect(approved).toMatchObject({ status: 'approved', active_version: 1 });
    const detail = await apiJson('GET', `/api/rules/${rule.id}`, 200, { token: org.access_token });
    expect(detail.versions[0]!.decided_by).toBe(reviewer.userId);
  });

  it('the OpenAPI document publishes the rule, scan and violation routes with their permissions', async () => {
    const document = await apiJson('GET', '/api/openapi.json', 200);
    expect(document.paths['/api/rules/{id}/approve']!.post!['x-permission']).toBe('rules:approve');
    expect(document.paths['/api/rules/settings']!.patch!['x-permission']).toBe('users:manage');
    expect(document.paths['/api/scans']!.post!['x-permission']).toBe('scans:run');
    expect(document.paths['/api/violations/{id}']!.patch!['x-permission']).toBe('violations:update');
  });
});

describe('errors', () => {
  it('an invalid rule is a 400 naming each offending node', async () => {
    const response = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: {
        name: '',
        severity: 'urgent',
        condition: {
          all: [
            { field: 'amount', op: 'gt', value: '10000' },
            { field: 'colour', op: 'eq', value: 'red' },
            { aggregate: { fn: 'count', group_by: ['account'], window: '400d' }, op: 'gte', value: 3 },
            { field: 'counterparty', op: 'matches', value: '(a+)+$' },
          ],
        },
      },
    });
    const problem = await expectProblem(response, 400);
    const paths = problem.errors!.map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'severity',
        'condition.all.0.value',
        'condition.all.1.field',
        'condition.all.2.aggregate.window',
        'condition.all.3.value',
      ]),
    );
  });

  it('a condition nested deeper than 16 levels or with more than 8 aggregates is refused', async () => {
    let deep: unknown = { field: 'amount', op: 'gt', value: 1 };
    for (let i = 0; i < 16; i++) deep = { not: deep };
    const tooDeep = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: { ...largeCash, condition: deep },
    });
    expect(tooDeep.status).toBe(400);

    const aggregate = { aggregate: { fn: 'count', group_by: ['account'], window: '1d' }, op: 'gte', value: 1 };
    const tooMany = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: { ...largeCash, condition: { all: Array(9).fill(aggregate) } },
    });
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as Problem).errors!.map((e) => e.path)).toContain('condition.all.8');
  });

  it('an unknown policy is a 400 on policy_id', async () => {
    const response = await api('POST', '/api/rules', {
      token: admin.access_token,
      body: { ...largeCash, policy_id: crypto.randomUUID() },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as Problem).errors).toEqual([expect.objectContaining({ path: 'policy_id' })]);
  });

  it('approving a version that is not a draft is a 409', async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    await apiJson('POST', `/api/rules/${rule.id}/approve`, 200, { token: admin.access_token });
    const again = await api('POST', `/api/rules/${rule.id}/approve`, {
      token: admin.access_token,
      body: { version: 1 },
    });
    expect(again.status).toBe(409);
    const missing = await api('POST', `/api/rules/${rule.id}/reject`, {
      token: admin.access_token,
      body: { version: 7 },
    });
    expect(missing.status).toBe(404);
  });

  it('a malformed rule id is a 400, an unknown one a 404', async () => {
    expect((await api('GET', '/api/rules/not-a-uuid', { token: admin.access_token })).status).toBe(400);
    expect((await api('GET', `/api/rules/${crypto.randomUUID()}`, { token: admin.access_token })).status).toBe(404);
  });
});

describe('security', () => {
  it('roles: a viewer reads but cannot write, an analyst writes but cannot approve', async () => {
    const viewer = await addMember(admin, 'viewer');
    const analyst = await addMember(admin, 'compliance_analyst');
    expect((await api('POST', '/api/rules', { token: viewer.token, body: largeCash })).status).toBe(403);
    const rule = await apiJson('POST', '/api/rules', 201, { token: analyst.token, body: largeCash });
    expect((await api('GET', `/api/rules/${rule.id}`, { token: viewer.token })).status).toBe(200);
    expect((await api('POST', `/api/rules/${rule.id}/approve`, { token: analyst.token })).status).toBe(403);
    expect(
      (await api('PATCH', '/api/rules/settings', { token: analyst.token, body: { four_eyes: true } })).status,
    ).toBe(403);
    expect((await api('GET', '/api/rules')).status).toBe(401);
  });

  it("another organization's rule is a 404 everywhere", async () => {
    const rule = await apiJson('POST', '/api/rules', 201, { token: admin.access_token, body: largeCash });
    const other = await registerOrganization('Rules Intruder Org');
    const token = other.access_token;
    for (const [method, path, body] of [
      ['GET', `/api/rules/${rule.id}`, undefined],
      ['GET', `/api/rules/${rule.id}/versions`, undefined],
      ['PUT', `/api/rules/${rule.id}`, largeCash],
      ['POST', `/api/rules/${rule.id}/approve`, {}],
      ['POST', `/api/rules/${rule.id}/reject`, {}],
      ['POST', `/api/rules/${rule.id}/test`, {}],
    ] as const) {
      expect((await api(method, path, { token, body })).status, `${method} ${path}`).toBe(404);
    }
    const listed = await apiJson('GET', '/api/rules', 200, { token });
    expect(listed.items).toEqual([]);
  });
});
