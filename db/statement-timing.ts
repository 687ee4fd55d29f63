import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type postgres from 'postgres';

/** A statement slower than this is logged at warn and counted (contract section 17). */
export const SLOW_STATEMENT_MS = 200;

export type TimedStatement = { text: string; durationMs: number };

type Sql = postgres.Sql<Record<string, unknown>>;
type Thenable = { then: (ok?: (value: unknown) => unknown, fail?: (error: unknown) => unknown) => Promise<unknown> };

/**
 * The same client, with every statement drizzle sends (`unsafe`, also inside `begin` and
 * `savepoint`) timed from when it is sent to when its answer is in; `onSlow` hears of those over
 * SLOW_STATEMENT_MS. postgres.js runs a query when it is first awaited, so the clock starts there.
 */
export function timeStatements(sql: Sql, onSlow: (statement: TimedStatement) => void): Sql {
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'unsafe') {
        return (text: string, ...rest: unknown[]) =>
          timed((target.unsafe as (...args: unknown[]) => Thenable)(text, ...rest), text, onSlow);
      }
      if (property === 'begin' || property === 'savepoint') {
        const original = Reflect.get(target, property, receiver) as (...args: unknown[]) => unknown;
        return (...args: unknown[]) =>
          original.call(
            target,
            ...args.map((arg) =>
              typeof arg === 'function' ? (inner: Sql) => arg(timeStatements(inner, onSlow)) : arg,
            ),
          );
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

function timed<T extends Thenable>(query: T, text: string, onSlow: (statement: TimedStatement) => void): T {
  const then = query.then;
  let started: number | undefined;
  let reported = false;
  const report = () => {
    if (reported || started === undefined) return;
    reported = true;
    const durationMs = performance.now() - started;
    if (durationMs > SLOW_STATEMENT_MS) onSlow({ text, durationMs });
  };
  // An own `then` on this query object: `.values()` returns the same object, so it stays in place.
  Object.defineProperty(query, 'then', {
    configurable: true,
    writable: true,
    value(this: T, ok?: (value: unknown) => unknown, fail?: (error: unknown) => unknown) {
      started ??= performance.now();
      return then.call(
        this,
        (value: unknown) => {
          report();
          return ok ? ok(value) : value;
        },
        (error: unknown) => {
          report();
          if (fail) return fail(error);
          throw error;
        },
      );
    },
  });
  return query;
}

/**
 * The statement's shape without its values (literals, numbers and parameters become `?`, spaces
 * collapse), and a short hash of it: the same statement with other values has the same digest.
 */
export function statementDigest(text: string): { digest: string; normalized: string } {
  const normalized = text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+/g, '?')
    .replace(/\b\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return { digest: bytesToHex(sha256(new TextEncoder().encode(normalized))).slice(0, 16), normalized };
}
