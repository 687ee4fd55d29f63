/**
 * The rule language (contract section 6): one schema, one semantics, two executors. SQL decides
 * (scans, webhooks, backtests push conditions and windows down to Postgres); the JavaScript
 * evaluator explains each hit and is the oracle the SQL is tested against.
 */

export { type CompiledCondition, compileCondition } from './compile-sql';
export { fieldsRead, listAggregates } from './condition-tree';
export {
  type CanonicalTransaction,
  type Evaluation,
  evaluate,
  type Finding,
  measureAggregates,
  type ScreeningLookup,
  type ScreeningResult,
} from './evaluate';
export { describeCondition, type Evidence, type Explanation, explain, type ScreeningEvidence } from './explain';
export { COLUMN_FIELDS, type Field } from './fields';
export type { AggregateMeasure } from './measure';
export { checkRegexSafety } from './regex-safety';
export { riskScore, SEVERITY_SCORES } from './risk';
export {
  AGGREGATE_FNS,
  AGGREGATE_OPS,
  type Aggregate,
  type AggregateCondition,
  type AggregateFn,
  type AggregateOp,
  type Condition,
  conditionSchema,
  DEFAULT_SCREEN_THRESHOLD,
  isScreenOperand,
  PREDICATE_OPS,
  type Predicate,
  type PredicateOp,
  type RuleInput,
  type RuleValidation,
  ruleInputSchema,
  type ScreenOperand,
  SEVERITIES,
  type Severity,
  validateRule,
} from './schema';
