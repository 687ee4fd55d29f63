import { isAggregateCondition, listAggregates } from './condition-tree';
import {
  addDecimals,
  compareDecimals,
  type Decimal,
  decimalOf,
  decimalToString,
  divideRounded,
  multiplyDecimal,
  parseDecimal,
  ZERO,
} from './decimal';
import { attributeKeys, type Field, fieldKind, isAttributeField } from './fields';
import { parseInstant } from './instant';
import { type AggregateMeasure, AVERAGE_PLACES, MAX_EVIDENCE_IDS } from './measure';
import { portableRegex } from './regex-safety';
import {
  type Aggregate,
  type AggregateCondition,
  type ComparisonOp,
  type Condition,
  isScreenOperand,
  type Predicate,
  screenThreshold,
  validatedField,
  validatedWindowSeconds,
} from './schema';
import {
  compareText,
  compareValues,
  equalValues,
  jsonValue,
  literalValue,
  numberValue,
  type TypedValue,
  valueKey,
} from './values';

/**
 * The JavaScript evaluator: the same semantics as compile-sql.ts, for one transaction. The engine
 * uses it to explain a hit the SQL found (with the measures the SQL returned); tests use it, with
 * `measureAggregates` over an in-memory history, as the oracle the SQL must agree with.
 */

/** A transaction in the canonical JSON shape of contract section 4. */
export interface CanonicalTransaction {
  id: string;
  occurred_at: string;
  amount: string | number;
  currency: string;
  account: string;
  counterparty?: string | null;
  type?: string | null;
  country?: string | null;
  counterparty_country?: string | null;
  channel?: string | null;
  attributes?: Record<string, unknown> | null;
  /** Derived, not pushed: the anomaly model's score as a decimal string (absent before a model). */
  anomaly_score?: string | number | null;
}

/**
 * The best match of a screened value in a list's current version, as the scorer found it
 * (worker/screening): `score` with four decimals, `best` null when no entry came close.
 */
export interface ScreeningResult {
  list_id: string;
  list_name: string;
  list_version: number;
  score: string;
  best: {
    entry_id: string;
    name: string;
    matched_name: string;
    type: string;
    country: string | null;
    program: string | null;
    explanation: string;
  } | null;
}

/** The screening result of a value in a list; undefined when the list has no current version (deleted). */
export type ScreeningLookup = (listId: string, subject: string) => ScreeningResult | undefined;

const NO_SCREENINGS: ScreeningLookup = () => undefined;

/** A predicate or aggregate that held (negated: its negation held, under an odd number of `not`). */
export type Finding =
  | {
      kind: 'predicate';
      predicate: Predicate;
      negated: boolean;
      actual: unknown;
      otherActual: unknown;
      /** For `screen`: the best match of the value in the list. */
      screening?: ScreeningResult;
    }
  | {
      kind: 'aggregate';
      condition: AggregateCondition;
      negated: boolean;
      measure: AggregateMeasure;
      groupValues: unknown[];
    };

export interface Evaluation {
  holds: boolean;
  /** Why it holds: every predicate and aggregate that made it hold, in document order; empty when it does not. */
  predicatesThatHeld: Finding[];
}

interface Context {
  transaction: CanonicalTransaction;
  measures: Map<AggregateCondition, AggregateMeasure>;
  screenings: ScreeningLookup;
}

/**
 * `measures` are the condition's aggregates' measures, in `listAggregates` order; `screenings`
 * the screening results of the values its `screen` predicates read.
 */
export function evaluate(
  condition: Condition,
  transaction: CanonicalTransaction,
  measures: readonly AggregateMeasure[] = [],
  screenings: ScreeningLookup = NO_SCREENINGS,
): Evaluation {
  const aggregates = listAggregates(condition);
  if (measures.length !== aggregates.length)
    throw new Error(`rule language: ${aggregates.length} aggregates but ${measures.length} measures`);
  const context: Context = {
    transaction,
    measures: new Map(aggregates.map((aggregate, i) => [aggregate, measures[i] as AggregateMeasure])),
    screenings,
  };
  const holds = conditionHolds(condition, context);
  return { holds, predicatesThatHeld: holds ? findings(condition, context, true) : [] };
}

