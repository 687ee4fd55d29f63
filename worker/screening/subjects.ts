import { type SQL, sql } from 'drizzle-orm';
import { type Tx, uuidArray } from '../../db/tenant';
import type { Condition, ScreeningLookup, ScreeningResult } from '../rules/language';
import { fieldTextSql } from '../rules/language/compile-sql';
import { isPredicate, walkConditions } from '../rules/language/condition-tree';
import type { Field } from '../rules/language/fields';
import { isScreenOperand } from '../rules/language/schema';
import { bestMatchIn } from './search';

/**
 * The rule language's `screen` in both evaluators reads one stored result per (list version,
 * value): before a statement decides, every value its `screen` predicates will read is scored
 * (once per list version; later evaluations reuse the result), and the same results are handed
 * to the JavaScript evaluator that explains each hit.
 */

/** The (list, field) pairs a set of conditions screens. */
export function screenedFields(conditions: readonly Condition[]): { listId: string; field: Field }[] {
  const pairs = new Map<string, { listId: string; field: Field }>();
  for (const condition of conditions) {
    for (const { condition: node } of walkConditions(condition)) {
      if (isPredicate(node) && node.op === 'screen' && isScreenOperand(node.value))
        pairs.set(`${node.value.list_id}/${node.field}`, { listId: node.value.list_id, field: node.field });
    }
  }
  return [...pairs.values()];
}

const key = (listId: string, subject: string) => `${listId}\u0000${subject}`;

type SubjectRow = { subject: string; score: string | null; best: ScreeningResult['best'] | string | null };

/**
 * Scores the values the conditions' `screen` predicates read on the transactions `t` of `scope`
 * that have no stored result yet, and returns the lookup of every result for those values.
 * Undefined when the conditions screen nothing.
 */
export async function prepareScreening(
  tx: Tx,
  orgId: string,
  scope: SQL,
  conditions: readonly Condition[],
): Promise<ScreeningLookup | undefined> {
  const screened = screenedFields(conditions);
  if (screened.length === 0) return undefined;
  const listIds = [...new Set(screened.map((pair) => pair.listId))];
  const lists = await tx.execute<{ id: string; name: string; current_version: number }>(sql`
    select id, name, current_version from screening_lists where id = any(${uuidArray(listIds)})`);
  const listById = new Map(lists.map((list) => [list.id, list]));
  const results = new Map<string, ScreeningResult>();
  for (const { listId, field } of screened) {
    const list = listById.get(listId);
    if (!list) continue;
    const rows = await tx.execute<SubjectRow>(sql`
      select x.subject, r.score::text as score, r.best
      from (select distinct ${fieldTextSql(field)} as subject from transactions t where ${scope}) x
      left join screening_results r on r.list_id = ${listId}::uuid and r.version = ${list.current_version}
        and r.subject_hash = md5(x.subject) and r.subject = x.subject
      where x.subject is not null`);
    const fresh: { subject: string; score: string; best: ScreeningResult['best'] }[] = [];
    for (const row of rows) {
      let { score, best } = row;
      if (score === null) {
        const match = await bestMatchIn(tx, listId, row.subject);
        score = (match?.score ?? 0).toFixed(4);
        best = match && {
          entry_id: match.entry_id,
          name: match.name,
          matched_name: match.matched_name,
          type: match.type,
          country: match.country,
          program: match.program,
          explanation: match.explanation,
        };
        fresh.push({ subject: row.subject, score, best });
      }
      results.set(key(listId, row.subject), {
        list_id: listId,
        list_name: list.name,
        list_version: list.current_version,
        score,
        best: typeof best === 'string' ? (JSON.parse(best) as ScreeningResult['best']) : best,
      });
    }
    if (fresh.length > 0) {
      await tx.execute(sql`
        insert into screening_results (org_id, list_id, version, subject_hash, subject, score, best)
        select ${orgId}::uuid, ${listId}::uuid, ${list.current_version}, md5(r.subject), r.subject, r.score, r.best
        from jsonb_to_recordset(${JSON.stringify(fresh)}::jsonb) as r(subject text, score numeric, best jsonb)
        on conflict do nothing`);
    }
  }
  return (listId, subject) => results.get(key(listId, subject));
}
