import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import {
  type CanonicalTransaction,
  type Condition,
  compileCondition,
  evaluate,
  explain,
  fieldsRead,
  listAggregates,
  measureAggregates,
  riskScore,
  validateRule,
} from '../worker/rules/language';
import { CONTRACT_STRUCTURING } from './rules-fixtures';

function transaction(overrides: Partial<CanonicalTransaction> = {}): CanonicalTransaction {
  return {
    id: 'INV-1',
    occurred_at: '2026-03-08T12:00:00Z',
    amount: '12500.00',
    currency: 'USD',
    account: 'ACC-1',
    counterparty: 'VEND-77',
    type: 'wire',
    country: 'US',
    counterparty_country: 'AE',
    channel: 'erp',
    attributes: {
      department: 'procurement',
      score: 87,
      flag: true,
      nested: { tier: 'gold' },
      blank: null,
      tags: ['a'],
    },
    ...overrides,
  };
}

/** Whether a condition without aggregates holds for the transaction. */
function holds(condition: Condition, subject: CanonicalTransaction = transaction()): boolean {
  return evaluate(condition, subject).holds;
}

/** Whether a condition holds for `subject` with its windows measured over `history`. */
function holdsOver(condition: Condition, subject: CanonicalTransaction, history: CanonicalTransaction[]): boolean {
  return evaluate(condition, subject, measureAggregates(condition, subject, history)).holds;
}

function errorsOf(condition: unknown): { path: string; message: string }[] {
  const result = validateRule({ name: 'Rule under test', severity: 'high', condition });
  return result.ok ? [] : result.errors;
}

const STRUCTURING = CONTRACT_STRUCTURING;

