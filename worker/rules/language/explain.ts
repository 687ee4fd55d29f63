import { fieldsRead, isPredicate, listAggregates, walkConditions } from './condition-tree';
import { compareDecimals, decimalOf, formatDecimal, parseDecimal } from './decimal';
import {
  type CanonicalTransaction,
  evaluate,
  type Finding,
  readField,
  type ScreeningLookup,
  type ScreeningResult,
  screeningOf,
} from './evaluate';
import type { Field } from './fields';
import type { AggregateMeasure } from './measure';
import {
  type AggregateCondition,
  type AggregateFn,
  type ComparisonOp,
  type Condition,
  isScreenOperand,
  type Predicate,
  type ScreenOperand,
  screenThreshold,
} from './schema';
import type { Scalar } from './values';

/** The evidence stored with a violation: the fields read, and each aggregate's value with its contributing transactions. */
export interface Evidence {
  fields: Record<string, unknown>;
  aggregates: {
    fn: AggregateFn;
    field: Field | null;
    group_by: Field[];
    window: string;
    value: string | null;
    count: number;
    transaction_ids: string[];
  }[];
  /** Present when the rule screens: each `screen` predicate's best match (entry and score). */
  screening?: ScreeningEvidence[];
}

export interface ScreeningEvidence {
  field: Field;
  value: string | null;
  list_id: string;
  list_name: string | null;
  list_version: number | null;
  threshold: string;
  score: string | null;
  matched: boolean;
  entry: NonNullable<ScreeningResult['best']> | null;
}

export interface Explanation {
  holds: boolean;
  /** One clause per predicate that held, with the actual values, joined by "; ". */
  explanation: string;
  evidence: Evidence;
}

/** Explains a transaction's outcome; `measures` as for `evaluate` (from the compiled SQL, in listAggregates order). */
export function explain(
  condition: Condition,
  transaction: CanonicalTransaction,
  measures: readonly AggregateMeasure[] = [],
  screenings?: ScreeningLookup,
): Explanation {
  const { holds, predicatesThatHeld } = evaluate(condition, transaction, measures, screenings);
  const screening = screeningEvidence(condition, transaction, screenings);
  return {
    holds,
    explanation: predicatesThatHeld.map((finding) => describeFinding(finding, transaction)).join('; '),
    evidence: {
      fields: Object.fromEntries(fieldsRead(condition).map((field) => [field, readField(transaction, field) ?? null])),
      aggregates: listAggregates(condition).map(({ aggregate }, i) => {
        const measure = measures[i] as AggregateMeasure;
        return {
          fn: aggregate.fn,
          field: aggregate.field ?? null,
          group_by: aggregate.group_by,
          window: aggregate.window,
          value: measure.value,
          count: measure.count,
          transaction_ids: measure.ids,
        };
      }),
      ...(screening.length > 0 ? { screening } : {}),
    },
  };
}

function screeningEvidence(
  condition: Condition,
  transaction: CanonicalTransaction,
  screenings: ScreeningLookup = () => undefined,
): ScreeningEvidence[] {
  return [...walkConditions(condition)].flatMap(({ condition: node }) => {
    if (!isPredicate(node) || node.op !== 'screen' || !isScreenOperand(node.value)) return [];
    const result = screeningOf(node, { transaction, screenings });
    const actual = readField(transaction, node.field);
    const threshold = screenThreshold(node.value);
    const score = result ? parseDecimal(result.score) : null;
    return [
      {
        field: node.field,
        value: typeof actual === 'string' ? actual : null,
        list_id: node.value.list_id,
        list_name: result?.list_name ?? null,
        list_version: result?.list_version ?? null,
        threshold: formatDecimal(threshold),
        score: result?.score ?? null,
        matched: score !== null && compareDecimals(score, threshold) >= 0,
        entry: result?.best ?? null,
      },
    ];
  });
}

