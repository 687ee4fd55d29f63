import { type SQL, sql } from 'drizzle-orm';
import { fieldsRead, isAggregateCondition, listAggregates } from './condition-tree';
import { decimalOf, decimalToString } from './decimal';
import { type AttributeField, attributeKeys, type Field, type FieldKind, fieldKind, isAttributeField } from './fields';
import { formatInstant } from './instant';
import { AVERAGE_PLACES, MAX_EVIDENCE_IDS } from './measure';
import { portableRegex } from './regex-safety';
import {
  type Aggregate,
  type AggregateCondition,
  type AggregateOp,
  type ComparisonOp,
  type Condition,
  isScreenOperand,
  type Predicate,
  screenThreshold,
  validatedField,
  validatedWindowSeconds,
} from './schema';
import { literalValue, type Scalar } from './values';

/**
 * Compiles a validated condition to Postgres over a transaction row aliased `t` (the
 * transactions table). Every literal is a bound parameter with an explicit cast; identifiers come
 * only from the fixed field list. Every predicate yields a strict true or false, never NULL, so
 * `not` negates exactly as the contract says.
 */
export interface CompiledCondition {
  /** Boolean over `t`: whether the rule holds for that transaction. */
  holds: SQL;
  /** Per aggregate in document order (`listAggregates`): a jsonb AggregateMeasure of t's window set. */
  measures: SQL[];
  /**
   * The same measures in two parts, for a statement that decides before it explains (a webhook
   * push): `statistics` without the contributing ids, and `evidenceIds`, the jsonb array of those
   * ids. Planning each window's ids subquery is paid only for hits.
   */
  statistics: SQL[];
  evidenceIds: SQL[];
  /** Fields of `t` the condition reads, for evidence. */
  fieldsRead: Field[];
  /** The FROM clause: `transactions t`, joined to the set-based windows `holds` reads. */
  from: SQL;
}

/**
 * Rows evaluated together (a scan chunk): the listed aggregates are computed for all of them in
 * one window-function pass over their time span instead of one correlated probe per row.
 */
export interface SetBasedWindows {
  orgId: string;
  /** Filter over `t` selecting every row `holds` may be asked about. */
  probes: SQL;
  aggregates: AggregateCondition[];
}

export function compileCondition(condition: Condition, windows?: SetBasedWindows): CompiledCondition {
  const setBased = windows ? windows.aggregates.filter((node) => supportsSetBasedWindow(node.aggregate)) : [];
  const precomputed = new Map(setBased.map((node, i) => [node, precomputedComparison(node, `s${i}`)]));
  const joins = windows ? setBased.map((node, i) => windowJoin(node.aggregate, `s${i}`, windows)) : [];
  const aggregates = listAggregates(condition);
  const statistics = aggregates.map((node) => statisticsSql(node.aggregate));
  const evidenceIds = aggregates.map((node) => evidenceIdsSql(node.aggregate));
  return {
    holds: conditionSql(condition, 't', precomputed),
    measures: statistics.map((measured, i) => sql`(${measured} || jsonb_build_object('ids', ${evidenceIds[i]}))`),
    statistics,
    evidenceIds,
    fieldsRead: fieldsRead(condition),
    from: sql.join([sql`transactions t`, ...joins], sql` `),
  };
}

/**
 * The aggregates worth computing set-based: every function but count_distinct (DISTINCT is not
 * allowed in a window aggregate), and only unguarded ones. An aggregate beside a plain predicate
 * in an `all` is probed only for the few rows passing it, cheaper than a pass over all rows.
 */
export function setBasedCandidates(condition: Condition): AggregateCondition[] {
  if (isAggregateCondition(condition)) return supportsSetBasedWindow(condition.aggregate) ? [condition] : [];
  if ('all' in condition)
    return condition.all.some((member) => listAggregates(member).length === 0)
      ? []
      : condition.all.flatMap(setBasedCandidates);
  if ('any' in condition) return condition.any.flatMap(setBasedCandidates);
  if ('not' in condition) return setBasedCandidates(condition.not);
  return [];
}

function supportsSetBasedWindow(aggregate: Aggregate): boolean {
  return aggregate.fn !== 'count_distinct';
}

