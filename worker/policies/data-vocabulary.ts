import { sql } from 'drizzle-orm';
import { ingestSources } from '../../db/schema';
import type { Tx } from '../../db/tenant';
import { type DataVocabulary, EMPTY_VOCABULARY, GROUNDED_COLUMNS } from './extraction/grounding';

/** Grounding looks at the newest transactions: enough to know an organization's words, bounded whatever its history. */
const SAMPLE = 50_000;
/** Values kept per field, the most frequent first: categorical fields have few; ids would have many. */
const VALUES_PER_FIELD = 100;
const ATTRIBUTE_KEYS = 200;

/**
 * The organization's vocabulary: the distinct values of its categorical fields, its attribute keys
 * and their text values, and the canonical values its sources map onto. Row-level security keeps it
 * to the tenant of `tx`.
 */
export async function readDataVocabulary(tx: Tx): Promise<DataVocabulary> {
  const columns = GROUNDED_COLUMNS.map((column) =>
    sql.raw(`select '${column}'::text as field, s.${column} as value, count(*)::int as n
      from sample s where s.${column} is not null group by 2`),
  );
  const rows = await tx.execute<{ field: string; value: string; n: number }>(sql`
    with sample as materialized (
      select type, channel, currency, country, counterparty_country, attributes
      from transactions order by id desc limit ${sql.raw(String(SAMPLE))}
    ),
    ranked as (
      select field, value, n, row_number() over (partition by field order by n desc, value) as place
      from (${sql.join(columns, sql` union all `)}
        union all
        select 'key' as field, k.key as value, count(*)::int as n from sample s, jsonb_each(s.attributes) k group by 2
        union all
        select 'attribute:' || k.key as field, k.value #>> '{}' as value, count(*)::int as n
        from sample s, jsonb_each(s.attributes) k where jsonb_typeof(k.value) = 'string' group by 1, 2) counted
    )
    select field, value, n from ranked
    where place <= case when field = 'key' then ${sql.raw(String(ATTRIBUTE_KEYS))} else ${sql.raw(String(VALUES_PER_FIELD))} end
    union all
    select 'total', '', count(*)::int from sample`);
  const vocabulary: DataVocabulary = structuredClone(EMPTY_VOCABULARY);
  for (const { field, value, n } of rows) {
    if (field === 'total') vocabulary.transactions = n;
    else if (field === 'key')
      vocabulary.attributes[value] = { count: n, values: vocabulary.attributes[value]?.values ?? {} };
    else if (field.startsWith('attribute:')) {
      const key = field.slice('attribute:'.length);
      const entry = vocabulary.attributes[key] ?? { count: 0, values: {} };
      entry.values[value] = n;
      vocabulary.attributes[key] = entry;
    } else vocabulary.values[field as keyof DataVocabulary['values']][value] = n;
  }
  // Values of keys beyond the most frequent ones came without their key's count: those keys are left out.
  for (const [key, entry] of Object.entries(vocabulary.attributes))
    if (entry.count === 0) delete vocabulary.attributes[key];
  const sources = await tx.select({ mapping: ingestSources.mapping }).from(ingestSources);
  for (const { mapping } of sources) {
    const values = (mapping as { values?: Record<string, Record<string, string | number>> }).values ?? {};
    for (const [field, map] of Object.entries(values)) {
      const targets = Object.values(map).filter((value): value is string => typeof value === 'string');
      vocabulary.mapped[field] = [...new Set([...(vocabulary.mapped[field] ?? []), ...targets])];
    }
  }
  return vocabulary;
}
