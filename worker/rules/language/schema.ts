import { z } from 'zod';
import { type ConditionPath, isAggregateCondition, walkConditions } from './condition-tree';
import { compareDecimals, type Decimal, decimalOf, parseDecimal } from './decimal';
import { COLUMN_FIELDS, type Field, type FieldKind, fieldKind, isField } from './fields';
import { checkRegexSafety } from './regex-safety';
import { compareValues, literalValue, type Scalar } from './values';

/**
 * The rule language of contract section 6.
 *
 * Save-time decisions the contract leaves open (evaluation stays total either way: a mismatch
 * that slips through is false, never an error):
 * - a value that can never match a column's type is refused: `amount` takes numbers, the text
 *   columns take strings, `occurred_at` takes RFC 3339 instants with an offset (at most
 *   microseconds, Postgres' resolution); `attributes.<key>` takes any string, number or boolean;
 * - booleans only with eq, ne, in, not_in; `other_field` only with eq, ne, gt, gte, lt, lte, never
 *   with `occurred_at`, and never between two columns of different types;
 * - nesting: the root condition is level 1, and each member of all/any, the operand of not and an
 *   aggregate's `where` go one level deeper;
 * - limits beyond the contract's, so one rule cannot become a huge query: 500 condition nodes,
 *   100 members per all/any, 1,000 values per list, strings of 1,024 characters, 4 group_by fields.
 *
 * Error paths are dotted with numeric indexes, `condition.all.2.aggregate.window`, the format of
 * worker/platform/errors.ts, so zod issues of these schemas can be reported as they are.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const COMPARISON_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] as const;
export const PREDICATE_OPS = [
  ...COMPARISON_OPS,
  'in',
  'not_in',
  'between',
  'contains',
  'starts_with',
  'ends_with',
  'matches',
  'exists',
  'missing',
  'screen',
] as const;
export const AGGREGATE_OPS = [...COMPARISON_OPS, 'between'] as const;
export const AGGREGATE_FNS = ['count', 'sum', 'avg', 'min', 'max', 'count_distinct'] as const;

export type Severity = (typeof SEVERITIES)[number];
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
export type PredicateOp = (typeof PREDICATE_OPS)[number];
export type AggregateOp = (typeof AGGREGATE_OPS)[number];
export type AggregateFn = (typeof AGGREGATE_FNS)[number];

/** The operand of `screen`: a watch list (its current version) and the lowest score that counts as a match. */
export interface ScreenOperand {
  list_id: string;
  threshold?: number;
}

export interface Predicate {
  field: Field;
  op: PredicateOp;
  value?: Scalar | Scalar[] | ScreenOperand;
  other_field?: Field;
}

/** The threshold `screen` uses when the rule gives none (the search's default). */
export const DEFAULT_SCREEN_THRESHOLD = 0.85;

/** The threshold of a `screen` operand, as an exact decimal. */
export function screenThreshold(operand: ScreenOperand): Decimal {
  return decimalOf(operand.threshold ?? DEFAULT_SCREEN_THRESHOLD);
}

