import { describe, expect, it } from 'vitest';
import { extractDraftRules, notEnforcedByClause } from '../worker/policies/extraction/extract-rules';
import { type DataVocabulary, EMPTY_VOCABULARY, groundDraft } from '../worker/policies/extraction/grounding';
import type { DraftRule } from '../worker/policies/extraction/schemas';

const usd = { field: 'currency', op: 'eq', value: 'USD' };

function draftsOf(text: string): DraftRule[] {
  return extractDraftRules([{ key: '1', text }]);
}

function onlyDraft(text: string): DraftRule {
  const drafts = draftsOf(text);
  expect(drafts, text).toHaveLength(1);
  return drafts[0]!;
}

const bank: DataVocabulary = {
  ...EMPTY_VOCABULARY,
  transactions: 204,
  values: {
    type: { cash_deposit: 96, cash_withdrawal: 40, wire_out: 50, CardPayment: 18 },
    channel: { branch: 150, online: 54 },
    currency: { USD: 204 },
    country: { US: 204 },
    counterparty_country: { US: 180, MX: 24 },
  },
  attributes: {
    approver: { count: 30, values: { 'M-1': 30 } },
    expense_category: { count: 20, values: { 'Meals & Dining': 12, Hotel: 8 } },
  },
  mapped: {},
};

function grounded(text: string, data: DataVocabulary = bank) {
  return groundDraft(onlyDraft(text), data);
}