describe('happy', () => {
  it("accepts the contract's structuring example and keeps it as written", () => {
    const result = validateRule({
      name: 'Cash structuring',
      severity: 'high',
      condition: STRUCTURING,
      clause_ref: '4.2',
    });
    expect(result).toEqual({
      ok: true,
      rule: { name: 'Cash structuring', severity: 'high', condition: STRUCTURING, clause_ref: '4.2' },
    });
  });

  it.each<[string, Condition, boolean]>([
    ['eq on text', { field: 'type', op: 'eq', value: 'wire' }, true],
    ['eq on text, other value', { field: 'type', op: 'eq', value: 'cash' }, false],
    ['ne', { field: 'country', op: 'ne', value: 'IN' }, true],
    ['ne, same value', { field: 'country', op: 'ne', value: 'US' }, false],
    ['gt on amount', { field: 'amount', op: 'gt', value: 10000 }, true],
    ['gt on amount, equal', { field: 'amount', op: 'gt', value: 12500 }, false],
    ['gte on amount, equal', { field: 'amount', op: 'gte', value: 12500 }, true],
    ['lt on amount', { field: 'amount', op: 'lt', value: 12500.0001 }, true],
    ['lte on amount, equal', { field: 'amount', op: 'lte', value: 12500 }, true],
    ['lt on text, code point order', { field: 'account', op: 'lt', value: 'ACC-2' }, true],
    ['gt on occurred_at, other offset', { field: 'occurred_at', op: 'gt', value: '2026-03-08T17:29:59+05:30' }, true],
    [
      'eq on occurred_at, same instant in another offset',
      { field: 'occurred_at', op: 'eq', value: '2026-03-08T17:30:00+05:30' },
      true,
    ],
    ['in', { field: 'counterparty_country', op: 'in', value: ['AE', 'IR'] }, true],
    ['in, absent from the list', { field: 'counterparty_country', op: 'in', value: ['IR', 'KP'] }, false],
    ['not_in', { field: 'country', op: 'not_in', value: ['IN', 'GB'] }, true],
    ['not_in, in the list', { field: 'country', op: 'not_in', value: ['US'] }, false],
    ['between, inclusive low', { field: 'amount', op: 'between', value: [12500, 20000] }, true],
    ['between, inclusive high', { field: 'amount', op: 'between', value: [100, 12500] }, true],
    ['between, outside', { field: 'amount', op: 'between', value: [0, 12499.9999] }, false],
    [
      'between on instants',
      { field: 'occurred_at', op: 'between', value: ['2026-03-08T00:00:00Z', '2026-03-09T00:00:00Z'] },
      true,
    ],
    ['contains', { field: 'counterparty', op: 'contains', value: 'ND-7' }, true],
    ['contains is case-sensitive', { field: 'counterparty', op: 'contains', value: 'vend' }, false],
    ['starts_with', { field: 'account', op: 'starts_with', value: 'ACC-' }, true],
    ['ends_with', { field: 'account', op: 'ends_with', value: '-1' }, true],
    ['ends_with, not the end', { field: 'account', op: 'ends_with', value: 'ACC' }, false],
    ['matches', { field: 'counterparty', op: 'matches', value: '^VEND-\\d+$' }, true],
    ['matches, no match', { field: 'counterparty', op: 'matches', value: '^CUST-' }, false],
    ['exists', { field: 'counterparty', op: 'exists' }, true],
    ['missing', { field: 'counterparty', op: 'missing' }, false],
    ['attribute number', { field: 'attributes.score', op: 'gte', value: 80 }, true],
    ['attribute string', { field: 'attributes.department', op: 'eq', value: 'procurement' }, true],
    ['attribute boolean', { field: 'attributes.flag', op: 'eq', value: true }, true],
    ['nested attribute path', { field: 'attributes.nested.tier', op: 'in', value: ['gold', 'platinum'] }, true],
    ['attribute list with mixed types', { field: 'attributes.score', op: 'in', value: ['87', 87] }, true],
    ['other_field, number against attribute', { field: 'amount', op: 'gt', other_field: 'attributes.score' }, true],
    ['other_field, text columns', { field: 'country', op: 'ne', other_field: 'counterparty_country' }, true],
    [
      'all',
      {
        all: [
          { field: 'type', op: 'eq', value: 'wire' },
          { field: 'amount', op: 'gt', value: 1 },
        ],
      },
      true,
    ],
    [
      'any',
      {
        any: [
          { field: 'type', op: 'eq', value: 'cash' },
          { field: 'amount', op: 'gt', value: 1 },
        ],
      },
      true,
    ],
    ['not', { not: { field: 'type', op: 'eq', value: 'cash' } }, true],
  ])('%s', (_intent, condition, expected) => {
    expect(errorsOf(condition)).toEqual([]);
    expect(holds(condition)).toBe(expected);
  });

  it('compares amounts as exact decimals, never floats', () => {
    const cents = transaction({ amount: '0.3' });
    expect(holds({ field: 'amount', op: 'eq', value: 0.3 }, cents)).toBe(true);
    // biome-ignore lint/correctness/noPrecisionLoss: the literal is deliberately one that JSON parses to 0.3
    expect(holds({ field: 'amount', op: 'gt', value: 0.29999999999999998 }, transaction({ amount: '0.3000' }))).toBe(
      false,
    );
    expect(holds({ field: 'amount', op: 'lt', value: 12500.0001 }, transaction({ amount: 12500 }))).toBe(true);
  });

  it('sums 0.1 + 0.2 to exactly 0.3', () => {
    const sum: Condition = {
      aggregate: { fn: 'sum', field: 'amount', group_by: ['account'], window: '1d' },
      op: 'eq',
      value: 0.3,
    };
    const history = [
      transaction({ id: 'a', amount: '0.1', occurred_at: '2026-03-08T10:00:00Z' }),
      transaction({ id: 'b', amount: '0.2' }),
    ];
    expect(measureAggregates(sum, history[1]!, history)).toEqual([
      { value: '0.3', sum: '0.3', count: 2, ids: ['b', 'a'] },
    ]);
    expect(holdsOver(sum, history[1]!, history)).toBe(true);
  });

  describe('aggregate functions', () => {
    const history = [
      transaction({
        id: 'a',
        amount: '100',
        counterparty: 'V-1',
        occurred_at: '2026-03-08T09:00:00Z',
        attributes: { units: 2 },
      }),
      transaction({
        id: 'b',
        amount: '200.50',
        counterparty: 'V-2',
        occurred_at: '2026-03-08T10:00:00Z',
        attributes: { units: '3' },
      }),
      transaction({
        id: 'c',
        amount: '300',
        counterparty: 'V-1',
        occurred_at: '2026-03-08T11:00:00Z',
        attributes: { units: 5 },
      }),
      transaction({ id: 'other-account', account: 'ACC-2', amount: '5000', occurred_at: '2026-03-08T11:00:00Z' }),
    ];
    const subject = history[2]!;
    const measure = (
      fn: 'count' | 'sum' | 'avg' | 'min' | 'max' | 'count_distinct',
      field?: 'amount' | 'counterparty' | 'attributes.units',
    ) =>
      measureAggregates(
        { aggregate: { fn, field, group_by: ['account'], window: '1d' }, op: 'gt', value: 0 },
        subject,
        history,
      )[0];

    it.each([
      ['count', undefined, { value: '3', sum: null, count: 3, ids: ['c', 'b', 'a'] }],
      ['sum', 'amount', { value: '600.5', sum: '600.5', count: 3, ids: ['c', 'b', 'a'] }],
      ['avg', 'amount', { value: '200.1667', sum: '600.5', count: 3, ids: ['c', 'b', 'a'] }],
      ['min', 'amount', { value: '100', sum: null, count: 3, ids: ['c', 'b', 'a'] }],
      ['max', 'amount', { value: '300', sum: null, count: 3, ids: ['c', 'b', 'a'] }],
      ['count_distinct', 'counterparty', { value: '2', sum: null, count: 3, ids: ['c', 'b', 'a'] }],
      [
        'sum of an attribute skips non-numbers',
        'attributes.units',
        { value: '7', sum: '7', count: 2, ids: ['c', 'a'] },
      ],
    ] as const)('%s', (fn, field, expected) => {
      expect(measure(fn.split(' ')[0] as 'count', field)).toEqual(expected);
    });

    it('compares avg exactly: 4/3 is above 1.3333 and not equal to it', () => {
      const thirds = [
        transaction({ id: 'x', amount: '1', occurred_at: '2026-03-08T01:00:00Z' }),
        transaction({ id: 'y', amount: '1', occurred_at: '2026-03-08T02:00:00Z' }),
        transaction({ id: 'z', amount: '2' }),
      ];
      const avg = (op: 'gt' | 'eq', value: number): Condition => ({
        aggregate: { fn: 'avg', field: 'amount', group_by: [], window: '1d' },
        op,
        value,
      });
      expect(measureAggregates(avg('gt', 0), thirds[2]!, thirds)[0]?.value).toBe('1.3333');
      expect(holdsOver(avg('gt', 1.3333), thirds[2]!, thirds)).toBe(true);
      expect(holdsOver(avg('eq', 1.3333), thirds[2]!, thirds)).toBe(false);
    });

    it('between on an aggregate is inclusive', () => {
      const count = (value: [number, number]): Condition => ({
        aggregate: { fn: 'count', group_by: ['account'], window: '1d' },
        op: 'between',
        value,
      });
      expect(holdsOver(count([3, 3]), subject, history)).toBe(true);
      expect(holdsOver(count([4, 9]), subject, history)).toBe(false);
    });
  });

  describe('window edges', () => {
    const countInDay = (where?: Condition): Condition => ({
      aggregate: { fn: 'count', group_by: ['account'], window: '1d', where },
      op: 'gte',
      value: 0,
    });
    const subject = transaction({ id: 't', occurred_at: '2026-03-08T12:00:00Z' });
    const countOf = (condition: Condition, history: CanonicalTransaction[]) =>
      measureAggregates(condition, subject, history)[0]?.count;

    it('excludes a transaction exactly one window before and includes one a microsecond later', () => {
      const history = [
        subject,
        transaction({ id: 'edge', occurred_at: '2026-03-07T12:00:00Z' }),
        transaction({ id: 'inside', occurred_at: '2026-03-07T12:00:00.000001Z' }),
      ];
      expect(measureAggregates(countInDay(), subject, history)[0]?.ids).toEqual(['t', 'inside']);
    });

    it('includes transactions at the same instant written with another offset, whatever their order', () => {
      const twin = transaction({ id: 'twin', occurred_at: '2026-03-08T17:30:00+05:30' });
      expect(countOf(countInDay(), [twin, subject])).toBe(2);
    });

    it('excludes later transactions and other groups', () => {
      const history = [
        subject,
        transaction({ id: 'later', occurred_at: '2026-03-08T12:00:00.000001Z' }),
        transaction({ id: 'other', account: 'ACC-9' }),
      ];
      expect(countOf(countInDay(), history)).toBe(1);
    });

    it('counts t itself only when it satisfies where', () => {
      const cashOnly = countInDay({ field: 'type', op: 'eq', value: 'cash' });
      expect(countOf(cashOnly, [subject])).toBe(0);
      const cashSubject = transaction({ id: 't', type: 'cash' });
      expect(measureAggregates(cashOnly, cashSubject, [cashSubject])[0]?.count).toBe(1);
    });

    it('gives an empty window when t lacks a group_by field', () => {
      const byCounterparty: Condition = {
        aggregate: { fn: 'count', group_by: ['counterparty'], window: '7d' },
        op: 'eq',
        value: 0,
      };
      const anonymous = transaction({ counterparty: null });
      expect(
        measureAggregates(byCounterparty, anonymous, [
          anonymous,
          transaction({ counterparty: null, id: 'also-absent' }),
        ])[0]?.count,
      ).toBe(0);
    });

    it('over an empty window: count and sum are 0, avg, min and max have no value, so their predicates are false', () => {
      const empty = {
        group_by: ['account' as const],
        window: '1h' as const,
        where: { field: 'type' as const, op: 'eq' as const, value: 'cash' },
      };
      expect(holdsOver({ aggregate: { fn: 'count', ...empty }, op: 'eq', value: 0 }, subject, [subject])).toBe(true);
      expect(
        holdsOver({ aggregate: { fn: 'sum', field: 'amount', ...empty }, op: 'eq', value: 0 }, subject, [subject]),
      ).toBe(true);
      for (const fn of ['avg', 'min', 'max'] as const) {
        expect(
          holdsOver({ aggregate: { fn, field: 'amount', ...empty }, op: 'ne', value: 5 }, subject, [subject]),
        ).toBe(false);
        expect(
          holdsOver({ not: { aggregate: { fn, field: 'amount', ...empty }, op: 'eq', value: 5 } }, subject, [subject]),
        ).toBe(true);
      }
    });
  });

  describe('absent fields and type mismatches', () => {
    const anonymous = transaction({ counterparty: null, type: undefined });

    it('a predicate on an absent field is false, ne and not_in included; missing is true', () => {
      expect(holds({ field: 'counterparty', op: 'eq', value: 'VEND-77' }, anonymous)).toBe(false);
      expect(holds({ field: 'counterparty', op: 'ne', value: 'VEND-77' }, anonymous)).toBe(false);
      expect(holds({ field: 'type', op: 'not_in', value: ['cash'] }, anonymous)).toBe(false);
      expect(holds({ field: 'counterparty', op: 'missing' }, anonymous)).toBe(true);
      expect(holds({ field: 'attributes.blank', op: 'missing' })).toBe(true);
      expect(holds({ field: 'attributes.nested.tier.deeper', op: 'missing' })).toBe(true);
    });

    it('not of a predicate on an absent field is true', () => {
      expect(holds({ not: { field: 'counterparty', op: 'eq', value: 'VEND-77' } }, anonymous)).toBe(true);
      expect(holds({ not: { field: 'counterparty', op: 'ne', value: 'VEND-77' } }, anonymous)).toBe(true);
      expect(holds({ not: { field: 'counterparty', op: 'missing' } }, anonymous)).toBe(false);
      expect(holds({ not: { not: { field: 'type', op: 'in', value: ['cash'] } } }, anonymous)).toBe(false);
    });

    it('values of different JSON types never compare, in either direction', () => {
      const stringScore = transaction({ attributes: { score: '87' } });
      expect(holds({ field: 'attributes.score', op: 'eq', value: 87 }, stringScore)).toBe(false);
      expect(holds({ field: 'attributes.score', op: 'ne', value: 87 }, stringScore)).toBe(false);
      expect(holds({ field: 'attributes.score', op: 'gt', value: 1 }, stringScore)).toBe(false);
      expect(holds({ field: 'attributes.score', op: 'not_in', value: [1, 2] }, stringScore)).toBe(false);
      expect(holds({ field: 'attributes.score', op: 'not_in', value: [1, '2'] }, stringScore)).toBe(true);
      expect(holds({ not: { field: 'attributes.score', op: 'eq', value: 87 } }, stringScore)).toBe(true);
      expect(holds({ field: 'attributes.flag', op: 'ne', value: 'true' })).toBe(false);
      expect(holds({ field: 'attributes.nested', op: 'eq', value: 'gold' })).toBe(false);
      expect(holds({ field: 'attributes.tags', op: 'exists' })).toBe(true);
      expect(holds({ field: 'amount', op: 'eq', other_field: 'attributes.department' })).toBe(false);
      expect(holds({ field: 'attributes.score', op: 'contains', value: '8' })).toBe(false);
    });

    it('orders strings by code point, as Postgres COLLATE "C" does', () => {
      expect(holds({ field: 'attributes.department', op: 'gt', value: 'Zulu' })).toBe(true);
      expect(
        holds(
          { field: 'attributes.department', op: 'gt', value: '\u{1F600}' },
          transaction({ attributes: { department: '\uFFFD' } }),
        ),
      ).toBe(false);
    });

    it('treats % and _ in text operators as plain characters', () => {
      const percent = transaction({ counterparty: '100%_SURE' });
      expect(holds({ field: 'counterparty', op: 'contains', value: '%_' }, percent)).toBe(true);
      expect(holds({ field: 'counterparty', op: 'starts_with', value: '1_0' }, percent)).toBe(false);
    });
  });

  describe('explanations', () => {
    it('names each predicate that held with its actual values', () => {
      const condition: Condition = {
        all: [
          { field: 'amount', op: 'gt', value: 10000 },
          {
            any: [
              { field: 'type', op: 'eq', value: 'cash' },
              { field: 'country', op: 'in', value: ['US', 'CA'] },
            ],
          },
        ],
      };
      expect(explain(condition, transaction()).explanation).toBe(
        'amount 12,500.00 USD > 10,000; country US in [US, CA]',
      );
    });

    it('describes aggregates with their measured value, and negations', () => {
      const history = [
        transaction({ id: 'a', occurred_at: '2026-03-07T09:00:00Z', type: 'cash', amount: '9500' }),
        transaction({ id: 'b', type: 'cash', amount: '9900' }),
      ];
      const condition: Condition = {
        all: [
          { aggregate: { fn: 'count', group_by: ['account'], window: '7d' }, op: 'gte', value: 2 },
          { not: { field: 'counterparty', op: 'exists' } },
          { not: { field: 'channel', op: 'eq', value: 'pos' } },
        ],
      };
      const subject = transaction({ id: 'b', type: 'cash', amount: '9900', counterparty: null });
      const measures = measureAggregates(condition, subject, history);
      const explained = explain(condition, subject, measures);
      expect(explained.explanation).toBe(
        'count of transactions for account ACC-1 in 7d = 2 >= 2; counterparty is missing; channel is erp, not pos',
      );
      expect(explained.evidence).toEqual({
        fields: { account: 'ACC-1', counterparty: null, channel: 'erp' },
        aggregates: [
          {
            fn: 'count',
            field: null,
            group_by: ['account'],
            window: '7d',
            value: '2',
            count: 2,
            transaction_ids: ['b', 'a'],
          },
        ],
      });
    });

    it('describes a filtered aggregate, its where included', () => {
      const history = ['a', 'b', 'c'].map((id, i) =>
        transaction({ id, type: 'cash', amount: '9500', occurred_at: `2026-03-0${i + 5}T12:00:00Z` }),
      );
      const subject = history[2]!;
      const explained = explain(STRUCTURING, subject, measureAggregates(STRUCTURING, subject, history));
      expect(explained.explanation).toBe(
        'type is cash; amount 9,500.00 USD between 9,000 and 9,999.99; count of transactions matching (type = cash and amount between 9,000 and 9,999.99) for account ACC-1 in 7d = 3 >= 3',
      );
    });

    it('lists the aggregates in document order and the fields read', () => {
      expect(listAggregates(STRUCTURING)).toEqual([STRUCTURING.all[2]]);
      expect(
        fieldsRead({ all: [{ field: 'amount', op: 'gt', other_field: 'attributes.limit' }, ...STRUCTURING.all] }),
      ).toEqual(['amount', 'attributes.limit', 'type', 'account']);
    });
  });

  it.each([
    ['critical', 70],
    ['high', 53],
    ['medium', 35],
    ['low', 18],
  ] as const)(
    'risk score of a %s violation without anomaly is %s (contract: rounded to a whole number)',
    (severity, expected) => {
      expect(riskScore(severity)).toBe(expected);
    },
  );

  it('blends in the anomaly score: round(100 x (0.7 s + 0.3 a))', () => {
    expect(riskScore('high', 1)).toBe(83);
    expect(riskScore('critical', 1)).toBe(100);
    expect(riskScore('low', 0.1234)).toBe(21);
    // 0.7 x 0.5 + 0.3 x 0.5 = 0.5 exactly: 50, with no floating-point drift.
    expect(riskScore('medium', 0.5)).toBe(50);
    expect(riskScore('low', 0.05)).toBe(19);
  });
});

