/**
 * JSON.parse turns numbers into doubles, which cannot hold every amount numeric(20,4) can (more
 * than 15 significant digits). Here the amount of each record is read from its source text
 * instead (JSON.parse source text access, `context.source`), so `12345678901234.5678` stays exact.
 * Only the amount is touched: other numbers (attributes) keep their JSON type.
 */
type Reviver = (this: object, key: string, value: unknown, context?: { source?: string }) => unknown;

/** Where a dot path points inside a record: a literal key wins (`Account.1`), then nested keys. */
export function locate(record: unknown, path: string): { holder: Record<string, unknown>; key: string } | undefined {
  if (!isObject(record)) return undefined;
  if (Object.hasOwn(record, path)) return { holder: record, key: path };
  const [head, ...rest] = path.split('.');
  if (rest.length === 0 || !Object.hasOwn(record, head!)) return undefined;
  return locate(record[head!], rest.join('.'));
}

/** Parses a JSON document whose records (the value itself, or each element of an array) carry an amount at `amountPath`. */
export function parseExactJson(text: string, amountPath = 'amount'): unknown {
  const amountKey = amountPath.slice(amountPath.lastIndexOf('.') + 1);
  const sources = new WeakMap<object, string>();
  const reviver: Reviver = function (key, value, context) {
    const isAmountKey = key === amountKey || key === amountPath;
    if (isAmountKey && typeof value === 'number' && context?.source !== undefined) sources.set(this, context.source);
    return value;
  };
  const parsed = JSON.parse(text, reviver as never) as unknown;
  for (const record of Array.isArray(parsed) ? parsed : [parsed]) {
    const target = locate(record, amountPath);
    const source = target && sources.get(target.holder);
    if (target && source !== undefined && typeof target.holder[target.key] === 'number')
      target.holder[target.key] = source;
  }
  return parsed;
}

/** One NDJSON line: the fast plain parse, and the exact one only when the amount is a JSON number. */
export function parseExactJsonLine(line: string, amountPath = 'amount'): unknown {
  const value = JSON.parse(line) as unknown;
  const target = locate(value, amountPath);
  return target && typeof target.holder[target.key] === 'number' ? parseExactJson(line, amountPath) : value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
