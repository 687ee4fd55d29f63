/**
 * The rule language (contract section 6) as the visual builder edits it: a tree of nodes with
 * stable ids, converted to and from the JSON condition without losing anything, and the JSON path
 * of every node so the API's 400 errors (`condition.all.2.value`) land on the node they name.
 */

import type { AggregateFn, AggregateOp, PredicateOp } from '../../../../worker/rules/language/schema';

export const WINDOW_UNITS = ['s', 'm', 'h', 'd'] as const;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type PredicateJson = { field: string; op: PredicateOp; value?: JsonValue; other_field?: string };
export type AggregateJson = {
  aggregate: { fn: AggregateFn; field?: string; group_by: string[]; window: string; where?: ConditionJson };
  op: AggregateOp;
  value: JsonValue;
};
export type ConditionJson =
  | { all: ConditionJson[] }
  | { any: ConditionJson[] }
  | { not: ConditionJson }
  | PredicateJson
  | AggregateJson;

export type GroupNode = { kind: 'group'; id: string; mode: 'all' | 'any'; children: ConditionNode[] };
export type NotNode = { kind: 'not'; id: string; child: ConditionNode };
export type PredicateNode = {
  kind: 'predicate';
  id: string;
  field: string;
  op: PredicateOp;
  compare: 'value' | 'field';
  value?: JsonValue;
  otherField?: string;
};
export type AggregateNode = {
  kind: 'aggregate';
  id: string;
  fn: AggregateFn;
  field?: string;
  groupBy: string[];
  window: string;
  where?: ConditionNode;
  op: AggregateOp;
  value: JsonValue;
};
export type ConditionNode = GroupNode | NotNode | PredicateNode | AggregateNode;

/** A JSON condition the builder cannot represent: the JSON view shows it, the tree stays as it was. */
export class UnsupportedCondition extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