/** `t` is the evaluated transaction, `u` a member of one of its windows. */
type Alias = 't' | 'u';
type ValueType = 'number' | 'string' | 'boolean' | 'instant';

/** A rule literal as a typed SQL value. */
interface Literal {
  type: ValueType;
  value: SQL;
}

/** One reading of an operand as a typed SQL value, valid only where `guard` holds (null: always). */
interface TypedView extends Literal {
  guard: SQL | null;
}

const FALSE = sql`false`;
const SQL_OPERATOR: Record<ComparisonOp, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const COLUMN_TYPE: Record<Exclude<FieldKind, 'json'>, ValueType> = {
  numeric: 'number',
  text: 'string',
  instant: 'instant',
};

/** `precomputed`: aggregates already computed set-based, as their comparison over the joined window columns. */
function conditionSql(condition: Condition, alias: Alias, precomputed: Map<AggregateCondition, SQL> = new Map()): SQL {
  if ('all' in condition)
    return sql`(${sql.join(
      condition.all.map((member) => conditionSql(member, alias, precomputed)),
      sql` AND `,
    )})`;
  if ('any' in condition)
    return sql`(${sql.join(
      condition.any.map((member) => conditionSql(member, alias, precomputed)),
      sql` OR `,
    )})`;
  if ('not' in condition) return sql`(NOT ${conditionSql(condition.not, alias, precomputed)})`;
  if (isAggregateCondition(condition)) return precomputed.get(condition) ?? aggregateSql(condition);
  return predicateSql(condition, alias);
}

// Operands.

function column(alias: Alias, name: string): SQL {
  return sql.raw(`${alias}.${name}`);
}

function jsonPath(alias: Alias, field: AttributeField): SQL {
  return attributeKeys(field).reduce((path, key) => sql`${path} -> ${key}::text`, column(alias, 'attributes'));
}

/** A column has one type; an attribute is read as each JSON type it might hold, guarded by jsonb_typeof. */
function fieldViews(field: Field, alias: Alias): TypedView[] {
  if (!isAttributeField(field))
    return [
      { type: COLUMN_TYPE[fieldKind(field) as Exclude<FieldKind, 'json'>], guard: null, value: column(alias, field) },
    ];
  const json = jsonPath(alias, field);
  return [
    { type: 'number', guard: sql`jsonb_typeof(${json}) = 'number'`, value: sql`(${json})::numeric` },
    { type: 'string', guard: sql`jsonb_typeof(${json}) = 'string'`, value: sql`(${json} #>> '{}')` },
    { type: 'boolean', guard: sql`jsonb_typeof(${json}) = 'boolean'`, value: sql`(${json})::boolean` },
  ];
}

/** A rule literal as a bound, explicitly cast parameter, typed the way the JavaScript evaluator types it. */
function literalSql(kind: FieldKind, scalar: Scalar): Literal | null {
  const literal = literalValue(kind, scalar);
  switch (literal?.type) {
    case 'number':
      return { type: 'number', value: sql`${decimalToString(literal.value)}::numeric` };
    case 'string':
      return { type: 'string', value: sql`${literal.value}::text` };
    case 'boolean':
      // A keyword, not a parameter: postgres.js serializes a parameter the server describes as
      // boolean by `x === true`, so the text 'true' went out as false.
      return { type: 'boolean', value: sql.raw(literal.value ? 'true' : 'false') };
    case 'instant':
      return { type: 'instant', value: sql`${formatInstant(literal.value)}::timestamptz` };
    default:
      return null;
  }
}

function isOrderable(type: ValueType): boolean {
  return type !== 'boolean';
}

/** Strings order by code point (`COLLATE "C"`), as the evaluator does, whatever the database collation. */
function ordered(view: Literal): SQL {
  return view.type === 'string' ? sql`(${view.value} COLLATE "C")` : view.value;
}

/**
 * Typed branches as one expression. CASE runs a branch's cast only once its guard holds: AND
 * promises no evaluation order, so `typeof = 'number' AND x::numeric > 1` could still fail.
 */
