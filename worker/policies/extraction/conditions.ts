import type { Condition, Field, Predicate, PredicateOp } from '../../rules/language';

/** Builders for the conditions of the rule language (worker/rules/language) that the extractor writes. */

export type Inequality = 'gt' | 'gte' | 'lt' | 'lte';

export function predicate(field: Field, op: PredicateOp, value: NonNullable<Predicate['value']>): Condition {
  return { field, op, value };
}

export function missing(field: Field): Condition {
  return { field, op: 'missing' };
}

/** `all` of the members, or the member itself when there is only one. */
export function allOf(members: Condition[]): Condition {
  return members.length === 1 && members[0] ? members[0] : { all: members };
}

/** `any` of the members, or the member itself when there is only one. */
export function anyOf(members: Condition[]): Condition {
  return members.length === 1 && members[0] ? members[0] : { any: members };
}

/** `eq` for one value, `in` for several. */
export function oneOf(field: Field, values: string[]): Condition {
  return values.length === 1 && values[0] ? predicate(field, 'eq', values[0]) : predicate(field, 'in', values);
}

const COMPLEMENT: Record<Inequality, Inequality> = { gt: 'lte', gte: 'lt', lt: 'gte', lte: 'gt' };

/** The operator that holds exactly when `op` does not: an allowed limit turned into its violation. */
export function complement(op: Inequality): Inequality {
  return COMPLEMENT[op];
}
