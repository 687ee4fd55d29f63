/**
 * Extraction fidelity benchmark: extracts draft rules from the labelled clause corpus
 * (scripts/extraction-benchmark/corpus.ts), grounds them on the benchmark organization's history
 * (scripts/extraction-benchmark/transactions.ts), and judges each draft by evaluating it and the
 * expected rules on that history: the same flagged transactions mean the same meaning. Prints the
 * precision and recall of rules and the share of drafts whose assumptions name every mapping.
 *
 *   npm run bench:extraction            # the summary
 *   npm run bench:extraction -- --list  # every clause, its drafts and the verdicts
 */
import { extractDraftRules } from '../worker/policies/extraction/extract-rules';
import { type CanonicalTransaction, type Condition, evaluate, measureAggregates } from '../worker/rules/language';
import { CORPUS } from './extraction-benchmark/corpus';
import { benchmarkTransactions } from './extraction-benchmark/transactions';

type Draft = { condition: Condition; source_text: string; assumptions?: string[]; reason: string; name: string };
type Grounder = (draft: Draft) => Draft;

const history = benchmarkTransactions();
const list = process.argv.includes('--list');

/** The organization's vocabulary as `readDataVocabulary` reads it from Postgres. */
function vocabularyOf(rows: CanonicalTransaction[]) {
  const columns = ['type', 'channel', 'currency', 'country', 'counterparty_country'] as const;
  const values = Object.fromEntries(columns.map((column) => [column, {} as Record<string, number>])) as Record<
    (typeof columns)[number],
    Record<string, number>
  >;
  const attributes: Record<string, { count: number; values: Record<string, number> }> = {};
  for (const row of rows) {
    for (const column of columns) {
      const value = row[column];
      if (typeof value === 'string') values[column][value] = (values[column][value] ?? 0) + 1;
    }
    for (const [key, value] of Object.entries(row.attributes ?? {})) {
      const entry = attributes[key] ?? { count: 0, values: {} };
      entry.count += 1;
      if (typeof value === 'string') entry.values[value] = (entry.values[value] ?? 0) + 1;
      attributes[key] = entry;
    }
  }
  return { transactions: rows.length, values, attributes, mapped: {} };
}

/** Grounding exists from issue 14 on; before it, drafts are judged as extracted. */
async function loadGrounder(): Promise<{ grounder: Grounder; grounded: boolean }> {
  try {
    const module = await import('../worker/policies/extraction/grounding');
    const vocabulary = vocabularyOf(history);
    return {
      grounder: (draft) => module.groundDraft({ ...draft, assumptions: draft.assumptions ?? [] }, vocabulary).draft,
      grounded: true,
    };
  } catch {
    return { grounder: (draft) => draft, grounded: false };
  }
}

function hitsOf(condition: Condition): Set<string> {
  const hits = new Set<string>();
  for (const transaction of history) {
    const measures = measureAggregates(condition, transaction, history);
    if (evaluate(condition, transaction, measures).holds) hits.add(transaction.id);
  }
  return hits;
}

function sameHits(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((id) => b.has(id));
}

/** Every field the condition reads, and every text value it compares a categorical field with. */
function mappingsOf(condition: Condition): { field: string; value?: string }[] {
  const found: { field: string; value?: string }[] = [];
  const walk = (node: Condition) => {
    if ('all' in node) node.all.forEach(walk);
    else if ('any' in node) node.any.forEach(walk);
    else if ('not' in node) walk(node.not);
    else if ('aggregate' in node) {
      if (node.aggregate.where) walk(node.aggregate.where);
    } else {
      const categorical = node.field === 'type' || node.field === 'channel' || node.field.startsWith('attributes.');
      if (!categorical) return;
      const values = typeof node.value === 'string' ? [node.value] : Array.isArray(node.value) ? node.value : [];
      if (values.length === 0) found.push({ field: node.field });
      for (const value of values) if (typeof value === 'string') found.push({ field: node.field, value });
      if (node.other_field?.startsWith('attributes.')) found.push({ field: node.other_field });
    }
  };
  walk(condition);
  return found;
}

/** The assumptions name a mapping when they name its field and, for a compared value, that value. */
function namesEveryMapping(draft: Draft): boolean {
  const said = (draft.assumptions ?? draft.reason.split('; ')).join('\n');
  return mappingsOf(draft.condition).every(
    ({ field, value }) => said.includes(field) && (value === undefined || said.includes(value)),
  );
}

async function main() {
  const { grounder, grounded } = await loadGrounder();
  const started = performance.now();
  let drafts = 0;
  let matchedDrafts = 0;
  let expectedRules = 0;
  let matchedExpected = 0;
  let named = 0;
  const degenerate: string[] = [];
  for (const clause of CORPUS) {
    const expected = clause.expected.map((condition) => ({ condition, hits: hitsOf(condition) }));
    for (const [n, rule] of expected.entries()) if (rule.hits.size === 0) degenerate.push(`${clause.id}#${n + 1}`);
    const proposed = extractDraftRules([{ key: clause.id, text: clause.text }]).map((draft) =>
      grounder(draft as Draft),
    );
    const unmatched = [...expected];
    const verdicts: string[] = [];
    for (const draft of proposed) {
      drafts += 1;
      if (namesEveryMapping(draft)) named += 1;
      const hits = hitsOf(draft.condition);
      const index = unmatched.findIndex((rule) => sameHits(rule.hits, hits));
      if (index >= 0) {
        matchedDrafts += 1;
        unmatched.splice(index, 1);
        verdicts.push(`  ok    ${draft.name} (${hits.size} hits)`);
      } else {
        verdicts.push(`  WRONG ${draft.name} (${hits.size} hits): ${JSON.stringify(draft.condition)}`);
      }
    }
    expectedRules += expected.length;
    matchedExpected += expected.length - unmatched.length;
    for (const rule of unmatched)
      verdicts.push(`  MISSED expected (${rule.hits.size} hits): ${JSON.stringify(rule.condition)}`);
    if (list)
      console.log(
        `${clause.id} [${clause.domain}] ${clause.text}\n${verdicts.join('\n') || '  (no rule, as expected)'}`,
      );
  }
  const precision = drafts === 0 ? 1 : matchedDrafts / drafts;
  const recall = expectedRules === 0 ? 1 : matchedExpected / expectedRules;
  console.log(
    JSON.stringify({
      benchmark: 'extraction',
      grounding: grounded,
      clauses: CORPUS.length,
      transactions: history.length,
      expected_rules: expectedRules,
      drafts,
      precision: Number(precision.toFixed(3)),
      recall: Number(recall.toFixed(3)),
      assumptions_name_every_mapping: Number((drafts === 0 ? 1 : named / drafts).toFixed(3)),
      labels_without_hits: degenerate,
      duration_ms: Math.round(performance.now() - started),
    }),
  );
}

await main();