function branches(cases: { guard: SQL | null; result: SQL }[]): SQL {
  const [only] = cases;
  if (!only) return FALSE;
  if (cases.length === 1 && only.guard === null) return only.result;
  return sql`CASE ${sql.join(
    cases.map((branch) => sql`WHEN ${branch.guard ?? sql`true`} THEN ${branch.result}`),
    sql` `,
  )} ELSE false END`;
}

function bothGuards(a: SQL | null, b: SQL | null): SQL | null {
  if (a && b) return sql`${a} AND ${b}`;
  return a ?? b;
}

// Predicates.

function predicateSql(predicate: Predicate, alias: Alias): SQL {
  if (predicate.op === 'exists') return existsSql(predicate.field, alias);
  if (predicate.op === 'missing') return sql`(NOT ${existsSql(predicate.field, alias)})`;
  if (predicate.op === 'screen') return screenSql(predicate, alias);
  // A NULL column makes the comparison NULL: absent is false, for ne and not_in too.
  return sql`COALESCE(${valuePredicateSql(predicate, alias)}, false)`;
}

function existsSql(field: Field, alias: Alias): SQL {
  if (!isAttributeField(field)) return sql`(${column(alias, field)} IS NOT NULL)`;
  return sql`COALESCE(jsonb_typeof(${jsonPath(alias, field)}) <> 'null', false)`;
}

function valuePredicateSql(predicate: Predicate, alias: Alias): SQL {
  const views = fieldViews(predicate.field, alias);
  const kind = fieldKind(predicate.field);
  const { op, value } = predicate;
  if (predicate.other_field !== undefined)
    return fieldComparisonSql(op as ComparisonOp, views, fieldViews(predicate.other_field, alias));
  if (value === undefined || isScreenOperand(value)) return FALSE;
  switch (op) {
    case 'in':
    case 'not_in':
      return membershipSql(
        views,
        [value].flat().map((scalar) => literalSql(kind, scalar)),
        op === 'in' ? sql`IN` : sql`NOT IN`,
      );
    case 'between':
      return betweenSql(
        views,
        [value].flat().map((scalar) => literalSql(kind, scalar)),
      );
    case 'contains':
    case 'starts_with':
    case 'ends_with':
    case 'matches':
      return typeof value === 'string' ? textOperatorSql(op, views, value) : FALSE;
    default: {
      const literal = Array.isArray(value) ? null : literalSql(kind, value);
      return literal ? fieldComparisonSql(op as ComparisonOp, views, [{ ...literal, guard: null }]) : FALSE;
    }
  }
}

function fieldComparisonSql(op: ComparisonOp, left: TypedView[], right: TypedView[]): SQL {
  const equality = op === 'eq' || op === 'ne';
  const operator = sql.raw(SQL_OPERATOR[op]);
  return branches(
    left.flatMap((l) =>
      right
        .filter((r) => r.type === l.type && (equality || isOrderable(l.type)))
        .map((r) => ({
          guard: bothGuards(l.guard, r.guard),
          result: sql`${equality ? l.value : ordered(l)} ${operator} ${r.value}`,
        })),
    ),
  );
}

/** in / not_in: each reading of the field against the literals of its type; no literal of its type is a mismatch. */
function membershipSql(views: TypedView[], literals: (Literal | null)[], operator: SQL): SQL {
  return branches(
    views.flatMap((view) => {
      const sameType = literals.flatMap((literal) => (literal?.type === view.type ? [literal.value] : []));
      return sameType.length === 0
        ? []
        : [{ guard: view.guard, result: sql`${view.value} ${operator} (${sql.join(sameType, sql`, `)})` }];
    }),
  );
}

function betweenSql(views: TypedView[], [low, high]: (Literal | null)[]): SQL {
  if (!low || !high || low.type !== high.type || !isOrderable(low.type)) return FALSE;
  return branches(
    views
      .filter((view) => view.type === low.type)
      .map((view) => ({ guard: view.guard, result: sql`${ordered(view)} BETWEEN ${low.value} AND ${high.value}` })),
  );
}

/** The field's text on `t` when it holds a string (a text column, or a JSON string attribute), else NULL. */
export function fieldTextSql(field: Field): SQL {
  const [view] = fieldViews(field, 't').filter((candidate) => candidate.type === 'string');
  if (!view) return sql`NULL::text`;
  return view.guard ? sql`CASE WHEN ${view.guard} THEN ${view.value} END` : view.value;
}

