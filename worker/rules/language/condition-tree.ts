import type { Field } from './fields';
import type { AggregateCondition, Condition, Predicate } from './schema';

export type ConditionPath = (string | number)[];

export function isPredicate(condition: Condition): condition is Predicate {
  return 'field' in condition;
}

export function isAggregateCondition(condition: Condition): condition is AggregateCondition {
  return 'aggregate' in condition;
}

/** Every condition node, depth-first in document order; an aggregate's `where` is not entered. */
export function* walkConditions(
  condition: Condition,
  path: ConditionPath = [],
): Generator<{ condition: Condition; path: ConditionPath }> {
  yield { condition, path };
  if ('all' in condition)
    for (const [i, member] of condition.all.entries()) yield* walkConditions(member, [...path, 'all', i]);
  if ('any' in condition)
    for (const [i, member] of condition.any.entries()) yield* walkConditions(member, [...path, 'any', i]);
  if ('not' in condition) yield* walkConditions(condition.not, [...path, 'not']);
}

/** The rule's aggregates in document order: the order of compiled measures and of `evaluate`'s input. */
export function listAggregates(condition: Condition): AggregateCondition[] {
  return [...walkConditions(condition)].map((node) => node.condition).filter(isAggregateCondition);
}

/** Fields of the evaluated transaction the condition reads (predicates, compared fields, group_by), first use first. */
export function fieldsRead(condition: Condition): Field[] {
  const fields = new Set<Field>();
  for (const { condition: node } of walkConditions(condition)) {
    if (isPredicate(node)) {
      fields.add(node.field);
      if (node.other_field !== undefined) fields.add(node.other_field);
    }
    if (isAggregateCondition(node)) for (const field of node.aggregate.group_by) fields.add(field);
  }
  return [...fields];
}
