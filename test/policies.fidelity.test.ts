import type { z } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import policy from '../docs/corpus/aml-branch-policy.md?raw';
import type { policyRuleView } from '../worker/policies/schemas';
import { addMember, apiJson, createSource, registerOrganization, type Session, setPlan } from './helpers';
import { uploadPolicyJson } from './policies.api.fixtures';
import { branchTransactions } from './policies.fidelity.fixtures';

type PolicyRule = z.infer<typeof policyRuleView>;

const cashDeposit = { field: 'type', op: 'eq', value: 'cash_deposit' };
const usd = { field: 'currency', op: 'eq', value: 'USD' };

async function uploadBranchPolicy(token: string): Promise<string> {
  const uploaded = await uploadPolicyJson(token, {
    file: policy,
    fileName: 'aml-branch-policy.md',
    type: 'text/markdown',
  });
  return uploaded.id;
}

async function rulesOf(token: string, policyId: string): Promise<PolicyRule[]> {
  return (await apiJson('GET', `/api/policies/${policyId}/rules?limit=200`, 200, { token })).items;
}

function ruleOf(rules: PolicyRule[], clause: string): PolicyRule {
  const found = rules.find((rule) => rule.clause_ref === clause);
  if (!found) throw new Error(`no rule for clause ${clause}: ${rules.map((rule) => rule.clause_ref).join(', ')}`);
  return found;
}

function examples(rule: PolicyRule): string[] {
  return rule.preview.examples.map((example) => example.transaction_id).sort();
}

describe('happy', () => {
  let org: Session;
  let policyId: string;
  let rules: PolicyRule[];
  const history = branchTransactions('B');

  beforeAll(async () => {
    org = await registerOrganization('Fidelity Branch Bank');
    await setPlan(org.organization.id, 'enterprise');
    await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: history });
    policyId = await uploadBranchPolicy(org.access_token);
    rules = await rulesOf(org.access_token, policyId);
  });

  it("writes the cash rules in the organization's own types, and says so", () => {
    const reporting = ruleOf(rules, '2.1');
    expect(reporting.condition).toEqual({ all: [cashDeposit, usd, { field: 'amount', op: 'gt', value: 10000 }] });
    expect(reporting.grounding).toBe('grounded');
    expect(reporting.assumptions.join(' ')).toContain('"cash deposit" is read as type cash_deposit');
    expect(reporting.assumptions.join(' ')).toContain('cash_withdrawal left out');
    const withdrawals = ruleOf(rules, '2.3');
    expect(withdrawals.condition).toEqual({
      all: [
        { field: 'type', op: 'eq', value: 'cash_withdrawal' },
        usd,
        { field: 'amount', op: 'gt', value: 5000 },
        { field: 'attributes.approver', op: 'missing' },
      ],
    });
    expect(withdrawals.assumptions.join(' ')).toContain('attributes.approved_by is read from attributes.approver');
  });

  it('keeps the meaning: a reporting deadline is not a window, a total is a 24-hour sum of deposits per account', () => {
    const reporting = ruleOf(rules, '2.1');
    expect(reporting.not_enforced).toEqual([
      'The deadline "within one business day": the action it sets happens outside the transaction data.',
    ]);
    expect(ruleOf(rules, '2.2').condition).toEqual({
      all: [
        cashDeposit,
        usd,
        {
          aggregate: {
            fn: 'sum',
            field: 'amount',
            group_by: ['account'],
            window: '24h',
            where: { all: [cashDeposit, usd] },
          },
          op: 'gt',
          value: 10000,
        },
      ],
    });
    expect(ruleOf(rules, '3.1').condition).toMatchObject({
      all: expect.arrayContaining([
        { field: 'type', op: 'eq', value: 'wire_out' },
        { field: 'country', op: 'ne', other_field: 'counterparty_country' },
        { field: 'attributes.originator_name', op: 'missing' },
      ]),
    });
  });

  it('shows what each draft would have flagged on the stored history before approval', () => {
    for (const rule of rules) expect(rule.preview.transactions_checked).toBe(history.length);
    expect(ruleOf(rules, '2.1').preview.hits).toBe(1);
    expect(examples(ruleOf(rules, '2.1'))).toEqual(['B-D1']);
    expect(examples(ruleOf(rules, '2.2'))).toEqual(['B-D1', 'B-D3']);
    expect(examples(ruleOf(rules, '2.3'))).toEqual(['B-W1', 'B-W3']);
    expect(examples(ruleOf(rules, '3.1'))).toEqual(['B-X2', 'B-X4', 'B-X5', 'B-X6']);
    expect(ruleOf(rules, '2.1').preview.examples[0]!.explanation).not.toBe('');
  });

  it('flags drafts that find nothing and drafts that flag a large share of the history', () => {
    expect(ruleOf(rules, '4.1').flags).toEqual(['no_hits']);
    expect(ruleOf(rules, '3.2').flags).toEqual(['no_hits']);
    // 4 of 33 transactions: more than a tenth.
    expect(ruleOf(rules, '3.1').flags).toEqual(['high_share']);
    expect(ruleOf(rules, '2.1').flags).toEqual([]);
  });

  it('lists on each clause the obligations no draft enforces', async () => {
    const detail = await apiJson('GET', `/api/policies/${policyId}`, 200, { token: org.access_token });
    const clause = (key: string) => detail.clauses.find((candidate: { key: string }) => candidate.key === key);
    expect(clause('6.1')!.not_enforced).toEqual([
      'No rule checks "Records of cash transactions must be retained for at least five years": nothing a transaction records shows it.',
    ]);
    expect(clause('2.1')!.not_enforced).toEqual(ruleOf(rules, '2.1').not_enforced);
    expect(clause('2.2')!.not_enforced).toEqual([]);
  });

  it("shows the rule vocabulary beside the organization's stored values", async () => {
    const vocabulary = await apiJson('GET', '/api/policies/vocabulary', 200, { token: org.access_token });
    expect(vocabulary.data.transactions).toBe(history.length);
    expect(vocabulary.data.values.type).toEqual({ cash_deposit: 4, cash_withdrawal: 3, wire_out: 6, card_payment: 20 });
    expect(vocabulary.data.attributes).toEqual(
      expect.arrayContaining([
        { key: 'approver', count: 1 },
        { key: 'originator_name', count: 1 },
      ]),
    );
    expect(vocabulary.values).toContainEqual({ field: 'type', value: 'cash', words: ['cash'] });
    expect(vocabulary.attributes.map((entry: { field: string }) => entry.field)).toContain('attributes.approved_by');
  });
});