export function isScreenOperand(value: Predicate['value']): value is ScreenOperand {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface Aggregate {
  fn: AggregateFn;
  field?: Field;
  group_by: Field[];
  window: string;
  where?: Condition;
}

export interface AggregateCondition {
  aggregate: Aggregate;
  op: AggregateOp;
  value: number | [number, number];
}

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | Predicate
  | AggregateCondition;

const MAX_AGGREGATES = 8;
const MAX_DEPTH = 16;
const MAX_CONDITIONS = 500;
const MAX_MEMBERS = 100;
const MAX_LIST_VALUES = 1000;
const MAX_GROUP_BY = 4;
const MAX_WINDOW_SECONDS = 366 * 86_400;
const WINDOW = /^(\d+)([smhd])$/;
const WINDOW_UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/** The length of a window such as `7d` in seconds; null when it is not written as one. */
function windowSeconds(window: string): number | null {
  const match = WINDOW.exec(window);
  if (!match) return null;
  return Number(match[1]) * WINDOW_UNIT_SECONDS[match[2] as keyof typeof WINDOW_UNIT_SECONDS];
}

/** The field of a validated aggregate other than count. */
export function validatedField({ fn, field }: Aggregate): Field {
  if (field === undefined) throw new Error(`rule language: ${fn} without a field was not validated`);
  return field;
}

/** The window of a validated aggregate, in seconds. */
export function validatedWindowSeconds(window: string): number {
  const seconds = windowSeconds(window);
  if (seconds === null) throw new Error(`rule language: window ${window} was not validated`);
  return seconds;
}

const FIELD_MESSAGE = `unknown field: use ${COLUMN_FIELDS.join(', ')} or attributes.<key> (letters, digits, _ and -)`;
const CONDITION_FORMS =
  'a condition is {"all": [...]}, {"any": [...]}, {"not": ...}, a predicate {"field", "op", "value" or "other_field"} or an aggregate {"aggregate", "op", "value"}';

const fieldSchema = z.custom<Field>((value) => typeof value === 'string' && isField(value), FIELD_MESSAGE);

// Postgres text holds neither NUL nor unpaired surrogates, so such a string could not mean the same there.
const textSchema = z
  .string()
  .max(1024)
  .refine((text) => !/[\0\p{Cs}]/u.test(text), 'a string cannot contain NUL or unpaired surrogates');
const scalarSchema = z.union([textSchema, z.number(), z.boolean()], {
  error: 'a value is a string, a number or a boolean',
});
const screenOperandSchema = z.strictObject({
  list_id: z.uuid({ error: 'list_id is the id of a screening list' }),
  threshold: z
    .number()
    .gt(0, 'a threshold is above 0')
    .max(1, 'a threshold is at most 1')
    .refine((n) => Math.round(n * 10_000) === n * 10_000, 'a threshold has at most 4 decimals')
    .optional(),
});
const valueSchema = z.union([scalarSchema, z.array(scalarSchema).min(1).max(MAX_LIST_VALUES), screenOperandSchema], {
  error: 'a value is a string, a number, a boolean or a list of them (screen: {"list_id", "threshold"?})',
});

/**
 * One condition node. Dispatches on the node's key to the schema of that form, so an error is
 * reported at the offending node (`all.2.aggregate.window`) instead of as a failed union.
 */
export const conditionSchema: z.ZodType<Condition, unknown> = z.unknown().transform((input, ctx): Condition => {
  const form = conditionFormOf(input);
  if (!form) {
    ctx.addIssue({ code: 'custom', message: CONDITION_FORMS, input });
    return z.NEVER;
  }
  const parsed = form.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input });
  return z.NEVER;
});

const allSchema = z.strictObject({
  all: z.array(conditionSchema).min(1, 'all needs at least one condition').max(MAX_MEMBERS),
});
const anySchema = z.strictObject({
  any: z.array(conditionSchema).min(1, 'any needs at least one condition').max(MAX_MEMBERS),
});
const notSchema = z.strictObject({ not: conditionSchema });

const predicateSchema = z
  .strictObject({
    field: fieldSchema,
    op: z.enum(PREDICATE_OPS),
    value: valueSchema.optional(),
    other_field: fieldSchema.optional(),
  })
  .superRefine((predicate, ctx) => {
    const problem = predicateProblem(predicate);
    if (problem) ctx.addIssue({ code: 'custom', ...problem });
  });

const aggregateSchema = z
  .strictObject({
    fn: z.enum(AGGREGATE_FNS),
    field: fieldSchema.optional(),
    group_by: z.array(fieldSchema).max(MAX_GROUP_BY),
    window: z.string().regex(WINDOW, 'a window is a whole number followed by s, m, h or d, e.g. 7d'),
    where: conditionSchema.optional(),
  })
  .superRefine((aggregate, ctx) => {
    for (const problem of aggregateProblems(aggregate)) ctx.addIssue({ code: 'custom', ...problem });
  });

const aggregateConditionSchema = z
  .strictObject({
    aggregate: aggregateSchema,
    op: z.enum(AGGREGATE_OPS),
    value: z.union([z.number(), z.tuple([z.number(), z.number()])], {
      error: 'an aggregate compares with a number, or [low, high] for between',
    }),
  })
  .superRefine((condition, ctx) => {
    const problem = aggregateValueProblem(condition);
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });

function conditionFormOf(input: unknown): z.ZodType<Condition> | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  if ('all' in input) return allSchema;
  if ('any' in input) return anySchema;
  if ('not' in input) return notSchema;
  if ('aggregate' in input) return aggregateConditionSchema;
  if ('field' in input) return predicateSchema;
  return undefined;
}

interface Problem {
  path: ConditionPath;
  message: string;
}

function predicateProblem(predicate: Predicate): Problem | null {
  const { op, value, other_field: otherField } = predicate;
  if (op === 'exists' || op === 'missing') {
    if (value !== undefined) return { path: ['value'], message: `${op} takes no value` };
    return otherField === undefined ? null : { path: ['other_field'], message: `${op} takes no other_field` };
  }
  if (otherField !== undefined) {
    return value === undefined
      ? otherFieldProblem(predicate.field, op, otherField)
      : { path: ['value'], message: 'give value or other_field, not both' };
  }
  if (value === undefined) return { path: ['value'], message: `${op} needs a value or an other_field` };
  return valueProblem(predicate.field, op, value);
}