const SYMBOL: Record<ComparisonOp, string> = { eq: '=', ne: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const AGGREGATE_SUBJECT: Record<AggregateFn, string> = {
  count: 'count of transactions',
  count_distinct: 'count of distinct',
  sum: 'sum of',
  avg: 'average of',
  min: 'min of',
  max: 'max of',
};

function describeFinding(finding: Finding, transaction: CanonicalTransaction): string {
  if (finding.kind === 'aggregate')
    return negatable(
      aggregateClause(finding.condition, finding.measure, finding.groupValues, transaction),
      finding.negated,
    );
  const { predicate, negated, actual } = finding;
  if (predicate.op === 'exists' || predicate.op === 'missing') {
    const present = (predicate.op === 'exists') !== negated;
    return present
      ? `${predicate.field} ${showActual(predicate.field, actual, transaction)} is present`
      : `${predicate.field} is missing`;
  }
  // Equality against a literal reads as a sentence: "type is wire", "channel is erp, not pos".
  if ((predicate.op === 'eq' || predicate.op === 'ne') && !predicate.other_field && !isScreenOperand(predicate.value)) {
    const is = `${predicate.field} is ${showActual(predicate.field, actual, transaction)}`;
    const differs = (predicate.op === 'ne') !== negated;
    const [expected = ''] = [predicate.value ?? ''].flat();
    return differs ? `${is}, not ${showLiteral(expected)}` : is;
  }
  if (predicate.op === 'screen' && isScreenOperand(predicate.value))
    return negatable(screenClause(predicate, predicate.value, actual, finding.screening), negated);
  const other =
    predicate.other_field &&
    `${predicate.other_field} ${showActual(predicate.other_field, finding.otherActual, transaction)}`;
  return negatable(
    `${predicate.field} ${showActual(predicate.field, actual, transaction)} ${relation(predicate, other)}`,
    negated,
  );
}

function negatable(clause: string, negated: boolean): string {
  return negated ? `not (${clause})` : clause;
}

/** `counterparty Acme Tradng matches entry E-1 "ACME TRADING LLC" of list Sanctions (as "Acme Trading"), score 0.9823 >= 0.85`. */
function screenClause(
  predicate: Predicate,
  operand: ScreenOperand,
  actual: unknown,
  screening: ScreeningResult | undefined,
): string {
  const subject = `${predicate.field} ${typeof actual === 'string' ? actual : '(absent)'}`;
  const threshold = formatDecimal(screenThreshold(operand));
  if (!screening) return `${subject} screens against list ${operand.list_id} (not found)`;
  const list = `list ${screening.list_name} v${screening.list_version}`;
  const best = screening.best;
  if (!best) return `${subject} matches nothing in ${list} (threshold ${threshold})`;
  const as = best.matched_name === best.name ? '' : ` (as "${best.matched_name}")`;
  return `${subject} matches entry ${best.entry_id} "${best.name}"${as} of ${list}, score ${screening.score} >= ${threshold}`;
}

/** The operator and its operand: `> 10,000`, `in [US, CA]`, `> attributes.limit 9,000`. */
function relation(predicate: Predicate, other: string | undefined): string {
  if (isScreenOperand(predicate.value))
    return `screens against list ${predicate.value.list_id} at ${formatDecimal(screenThreshold(predicate.value))}`;
  const values = [predicate.value ?? []].flat();
  const [first = '', second = ''] = values.map(showLiteral);
  switch (predicate.op) {
    case 'in':
    case 'not_in':
      return `${predicate.op === 'in' ? 'in' : 'not in'} [${values.map(showLiteral).join(', ')}]`;
    case 'between':
      return `between ${first} and ${second}`;
    case 'contains':
      return `contains "${first}"`;
    case 'starts_with':
      return `starts with "${first}"`;
    case 'ends_with':
      return `ends with "${first}"`;
    case 'matches':
      return `matches /${first}/`;
    case 'exists':
      return 'is present';
    case 'missing':
      return 'is missing';
    case 'screen':
      return 'screens';
    default:
      return `${SYMBOL[predicate.op]} ${other ?? first}`;
  }
}

function aggregateClause(
  condition: AggregateCondition,
  measure: AggregateMeasure,
  groupValues: unknown[],
  transaction: CanonicalTransaction,
): string {
  const { aggregate, op, value } = condition;
  const subject = aggregate.field
    ? `${AGGREGATE_SUBJECT[aggregate.fn]} ${aggregate.field}`
    : AGGREGATE_SUBJECT[aggregate.fn];
  const filter = aggregate.where ? ` matching (${describeCondition(aggregate.where)})` : '';
  const groups = aggregate.group_by.map((field, i) => `${field} ${showActual(field, groupValues[i], transaction)}`);
  const scope = groups.length ? ` for ${groups.join(' and ')}` : '';
  const [low, high] = [value].flat().map(showLiteral);
  const threshold = op === 'between' ? `between ${low} and ${high}` : `${SYMBOL[op]} ${low}`;
  return `${subject}${filter}${scope} in ${aggregate.window} = ${showMeasured(aggregate.fn, aggregate.field, measure.value)} ${threshold}`;
}

/** A condition without actual values, as a `where` reads: `type = cash and amount between 9,000 and 9,999.99`. */
export function describeCondition(condition: Condition): string {
  const nested = (member: Condition) =>
    ('all' in member && member.all.length > 1) || ('any' in member && member.any.length > 1)
      ? `(${describeCondition(member)})`
      : describeCondition(member);
  if ('all' in condition) return condition.all.map(nested).join(' and ');
  if ('any' in condition) return condition.any.map(nested).join(' or ');
  if ('not' in condition) return `not (${describeCondition(condition.not)})`;
  if ('aggregate' in condition) return `${AGGREGATE_SUBJECT[condition.aggregate.fn]} in ${condition.aggregate.window}`;
  return `${condition.field} ${relation(condition, condition.other_field)}`;
}

/** A value found on the transaction: amounts with two decimals and the currency, `(absent)` for absence. */
function showActual(field: Field, value: unknown, transaction: CanonicalTransaction): string {
  if (value === undefined || value === null) return '(absent)';
  const amount =
    field === 'amount' && (typeof value === 'string' || typeof value === 'number') ? parseDecimal(value) : null;
  if (amount) return `${formatDecimal(amount, 2)} ${transaction.currency}`;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return showLiteral(value);
  return JSON.stringify(value);
}

function showLiteral(value: Scalar): string {
  if (typeof value === 'number') return formatDecimal(decimalOf(value));
  if (typeof value === 'string') return value === '' ? '""' : value;
  return String(value);
}

function showMeasured(fn: AggregateFn, field: Field | undefined, value: string | null): string {
  const decimal = value === null ? null : parseDecimal(value);
  if (!decimal) return 'no value';
  return formatDecimal(decimal, field === 'amount' && fn !== 'count_distinct' ? 2 : 0);
}