describe('errors', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['unknown field', { field: 'amout', op: 'gt', value: 1 }, 'condition.field', /unknown field/],
    ['attribute key with a space', { field: 'attributes.po number', op: 'exists' }, 'condition.field', /unknown field/],
    ['empty attribute key', { field: 'attributes.', op: 'exists' }, 'condition.field', /unknown field/],
    ['unknown operator', { field: 'amount', op: 'like', value: 1 }, 'condition.op', /./],
    ['amount against a string', { field: 'amount', op: 'gt', value: '10000' }, 'condition.value', /numbers/],
    ['text column against a number', { field: 'country', op: 'eq', value: 1 }, 'condition.value', /strings/],
    [
      'occurred_at without offset',
      { field: 'occurred_at', op: 'gt', value: '2026-03-01T09:30:00' },
      'condition.value',
      /RFC 3339/,
    ],
    [
      'occurred_at on a day that does not exist',
      { field: 'occurred_at', op: 'gt', value: '2026-02-30T09:30:00Z' },
      'condition.value',
      /RFC 3339/,
    ],
    [
      'occurred_at below microseconds',
      { field: 'occurred_at', op: 'gt', value: '2026-03-01T09:30:00.1234567Z' },
      'condition.value',
      /microseconds/,
    ],
    ['in without a list', { field: 'type', op: 'in', value: 'cash' }, 'condition.value', /list/],
    ['in with an empty list', { field: 'type', op: 'in', value: [] }, 'condition.value', /./],
    ['a wrong type inside in', { field: 'type', op: 'in', value: ['cash', 3] }, 'condition.value.1', /strings/],
    ['between with one bound', { field: 'amount', op: 'between', value: [1] }, 'condition.value', /low, high/],
    ['between out of order', { field: 'amount', op: 'between', value: [10, 1] }, 'condition.value', /greater/],
    [
      'between of mixed types',
      { field: 'attributes.x', op: 'between', value: [1, 'z'] },
      'condition.value',
      /same type/,
    ],
    ['exists with a value', { field: 'type', op: 'exists', value: 'x' }, 'condition.value', /no value/],
    [
      'value and other_field',
      { field: 'amount', op: 'gt', value: 1, other_field: 'attributes.x' },
      'condition.value',
      /not both/,
    ],
    ['no value', { field: 'amount', op: 'gt' }, 'condition.value', /needs a value/],
    ['null value', { field: 'type', op: 'eq', value: null }, 'condition.value', /string, a number/],
    ['a boolean ordered', { field: 'attributes.flag', op: 'gt', value: true }, 'condition.value', /booleans/],
    ['contains on amount', { field: 'amount', op: 'contains', value: '12' }, 'condition.op', /text/],
    [
      'other_field with occurred_at',
      { field: 'occurred_at', op: 'gt', other_field: 'attributes.due' },
      'condition.other_field',
      /occurred_at/,
    ],
    [
      'other_field across column types',
      { field: 'amount', op: 'eq', other_field: 'currency' },
      'condition.other_field',
      /different types/,
    ],
    ['other_field with in', { field: 'type', op: 'in', other_field: 'channel' }, 'condition.op', /other_field/],
    ['an unknown key', { field: 'type', op: 'eq', value: 'cash', severity: 'x' }, 'condition', /severity/],
    ['not a condition', 'type = cash', 'condition', /a condition is/],
    ['empty all', { all: [] }, 'condition.all', /at least one/],
    ['two forms at once', { all: [{ field: 'type', op: 'exists' }], any: [] }, 'condition', /any/],
  ])('%s', (_intent, condition, path, message) => {
    const errors = errorsOf(condition);
    expect(errors).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a window in weeks', { fn: 'count', group_by: [], window: '1w' }, 'window', /whole number/],
    ['a zero window', { fn: 'count', group_by: [], window: '0d' }, 'window', /longer than zero/],
    ['a window over 366d', { fn: 'count', group_by: [], window: '367d' }, 'window', /366d/],
    ['a window over 366d in seconds', { fn: 'count', group_by: [], window: '31622401s' }, 'window', /366d/],
    ['count with a field', { fn: 'count', field: 'amount', group_by: [], window: '1d' }, 'field', /no field/],
    ['sum of a text field', { fn: 'sum', field: 'country', group_by: [], window: '1d' }, 'field', /numeric/],
    ['count_distinct without field', { fn: 'count_distinct', group_by: [], window: '1d' }, 'field', /needs a field/],
    ['no group_by', { fn: 'count', window: '1d' }, 'group_by', /./],
    ['a group_by field twice', { fn: 'count', group_by: ['account', 'account'], window: '1d' }, 'group_by.1', /twice/],
    [
      'an aggregate inside where',
      {
        fn: 'count',
        group_by: [],
        window: '1d',
        where: { all: [{ aggregate: { fn: 'count', group_by: [], window: '1d' }, op: 'gt', value: 1 }] },
      },
      'where.all.0',
      /another aggregate/,
    ],
  ])('aggregate: %s', (_intent, aggregate, path, message) => {
    const errors = errorsOf({ all: [{ field: 'type', op: 'exists' }, { not: { aggregate, op: 'gt', value: 1 } }] });
    expect(errors).toContainEqual({
      path: `condition.all.1.not.aggregate.${path}`,
      message: expect.stringMatching(message),
    });
  });

  it('the aggregate comparison takes eq..lte or between with numbers', () => {
    const aggregate = { fn: 'count', group_by: [], window: '1d' };
    expect(errorsOf({ aggregate, op: 'in', value: [1] })).toContainEqual({
      path: 'condition.op',
      message: expect.any(String),
    });
    expect(errorsOf({ aggregate, op: 'between', value: 3 })).toContainEqual({
      path: 'condition.value',
      message: 'between takes [low, high]',
    });
    expect(errorsOf({ aggregate, op: 'gt', value: '3' })).toContainEqual({
      path: 'condition.value',
      message: expect.stringMatching(/number/),
    });
    expect(errorsOf({ aggregate, op: 'between', value: [5, 2] })).toContainEqual({
      path: 'condition.value',
      message: 'low must not be greater than high',
    });
  });

  it('refuses a ninth aggregate at its own path', () => {
    const aggregate = { aggregate: { fn: 'count', group_by: [], window: '1d' }, op: 'gt', value: 1 };
    expect(errorsOf({ any: Array.from({ length: 8 }, () => aggregate) })).toEqual([]);
    expect(errorsOf({ any: Array.from({ length: 10 }, () => aggregate) })).toEqual([
      { path: 'condition.any.8', message: 'a rule holds at most 8 aggregates' },
      { path: 'condition.any.9', message: 'a rule holds at most 8 aggregates' },
    ]);
  });

  it('accepts 16 levels of nesting and refuses 17 at the offending node', () => {
    const nest = (levels: number): unknown =>
      levels === 1 ? { field: 'type', op: 'exists' } : { not: nest(levels - 1) };
    expect(errorsOf(nest(16))).toEqual([]);
    expect(errorsOf(nest(17))).toEqual([
      { path: `condition${'.not'.repeat(16)}`, message: 'conditions nest at most 16 levels deep' },
    ]);
  });

  it('reports every offending node of one rule at once', () => {
    const errors = errorsOf({
      all: [
        { field: 'amount', op: 'gt', value: '1' },
        { field: 'nope', op: 'exists' },
        { aggregate: { fn: 'count', group_by: [], window: '9y' }, op: 'gt', value: 1 },
      ],
    });
    expect(errors.map((error) => error.path)).toEqual([
      'condition.all.0.value',
      'condition.all.1.field',
      'condition.all.2.aggregate.window',
    ]);
  });

  it('validates the rule envelope', () => {
    const result = validateRule({
      name: ' ',
      severity: 'urgent',
      condition: { field: 'type', op: 'exists' },
      policy_id: 'not-a-uuid',
    });
    expect(result.ok ? [] : result.errors.map((error) => error.path)).toEqual(['name', 'severity', 'policy_id']);
  });
});

