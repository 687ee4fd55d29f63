import { describe, expect, it } from 'vitest';
import {
  type ConditionNode,
  errorsByNode,
  fromJson,
  type GroupNode,
  newAggregate,
  nodePaths,
  toJson,
  UnsupportedCondition,
  updateNode,
} from '../web/src/features/rules/condition';
import { validateRule } from '../worker/rules/language/schema';
import { CONTRACT_STRUCTURING } from './rules-fixtures';

const structuring = CONTRACT_STRUCTURING;

const everyForm = {
  any: [
    { not: { field: 'attributes.approved_by', op: 'exists' } },
    { field: 'country', op: 'ne', other_field: 'counterparty_country' },
    { field: 'counterparty_country', op: 'in', value: ['IR', 'KP'] },
    { field: 'account', op: 'matches', value: '^ACC-[0-9]+$' },
    { aggregate: { fn: 'sum', field: 'amount', group_by: ['counterparty'], window: '30d' }, op: 'gt', value: 25000 },
    {
      all: [
        { field: 'attributes.tier', op: 'eq', value: 2 },
        { field: 'attributes.vip', op: 'eq', value: true },
      ],
    },
  ],
};

describe('happy', () => {
  it('round-trips the contract example through the builder tree unchanged', () => {
    expect(toJson(fromJson(structuring))).toEqual(structuring);
  });

  it('round-trips every condition form: not, field comparison, lists, regex, aggregates with field, nested groups', () => {
    expect(toJson(fromJson(everyForm))).toEqual(everyForm);
  });

  it('keeps the key order the API shows, so the JSON view reads like the stored rule', () => {
    expect(JSON.stringify(toJson(fromJson(structuring)))).toBe(JSON.stringify(structuring));
  });

  it('edits one node and leaves the rest of the rule as it was', () => {
    const tree = fromJson(structuring) as GroupNode;
    const amount = tree.children[1]!;
    const edited = updateNode(tree, amount.id, (node) => ({ ...node, value: [10000, 19999.99] }) as ConditionNode)!;
    const json = toJson(edited) as { all: unknown[] };
    expect(json.all[1]).toEqual({ field: 'amount', op: 'between', value: [10000, 19999.99] });
    expect(json.all[2]).toEqual(structuring.all[2]);
  });

  it('removes a node and adds an aggregate', () => {
    const tree = fromJson(structuring) as GroupNode;
    const withoutType = updateNode(tree, tree.children[0]!.id, () => null) as GroupNode;
    const extended: GroupNode = { ...withoutType, children: [...withoutType.children, newAggregate()] };
    const json = toJson(extended) as { all: unknown[] };
    expect(json.all).toHaveLength(3);
    expect(json.all[2]).toEqual({
      aggregate: { fn: 'count', group_by: ['account'], window: '7d' },
      op: 'gte',
      value: 3,
    });
    expect(validateRule({ name: 'r', severity: 'high', condition: json }).ok).toBe(true);
  });

  it('gives every node the JSON path the API uses in its errors', () => {
    const tree = fromJson(structuring) as GroupNode;
    const paths = [...nodePaths(tree).keys()];
    expect(paths).toEqual([
      'condition',
      'condition.all.0',
      'condition.all.1',
      'condition.all.2',
      'condition.all.2.aggregate.where',
      'condition.all.2.aggregate.where.all.0',
      'condition.all.2.aggregate.where.all.1',
    ]);
  });
});

describe('errors', () => {
  it("places the validator's errors on the nodes they name", () => {
    const broken = {
      all: [
        { field: 'amount', op: 'gt', value: 'lots' },
        {
          aggregate: {
            fn: 'count',
            group_by: ['account'],
            window: '7d',
            where: { all: [{ field: 'colour', op: 'eq', value: 'red' }] },
          },
          op: 'gte',
          value: 3,
        },
      ],
    };
    const tree = fromJson(broken) as GroupNode;
    const validation = validateRule({ name: 'Broken', severity: 'high', condition: broken });
    expect(validation.ok).toBe(false);
    const errors = validation.ok ? [] : validation.errors;
    const byNode = errorsByNode(tree, errors);

    const amount = tree.children[0]!;
    const aggregate = tree.children[1]!;
    const colour =
      aggregate.kind === 'aggregate' && aggregate.where?.kind === 'group' ? aggregate.where.children[0]! : undefined;
    expect(byNode.get(amount.id)?.some((message) => message.startsWith('value'))).toBe(true);
    expect(colour && byNode.get(colour.id)?.some((message) => message.startsWith('field'))).toBe(true);
    expect(byNode.get(tree.id)).toBeUndefined();
    expect(byNode.get(aggregate.id)).toBeUndefined();
  });

  it("places an aggregate's own error (a window over 366 days) on the aggregate", () => {
    const tooLong = {
      all: [{ aggregate: { fn: 'count', group_by: ['account'], window: '400d' }, op: 'gte', value: 3 }],
    };
    const tree = fromJson(tooLong) as GroupNode;
    const validation = validateRule({ name: 'Long', severity: 'low', condition: tooLong });
    const byNode = errorsByNode(tree, validation.ok ? [] : validation.errors);
    expect(byNode.get(tree.children[0]!.id)?.some((message) => message.startsWith('aggregate.window'))).toBe(true);
  });

  it('refuses JSON the builder cannot show, naming where', () => {
    expect(() => fromJson({ all: [{ field: 'amount', op: 'gt', value: 1 }, 42] })).toThrow(UnsupportedCondition);
    expect(() => fromJson({ all: [{ field: 'amount', op: 'gt', value: 1 }, 42] })).toThrow('condition.all.1');
    expect(() => fromJson({ any: 'nope' })).toThrow('condition.any');
    expect(() => fromJson({ something: true })).toThrow('condition');
  });

  it('keeps values the API would refuse, so the API says why instead of the builder hiding it', () => {
    const odd = { field: 'amount', op: 'exists', value: 5 };
    expect(toJson(fromJson(odd))).toEqual(odd);
  });
});