/**
 * `screen`: the value's stored screening result in the list's current version (worker/screening
 * computes it before a statement runs; the JavaScript evaluator reads the same result), at or
 * above the threshold. Only a text value is screened; no current version, no match.
 */
function screenSql(predicate: Predicate, alias: Alias): SQL {
  if (!isScreenOperand(predicate.value)) return FALSE;
  const listId = sql`${predicate.value.list_id}::uuid`;
  const threshold = sql`${decimalToString(screenThreshold(predicate.value))}::numeric`;
  const screened = (text: SQL) => sql`EXISTS (SELECT 1 FROM screening_results r
    JOIN screening_lists l ON l.id = r.list_id AND l.current_version = r.version
    WHERE r.list_id = ${listId} AND r.subject_hash = md5(${text}) AND r.subject = ${text} AND r.score >= ${threshold})`;
  return sql`COALESCE(${branches(
    fieldViews(predicate.field, alias)
      .filter((view) => view.type === 'string')
      .map((view) => ({ guard: view.guard, result: screened(view.value) })),
  )}, false)`;
}

/** strpos/starts_with/right rather than LIKE, so % and _ in the value are plain characters. */
function textOperatorSql(
  op: 'contains' | 'starts_with' | 'ends_with' | 'matches',
  views: TypedView[],
  text: string,
): SQL {
  const operand = sql`${text}::text`;
  const test = (value: SQL): SQL => {
    switch (op) {
      case 'contains':
        return sql`strpos(${value}, ${operand}) > 0`;
      case 'starts_with':
        return sql`starts_with(${value}, ${operand})`;
      case 'ends_with':
        return sql`right(${value}, char_length(${operand})) = ${operand}`;
      case 'matches':
        return sql`${value} ~ ${portableRegex(text).source}::text`;
    }
  };
  return branches(
    views.filter((view) => view.type === 'string').map((view) => ({ guard: view.guard, result: test(view.value) })),
  );
}

// Aggregates: correlated subqueries over the window set, shaped for the (org_id, <group>, occurred_at) indexes.

/**
 * The window set's rows: `transactions u` beside the window's lower bound, computed once in its
 * own subquery. Under row-level security Postgres keeps a non-leakproof expression such as
 * `t.occurred_at - interval` out of index conditions; a plain comparison with `w.since` is not.
 */
function windowSet(aggregate: Aggregate): SQL {
  const seconds = validatedWindowSeconds(aggregate.window);
  // Seconds, not days: a day-interval would follow daylight saving in the session time zone.
  return sql`(SELECT t.occurred_at - ${`${seconds} seconds`}::interval AS since OFFSET 0) w, transactions u`;
}

function windowFilter(aggregate: Aggregate): SQL {
  return sql.join(
    [
      sql`u.org_id = t.org_id`,
      ...aggregate.group_by.map(groupEquality),
      sql`u.occurred_at > w.since`,
      sql`u.occurred_at <= t.occurred_at`,
      ...(aggregate.where ? [conditionSql(aggregate.where, 'u')] : []),
    ],
    sql` AND `,
  );
}

/** Equal to t's value, which must be present: an absent group value on t leaves the window set empty. */
function groupEquality(field: Field): SQL {
  if (!isAttributeField(field)) return sql`${column('u', field)} = ${column('t', field)}`;
  const theirs = jsonPath('t', field);
  return sql`${jsonPath('u', field)} = ${theirs} AND jsonb_typeof(${theirs}) <> 'null'`;
}

/** A window member's number in the field: amount, or an attribute only where it holds a JSON number. */
function numericSource(aggregate: Aggregate): SQL {
  const field = validatedField(aggregate);
  if (!isAttributeField(field)) return column('u', field);
  const json = jsonPath('u', field);
  return sql`CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${json})::numeric END`;
}

/** A window member's value in the field for count_distinct, NULL when absent (jsonb null included). */
function distinctSource(aggregate: Aggregate): SQL {
  const field = validatedField(aggregate);
  if (!isAttributeField(field)) return column('u', field);
  return sql`NULLIF(${jsonPath('u', field)}, 'null'::jsonb)`;
}

