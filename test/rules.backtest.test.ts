import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, apiJson, registerOrganization, type Session } from './helpers';
import { countRows, insertTransactions } from './rules-fixtures';

const velocity = {
  all: [
    { field: 'type', op: 'eq', value: 'wire' },
    { aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '24h' }, op: 'gt', value: 20000 },
  ],
};

let org: Session;
let ruleId: string;

beforeAll(async () => {
  org = await registerOrganization('Backtest Org');
  await insertTransactions(org.organization.id, [
    { id: 'W1', occurred_at: '2026-04-01T08:00:00Z', amount: '15000.00', type: 'wire', account: 'ACC-9' },
    { id: 'W2', occurred_at: '2026-04-01T12:00:00Z', amount: '6000.00', type: 'wire', account: 'ACC-9' },
    { id: 'W3', occurred_at: '2026-04-03T12:00:00Z', amount: '25000.00', type: 'wire', account: 'ACC-8' },
    { id: 'C1', occurred_at: '2026-04-03T13:00:00Z', amount: '30000.00', type: 'cash', account: 'ACC-8' },
  ]);
  const rule = await apiJson('POST', '/api/rules', 201, {
    token: org.access_token,
    body: { name: 'Wire outflow', severity: 'medium', condition: velocity },
  });
  ruleId = rule.id;
});

describe('happy', () => {
  it('backtests a draft on stored transactions with explained hits, writing nothing', async () => {
    const auditBefore = await countRows(org.organization.id, 'audit_log');
    const result = await apiJson('POST', `/api/rules/${ruleId}/test`, 200, { token: org.access_token, body: {} });
    expect(result).toMatchObject({ hits: 2, scanned: 4, duration_ms: expect.any(Number) });
    expect(result.sample.map((s) => s.transaction_id)).toEqual(['W2', 'W3']);
    const w2 = result.sample[0]!;
    expect(w2.explanation).toContain('type is wire');
    expect(w2.explanation).toContain('21,000.00');
    expect((w2.evidence.aggregates as unknown[])[0]).toMatchObject({
      fn: 'sum',
      value: '21000',
      transaction_ids: ['W2', 'W1'],
    });
    expect(await countRows(org.organization.id, 'violations')).toBe(0);
    expect(await countRows(org.organization.id, 'audit_log')).toBe(auditBefore);
  });

  it('narrows to a time range and tests an older version on request', async () => {
    const ranged = await apiJson('POST', `/api/rules/${ruleId}/test`, 200, {
      token: org.access_token,
      body: { from: '2026-04-02T00:00:00Z' },
    });
    expect(ranged).toMatchObject({ hits: 1, scanned: 2 });
    // The sum still reaches back before `from`: windows see all stored history.
    const early = await apiJson('POST', `/api/rules/${ruleId}/test`, 200, {
      token: org.access_token,
      body: { from: '2026-04-01T10:00:00Z', to: '2026-04-01T23:00:00Z' },
    });
    expect(early).toMatchObject({ hits: 1, scanned: 1 });

    await apiJson('PUT', `/api/rules/${ruleId}`, 200, {
      token: org.access_token,
      body: { name: 'Any large amount', severity: 'low', condition: { field: 'amount', op: 'gte', value: 25000 } },
    });
    const latest = await apiJson('POST', `/api/rules/${ruleId}/test`, 200, { token: org.access_token, body: {} });
    expect(latest.sample.map((s) => s.transaction_id)).toEqual(['W3', 'C1']);
    const first = await apiJson('POST', `/api/rules/${ruleId}/test`, 200, {
      token: org.access_token,
      body: { version: 1 },
    });
    expect(first.hits).toBe(2);
  });
});

describe('errors', () => {
  it('an unknown version is a 404 and a reversed range a 400', async () => {
    expect(
      (await api('POST', `/api/rules/${ruleId}/test`, { token: org.access_token, body: { version: 42 } })).status,
    ).toBe(404);
    expect(
      (
        await api('POST', `/api/rules/${ruleId}/test`, {
          token: org.access_token,
          body: { from: '2026-04-02T00:00:00Z', to: '2026-04-01T00:00:00Z' },
        })
      ).status,
    ).toBe(400);
  });
});

describe('security', () => {
  it('a viewer cannot run a backtest; another organization sees a 404 and none of these transactions', async () => {
    const viewer = await addMember(org, 'viewer');
    expect((await api('POST', `/api/rules/${ruleId}/test`, { token: viewer.token, body: {} })).status).toBe(403);
    const other = await registerOrganization('Backtest Neighbour Org');
    expect((await api('POST', `/api/rules/${ruleId}/test`, { token: other.access_token, body: {} })).status).toBe(404);
    const own = await apiJson('POST', '/api/rules', 201, {
      token: other.access_token,
      body: { name: 'Everything', severity: 'low', condition: { field: 'amount', op: 'gte', value: 0 } },
    });
    const result = await apiJson('POST', `/api/rules/${own.id}/test`, 200, { token: other.access_token, body: {} });
    expect(result).toMatchObject({ hits: 0, scanned: 0, sample: [] });
    expect(await countRows(other.organization.id, 'violations', sql`true`)).toBe(0);
  });
});
