import { type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { type CompiledCondition, type Condition, compileCondition } from './language';
import type { ActiveRuleVersion } from './versions';

// Rule versions an isolate keeps compiled: every approved version of a busy organization, and then some.
const MAX_CACHED = 512;
const cache = new Map<string, CompiledCondition>();
const dialect = new PgDialect();

/**
 * A rule version's condition compiled for given transactions (a webhook push), kept in the isolate.
 * Approved versions never change, but the key holds the condition too: a version read in another
 * state of the database (a test's, a draft's) must never reuse another's SQL. The cached SQL is
 * flat (text between bound values): building a push's decision from the compiler's deep tree of
 * fragments was ~1 ms of a push's CPU (BENCHMARKS.md, Webhook decisions).
 */
export function compiledForTransactions(version: ActiveRuleVersion): CompiledCondition {
  const key = `${version.id}:${JSON.stringify(version.condition)}`;
  const cached = cache.get(key);
  if (cached) {
    // Most recently used last: the first key is the one to evict.
    cache.delete(key);
    cache.set(key, cached);
    return cached;
  }
  const compiled = flatten(compileCondition(version.condition as Condition));
  cache.set(key, compiled);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!);
  return compiled;
}

function flatten(compiled: CompiledCondition): CompiledCondition {
  return {
    ...compiled,
    holds: flat(compiled.holds),
    measures: compiled.measures.map(flat),
    statistics: compiled.statistics.map(flat),
    evidenceIds: compiled.evidenceIds.map(flat),
  };
}

/**
 * The same SQL as text pieces around its bound values, in order. Placeholders are numbered in
 * order of appearance; the compiler writes no `$<digits>` of its own (literals are bound), which
 * the check below makes sure of, keeping the deep form otherwise.
 */
function flat(fragment: SQL): SQL {
  const { sql: text, params } = dialect.sqlToQuery(fragment);
  const pieces = text.split(/\$(\d+)/);
  const numbers = pieces.filter((_, i) => i % 2 === 1).map(Number);
  if (numbers.length !== params.length || numbers.some((n, i) => n !== i + 1)) return fragment;
  const chunks: SQL[] = pieces.map((piece, i) => (i % 2 === 0 ? sql.raw(piece) : sql`${params[(i - 1) / 2]}`));
  return sql.join(chunks);
}
