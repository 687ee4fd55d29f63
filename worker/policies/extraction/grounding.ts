import type { Condition, Field, Predicate } from '../../rules/language';

/**
 * Grounding: the extractor writes drafts in the rule vocabulary (`type` `cash`, `attributes.category`
 * `meals`, `attributes.approved_by`); an organization's data says `cash_deposit`, `Meals & Dining` or
 * `approver`. Before a draft is proposed, each categorical value and attribute key it reads is mapped
 * onto what the organization's transactions (and its sources' value maps) actually hold, and every
 * mapping, or the lack of one, is stated as a sentence on the draft.
 */

/** Categorical transaction columns whose stored values a draft's words are mapped onto. */
export const GROUNDED_COLUMNS = ['type', 'channel', 'currency', 'country', 'counterparty_country'] as const;
type GroundedColumn = (typeof GROUNDED_COLUMNS)[number];

/** What an organization's stored transactions hold: per categorical field, each value and how many transactions carry it. */
export interface DataVocabulary {
  /** Transactions looked at (the newest ones, see `readDataVocabulary`). */
  transactions: number;
  values: Record<GroundedColumn, Record<string, number>>;
  /** Attribute key -> transactions carrying it, and its text values with their counts (the most frequent). */
  attributes: Record<string, { count: number; values: Record<string, number> }>;
  /** Canonical values the organization's sources map onto (`mapping.values`), known before any data arrives. */
  mapped: Record<string, string[]>;
}

export const EMPTY_VOCABULARY: DataVocabulary = {
  transactions: 0,
  values: { type: {}, channel: {}, currency: {}, country: {}, counterparty_country: {} },
  attributes: {},
  mapped: {},
};

/**
 * `grounded`: every value and key the draft reads was found in the data; `partial`: some were not
 * (the draft says which); `ungrounded`: no data to look at yet.
 */
export type GroundingStatus = 'grounded' | 'partial' | 'ungrounded';

export interface Grounding {
  condition: Condition;
  status: GroundingStatus;
  /** One sentence per mapping, in the order the condition reads them. */
  assumptions: string[];
  /** The words that matched nothing stored (`cash deposit`, `attributes.receipt`). */
  unmatched: string[];
}

/** The words policies use for each value of the rule vocabulary, as stems a stored value's words may start with. */
const SYNONYMS: Record<string, Record<string, string[]>> = {
  type: {
    cash: ['cash'],
    wire: ['wire', 'swift', 'telegraphic', 'tt', 'remittance', 'rtgs', 'chaps', 'fedwire'],
    check: ['check', 'cheque', 'chq'],
    card: ['card', 'pos', 'visa', 'mastercard'],
    ach: ['ach', 'bacs', 'sepa', 'direct_debit', 'eft', 'giro'],
    crypto: ['crypto', 'virtual', 'bitcoin', 'btc', 'stablecoin'],
  },
  'attributes.category': {
    meals: ['meal', 'food', 'dining', 'restaurant', 'subsistence', 'lunch', 'dinner', 'breakfast', 'per_diem'],
    lodging: ['lodging', 'hotel', 'accommodation', 'accomodation'],
    airfare: ['airfare', 'air', 'flight', 'airline'],
    taxi: ['taxi', 'cab', 'ride', 'rideshare', 'uber'],
    car_rental: ['car_rental', 'car_hire', 'rental_car', 'rental'],
    entertainment: ['entertainment', 'hospitality', 'client_entertainment'],
    gifts: ['gift'],
  },
};

/** Attribute keys of the rule vocabulary and the other names ERPs give them. */
const KEY_SYNONYMS: Record<string, string[]> = {
  approved_by: ['approved_by', 'approver', 'approval', 'authorised_by', 'authorized_by', 'authoriser', 'authorizer'],
  requested_by: ['requested_by', 'requester', 'requestor', 'submitted_by', 'submitter', 'claimant', 'created_by'],
  receipt: ['receipt'],
  purchase_order: ['purchase_order', 'po_number', 'po_id', 'po'],
  quotes: ['quotes', 'quotations', 'quote_count', 'bids'],
  due_diligence: ['due_diligence', 'edd', 'cdd', 'kyc_review'],
  justification: ['justification', 'business_purpose', 'purpose'],
  scc: ['scc', 'standard_contractual_clauses', 'transfer_mechanism'],
  originator: ['originator', 'ordering_customer', 'remitter', 'sender_name'],
  beneficiary: ['beneficiary', 'payee_name'],
  category: ['category', 'expense_category', 'expense_type', 'spend_category'],
  personal_data: ['personal_data', 'contains_pii', 'pii'],
};

