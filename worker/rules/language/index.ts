/**
 * The rule language (contract section 6): one schema, one semantics, two executors. SQL decides
 * (scans, webhooks, backtests push conditions and windows down to Postgres); the JavaScript
 * evaluator explains each hit and is the oracle the SQL is tested against.
 */
export {
  AGGREGATE_FNS,
  AGGREGATE_OPS,
  PREDICATE_OPS,
  SEVERITIES,
  conditionSchema,
  ruleInputSchema,
  validateRule,
  type Aggregate,
  type AggregateCondition,
  type AggregateFn,
  type AggregateOp,
  type Condition,
  type Predicate,
  type PredicateOp,
  type RuleInput,
  type RuleValidation,
  type Severity,
} from './schema';
export { COLUMN_FIELDS, type Field } from './fields';
export { checkRegexSafety } from './regex-safety';
export { compileCondition, type CompiledCondition } from './compile-sql';
export { evaluate, measureAggregates, type CanonicalTransaction, type Evaluation, type Finding } from './evaluate';
export { describeCondition, explain, type Evidence, type Explanation } from './explain';
export { fieldsRead, listAggregates } from './condition-tree';
export type { AggregateMeasure } from './measure';
export { SEVERITY_SCORES, riskScore } from './risk';