function conditionHolds(condition: Condition, context: Context): boolean {
  if ('all' in condition) return condition.all.every((member) => conditionHolds(member, context));
  if ('any' in condition) return condition.any.some((member) => conditionHolds(member, context));
  if ('not' in condition) return !conditionHolds(condition.not, context);
  if (isAggregateCondition(condition)) return aggregateHolds(condition, measureOf(condition, context));
  return predicateHolds(condition, context);
}

function measureOf(condition: AggregateCondition, context: Context): AggregateMeasure {
  return context.measures.get(condition) as AggregateMeasure;
}

/**
 * The predicates and aggregates that gave `condition` the outcome `wanted`: every member of a
 * holding `all` but only the holding members of an `any` (and the reverse for a failing one);
 * `not` flips the outcome wanted of its operand, so its findings come out negated.
 */
function findings(condition: Condition, context: Context, wanted: boolean): Finding[] {
  const decisive = (members: Condition[]) => members.filter((member) => conditionHolds(member, context) === wanted);
  if ('all' in condition)
    return (wanted ? condition.all : decisive(condition.all)).flatMap((member) => findings(member, context, wanted));
  if ('any' in condition)
    return (wanted ? decisive(condition.any) : condition.any).flatMap((member) => findings(member, context, wanted));
  if ('not' in condition) return findings(condition.not, context, !wanted);
  const transaction = context.transaction;
  if (isAggregateCondition(condition)) {
    const groupValues = condition.aggregate.group_by.map((field) => readField(transaction, field));
    return [{ kind: 'aggregate', condition, negated: !wanted, measure: measureOf(condition, context), groupValues }];
  }
  const otherActual = condition.other_field === undefined ? undefined : readField(transaction, condition.other_field);
  const screening = screeningOf(condition, context);
  return [
    {
      kind: 'predicate',
      predicate: condition,
      negated: !wanted,
      actual: readField(transaction, condition.field),
      otherActual,
      ...(screening ? { screening } : {}),
    },
  ];
}

// Reading fields.