describe('security', () => {
  it('refuses a deeply nested condition without recursing into it', () => {
    let deep: unknown = { field: 'type', op: 'exists' };
    for (let i = 0; i < 100_000; i++) deep = { not: deep };
    expect(errorsOf(deep)).toEqual([
      { path: `condition${'.not'.repeat(16)}`, message: 'conditions nest at most 16 levels deep' },
    ]);
  });

  it('refuses an oversized rule before parsing it', () => {
    const wide = {
      any: Array.from({ length: 100 }, () => ({
        any: Array.from({ length: 10 }, () => ({ field: 'type', op: 'exists' })),
      })),
    };
    expect(errorsOf(wide)).toEqual([{ path: 'condition', message: 'a rule holds at most 500 conditions' }]);
  });

  it('refuses a catastrophic regular expression when the rule is saved', () => {
    expect(errorsOf({ field: 'counterparty', op: 'matches', value: '^(a+)+$' })).toEqual([
      { path: 'condition.value', message: expect.stringMatching(/^pattern refused: /) },
    ]);
  });

  it('refuses strings Postgres could not store as they are', () => {
    expect(errorsOf({ field: 'type', op: 'eq', value: 'ca\u0000sh' })).toContainEqual({
      path: 'condition.value',
      message: expect.stringMatching(/NUL/),
    });
    expect(errorsOf({ field: 'type', op: 'eq', value: 'ca\uD800sh' })).toContainEqual({
      path: 'condition.value',
      message: expect.stringMatching(/surrogate/),
    });
  });

  it('binds every literal and attribute key as a parameter, never as SQL text', () => {
    const hostile = "x'); DROP TABLE transactions; --";
    const condition: Condition = {
      all: [
        { field: 'counterparty', op: 'in', value: [hostile, 'b'] },
        { field: 'attributes.po-ref', op: 'contains', value: hostile },
        { field: 'attributes.note', op: 'matches', value: "^O'Brien$" },
        {
          aggregate: {
            fn: 'sum',
            field: 'attributes.units',
            group_by: ['attributes.cost-center'],
            window: '30d',
            where: { field: 'type', op: 'eq', value: hostile },
          },
          op: 'gt',
          value: 10,
        },
      ],
    };
    expect(errorsOf(condition)).toEqual([]);
    const compiled = compileCondition(condition);
    for (const fragment of [compiled.holds, ...compiled.measures]) {
      const query = new PgDialect().sqlToQuery(fragment);
      expect(query.sql).not.toMatch(/DROP|O'Brien|po-ref|cost-center|units/);
      expect(query.params).toContain(hostile);
    }
  });

  it('reads attributes as own keys only, never through the prototype', () => {
    expect(holds({ field: 'attributes.constructor', op: 'missing' }, transaction({ attributes: {} }))).toBe(true);
    expect(holds({ field: 'attributes.toString', op: 'exists' }, transaction({ attributes: {} }))).toBe(false);
  });
});