describe('happy: no data yet', () => {
  it('says a draft is ungrounded, and grounds it again once transactions arrive', async () => {
    const org = await registerOrganization('Fidelity Fresh Org');
    await setPlan(org.organization.id, 'enterprise');
    const policyId = await uploadBranchPolicy(org.access_token);
    const before = ruleOf(await rulesOf(org.access_token, policyId), '2.1');
    expect(before.grounding).toBe('ungrounded');
    expect(before.flags).toEqual(['ungrounded']);
    expect(before.preview).toEqual({ transactions_checked: 0, hits: 0, examples: [] });
    expect(before.condition).toEqual({
      all: [{ field: 'type', op: 'eq', value: 'cash' }, usd, { field: 'amount', op: 'gt', value: 10000 }],
    });
    expect(before.assumptions[0]).toContain('No transactions are stored yet');

    await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: branchTransactions('F') });
    const result = await apiJson('POST', `/api/policies/${policyId}/reground`, 200, { token: org.access_token });
    expect(result.drafts_checked).toBe(9);
    expect(result.drafts_changed).toBeGreaterThanOrEqual(6);
    const after = ruleOf(await rulesOf(org.access_token, policyId), '2.1');
    expect(after).toMatchObject({ id: before.id, version: 2, status: 'draft', grounding: 'grounded', flags: [] });
    expect(after.condition).toEqual({ all: [cashDeposit, usd, { field: 'amount', op: 'gt', value: 10000 }] });
    expect(examples(after)).toEqual(['F-D1']);
    // Grounded drafts are left alone on a second run; the partly grounded ones (no cheques, no due diligence recorded) are checked again, unchanged.
    const again = await apiJson('POST', `/api/policies/${policyId}/reground`, 200, { token: org.access_token });
    expect(again).toMatchObject({ drafts_checked: 2, drafts_changed: 0, grounding: { grounded: 0, partial: 2 } });
  });

  it("grounds on the values a source's value map produces before any transaction arrives", async () => {
    const org = await registerOrganization('Fidelity Mapped Org');
    await setPlan(org.organization.id, 'enterprise');
    await createSource(org.access_token, {
      name: 'Core banking',
      mapping: { values: { type: { 'CASH IN': 'cash_deposit', 'CASH OUT': 'cash_withdrawal' } } },
    });
    const rule = ruleOf(await rulesOf(org.access_token, await uploadBranchPolicy(org.access_token)), '2.1');
    expect(rule.grounding).toBe('grounded');
    expect(rule.condition).toEqual({ all: [cashDeposit, usd, { field: 'amount', op: 'gt', value: 10000 }] });
    expect(rule.assumptions.join(' ')).toContain('cash_deposit (a source maps onto it)');
  });

  it('says so when no stored value resembles the words of the policy', async () => {
    const org = await registerOrganization('Fidelity Card Shop');
    await setPlan(org.organization.id, 'enterprise');
    const cards = branchTransactions('S').filter((row) => row.type === 'card_payment');
    await apiJson('POST', '/api/transactions', 200, { token: org.access_token, body: cards });
    const rule = ruleOf(await rulesOf(org.access_token, await uploadBranchPolicy(org.access_token)), '2.1');
    expect(rule.grounding).toBe('partial');
    expect(rule.flags).toEqual(['no_hits', 'unmatched']);
    expect(rule.assumptions.join(' ')).toContain('No stored transaction has a type resembling "cash deposit"');
  });
});

describe('security', () => {
  it("another organization's policy cannot be re-grounded (404); a viewer cannot re-ground (403)", async () => {
    const owner = await registerOrganization('Fidelity Owner');
    await setPlan(owner.organization.id, 'enterprise');
    const other = await registerOrganization('Fidelity Other');
    const policyId = await uploadBranchPolicy(owner.access_token);
    await apiJson('POST', `/api/policies/${policyId}/reground`, 404, { token: other.access_token });
    const viewer = await addMember(owner, 'viewer');
    await apiJson('POST', `/api/policies/${policyId}/reground`, 403, { token: viewer.token });
    await apiJson('GET', '/api/policies/vocabulary', 200, { token: viewer.token });
  });
});