function numberParameter(value: number): SQL {
  return sql`${decimalToString(decimalOf(value))}::numeric`;
}

function aggregateSql(condition: AggregateCondition): SQL {
  const { aggregate } = condition;
  const bounds = [condition.value].flat().map(numberParameter);
  const comparison =
    aggregate.fn === 'avg'
      ? // avg > v exactly as sum > v x count; over nothing the sum is NULL, so the predicate is false.
        compareAggregate(
          sql`sum(${numericSource(aggregate)})`,
          condition.op,
          bounds.map((bound) => sql`${bound} * count(${numericSource(aggregate)})`),
        )
      : compareAggregate(aggregateValue(aggregate), condition.op, bounds);
  return sql`(SELECT COALESCE(${comparison}, false) FROM ${windowSet(aggregate)} WHERE ${windowFilter(aggregate)})`;
}

/** The value of every function but avg, which is compared through its sum and count. */
function aggregateValue(aggregate: Aggregate): SQL {
  switch (aggregate.fn) {
    case 'count':
      return sql`count(*)`;
    case 'count_distinct':
      return sql`count(DISTINCT ${distinctSource(aggregate)})`;
    case 'sum':
      return sql`COALESCE(sum(${numericSource(aggregate)}), 0)`;
    case 'min':
      return sql`min(${numericSource(aggregate)})`;
    default:
      return sql`max(${numericSource(aggregate)})`;
  }
}

// Set-based windows: one pass of window functions over the probes' time span.

/**
 * Joins each transaction `t` to its window's aggregate, `<name>.value` (and `<name>.count` for
 * avg), NULL when a group value of t is absent. The pass reads every row of the organization from
 * the earliest probe's window start to the latest probe: the probes and their windows' members.
 * The frame is the contract's window exactly: timestamps are whole microseconds, so
 * `u > t - D` is `u >= t - (D - 1 us)`, and RANGE takes t's peers (same instant) whatever their order.
 */
function windowJoin(aggregate: Aggregate, name: string, windows: SetBasedWindows): SQL {
  const seconds = validatedWindowSeconds(aggregate.window);
  const member = aggregate.where ? sql` FILTER (WHERE ${conditionSql(aggregate.where, 'u')})` : sql``;
  const present =
    aggregate.group_by.length === 0
      ? sql`true`
      : sql.join(
          aggregate.group_by.map((field) => existsSql(field, 'u')),
          sql` AND `,
        );
  const over = (fn: SQL) => sql`CASE WHEN ${present} THEN ${fn}${member} OVER win END`;
  const source = aggregate.fn === 'count' ? sql`*` : numericSource(aggregate);
  const columns =
    aggregate.fn === 'avg'
      ? sql`${over(sql`sum(${source})`)} AS value, ${over(sql`count(${source})`)} AS count`
      : sql`${over(sql`${sql.raw(aggregate.fn)}(${source})`)} AS value`;
  const partition =
    aggregate.group_by.length === 0
      ? sql``
      : sql`PARTITION BY ${sql.join(aggregate.group_by.map(partitionKey), sql`, `)}`;
  const alias = sql.raw(name);
  // The bounds come from their own subqueries: under RLS only a plain comparison with them is an index condition.
  return sql`LEFT JOIN (
    SELECT u.id, ${columns}
    FROM (SELECT min(p.occurred_at) - ${`${seconds} seconds`}::interval AS since, max(p.occurred_at) AS until
          FROM (SELECT t.occurred_at FROM transactions t WHERE ${windows.probes} OFFSET 0) p OFFSET 0) b, transactions u
    WHERE u.org_id = ${windows.orgId} AND u.occurred_at > b.since AND u.occurred_at <= b.until
    WINDOW win AS (${partition} ORDER BY u.occurred_at RANGE BETWEEN ${`${seconds} seconds`}::interval - '1 microsecond'::interval PRECEDING AND CURRENT ROW)
  ) ${alias} ON ${alias}.id = t.id`;
}

/**
 * A group field as the window pass partitions by it. Text sorts by byte (`COLLATE "C"`): the
 * database's default collation is deterministic, so the groups are the same, and the pass's sort
 * (every row of the span) no longer pays for locale-aware comparisons.
 */
