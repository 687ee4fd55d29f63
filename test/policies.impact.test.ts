import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import aml from '../docs/corpus/aml-cash-policy.md?raw';
import { addMember, api, apiJson, registerOrganization, type Session } from './helpers';
import { uploadPolicyJson } from './policies.api.fixtures';
import { countRows, insertTransactions } from './rules-fixtures';

/** Version 2: the cash reporting threshold drops to 5,000 (3.1), the money-mule clause goes (6.3), a crypto clause comes (6.4). */
const amlV2 = aml
  .replace('exceeding USD 10,000 must be reported', 'exceeding USD 5,000 must be reported')
  .replace(/6\.3 Payments to the same counterparty[^\n]*\n\n/, '')
  .replace(
    '## 7. Record',
    '6.4 Any crypto transaction exceeding USD 1,000 must be reviewed by the AML Officer.\n\n## 7. Record',
  );

let org: Session;
let policyId: string;
let rulesV1: Record<string, string>;

beforeAll(async () => {
  // The basic plan allows one policy: a new version of it is not a second policy.
  org = await registerOrganization('Policies Impact Org');
  policyId = (await uploadPolicyJson(org.access_token, { file: aml, fileName: 'aml.md', name: 'AML' })).id;
  const page = await apiJson('GET', `/api/policies/${policyId}/rules?limit=200`, 200, { token: org.access_token });
  rulesV1 = Object.fromEntries(page.items.map((rule) => [rule.clause_ref, rule.id]));
  await apiJson('POST', `/api/rules/${rulesV1['3.1']}/approve`, 200, { token: org.access_token, body: {} });
  await insertTransactions(org.organization.id, [
    { id: 'CASH-12000', occurred_at: '2026-03-01T10:00:00Z', amount: '12000.00', type: 'cash', account: 'ACC-1' },
    { id: 'CASH-7000-A', occurred_at: '2026-03-02T10:00:00Z', amount: '7000.00', type: 'cash', account: 'ACC-2' },
    { id: 'CASH-7000-B', occurred_at: '2026-03-03T10:00:00Z', amount: '7000.00', type: 'cash', account: 'ACC-3' },
    { id: 'CASH-4000', occurred_at: '2026-03-04T10:00:00Z', amount: '4000.00', type: 'cash', account: 'ACC-4' },
    // Five accounts paying one counterparty within 48 hours: the fifth payment is what 6.3 flags.
    ...[1, 2, 3, 4, 5].map((n) => ({
      id: `MULE-${n}`,
      occurred_at: `2026-03-10T0${n}:00:00Z`,
      amount: '150.00',
      type: 'wire',
      account: `A-${n}`,
      counterparty: 'MULE',
    })),
    { id: 'CRYPTO-2500', occurred_at: '2026-03-12T10:00:00Z', amount: '2500.00', type: 'crypto', account: 'ACC-5' },
  ]);
});