describe('happy', () => {
  describe('meaning: negations and thresholds', () => {
    it.each([
      ['Card payments must not exceed USD 20,000.', 'gt', 20000],
      ['Card payments may not be more than USD 20,000.', 'gt', 20000],
      ['Card payments of USD 20,000 or more are prohibited.', 'gte', 20000],
      ['Card payments must be at least USD 20.', 'lt', 20],
      ['No card payment may exceed USD 20,000.', 'gt', 20000],
      ['Card payments are limited to USD 20,000.', 'gt', 20000],
    ])('"%s" flags amount %s %d', (text, op, value) => {
      expect(onlyDraft(text).condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'amount', op, value }]),
      });
    });
  });

  describe('meaning: units', () => {
    it.each([
      ['Cash deposits over 10k USD must be reported.', 10000],
      ['Cash deposits over ten thousand US dollars must be reported.', 10000],
      ['Cash deposits over INR 2 lakh must be reported.', 200000],
    ])('reads the amount of "%s"', (text, value) => {
      expect(onlyDraft(text).condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'amount', op: 'gt', value }]),
      });
    });

    it('keeps hours and days apart in windows', () => {
      const hours = 'More than 10 transactions from a single account within 24 hours must be referred for review.';
      const days = 'More than 10 transactions from a single account within 2 days must be referred for review.';
      expect(JSON.stringify(onlyDraft(hours).condition)).toContain('"window":"24h"');
      expect(JSON.stringify(onlyDraft(days).condition)).toContain('"window":"2d"');
    });

    it('says a per-night limit is compared with the whole charge', () => {
      const draft = onlyDraft('Hotel rates must not exceed USD 300 per night.');
      expect(draft.assumptions.join(' ')).toContain('"per night" compared against the whole transaction amount');
    });
  });

  describe('meaning: deadlines and totals', () => {
    it('reads a reporting deadline as not enforced, never as a window', () => {
      const draft = onlyDraft(
        'Cash deposits over 10,000 USD must be reported to the Financial Intelligence Unit within one business day.',
      );
      expect(draft.condition).toEqual({
        all: [{ field: 'type', op: 'eq', value: 'cash' }, usd, { field: 'amount', op: 'gt', value: 10000 }],
      });
      expect(draft.not_enforced).toEqual([
        'The deadline "within one business day": the action it sets happens outside the transaction data.',
      ]);
    });

    it('keeps a pattern window that precedes the action: "three deposits ... within 7 days must be escalated"', () => {
      const draft = onlyDraft(
        'Staff must escalate any pattern of three or more cash deposits just below USD 10,000 into one account within 7 days.',
      );
      expect(JSON.stringify(draft.condition)).toContain('"window":"7d"');
      expect(draft.not_enforced).toEqual([]);
    });

    it('reads "totalling more than" as a sum over the window, not a structuring band', () => {
      const draft = onlyDraft(
        'Multiple cash deposits into the same account totalling more than 10,000 USD within 24 hours must be investigated as possible structuring.',
      );
      expect(draft.condition).toMatchObject({
        all: expect.arrayContaining([
          expect.objectContaining({
            aggregate: expect.objectContaining({ fn: 'sum', group_by: ['account'], window: '24h' }),
            op: 'gt',
            value: 10000,
          }),
        ]),
      });
      expect(JSON.stringify(draft.condition)).not.toContain('between');
    });
  });

  describe('meaning: qualifiers and exceptions', () => {
    it('turns "international" into differing countries and "originator information" into a required attribute', () => {
      const draft = onlyDraft('International wire transfers above 3,000 USD must include originator information.');
      expect(draft.condition).toMatchObject({
        all: expect.arrayContaining([
          { field: 'country', op: 'ne', other_field: 'counterparty_country' },
          { field: 'attributes.originator', op: 'missing' },
        ]),
      });
    });

    it('excludes the type an exception names', () => {
      const draft = onlyDraft('Payments above USD 10,000 require approval, except card payments.');
      expect(draft.condition).toMatchObject({
        all: expect.arrayContaining([{ not: { field: 'type', op: 'eq', value: 'card' } }]),
      });
      expect(draft.not_enforced).toEqual([]);
    });

    it('lists an exception no field records as not enforced', () => {
      const draft = onlyDraft('Cash withdrawals above USD 5,000 are prohibited, except for payroll accounts.');
      expect(draft.not_enforced).toEqual([
        'The exception "except for payroll accounts": no transaction field records it, so the draft flags those too.',
      ]);
    });

    it('reads "unless approved" as the approval requirement', () => {
      const draft = onlyDraft(
        'Expense claims must not exceed USD 500 unless approved in advance by the Finance Director.',
      );
      expect(draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'attributes.approved_by', op: 'missing' }]),
      });
    });
  });

  describe('clauses without a rule', () => {
    it('lists the obligations of a clause that no draft enforces', () => {
      const clause = {
        key: '6.1',
        text: 'Records of cash transactions must be retained for at least five years. Cash deposits over USD 10,000 must be reported within 15 days.',
      };
      const drafts = extractDraftRules([clause]);
      expect(drafts).toHaveLength(1);
      expect(notEnforcedByClause([clause], drafts).get('6.1')).toEqual([
        'The deadline "within 15 days": the action it sets happens outside the transaction data.',
        'No rule checks "Records of cash transactions must be retained for at least five years": nothing a transaction records shows it.',
      ]);
    });
  });

  describe('grounding', () => {
    it('maps cash deposits and withdrawals onto the stored types of each direction, and says so', () => {
      const deposits = grounded('Cash deposits over 10,000 USD must be reported within one business day.');
      expect(deposits.draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'type', op: 'eq', value: 'cash_deposit' }]),
      });
      expect(deposits.grounding).toBe('grounded');
      expect(deposits.draft.assumptions[0]).toBe(
        '"cash deposit" is read as type cash_deposit, found in the organization\'s data: cash_deposit (96) transactions. cash_withdrawal left out: the clause speaks of deposits.',
      );
      const withdrawals = grounded('Cash withdrawals above 5,000 USD require the approval of a branch manager.');
      expect(withdrawals.draft.condition).toEqual({
        all: [
          { field: 'type', op: 'eq', value: 'cash_withdrawal' },
          usd,
          { field: 'amount', op: 'gt', value: 5000 },
          { field: 'attributes.approver', op: 'missing' },
        ],
      });
      // Both directions when the sentence names none.
      expect(grounded('Cash transactions over 10,000 USD must be reported.').draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'type', op: 'in', value: ['cash_deposit', 'cash_withdrawal'] }]),
      });
    });

    it('matches words inside other spellings: CardPayment, an expense_category key and its values', () => {
      expect(grounded('Card payments must not exceed USD 20,000.').draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'type', op: 'eq', value: 'CardPayment' }]),
      });
      const meals = grounded('Meal expenses must not exceed USD 75 per day.');
      expect(JSON.stringify(meals.draft.condition)).toContain(
        '{"field":"attributes.expense_category","op":"eq","value":"Meals & Dining"}',
      );
    });

    it('says when nothing stored resembles the words, and keeps the vocabulary value', () => {
      const cheques = grounded('Cheques above USD 50,000 must be verified by telephone.');
      expect(cheques.grounding).toBe('partial');
      expect(cheques.draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'type', op: 'eq', value: 'check' }]),
      });
      expect(cheques.draft.assumptions[0]).toContain('No stored transaction has a type resembling "check"');
    });

    it('says a draft is ungrounded when no data is stored yet', () => {
      const draft = grounded('Cash deposits over 10,000 USD must be reported.', EMPTY_VOCABULARY);
      expect(draft.grounding).toBe('ungrounded');
      expect(draft.draft.assumptions[0]).toContain('No transactions are stored yet');
      expect(draft.extracted.condition).toEqual(draft.draft.condition);
    });

    it('names the stored type that records purchases when a clause names no instrument', () => {
      const data = { ...bank, values: { ...bank.values, type: { ...bank.values.type, purchase_invoice: 20 } } };
      const draft = grounded('Purchases above USD 5,000 require approval.', data);
      expect(draft.draft.condition).toMatchObject({
        all: expect.arrayContaining([{ field: 'type', op: 'eq', value: 'purchase_invoice' }]),
      });
      expect(draft.draft.assumptions.join(' ')).toContain('"purchase" is read as type purchase_invoice');
    });
  });
});
