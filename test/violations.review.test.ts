import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { addMember, api, apiJson, approvedRule, type Problem, registerOrganization, type Session } from './helpers';
import { countRows, insertTransactions, listAllViolations, waitForScan } from './rules-fixtures';

let org: Session;
let highRule: { id: string };
let lowRule: { id: string };
let scanId: string;

beforeAll(async () => {
  org = await registerOrganization('Violation Review Org');
  highRule = await approvedRule(org.access_token, {
    name: 'Large',
    severity: 'high',
    clause_ref: '7.1',
    condition: { field: 'amount', op: 'gt', value: 1000 },
  });
  lowRule = await approvedRule(org.access_token, {
    name: 'Offshore',
    severity: 'low',
    condition: { field: 'country', op: 'in', value: ['KY', 'VG'] },
  });
  await insertTransactions(org.organization.id, [
    { id: 'V1', occurred_at: '2026-05-01T09:00:00Z', amount: '5000.00', country: 'US' },
    { id: 'V2', occurred_at: '2026-05-01T10:00:00Z', amount: '50.00', country: 'KY' },
    { id: 'V3', occurred_at: '2026-05-01T11:00:00Z', amount: '7000.00', country: 'VG' },
  ]);
  scanId = (await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} })).id;
  await waitForScan(org.access_token, scanId);
});

describe('happy', () => {
  it('lists violations per contract, filtered by rule, severity, scan and transaction', async () => {
    const all = await listAllViolations(org.access_token);
    expect(all).toHaveLength(4);
    expect(all[0]).toEqual({
      id: expect.any(String),
      rule_id: expect.any(String),
      rule_version: 1,
      transaction_id: expect.any(String),
      rule_name: expect.toBeOneOf(['Large', 'Offshore']),
      account: 'ACC-1',
      counterparty: null,
      severity: expect.any(String),
      risk_score: expect.any(Number),
      explanation: expect.any(String),
      evidence: expect.any(Object),
      status: 'open',
      detected_at: expect.any(String),
      policy_id: null,
      clause_ref: expect.toBeOneOf([null, '7.1']),
      scan_id: scanId,
    });
    const high = await listAllViolations(org.access_token, `&rule_id=${highRule.id}`);
    expect(high.map((v) => v.transaction_id).sort()).toEqual(['V1', 'V3']);
    expect(high.every((v) => v.clause_ref === '7.1' && v.severity === 'high')).toBe(true);
    expect((await listAllViolations(org.access_token, '&severity=low')).map((v) => v.rule_id)).toEqual([
      lowRule.id,
      lowRule.id,
    ]);
    expect((await listAllViolations(org.access_token, '&transaction_id=V3')).map((v) => v.rule_id).sort()).toEqual(
      [highRule.id, lowRule.id].sort(),
    );
    expect(await listAllViolations(org.access_token, `&scan_id=${crypto.randomUUID()}`)).toEqual([]);
  });

  it('pages with an opaque cursor without repeating or skipping', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; next_cursor: string | null } = await apiJson(
        'GET',
        `/api/violations?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        200,
        {
          token: org.access_token,
        },
      );
      expect(page.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.items.map((v) => v.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(4);
  });

  it('a status change is kept in the history and audited', async () => {
    const [violation] = await listAllViolations(org.access_token, '&transaction_id=V1');
    const detail = await apiJson('GET', `/api/violations/${violation!.id}`, 200, { token: org.access_token });
    expect(detail).toMatchObject({ id: violation!.id, status: 'open', history: [] });

    const reviewer = await addMember(org, 'reviewer');
    const reviewed = await apiJson('PATCH', `/api/violations/${violation!.id}`, 200, {
      token: reviewer.token,
      body: { status: 'reviewed', comment: 'Checked the invoice' },
    });
    expect(reviewed).toMatchObject({
      status: 'reviewed',
      history: [
        {
          from_status: 'open',
          to_status: 'reviewed',
          comment: 'Checked the invoice',
          actor_id: reviewer.userId,
          actor_name: 'A reviewer',
          created_at: expect.any(String),
        },
      ],
    });
    const resolved = await apiJson('PATCH', `/api/violations/${violation!.id}`, 200, {
      token: org.access_token,
      body: { status: 'false_positive' },
    });
    expect(resolved.history.map((e) => [e.from_status, e.to_status])).toEqual([
      ['open', 'reviewed'],
      ['reviewed', 'false_positive'],
    ]);
    expect((await listAllViolations(org.access_token, '&status=false_positive')).map((v) => v.id)).toEqual([
      violation!.id,
    ]);
    expect(
      await countRows(
        org.organization.id,
        'audit_log',
        sql`action = 'violation.status_changed' and target_id = ${violation!.id}`,
      ),
    ).toBe(2);
  });
});

describe('errors', () => {
  it('an unknown status, id or cursor is refused', async () => {
    const [violation] = await listAllViolations(org.access_token);
    const bad = await api('PATCH', `/api/violations/${violation!.id}`, {
      token: org.access_token,
      body: { status: 'closed' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).errors![0]!.path).toBe('status');
    expect(
      (
        await api('PATCH', `/api/violations/${crypto.randomUUID()}`, {
          token: org.access_token,
          body: { status: 'reviewed' },
        })
      ).status,
    ).toBe(404);
    expect((await api('GET', '/api/violations/nope', { token: org.access_token })).status).toBe(400);
    expect((await api('GET', '/api/violations?cursor=garbage', { token: org.access_token })).status).toBe(400);
    expect((await api('GET', '/api/violations?limit=500', { token: org.access_token })).status).toBe(400);
  });
});

describe('security', () => {
  it('a viewer reads but cannot change a status', async () => {
    const viewer = await addMember(org, 'viewer');
    const [violation] = await listAllViolations(viewer.token);
    expect(
      (await api('PATCH', `/api/violations/${violation!.id}`, { token: viewer.token, body: { status: 'resolved' } }))
        .status,
    ).toBe(403);
  });

  it("another organization's violation is a 404 and is never listed", async () => {
    const [violation] = await listAllViolations(org.access_token);
    const other = await registerOrganization('Violation Intruder Org');
    expect((await api('GET', `/api/violations/${violation!.id}`, { token: other.access_token })).status).toBe(404);
    expect(
      (
        await api('PATCH', `/api/violations/${violation!.id}`, {
          token: other.access_token,
          body: { status: 'resolved' },
        })
      ).status,
    ).toBe(404);
    expect(await listAllViolations(other.access_token)).toEqual([]);
    expect(await listAllViolations(other.access_token, `&scan_id=${scanId}`)).toEqual([]);
  });
});