describe('happy', () => {
  let upload: Awaited<ReturnType<typeof uploadPolicyJson>>;
  beforeAll(async () => {
    upload = await uploadPolicyJson(org.access_token, {
      file: amlV2,
      fileName: 'aml-v2.md',
      name: 'AML',
      policy_id: policyId,
    });
  });

  it('a new version re-extracts drafts only from its added and changed clauses, and records the diff', async () => {
    expect(upload).toEqual({ id: policyId, name: 'AML', version: 2, status: 'active', clauses: 29, rules: 2 });
    const policy = await apiJson('GET', `/api/policies/${policyId}`, 200, { token: org.access_token });
    expect(policy).toMatchObject({ version: 2, clause_count: 29, rules: { draft: 9, approved: 1 } });
    expect(policy.clauses.map((clause) => clause.key)).toContain('6.4');
    expect(policy.clauses.map((clause) => clause.key)).not.toContain('6.3');
    expect(policy.versions.map((version) => [version.version, version.changes])).toEqual([
      [2, { previous_version: 1, added: ['6.4'], removed: ['6.3'], changed: ['3.1'] }],
      [1, null],
    ]);
    const v1 = await apiJson('GET', `/api/policies/${policyId}/versions/1`, 200, { token: org.access_token });
    expect(v1.clauses.map((clause) => clause.key)).toContain('6.3');
    const rules = (await apiJson('GET', `/api/policies/${policyId}/rules?limit=200`, 200, { token: org.access_token }))
      .items;
    expect(rules.filter((rule) => rule.policy_version === 2).map((rule) => [rule.clause_ref, rule.name])).toEqual([
      ['3.1', 'Cash transactions over USD 5,000'],
      ['6.4', 'Crypto transactions over USD 1,000'],
    ]);
    expect(
      await countRows(
        org.organization.id,
        'audit_log',
        sql`action = 'policy.version_created' and target_id = ${policyId}`,
      ),
    ).toBe(1);
    expect(
      (await env.POLICY_FILES.list({ prefix: `orgs/${org.organization.id}/policies/${policyId}/` })).objects,
    ).toHaveLength(2);
  });

  it("reports each affected rule's violations on stored history before and after the change", async () => {
    const report = await apiJson('GET', `/api/policies/${policyId}/impact`, 200, { token: org.access_token });
    expect(report).toMatchObject({ policy_id: policyId, version: 2, previous_version: 1, transactions_scanned: 10 });
    expect(report.clauses.added).toEqual([
      {
        key: '6.4',
        number: '6.4',
        heading: null,
        text: 'Any crypto transaction exceeding USD 1,000 must be reviewed by the AML Officer.',
      },
    ]);
    expect(report.clauses.removed).toEqual([
      expect.objectContaining({ key: '6.3', text: expect.stringMatching(/^Payments to the same counterparty/) }),
    ]);
    expect(report.clauses.changed).toEqual([
      {
        key: '3.1',
        number: '3.1',
        before: expect.stringContaining('exceeding USD 10,000'),
        after: expect.stringContaining('exceeding USD 5,000'),
      },
    ]);
    expect(report.rules).toEqual([
      {
        clause_key: '3.1',
        change: 'changed',
        before: expect.objectContaining({
          rule_id: rulesV1['3.1'],
          version: 1,
          status: 'approved',
          name: 'Cash transactions over USD 10,000',
          hits: 1,
          sample_transaction_ids: ['CASH-12000'],
        }),
        after: expect.objectContaining({
          name: 'Cash transactions over USD 5,000',
          hits: 3,
          sample_transaction_ids: ['CASH-12000', 'CASH-7000-A', 'CASH-7000-B'],
        }),
      },
      {
        clause_key: '6.3',
        change: 'removed',
        before: expect.objectContaining({
          rule_id: rulesV1['6.3'],
          status: 'draft',
          hits: 1,
          sample_transaction_ids: ['MULE-5'],
        }),
        after: null,
      },
      {
        clause_key: '6.4',
        change: 'added',
        before: null,
        after: expect.objectContaining({
          name: 'Crypto transactions over USD 1,000',
          hits: 1,
          sample_transaction_ids: ['CRYPTO-2500'],
        }),
      },
    ]);
    expect(report.rules[0]!.after).toMatchObject({ status: 'draft', version: 1 });
    expect(report.rules[0]!.after!.rule_id).not.toBe(rulesV1['3.1']);
    expect(report.rules[0]!.after!.condition).toEqual({
      all: [
        { field: 'type', op: 'eq', value: 'cash' },
        { field: 'currency', op: 'eq', value: 'USD' },
        { field: 'amount', op: 'gt', value: 5000 },
      ],
    });
  });

  it('the report is a backtest: it stores no violation', async () => {
    expect(await countRows(org.organization.id, 'violations')).toBe(0);
  });

  it('a rejected draft enforces nothing, so it drops out of the report', async () => {
    const rules = (await apiJson('GET', `/api/policies/${policyId}/rules?limit=200`, 200, { token: org.access_token }))
      .items;
    const crypto64 = rules.find((rule) => rule.clause_ref === '6.4');
    await apiJson('POST', `/api/rules/${crypto64!.id}/reject`, 200, {
      token: org.access_token,
      body: { comment: 'crypto is out of scope' },
    });
    const report = await apiJson('GET', `/api/policies/${policyId}/impact`, 200, { token: org.access_token });
    expect(report.rules.map((entry) => entry.clause_key)).toEqual(['3.1', '6.3']);
    expect(report.clauses.added).toHaveLength(1);
  });
});

describe('errors', () => {
  it('an unknown policy has no impact report (404), a malformed id is a 400', async () => {
    expect((await api('GET', `/api/policies/${crypto.randomUUID()}/impact`, { token: org.access_token })).status).toBe(
      404,
    );
    expect((await api('GET', '/api/policies/nope/impact', { token: org.access_token })).status).toBe(400);
  });
});

describe('security', () => {
  it('a viewer reads the impact report; another organization gets a 404', async () => {
    const viewer = await addMember(org, 'viewer');
    expect((await api('GET', `/api/policies/${policyId}/impact`, { token: viewer.token })).status).toBe(200);
    const other = await registerOrganization('Policies Impact Other Org');
    expect((await api('GET', `/api/policies/${policyId}/impact`, { token: other.access_token })).status).toBe(404);
  });
});