/** The field's JSON value on the transaction; undefined when absent. Attributes are read as own keys of plain objects only. */
export function readField(transaction: CanonicalTransaction, field: Field): unknown {
  if (!isAttributeField(field)) return transaction[field] ?? undefined;
  let node: unknown = transaction.attributes;
  for (const key of attributeKeys(field))
    node = isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return node ?? undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typedField(transaction: CanonicalTransaction, field: Field): TypedValue | undefined {
  const raw = readField(transaction, field);
  switch (fieldKind(field)) {
    case 'numeric':
      return typeof raw === 'string' || typeof raw === 'number' ? numberValue(raw) : undefined;
    case 'instant':
      return typeof raw === 'string' ? instantValue(raw) : undefined;
    case 'text':
      return typeof raw === 'string' ? { type: 'string', value: raw } : undefined;
    case 'json':
      return jsonValue(raw);
  }
}

function instantValue(text: string): TypedValue | undefined {
  const instant = parseInstant(text);
  return instant === null ? undefined : { type: 'instant', value: instant };
}

// Predicates.

/** The screening result a `screen` predicate reads: the field's text in the list; undefined for other predicates. */
export function screeningOf(
  predicate: Predicate,
  context: Pick<Context, 'transaction' | 'screenings'>,
): ScreeningResult | undefined {
  if (predicate.op !== 'screen' || !isScreenOperand(predicate.value)) return undefined;
  const actual = typedField(context.transaction, predicate.field);
  return actual?.type === 'string' ? context.screenings(predicate.value.list_id, actual.value) : undefined;
}

function predicateHolds(predicate: Predicate, context: Context): boolean {
  const transaction = context.transaction;
  const actual = typedField(transaction, predicate.field);
  if (predicate.op === 'missing') return actual === undefined;
  if (actual === undefined) return false;
  if (predicate.op === 'exists') return true;
  if (predicate.op === 'screen') {
    const screening = screeningOf(predicate, context);
    const score = screening ? parseDecimal(screening.score) : null;
    return (
      score !== null &&
      isScreenOperand(predicate.value) &&
      compareDecimals(score, screenThreshold(predicate.value)) >= 0
    );
  }
  if (isScreenOperand(predicate.value)) return false;
  if (predicate.other_field !== undefined)
    return comparisonHolds(predicate.op as ComparisonOp, actual, typedField(transaction, predicate.other_field));
  const { op, value } = predicate;
  if (value === undefined) return false;
  const kind = fieldKind(predicate.field);
  const literals = [value].flat().map((scalar) => literalValue(kind, scalar));
  switch (op) {
    case 'in':
      return literals.some((literal) => literal !== undefined && equalValues(actual, literal) === true);
    case 'not_in': {
      // Not in the list, and comparable with it: a list holding nothing of the field's type is a mismatch.
      const outcomes = literals.map((literal) => (literal === undefined ? null : equalValues(actual, literal)));
      return outcomes.includes(false) && !outcomes.includes(true);
    }
    case 'between': {
      const [low, high] = literals;
      if (!low || !high) return false;
      const [fromLow, toHigh] = [compareValues(actual, low), compareValues(actual, high)];
      return fromLow !== null && toHigh !== null && fromLow >= 0 && toHigh <= 0;
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with':
    case 'matches':
      return actual.type === 'string' && typeof value === 'string' && textOperatorHolds(op, actual.value, value);
    default:
      return comparisonHolds(op as ComparisonOp, actual, Array.isArray(value) ? undefined : literals[0]);
  }
}

function comparisonHolds(op: ComparisonOp, actual: TypedValue, expected: TypedValue | undefined): boolean {
  if (expected === undefined) return false;
  if (op === 'eq') return equalValues(actual, expected) === true;
  if (op === 'ne') return equalValues(actual, expected) === false;
  const order = compareValues(actual, expected);
  if (order === null) return false;
  return { gt: order > 0, gte: order >= 0, lt: order < 0, lte: order <= 0 }[op];
}

function textOperatorHolds(
  op: 'contains' | 'starts_with' | 'ends_with' | 'matches',
  text: string,
  operand: string,
): boolean {
  switch (op) {
    case 'contains':
      return text.includes(operand);
    case 'starts_with':
      return text.startsWith(operand);
    case 'ends_with':
      return text.endsWith(operand);
    case 'matches':
      return portableRegex(operand).matcher.test(text);
  }
}

// Aggregates.

function aggregateHolds(condition: AggregateCondition, measure: AggregateMeasure): boolean {
  const bounds = [condition.value].flat().map(decimalOf);
  if (condition.aggregate.fn !== 'avg') {
    const value = measure.value === null ? null : parseDecimal(measure.value);
    return value !== null && boundsHold(condition, value, bounds);
  }
  // avg compares exactly: sum against each bound times the count.
  const sum = measure.sum === null ? null : parseDecimal(measure.sum);
  const count = BigInt(measure.count);
  return (
    count > 0n &&
    sum !== null &&
    boundsHold(
      condition,
      sum,
      bounds.map((bound) => multiplyDecimal(bound, count)),
    )
  );
}

function boundsHold(condition: AggregateCondition, value: Decimal, bounds: Decimal[]): boolean {
  const order = compareDecimals(value, bounds[0] as Decimal);
  switch (condition.op) {
    case 'between':
      return order >= 0 && compareDecimals(value, bounds[1] as Decimal) <= 0;
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    default:
      return { gt: order > 0, gte: order >= 0, lt: order < 0, lte: order <= 0 }[condition.op];
  }
}

/**
 * Each aggregate's measure for `transaction` over `history` (the organization's stored
 * transactions, the evaluated one included), in `listAggregates` order.
 */
export function measureAggregates(
  condition: Condition,
  transaction: CanonicalTransaction,
  history: readonly CanonicalTransaction[],
): AggregateMeasure[] {
  return listAggregates(condition).map(({ aggregate }) =>
    measure(aggregate, windowSet(aggregate, transaction, history)),
  );
}

/** Contract section 6.2: same group values (present on t), t.occurred_at - D < u.occurred_at <= t.occurred_at, and `where`. */
function windowSet(
  aggregate: Aggregate,
  transaction: CanonicalTransaction,
  history: readonly CanonicalTransaction[],
): CanonicalTransaction[] {
  const end = parseInstant(transaction.occurred_at);
  const groupKeys = aggregate.group_by.map((field) => typedField(transaction, field));
  if (end === null || groupKeys.some((value) => value === undefined)) return [];
  const start = end - BigInt(validatedWindowSeconds(aggregate.window)) * 1_000_000n;
  const keys = groupKeys.map((value) => valueKey(value as TypedValue));
  return history.filter((member) => {
    const at = parseInstant(member.occurred_at);
    if (at === null || at <= start || at > end) return false;
    const sameGroup = aggregate.group_by.every((field, i) => {
      const value = typedField(member, field);
      return value !== undefined && valueKey(value) === keys[i];
    });
    return (
      sameGroup &&
      (!aggregate.where ||
        conditionHolds(aggregate.where, { transaction: member, measures: new Map(), screenings: NO_SCREENINGS }))
    );
  });
}

function measure(aggregate: Aggregate, members: CanonicalTransaction[]): AggregateMeasure {
  if (aggregate.fn === 'count')
    return { value: String(members.length), sum: null, count: members.length, ids: newestIds(members) };
  const field = validatedField(aggregate);
  const valued = members.flatMap((member) => {
    const value = typedField(member, field);
    return value === undefined ? [] : [{ member, value }];
  });
  if (aggregate.fn === 'count_distinct') {
    const distinct = new Set(valued.map(({ value }) => valueKey(value))).size;
    return {
      value: String(distinct),
      sum: null,
      count: valued.length,
      ids: newestIds(valued.map(({ member }) => member)),
    };
  }
  const numbers = valued.flatMap(({ member, value }) =>
    value.type === 'number' ? [{ member, value: value.value }] : [],
  );
  const sum = numbers.reduce((total, { value }) => addDecimals(total, value), ZERO);
  const base = { count: numbers.length, ids: newestIds(numbers.map(({ member }) => member)) };
  switch (aggregate.fn) {
    case 'sum':
      return { ...base, value: decimalToString(sum), sum: decimalToString(sum) };
    case 'avg':
      return {
        ...base,
        value: numbers.length ? decimalToString(divideRounded(sum, BigInt(numbers.length), AVERAGE_PLACES)) : null,
        sum: decimalToString(sum),
      };
    default: {
      const pick = aggregate.fn === 'min' ? -1 : 1;
      const extreme = numbers.reduce<Decimal | null>(
        (best, { value }) => (best === null || compareDecimals(value, best) === pick ? value : best),
        null,
      );
      return { ...base, value: extreme && decimalToString(extreme), sum: null };
    }
  }
}

/** Up to 50 external ids, newest first, ties by id descending in code point order (the SQL's ORDER BY). */
function newestIds(members: CanonicalTransaction[]): string[] {
  const instants = new Map(members.map((member) => [member, parseInstant(member.occurred_at) ?? 0n]));
  return [...members]
    .sort((a, b) => {
      const [left, right] = [instants.get(a) as bigint, instants.get(b) as bigint];
      return left === right ? compareText(b.id, a.id) : left < right ? 1 : -1;
    })
    .slice(0, MAX_EVIDENCE_IDS)
    .map((member) => member.id);
}