/** Words that tell deposits from withdrawals in a sentence and in stored values. */
const DIRECTIONS: { words: RegExp; stems: string[]; label: string }[] = [
  {
    words: /\b(?:deposit\w*|incoming|inbound|received|credits?)\b/,
    stems: ['deposit', 'dep', 'in', 'inbound', 'incoming', 'credit', 'cr', 'lodgement'],
    label: 'deposits',
  },
  {
    words: /\b(?:withdraw\w*|outgoing|outbound|debits?)\b/,
    stems: ['withdrawal', 'withdraw', 'wd', 'out', 'outbound', 'outgoing', 'debit', 'dr'],
    label: 'withdrawals',
  },
];

/** Maps a draft's condition onto the organization's data; the source sentence decides between deposits and withdrawals. */
export function groundCondition(condition: Condition, sourceText: string, data: DataVocabulary): Grounding {
  const state: GroundingState = {
    data,
    direction: directionOf(sourceText),
    assumptions: [],
    unmatched: [],
    seen: new Map(),
  };
  const grounded = narrowToSubject(rewrite(condition, state), sourceText, state);
  const hasData = data.transactions > 0 || Object.keys(data.mapped).length > 0;
  const status: GroundingStatus = !hasData ? 'ungrounded' : state.unmatched.length > 0 ? 'partial' : 'grounded';
  const assumptions = hasData
    ? state.assumptions
    : [
        'No transactions are stored yet, so the draft uses the rule vocabulary as written; it is re-grounded on the data once transactions arrive.',
        ...state.assumptions,
      ];
  return { condition: grounded, status, assumptions: unique(assumptions), unmatched: unique(state.unmatched) };
}

interface GroundingState {
  data: DataVocabulary;
  direction?: (typeof DIRECTIONS)[number];
  assumptions: string[];
  unmatched: string[];
  /** The same field and values read twice (filter and window `where`) map the same way, stated once. */
  seen: Map<string, { field: Field; values: string[] | undefined }>;
}

function rewrite(condition: Condition, state: GroundingState): Condition {
  if ('all' in condition) return { all: condition.all.map((member) => rewrite(member, state)) };
  if ('any' in condition) return { any: condition.any.map((member) => rewrite(member, state)) };
  if ('not' in condition) return { not: rewrite(condition.not, state) };
  if ('aggregate' in condition) {
    const { aggregate } = condition;
    return {
      ...condition,
      aggregate: {
        ...aggregate,
        ...(aggregate.field ? { field: groundField(aggregate.field, state) } : {}),
        group_by: aggregate.group_by.map((field) => groundField(field, state)),
        ...(aggregate.where ? { where: rewrite(aggregate.where, state) } : {}),
      },
    };
  }
  return groundPredicate(condition, state);
}

function groundPredicate(predicate: Predicate, state: GroundingState): Condition {
  const field = groundField(predicate.field, state);
  const other = predicate.other_field === undefined ? {} : { other_field: groundField(predicate.other_field, state) };
  const values = textValues(predicate);
  if (values && field === 'currency') checkCurrencies(values, state);
  if (!values || !isCategorical(field) || !['eq', 'ne', 'in', 'not_in'].includes(predicate.op))
    return { ...predicate, field, ...other };
  const key = `${predicate.field}=${values.join('|')}`;
  const mapped = state.seen.get(key)?.values ?? groundValues(predicate.field, field, values, state);
  state.seen.set(key, { field, values: mapped });
  if (!mapped) return { ...predicate, field, ...other };
  const negative = predicate.op === 'ne' || predicate.op === 'not_in';
  if (mapped.length === 1) return { field, op: negative ? 'ne' : 'eq', value: mapped[0]! };
  return { field, op: negative ? 'not_in' : 'in', value: mapped };
}