function partitionKey(field: Field): SQL {
  if (isAttributeField(field)) return jsonPath('u', field);
  return fieldKind(field) === 'text' ? sql`${column('u', field)} COLLATE "C"` : column('u', field);
}

/** The aggregate condition over its set-based window columns, with the correlated form's empty-set semantics. */
function precomputedComparison(condition: AggregateCondition, name: string): SQL {
  const { aggregate } = condition;
  const bounds = [condition.value].flat().map(numberParameter);
  const [value, count] = [sql.raw(`${name}.value`), sql.raw(`${name}.count`)];
  const measured = aggregate.fn === 'count' || aggregate.fn === 'sum' ? sql`COALESCE(${value}, 0)` : value;
  const comparison =
    aggregate.fn === 'avg'
      ? compareAggregate(
          value,
          condition.op,
          bounds.map((bound) => sql`${bound} * ${count}`),
        )
      : compareAggregate(measured, condition.op, bounds);
  return sql`COALESCE(${comparison}, false)`;
}

function compareAggregate(measured: SQL, op: AggregateOp, bounds: SQL[]): SQL {
  if (op === 'between') return sql`${measured} BETWEEN ${bounds[0]} AND ${bounds[1]}`;
  return sql`${measured} ${sql.raw(SQL_OPERATOR[op])} ${bounds[0]}`;
}

/** The SQL pieces of a measure: text of the value and of the exact sum, the contributing count and filter. */
function measureParts(aggregate: Aggregate): { value: SQL; sum: SQL; count: SQL; contributes: SQL } {
  if (aggregate.fn === 'count')
    return { value: sql`count(*)::text`, sum: sql`NULL::text`, count: sql`count(*)`, contributes: sql`true` };
  const source = aggregate.fn === 'count_distinct' ? distinctSource(aggregate) : numericSource(aggregate);
  const parts = { count: sql`count(${source})`, contributes: sql`${source} IS NOT NULL` };
  if (aggregate.fn === 'count_distinct')
    return { ...parts, value: sql`${aggregateValue(aggregate)}::text`, sum: sql`NULL::text` };
  const total = sql`trim_scale(COALESCE(sum(${source}), 0))::text`;
  if (aggregate.fn === 'sum') return { ...parts, value: total, sum: total };
  if (aggregate.fn !== 'avg')
    return { ...parts, value: sql`trim_scale(${aggregateValue(aggregate)})::text`, sum: sql`NULL::text` };
  // Rounded half away from zero with integer division, exactly as the evaluator rounds; multiplying by 10^-places keeps it exact.
  const scale = sql.raw(String(10 ** AVERAGE_PLACES));
  const unit = sql.raw((1 / 10 ** AVERAGE_PLACES).toFixed(AVERAGE_PLACES));
  const average = sql`trim_scale(div(2 * sum(${source}) * ${scale} + sign(sum(${source})) * count(${source}), 2 * count(${source})) * ${unit})::text`;
  return { ...parts, value: average, sum: total };
}

function newestFirst(alias: string): SQL {
  return sql.raw(`${alias}.occurred_at DESC, ${alias}.external_id COLLATE "C" DESC`);
}

/** A window set's value, exact sum and contributing count, as a jsonb object (AggregateMeasure without its ids). */
function statisticsSql(aggregate: Aggregate): SQL {
  const { value, sum, count } = measureParts(aggregate);
  return sql`(SELECT jsonb_build_object('value', ${value}, 'sum', ${sum}, 'count', ${count}) FROM ${windowSet(aggregate)} WHERE ${windowFilter(aggregate)})`;
}

/** The newest contributing members' ids (at most MAX_EVIDENCE_IDS), as a jsonb array. */
function evidenceIdsSql(aggregate: Aggregate): SQL {
  const { contributes } = measureParts(aggregate);
  return sql`(SELECT COALESCE(jsonb_agg(c.external_id ORDER BY ${newestFirst('c')}), '[]'::jsonb)
    FROM (SELECT u.external_id, u.occurred_at FROM ${windowSet(aggregate)} WHERE ${windowFilter(aggregate)} AND ${contributes} ORDER BY ${newestFirst('u')} LIMIT ${sql.raw(String(MAX_EVIDENCE_IDS))}) c)`;
}