let counter = 0;
export function newId(): string {
  counter += 1;
  return `n${counter}`;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function fromJson(json: unknown, path = 'condition'): ConditionNode {
  if (!isObject(json)) throw new UnsupportedCondition(path, 'a condition must be an object');
  if ('all' in json || 'any' in json) {
    const mode = 'all' in json ? 'all' : 'any';
    const members = json[mode];
    if (!Array.isArray(members)) throw new UnsupportedCondition(`${path}.${mode}`, 'must be a list of conditions');
    return {
      kind: 'group',
      id: newId(),
      mode,
      children: members.map((member, index) => fromJson(member, `${path}.${mode}.${index}`)),
    };
  }
  if ('not' in json) return { kind: 'not', id: newId(), child: fromJson(json.not, `${path}.not`) };
  if ('aggregate' in json) return aggregateFromJson(json, path);
  if ('field' in json) return predicateFromJson(json, path);
  throw new UnsupportedCondition(path, 'expected all, any, not, a predicate or an aggregate');
}

function predicateFromJson(json: Record<string, unknown>, path: string): PredicateNode {
  if (typeof json.field !== 'string') throw new UnsupportedCondition(`${path}.field`, 'must be a field name');
  if (typeof json.op !== 'string') throw new UnsupportedCondition(`${path}.op`, 'must be an operator');
  const node: PredicateNode = {
    kind: 'predicate',
    id: newId(),
    field: json.field,
    op: json.op as PredicateOp,
    compare: 'other_field' in json ? 'field' : 'value',
  };
  if ('other_field' in json) node.otherField = String(json.other_field);
  if ('value' in json) node.value = json.value as JsonValue;
  return node;
}

function aggregateFromJson(json: Record<string, unknown>, path: string): AggregateNode {
  const aggregate = json.aggregate;
  if (!isObject(aggregate)) throw new UnsupportedCondition(`${path}.aggregate`, 'must be an object');
  const node: AggregateNode = {
    kind: 'aggregate',
    id: newId(),
    fn: aggregate.fn as AggregateFn,
    groupBy: Array.isArray(aggregate.group_by) ? aggregate.group_by.map(String) : [],
    window: String(aggregate.window ?? ''),
    op: json.op as AggregateOp,
    value: json.value as JsonValue,
  };
  if ('field' in aggregate) node.field = String(aggregate.field);
  if ('where' in aggregate) node.where = fromJson(aggregate.where, `${path}.aggregate.where`);
  return node;
}

export function toJson(node: ConditionNode): ConditionJson {
  switch (node.kind) {
    case 'group':
      return node.mode === 'all' ? { all: node.children.map(toJson) } : { any: node.children.map(toJson) };
    case 'not':
      return { not: toJson(node.child) };
    case 'predicate': {
      const json: PredicateJson = { field: node.field, op: node.op };
      if (node.compare === 'field') json.other_field = node.otherField ?? '';
      else if (node.value !== undefined) json.value = node.value;
      return json;
    }
    case 'aggregate': {
      const aggregate: AggregateJson['aggregate'] = { fn: node.fn, group_by: node.groupBy, window: node.window };
      if (node.field !== undefined) aggregate.field = node.field;
      if (node.where) aggregate.where = toJson(node.where);
      return { aggregate, op: node.op, value: node.value };
    }
  }
}

/** Operators that take no value. */
export function isUnary(op: PredicateOp): boolean {
  return op === 'exists' || op === 'missing';
}

/** Every node's JSON path, for mapping API errors to nodes. */
export function nodePaths(
  node: ConditionNode,
  path = 'condition',
  into = new Map<string, string>(),
): Map<string, string> {
  into.set(path, node.id);
  if (node.kind === 'group') {
    for (const [index, child] of node.children.entries()) nodePaths(child, `${path}.${node.mode}.${index}`, into);
  }
  if (node.kind === 'not') nodePaths(node.child, `${path}.not`, into);
  if (node.kind === 'aggregate' && node.where) nodePaths(node.where, `${path}.aggregate.where`, into);
  return into;
}

/** Each error's message on the deepest node whose path starts the error's path. */
export function errorsByNode(root: ConditionNode, errors: { path: string; message: string }[]): Map<string, string[]> {
  const paths = nodePaths(root);
  const byNode = new Map<string, string[]>();
  for (const error of errors) {
    const segments = error.path.split('.');
    for (let length = segments.length; length > 0; length--) {
      const nodeId = paths.get(segments.slice(0, length).join('.'));
      if (nodeId) {
        const detail = segments.slice(length).join('.');
        byNode.set(nodeId, [...(byNode.get(nodeId) ?? []), detail ? `${detail}: ${error.message}` : error.message]);
        break;
      }
    }
  }
  return byNode;
}

/** Returns a copy of the tree with the node of `id` replaced by `replace(node)`; `null` removes it. */
export function updateNode(
  root: ConditionNode,
  id: string,
  replace: (node: ConditionNode) => ConditionNode | null,
): ConditionNode | null {
  if (root.id === id) return replace(root);
  switch (root.kind) {
    case 'group': {
      const children = root.children
        .map((child) => updateNode(child, id, replace))
        .filter((child): child is ConditionNode => child !== null);
      return { ...root, children };
    }
    case 'not': {
      const child = updateNode(root.child, id, replace);
      return child ? { ...root, child } : null;
    }
    case 'aggregate': {
      if (!root.where) return root;
      const where = updateNode(root.where, id, replace);
      const next: AggregateNode = { ...root };
      if (where) next.where = where;
      else delete next.where;
      return next;
    }
    default:
      return root;
  }
}

export function newPredicate(): PredicateNode {
  return { kind: 'predicate', id: newId(), field: 'amount', op: 'gt', compare: 'value', value: 10000 };
}

export function newAggregate(): AggregateNode {
  return { kind: 'aggregate', id: newId(), fn: 'count', groupBy: ['account'], window: '7d', op: 'gte', value: 3 };
}

export function newGroup(mode: 'all' | 'any' = 'all'): GroupNode {
  return { kind: 'group', id: newId(), mode, children: [newPredicate()] };
}

/** `7d` -> {amount: 7, unit: 'd'}; anything else -> null (the JSON view shows it as typed). */
export function parseWindow(window: string): { amount: number; unit: (typeof WINDOW_UNITS)[number] } | null {
  const match = /^(\d+)([smhd])$/.exec(window);
  return match ? { amount: Number(match[1]), unit: match[2] as (typeof WINDOW_UNITS)[number] } : null;
}

/** The value a typed text becomes for a field: numbers for amount and anomaly_score, strings for text columns, JSON literals for attributes. */
export function valueFromText(field: string, text: string): JsonValue {
  const trimmed = text.trim();
  if (field === 'amount' || field === 'anomaly_score')
    return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
  if (field.startsWith('attributes.')) {
    if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
    if (trimmed !== '' && Number.isFinite(Number(trimmed))) return Number(trimmed);
  }
  return text;
}

export function valueToText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Lists (in, not_in, group_by) are typed comma-separated. */
export function listFromText(field: string, text: string): JsonValue[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .map((item) => valueFromText(field, item));
}

export function listToText(value: JsonValue | undefined): string {
  return Array.isArray(value) ? value.map(valueToText).join(', ') : valueToText(value);
}