function otherFieldProblem(field: Field, op: PredicateOp, otherField: Field): Problem | null {
  if (!(COMPARISON_OPS as readonly string[]).includes(op))
    return { path: ['op'], message: 'other_field works with eq, ne, gt, gte, lt and lte' };
  if (field === 'occurred_at' || otherField === 'occurred_at') {
    return { path: ['other_field'], message: 'occurred_at compares with an RFC 3339 value, not with another field' };
  }
  const [kind, otherKind] = [fieldKind(field), fieldKind(otherField)];
  if (kind !== 'json' && otherKind !== 'json' && kind !== otherKind) {
    return { path: ['other_field'], message: `${field} and ${otherField} hold different types and never compare` };
  }
  return null;
}

function valueProblem(field: Field, op: PredicateOp, value: Scalar | Scalar[] | ScreenOperand): Problem | null {
  const kind = fieldKind(field);
  if (op === 'screen') {
    if (kind === 'numeric' || kind === 'instant')
      return { path: ['op'], message: `screen applies to names, and ${field} is not text` };
    return isScreenOperand(value)
      ? null
      : { path: ['value'], message: 'screen takes {"list_id": "<screening list id>", "threshold"?: 0.85}' };
  }
  if (isScreenOperand(value)) return { path: ['value'], message: `${op} does not take an object` };
  switch (op) {
    case 'in':
    case 'not_in':
      return Array.isArray(value)
        ? listProblem(field, kind, value)
        : { path: ['value'], message: `${op} takes a list of values` };
    case 'between':
      return rangeProblem(field, kind, value);
    case 'contains':
    case 'starts_with':
    case 'ends_with':
    case 'matches':
      return textOperatorProblem(field, kind, op, value);
    default: {
      if (Array.isArray(value)) return { path: ['value'], message: `${op} takes a single value` };
      const message = scalarProblem(field, kind, value, op !== 'eq' && op !== 'ne');
      return message ? { path: ['value'], message } : null;
    }
  }
}

function listProblem(field: Field, kind: FieldKind, values: Scalar[]): Problem | null {
  for (const [i, value] of values.entries()) {
    const message = scalarProblem(field, kind, value, false);
    if (message) return { path: ['value', i], message };
  }
  return null;
}

function rangeProblem(field: Field, kind: FieldKind, value: Scalar | Scalar[]): Problem | null {
  if (!Array.isArray(value) || value.length !== 2) return { path: ['value'], message: 'between takes [low, high]' };
  const range = value as [Scalar, Scalar];
  for (const [i, bound] of range.entries()) {
    const message = scalarProblem(field, kind, bound, true);
    if (message) return { path: ['value', i], message };
  }
  const [low, high] = range.map((bound) => literalValue(kind, bound));
  const order = low && high ? compareValues(low, high) : null;
  if (order === null) return { path: ['value'], message: 'low and high must have the same type' };
  return order > 0 ? { path: ['value'], message: 'low must not be greater than high' } : null;
}

function textOperatorProblem(field: Field, kind: FieldKind, op: PredicateOp, value: Scalar | Scalar[]): Problem | null {
  if (kind === 'numeric' || kind === 'instant')
    return { path: ['op'], message: `${op} applies to text, and ${field} is not text` };
  if (typeof value !== 'string') return { path: ['value'], message: `${op} takes a string` };
  const unsafe = op === 'matches' ? checkRegexSafety(value) : null;
  return unsafe ? { path: ['value'], message: `pattern refused: ${unsafe}` } : null;
}

/** Why a literal cannot stand for a value of the field, or null when it can. */
function scalarProblem(field: Field, kind: FieldKind, value: Scalar, ordered: boolean): string | null {
  if (ordered && typeof value === 'boolean') return 'booleans work only with eq, ne, in and not_in';
  switch (kind) {
    case 'numeric':
      return typeof value === 'number' ? null : `${field} compares with numbers, e.g. 10000 (not "10000")`;
    case 'text':
      return typeof value === 'string' ? null : `${field} compares with strings`;
    case 'instant':
      return typeof value === 'string' && literalValue(kind, value)
        ? null
        : `${field} compares with an RFC 3339 instant with offset and at most microseconds, e.g. 2026-03-01T09:30:00Z`;
    case 'json':
      return null;
  }
}

