import { compareDecimals, type Decimal, decimalToString, parseDecimal } from './decimal';
import type { FieldKind } from './fields';
import { parseInstant } from './instant';

/** A rule literal: what the language allows as `value` or inside a `value` list. */
export type Scalar = string | number | boolean;

/**
 * A present value as the rule language sees it. Values compare only within one type; a
 * `structure` (a JSON object or array inside attributes) is present but never compares.
 */
export type TypedValue =
  | { type: 'number'; value: Decimal }
  | { type: 'string'; value: string }
  | { type: 'boolean'; value: boolean }
  | { type: 'instant'; value: bigint }
  | { type: 'structure'; value: unknown };

/** A rule literal read the way the compared field reads values; undefined when it cannot be (a mismatch). */
export function literalValue(kind: FieldKind, scalar: Scalar): TypedValue | undefined {
  if (typeof scalar === 'number') return numberValue(scalar);
  if (typeof scalar === 'boolean') return { type: 'boolean', value: scalar };
  if (kind !== 'instant') return { type: 'string', value: scalar };
  const instant = parseInstant(scalar);
  return instant === null ? undefined : { type: 'instant', value: instant };
}

/** A JSON value from a transaction; undefined when absent or null (absence is not a value). */
export function jsonValue(value: unknown): TypedValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return numberValue(value);
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  return { type: 'structure', value };
}

export function numberValue(value: string | number): TypedValue | undefined {
  const decimal = parseDecimal(value);
  return decimal ? { type: 'number', value: decimal } : undefined;
}

/** Order of two values of one orderable type (number, string, instant); null for a mismatch. */
export function compareValues(a: TypedValue, b: TypedValue): -1 | 0 | 1 | null {
  if (a.type === 'number' && b.type === 'number') return compareDecimals(a.value, b.value);
  if (a.type === 'string' && b.type === 'string') return compareText(a.value, b.value);
  if (a.type === 'instant' && b.type === 'instant') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return null;
}

/** Equality of two scalar values of one type; null for a mismatch. */
export function equalValues(a: TypedValue, b: TypedValue): boolean | null {
  if (a.type === 'boolean' && b.type === 'boolean') return a.value === b.value;
  const order = compareValues(a, b);
  return order === null ? null : order === 0;
}

/**
 * Code point order, which is Postgres' `COLLATE "C"` order on UTF-8 text. JavaScript's `<`
 * compares UTF-16 code units, which puts U+10000 and above before U+E000..U+FFFF.
 */
export function compareText(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = codePointRank(a.charCodeAt(i));
    const right = codePointRank(b.charCodeAt(i));
    if (left !== right) return left < right ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

function codePointRank(codeUnit: number): number {
  const isSurrogate = codeUnit >= 0xd800 && codeUnit <= 0xdfff;
  return isSurrogate ? codeUnit + 0x10000 : codeUnit;
}

/** Equal keys exactly for values Postgres finds equal (jsonb or column equality): grouping and distinct counts. */
export function valueKey(value: TypedValue): string {
  switch (value.type) {
    case 'number':
      return `n:${decimalToString(value.value)}`;
    case 'string':
      return `s:${value.value}`;
    case 'boolean':
      return `b:${value.value}`;
    case 'instant':
      return `i:${value.value}`;
    case 'structure':
      return `j:${canonicalJson(value.value)}`;
  }
}

// jsonb equality ignores key order and compares numbers numerically, so 1 and 1.0 are one value.
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'number') return numberKey(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).sort(([a], [b]) => compareText(a, b));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

function numberKey(value: number): string {
  const decimal = parseDecimal(value);
  return decimal ? decimalToString(decimal) : String(value);
}
