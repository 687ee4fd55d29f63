import { or, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { transactions, violationSearchValues, violations } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { likePattern } from '../../db/text';

/**
 * The violations search (`q`): the violated transaction's account or counterparty containing the
 * text (any case), or its id starting with it (as typed, in capitals or in lower case).
 *
 * Row-level security keeps `ilike` out of index conditions, so the search first finds what the
 * text can match through indexes that leakproof comparisons serve: the stored accounts and
 * counterparties of violated transactions by a suffix key (`violation_search_values`), the
 * transactions by an `(org_id, external_id)` range. Then, when those transactions and their
 * violations are few, the list is just those violations (`violations.id = any(...)`), filtered
 * and sorted as any list; else the text matches many, and the list is read in its order with the
 * text checked on each row, which then finds a page's matches after a few rows each.
 */
export type SearchPlan =
  /** Nothing can match: the list is empty without reading it. */
  | { kind: 'none' }
  /** The violations that match (all of them, before the list's other filters), as a Postgres array. */
  | { kind: 'violations'; ids: string }
  /** The text matches too much to list it first: each row of the list in its order is checked. */
  | { kind: 'scan' };

/** How much the plan reads at most; past any of these the text is broad and the list's order serves it. */
export type SearchLimits = {
  /** Search keys (`ACC-0` or a single letter starts many). */
  keys: number;
  /** Matching transactions, each probed for its violations. */
  transactions: number;
  /** Matching violations, then read by id and sorted. */
  violations: number;
};
export const SEARCH_LIMITS: SearchLimits = { keys: 1_000, transactions: 20_000, violations: 5_000 };
/** The length of a search key (`violation_search_values`, migration 0018): a longer text is checked on the value. */
const KEY_LENGTH = 32;
/**
 * The CTEs that keep `violation_search_values` in the violations' insert (a part of its `with`,
 * after the CTE `from` holding the new violations with their transaction's `account` and
 * `counterparty`): each value not stored yet, and every suffix of it (at most KEY_LENGTH
 * characters) as a key. No unique index, so concurrent inserts never wait on each other: a value
 * two of them store at once appears twice, and the search reads it once. In the insert itself
 * rather than a trigger, which a new connection compiles and plans on every push's first
 * violations (~3 ms) and every scan unit pays.
 */
export function keptSearchValues(from: string): SQL {
  const counted = sql.raw(from);
  return sql`
    search_seen as materialized (
      -- Deduplicated under the C collation: a byte comparison, the cheapest sort.
      select distinct v.org_id, x.kind collate "C" as kind, x.value collate "C" as value
      from ${counted} v
      cross join lateral (values ('account', v.account), ('counterparty', v.counterparty)) as x(kind, value)
      where x.value <> ''),
    search_heads as materialized (
      -- Materialized so that the probe below compares plain columns: under row-level security an
      -- index condition may hold only leakproof operators, and lower() is not one.
      select s.org_id, s.kind collate "default" as kind, s.value collate "default" as value,
        left(lower(s.value collate "default"), ${sql.raw(String(KEY_LENGTH))}) as head
      from search_seen s),
    search_fresh as materialized (
      -- One index probe a value, whatever the statistics say: \`offset 0\` keeps the subquery from
      -- becoming an anti-join, which a table not analyzed since it grew (during a first scan) got
      -- as a hash of every stored key, statement after statement (a 1M scan: 5 s of 21).
      select h.org_id, h.kind, h.value from search_heads h
      where not exists (select 1 from ${violationSearchValues} k
        where k.org_id = h.org_id and k.key = h.head and k.kind = h.kind and k.value = h.value offset 0)),
    search_values_kept as (
      insert into ${violationSearchValues} (org_id, key, kind, value)
      select distinct f.org_id, substr(lower(f.value), i, ${sql.raw(String(KEY_LENGTH))}), f.kind, f.value
      from search_fresh f, generate_series(1, length(lower(f.value))) as i)`;
}

/** U+10FFFF, the last code point: `prefix || MAX` bounds every text that starts with the prefix. */
const MAX = '\u{10FFFF}';

/** An id is matched from its start as typed, in capitals and in lower case (ids are codes, mostly in one case). */
function idPrefixes(q: string): string[] {
  return [...new Set([q, q.toUpperCase(), q.toLowerCase()])];
}

/**
 * The transactions whose id starts with `prefix`: a range of the `(org_id, external_id)` index
 * (`>=` and `<` on text are leakproof), exact by `starts_with` (leakproof too). The range holds
 * every such id where the database's collation orders text by code point (C, C.UTF-8).
 */
function idStartsWith(prefix: string): SQL {
  return sql`${transactions.externalId} >= ${prefix} and ${transactions.externalId} < ${prefix + MAX}
    and starts_with(${transactions.externalId}, ${prefix})`;
}

/**
 * The matching transactions, `column` of each: by account, by counterparty (the values found,
 * when the keys were few) and by id. Counted first as `1` (index-only scans, no row read), then
 * read for their ids only when few (the accounts' and counterparties' indexes do not hold the id).
 */
function matchingTransactions(column: SQLWrapper, ids: string[]): SQL {
  return sql`select ${column} from ${transactions} where (select yes from narrow)
      and ${transactions.account} = any(array(select value from matching_values where kind = 'account'))
    union all
    select ${column} from ${transactions} where (select yes from narrow)
      and ${transactions.counterparty} = any(array(select value from matching_values where kind = 'counterparty'))
    ${sql.join(
      ids.map((prefix) => sql`union all select ${column} from ${transactions} where ${idStartsWith(prefix)}`),
      sql` `,
    )}`;
}

/**
 * Decides how the list answers `q`, in one statement whose every part is bounded by the limits
 * above. The candidates' violations are a probe of the transaction index each: `offset 0` keeps
 * that subquery from being flattened into a join, which Postgres answered by hashing every
 * violation of the organization (100,000 at 1M transactions: 76 ms for a 10-violation answer).
 */
export async function planSearch(tx: Tx, q: string, limits = SEARCH_LIMITS): Promise<SearchPlan> {
  const ids = idPrefixes(q);
  const [row] = await tx.execute<{ keys: number; candidates: number; violations: number; ids: string }>(sql`
    with keys as (
      select k.kind, k.value from ${violationSearchValues} k
      where k.key ~>=~ left(lower(${q}), ${KEY_LENGTH}) and k.key ~<~ (left(lower(${q}), ${KEY_LENGTH}) || ${MAX})
      limit ${limits.keys + 1}),
    narrow as (select count(*) <= ${limits.keys} as yes from keys),
    matching_values as (select distinct kind, value from keys where value ilike ${likePattern(q)}),
    counted as (${matchingTransactions(sql`1`, ids)} limit ${limits.transactions + 1}),
    few as (select count(*) <= ${limits.transactions} as yes from counted),
    candidates as (select * from (${matchingTransactions(transactions.id, ids)}) c where (select yes from few)),
    matched as (
      select m.id from candidates c
      cross join lateral (select v.id from ${violations} v where v.transaction_id = c.id offset 0) m
      limit ${limits.violations + 1})
    select (select count(*) from keys)::int as keys, (select count(*) from counted)::int as candidates,
      (select count(*) from matched)::int as violations, (select coalesce(array_agg(id), '{}')::text from matched) as ids`);
  if (!row) throw new Error('search plan: no row');
  if (row.keys > limits.keys || row.candidates > limits.transactions || row.violations > limits.violations)
    return { kind: 'scan' };
  return row.violations === 0 ? { kind: 'none' } : { kind: 'violations', ids: row.ids };
}

/** The list's condition for `q` under `plan`: the same violations either way. */
export function searchCondition(q: string, plan: SearchPlan): SQL | undefined {
  if (plan.kind === 'none') return sql`false`;
  if (plan.kind === 'violations') return sql`${violations.id} = any(${plan.ids}::uuid[])`;
  // In coalesce, which the planner cannot estimate: it took `ilike` for rare and read every
  // transaction of the organization to find them (VEND-12 at 1M transactions: 700 ms) instead of
  // the list's index in order, which finds a page of a text this broad after a few thousand rows (34 ms).
  return sql`coalesce(${or(
    sql`${transactions.account} ilike ${likePattern(q)}`,
    sql`${transactions.counterparty} ilike ${likePattern(q)}`,
    ...idPrefixes(q).map((prefix) => sql`starts_with(${transactions.externalId}, ${prefix})`),
  )}, false)`;
}