/** Currencies are codes: never renamed, but a draft in a currency the organization never uses is said to find nothing. */
function checkCurrencies(values: string[], state: GroundingState): void {
  const stored = Object.keys(state.data.values.currency);
  const key = `currency=${values.join('|')}`;
  if (stored.length === 0 || state.seen.has(key)) return;
  state.seen.set(key, { field: 'currency', values });
  const missing = values.filter((value) => !stored.includes(value));
  if (missing.length === 0) {
    state.assumptions.push(`Amounts are compared in ${values.join(', ')}, a currency of the stored transactions.`);
    return;
  }
  state.unmatched.push(`currency ${missing.join(', ')}`);
  state.assumptions.push(
    `No stored transaction is in ${missing.join(', ')} (stored currencies: ${stored.slice(0, 8).join(', ')}); amounts in other currencies are not converted, so the draft finds none of them.`,
  );
}

/** Nouns that name a kind of record ERPs keep under its own type (`expense_claim`, `purchase_invoice`), and the stems of those types. */
const SUBJECT_TYPES: Record<string, string[]> = {
  expense: ['expense', 'claim', 'reimbursement'],
  claim: ['expense', 'claim', 'reimbursement'],
  purchase: ['purchase', 'invoice', 'procurement', 'po'],
  invoice: ['invoice', 'bill', 'purchase'],
  order: ['purchase', 'order', 'po'],
};
const SUBJECT_NOUN = /\b(expense|claim|purchase|invoice|order)s?\b/;

/**
 * A draft that names no type but speaks of "purchases" or "expense claims" is narrowed to the stored
 * types that record them, when the organization has such types: otherwise "purchases over 5,000
 * require approval" would flag every unapproved cash deposit over 5,000.
 */
function narrowToSubject(condition: Condition, sourceText: string, state: GroundingState): Condition {
  const noun = SUBJECT_NOUN.exec(sourceText.toLowerCase())?.[1];
  if (!noun || readsField(condition, 'type')) return condition;
  const stored = Object.keys(state.data.values.type);
  const stems = SUBJECT_TYPES[noun]!;
  const matches = stored.filter((value) =>
    tokensOf(value).some((token) => stems.some((stem) => matchesStem(token, stem))),
  );
  if (matches.length === 0) return condition;
  const filter: Condition =
    matches.length === 1
      ? { field: 'type', op: 'eq', value: matches[0]! }
      : { field: 'type', op: 'in', value: matches };
  const counts = matches.map((value) => `${value}: ${state.data.values.type[value]}`).join(', ');
  state.assumptions.push(
    `"${noun}" is read as type ${matches.join(' or ')}, the organization's record of them (${counts} transactions); other types are left out.`,
  );
  const narrowed = withWindowFilter(condition, filter);
  return 'all' in narrowed ? { all: [filter, ...narrowed.all] } : { all: [filter, narrowed] };
}

/** Windows count and sum the same kind of record as the transaction they judge. */
function withWindowFilter(condition: Condition, filter: Condition): Condition {
  if ('all' in condition) return { all: condition.all.map((member) => withWindowFilter(member, filter)) };
  if ('any' in condition) return { any: condition.any.map((member) => withWindowFilter(member, filter)) };
  if ('not' in condition) return { not: withWindowFilter(condition.not, filter) };
  if ('aggregate' in condition) {
    const { where } = condition.aggregate;
    const narrowed = !where ? filter : 'all' in where ? { all: [filter, ...where.all] } : { all: [filter, where] };
    return { ...condition, aggregate: { ...condition.aggregate, where: narrowed } };
  }
  return condition;
}

function readsField(condition: Condition, field: Field): boolean {
  if ('all' in condition) return condition.all.some((member) => readsField(member, field));
  if ('any' in condition) return condition.any.some((member) => readsField(member, field));
  if ('not' in condition) return readsField(condition.not, field);
  if ('aggregate' in condition) return condition.aggregate.where ? readsField(condition.aggregate.where, field) : false;
  return condition.field === field;
}

/** An attribute key the data does not hold is looked for under its other names. */
function groundField(field: Field, state: GroundingState): Field {
  if (!field.startsWith('attributes.')) return field;
  const key = field.slice('attributes.'.length).split('.')[0]!;
  const seen = state.seen.get(`key:${field}`);
  if (seen) return seen.field;
  const remember = (result: Field) => {
    state.seen.set(`key:${field}`, { field: result, values: undefined });
    return result;
  };
  const { data } = state;
  if (data.transactions === 0) {
    state.assumptions.push(
      `${field} is assumed to be where the transactions record it; nothing is stored yet to check.`,
    );
    return remember(field);
  }
  const stored = data.attributes[key];
  if (stored) {
    state.assumptions.push(`${field} is recorded on ${stored.count} of ${data.transactions} stored transactions.`);
    return remember(field);
  }
  const alias = bestKey(key, Object.keys(data.attributes), data);
  if (alias) {
    const grounded = `attributes.${alias}` as Field;
    state.assumptions.push(
      `${field} is read from ${grounded}, the organization's name for it (on ${data.attributes[alias]!.count} of ${data.transactions} stored transactions).`,
    );
    return remember(grounded);
  }
  state.unmatched.push(field);
  state.assumptions.push(
    `No stored transaction records ${field} or anything named like it${listOf(' (attribute keys seen: ', Object.keys(data.attributes), ')')}: asking that it be missing flags every transaction the rest of the draft selects, any other test on it flags none.`,
  );
  return remember(field);
}