function aggregateProblems(aggregate: Aggregate): Problem[] {
  const problems: Problem[] = [];
  const fieldProblem = aggregateFieldProblem(aggregate);
  if (fieldProblem) problems.push({ path: ['field'], message: fieldProblem });
  for (const [i, field] of aggregate.group_by.entries()) {
    if (aggregate.group_by.indexOf(field) !== i)
      problems.push({ path: ['group_by', i], message: `${field} is listed twice` });
  }
  const seconds = windowSeconds(aggregate.window);
  if (seconds === 0) problems.push({ path: ['window'], message: 'a window is longer than zero' });
  if (seconds !== null && seconds > MAX_WINDOW_SECONDS)
    problems.push({ path: ['window'], message: 'a window is at most 366d' });
  if (aggregate.where) {
    for (const { condition, path } of walkConditions(aggregate.where, ['where'])) {
      if (isAggregateCondition(condition))
        problems.push({ path, message: "an aggregate's where cannot hold another aggregate" });
      // Screening reads names of the evaluated transaction only: a window's members are not screened.
      if ('op' in condition && condition.op === 'screen')
        problems.push({ path: [...path, 'op'], message: "screen cannot be used in an aggregate's where" });
    }
  }
  return problems;
}

function aggregateFieldProblem({ fn, field }: Aggregate): string | null {
  if (fn === 'count') return field === undefined ? null : 'count takes no field';
  if (field === undefined) return `${fn} needs a field`;
  if (fn === 'count_distinct') return null;
  const kind = fieldKind(field);
  return kind === 'numeric' || kind === 'json' ? null : `${fn} needs a numeric field: amount or attributes.<key>`;
}

function aggregateValueProblem({ op, value }: AggregateCondition): string | null {
  if (op !== 'between') return Array.isArray(value) ? `${op} takes a single number` : null;
  if (!Array.isArray(value)) return 'between takes [low, high]';
  const [low, high] = value.map((bound) => parseDecimal(bound));
  return low && high && compareDecimals(low, high) > 0 ? 'low must not be greater than high' : null;
}

/** Limits that bound the work of validation itself, checked iteratively before any recursion. */
function sizeProblem(input: unknown): Problem | null {
  const pending: { node: unknown; path: ConditionPath; depth: number }[] = [{ node: input, path: [], depth: 1 }];
  for (let seen = 1; pending.length > 0; seen++) {
    const { node, path, depth } = pending.pop() as (typeof pending)[number];
    if (depth > MAX_DEPTH) return { path, message: `conditions nest at most ${MAX_DEPTH} levels deep` };
    if (seen > MAX_CONDITIONS) return { path: [], message: `a rule holds at most ${MAX_CONDITIONS} conditions` };
    for (const [child, childPath] of rawChildren(node))
      pending.push({ node: child, path: [...path, ...childPath], depth: depth + 1 });
  }
  return null;
}

function rawChildren(node: unknown): [unknown, ConditionPath][] {
  if (!isRecord(node)) return [];
  const children: [unknown, ConditionPath][] = [];
  for (const key of ['all', 'any'] as const) {
    const members = node[key];
    if (Array.isArray(members)) for (const [i, member] of members.entries()) children.push([member, [key, i]]);
  }
  if ('not' in node) children.push([node.not, ['not']]);
  if (isRecord(node.aggregate) && 'where' in node.aggregate)
    children.push([node.aggregate.where, ['aggregate', 'where']]);
  return children;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A rule's whole condition: the per-node schema plus the per-rule limits. */
const ruleConditionSchema = z
  .unknown()
  .superRefine((input, ctx) => {
    const problem = sizeProblem(input);
    if (problem) ctx.addIssue({ code: 'custom', ...problem });
  })
  .pipe(conditionSchema)
  .superRefine((condition, ctx) => {
    const aggregates = [...walkConditions(condition)].filter((node) => isAggregateCondition(node.condition));
    for (const { path } of aggregates.slice(MAX_AGGREGATES)) {
      ctx.addIssue({ code: 'custom', path, message: `a rule holds at most ${MAX_AGGREGATES} aggregates` });
    }
  });

/** A rule as written by its author; the envelope matches worker/rules/schemas.ts `ruleBody`. */
export const ruleInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).nullish(),
  severity: z.enum(SEVERITIES),
  condition: ruleConditionSchema,
  policy_id: z.uuid().nullish(),
  clause_ref: z.string().trim().min(1).max(100).nullish(),
});

export type RuleInput = z.infer<typeof ruleInputSchema>;

export type RuleValidation = { ok: true; rule: RuleInput } | { ok: false; errors: { path: string; message: string }[] };

export function validateRule(input: unknown): RuleValidation {
  const parsed = ruleInputSchema.safeParse(input);
  if (parsed.success) return { ok: true, rule: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  };
}