/** Stored values for the draft's words, or undefined to keep them (stated either way). */
function groundValues(
  writtenField: Field,
  field: Field,
  values: string[],
  state: GroundingState,
): string[] | undefined {
  const { data } = state;
  const stored = storedValues(field, data);
  const known = Object.keys(stored);
  const words = (value: string) =>
    state.direction && writtenField === 'type' ? `${value} ${state.direction.label.replace(/s$/, '')}` : value;
  if (known.length === 0) {
    if (data.transactions > 0) {
      state.unmatched.push(`${field} ${values.join(', ')}`);
      state.assumptions.push(
        `No stored transaction has a ${fieldLabel(field)} at all, so "${values.map(words).join('", "')}" (${field} ${values.join(', ')}) matches none of them.`,
      );
    } else {
      state.assumptions.push(
        `"${values.map(words).join('", "')}" is read as ${field} ${values.join(' or ')}: an assumption until data arrives.`,
      );
    }
    return undefined;
  }
  const result: string[] = [];
  for (const value of values) {
    const candidates = known.filter((candidate) => resembles(candidate, writtenField, value));
    if (candidates.length === 0) {
      state.unmatched.push(`${field} ${value}`);
      state.assumptions.push(
        `No stored transaction has a ${fieldLabel(field)} resembling "${words(value)}"${listOf(` (stored ${fieldLabel(field)} values: `, known, ')')}; the draft keeps ${field} ${value} and finds nothing until such transactions arrive.`,
      );
      result.push(value);
      continue;
    }
    const chosen = byDirection(candidates, writtenField, state);
    const counts = chosen
      .map((candidate) =>
        stored[candidate] ? `${candidate} (${stored[candidate]})` : `${candidate} (a source maps onto it)`,
      )
      .join(', ');
    const left = candidates.filter((candidate) => !chosen.includes(candidate));
    const leftOut = left.length
      ? ` ${left.join(', ')} left out: the clause speaks of ${state.direction?.label ?? 'something else'}.`
      : '';
    const undivided =
      state.direction &&
      writtenField === 'type' &&
      left.length === 0 &&
      !chosen.some((c) => hasDirection(c, state.direction!))
        ? ` The stored values do not tell ${state.direction.label} apart, so all of them are included.`
        : '';
    state.assumptions.push(
      `"${words(value)}" is read as ${field} ${chosen.length > 1 ? `in ${chosen.join(', ')}` : chosen[0]}, found in the organization's data: ${counts} transactions.${leftOut}${undivided}`,
    );
    result.push(...chosen);
  }
  return unique(result);
}

function storedValues(field: Field, data: DataVocabulary): Record<string, number> {
  const fromData = field.startsWith('attributes.')
    ? (data.attributes[field.slice('attributes.'.length)]?.values ?? {})
    : (data.values[field as GroundedColumn] ?? {});
  const result = { ...fromData };
  for (const value of data.mapped[field] ?? []) result[value] ??= 0;
  return result;
}

/** A stored value resembles a word of the rule vocabulary when one of its words starts with a synonym's stem. */
function resembles(candidate: string, writtenField: Field, value: string): boolean {
  const lower = candidate.toLowerCase();
  if (lower === value.toLowerCase()) return true;
  const stems = SYNONYMS[writtenField]?.[value] ?? [value.toLowerCase()];
  const tokens = tokensOf(candidate);
  const joined = tokens.join('_');
  return stems.some(
    (stem) => joined === stem || joined.startsWith(`${stem}_`) || tokens.some((token) => matchesStem(token, stem)),
  );
}

function matchesStem(token: string, stem: string): boolean {
  // Short stems (`tt`, `po`) must be the whole word; longer ones may be a prefix (`deposits`, `hotels`).
  return stem.length <= 3 ? token === stem : token.startsWith(stem) || (token.length >= 4 && stem.startsWith(token));
}

/** Of the values that resemble the word, those of the direction the sentence names, when the data makes that difference. */
function byDirection(candidates: string[], writtenField: Field, state: GroundingState): string[] {
  const { direction } = state;
  if (!direction || writtenField !== 'type') return candidates;
  const directed = candidates.filter((candidate) => hasDirection(candidate, direction));
  return directed.length > 0
    ? directed
    : candidates.filter((candidate) => !DIRECTIONS.some((d) => hasDirection(candidate, d)));
}

function hasDirection(candidate: string, direction: (typeof DIRECTIONS)[number]): boolean {
  return tokensOf(candidate).some((token) => direction.stems.some((stem) => matchesStem(token, stem)));
}

function directionOf(sentence: string): (typeof DIRECTIONS)[number] | undefined {
  const lower = sentence.toLowerCase();
  const named = DIRECTIONS.filter((direction) => direction.words.test(lower));
  return named.length === 1 ? named[0] : undefined;
}

/** The stored attribute key that is another name for `key`: a listed synonym first, then a shared word stem. */
function bestKey(key: string, stored: string[], data: DataVocabulary): string | undefined {
  const synonyms = KEY_SYNONYMS[key] ?? [key];
  const scored = stored.flatMap((candidate) => {
    const tokens = tokensOf(candidate);
    const joined = tokens.join('_');
    const exact = synonyms.some((synonym) => joined === synonym);
    const prefixed = synonyms.some((synonym) => joined.startsWith(`${synonym}_`) || joined.endsWith(`_${synonym}`));
    const stem = synonyms.some(
      (synonym) => synonym.length > 3 && tokens.some((token) => token.slice(0, 6) === synonym.slice(0, 6)),
    );
    const score = exact ? 3 : prefixed ? 2 : stem ? 1 : 0;
    return score ? [{ candidate, score, count: data.attributes[candidate]?.count ?? 0 }] : [];
  });
  scored.sort((a, b) => b.score - a.score || b.count - a.count || a.candidate.localeCompare(b.candidate));
  return scored[0]?.candidate;
}

/** `cash_deposit`, `CashDeposit`, `Cash Deposit` -> cash, deposit. */
function tokensOf(value: string): string[] {
  return value
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function textValues(predicate: Predicate): string[] | undefined {
  const { value } = predicate;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  return undefined;
}

/** Countries are codes and currencies codes: mapped only when the data holds them, never renamed. */
function isCategorical(field: Field): boolean {
  return field === 'type' || field === 'channel' || field.startsWith('attributes.');
}

function fieldLabel(field: Field): string {
  return field.startsWith('attributes.')
    ? field.slice('attributes.'.length).replaceAll('_', ' ')
    : field.replaceAll('_', ' ');
}

function listOf(prefix: string, values: string[], suffix: string): string {
  if (values.length === 0) return '';
  const shown = values.slice(0, 8).join(', ');
  return `${prefix}${shown}${values.length > 8 ? `, and ${values.length - 8} more` : ''}${suffix}`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

export type { GroundedColumn };

/** A draft as proposed for review: its condition on the organization's data, the condition as extracted, and every assumption. */
export interface GroundedDraft<D> {
  draft: D;
  /** The condition and assumptions before grounding, kept to re-ground the draft when data arrives. */
  extracted: { condition: Condition; assumptions: string[] };
  grounding: GroundingStatus;
}

export function groundDraft<D extends { condition: Condition; source_text: string; assumptions: string[] }>(
  draft: D,
  data: DataVocabulary,
): GroundedDraft<D> {
  const grounding = groundCondition(draft.condition, draft.source_text, data);
  return {
    draft: { ...draft, condition: grounding.condition, assumptions: [...grounding.assumptions, ...draft.assumptions] },
    extracted: { condition: draft.condition, assumptions: draft.assumptions },
    grounding: grounding.status,
  };
}

/** The rule vocabulary drafts are written in, and the other words each is matched with: what sources map onto. */
export function ruleVocabulary() {
  return {
    values: Object.entries(SYNONYMS).flatMap(([field, values]) =>
      Object.entries(values).map(([value, words]) => ({ field, value, words })),
    ),
    attributes: Object.entries(KEY_SYNONYMS).map(([key, words]) => ({ field: `attributes.${key}`, words })),
  };
}
