import type { Field } from '../../rules/language';
import { complement, type Inequality } from './conditions';
import { NUMBER_IN_WORDS, parseNumeral, SCALES, wordsToNumber } from './numbers';
import {
  CURRENCY_CODES,
  CURRENCY_SYMBOLS,
  CURRENCY_WORDS,
  PARTY_NOUNS,
  TRANSACTION_NOUNS,
  termValues,
} from './vocabulary';

/** A number in a sentence and what it measures. */
export interface Quantity {
  /** `other`: a number with a comparator whose unit the extractor does not know (`fewer than 2 approvals`). */
  kind: 'money' | 'count' | 'duration' | 'other';
  value: number;
  /** The side to flag: for a limit ("must not exceed 5,000") the complement of what the sentence allows. */
  op?: Inequality;
  /** The sentence states what is allowed ("must not exceed", "up to") rather than what to flag. */
  limit: boolean;
  currency?: string;
  /** The counted noun (`transactions`, `accounts`), for counts. */
  noun?: string;
  /** The words as they appear in the sentence, comparator included, for the draft's reason. */
  phrase: string;
}

/** A quantity with a comparator attached: what the extractor turns into a predicate. */
export type Compared = Quantity & { op: Inequality };

export function isCompared(quantity: Quantity): quantity is Compared {
  return quantity.op !== undefined;
}

/** Comparators written before the number; `alternatives` tries the longest first, so `not more than` wins over `more than`. */
const PREFIX_COMPARATORS: Record<string, Inequality> = {
  'equal to or greater than': 'gte',
  'equal to or more than': 'gte',
  'equal to or above': 'gte',
  'equal to or exceeding': 'gte',
  'equal to or less than': 'lte',
  'equal to or below': 'lte',
  'not less than': 'gte',
  'no less than': 'gte',
  'not fewer than': 'gte',
  'no fewer than': 'gte',
  'at least': 'gte',
  'a minimum of': 'gte',
  'minimum of': 'gte',
  'not more than': 'lte',
  'no more than': 'lte',
  'not exceeding': 'lte',
  'not in excess of': 'lte',
  'not to exceed': 'lte',
  'not exceed': 'lte',
  'no greater than': 'lte',
  'not greater than': 'lte',
  'at most': 'lte',
  'up to': 'lte',
  'a maximum of': 'lte',
  'maximum of': 'lte',
  'limited to': 'lte',
  'capped at': 'lte',
  'in excess of': 'gt',
  'more than': 'gt',
  'greater than': 'gt',
  'larger than': 'gt',
  'higher than': 'gt',
  'longer than': 'gt',
  exceeding: 'gt',
  exceeds: 'gt',
  exceed: 'gt',
  above: 'gt',
  over: 'gt',
  'less than': 'lt',
  'fewer than': 'lt',
  'lower than': 'lt',
  'smaller than': 'lt',
  'shorter than': 'lt',
  below: 'lt',
  under: 'lt',
};

/** Comparators that always state an allowed region, whatever verb comes before them. */
const LIMIT_PHRASES = new Set([
  'up to',
  'limited to',
  'capped at',
  'a maximum of',
  'maximum of',
  'not to exceed',
  'no more than',
  'not more than',
  'at most',
  'a minimum of',
  'minimum of',
]);

const POSTFIX_COMPARATORS: Record<string, Inequality> = {
  'or more': 'gte',
  'or above': 'gte',
  'or greater': 'gte',
  'or higher': 'gte',
  'or over': 'gte',
  'and above': 'gte',
  'and over': 'gte',
  'or less': 'lte',
  'or fewer': 'lte',
  'or below': 'lte',
  'or under': 'lte',
  'or lower': 'lte',
  'and below': 'lte',
  'and under': 'lte',
};

const MODAL = '(?<modal>must|shall|should|may|will|can|could|cannot)(?<negation> not| never)?(?: be)?';
const FILLER =
  '(?: (?:a total of|an amount of|a value of|a sum of|the equivalent of|the (?:[a-z-]+ ){0,2}(?:threshold|limit) of|the|an?))?';

const COMPARATOR_BEFORE = new RegExp(
  `(?:^|\\s)(?:${MODAL} )?(?<phrase>${alternatives(Object.keys(PREFIX_COMPARATORS))})${FILLER} ?$`,
);
const MODAL_BEFORE = new RegExp(`(?:^|\\s)${MODAL} $`);
const COMPARATOR_AFTER = new RegExp(`^ (?<phrase>${alternatives(Object.keys(POSTFIX_COMPARATORS))})\\b`);

const DURATION_UNIT =
  /^(?:-| )(?:(?:business|calendar|working) )?(?<unit>second|minute|hour|day|week|month|quarter|year)s?\b/;
const COUNTED_NOUNS = [
  'purchase orders?',
  'transactions?',
  'payments?',
  'deposits?',
  'withdrawals?',
  'transfers?',
  'wires?',
  'purchases?',
  'orders?',
  'invoices?',
  'expenses?',
  'claims?',
  'cheques?',
  'remittances?',
  'times',
  'occasions',
  'accounts?',
  'customers?',
  'clients?',
  'counterparties',
  'vendors?',
  'suppliers?',
  'payees?',
  'beneficiaries',
  'merchants?',
  'quotations?',
  'quotes?',
  'bids?',
  'tenders?',
];
const STOP_WORDS = '(?:in|within|per|from|to|of|and|or|by|for|at|on|with|than|the|a|an|must|may|shall|should|are|is)';
const COUNTED = new RegExp(`^(?: (?!${STOP_WORDS}\\b)[a-z-]+){0,2}? (?<noun>${COUNTED_NOUNS.join('|')})\\b`);

/** A number with a comparator and no currency is an amount only when no noun follows it: `above 25,000 in any ...`. */
const BARE_AMOUNT_END = new RegExp(
  `^(?:$|[^\\w\\s]| (?:${STOP_WORDS}|requires?|needs?|will|be|have|has|per|each|within)\\b)`,
);

const REFERENCE_BEFORE = /(?:clause|section|article|paragraph|part|schedule|appendix|annex|version|§)\s*$/;
const MONTHS = '(?:january|february|march|april|may|june|july|august|september|october|november|december)';
const CONTEXT = 120;
const DATE_AFTER = new RegExp(`^ ${MONTHS}\\b`);
const DATE_BEFORE = new RegExp(`${MONTHS} $`);

/** A number with its currency and scale; `name` prefixes the group names so that one pattern can hold two amounts. */
function amountSource(name = ''): string {
  const currencyBefore = alternatives([...CURRENCY_CODES, ...Object.keys(CURRENCY_SYMBOLS)]);
  const currencyAfter = alternatives([...CURRENCY_CODES, ...Object.keys(CURRENCY_WORDS)]);
  return (
    `(?<![\\w.,$€£₹¥])(?:(?<${name}prefix>${currencyBefore}) ?)?` +
    `(?:(?<${name}digits>\\d{1,3}(?:[ ,.]\\d{2,3})+(?:[.,]\\d+)?|\\d+(?:[.,]\\d+)?)|(?<${name}words>${NUMBER_IN_WORDS}))` +
    `(?:(?<${name}abbreviation>k|mn|m|bn)\\b| (?<${name}scale>thousand|lakhs?|million|crores?|billion)\\b)?` +
    `(?: (?<${name}suffix>${currencyAfter})\\b)?`
  );
}

const QUANTITY = new RegExp(amountSource(), 'g');
const RANGE = new RegExp(`\\bbetween ${amountSource('low')} and ${amountSource('high')}`);

/**
 * Every amount, count and duration in an analysis text (see `readSentence`), each with the comparator
 * attached to it. Numbers that are none of these (dates, clause references, `one vendor`) are left out.
 */
export function findQuantities(text: string): Quantity[] {
  const quantities: Quantity[] = [];
  for (const match of text.matchAll(QUANTITY)) {
    const groups = match.groups ?? {};
    // Comparators and units sit next to their number; bounded context keeps long run-on "sentences" linear.
    const before = text.slice(Math.max(0, match.index - CONTEXT), match.index);
    const after = text.slice(match.index + match[0].length, match.index + match[0].length + CONTEXT);
    if (REFERENCE_BEFORE.test(before) || DATE_AFTER.test(after) || DATE_BEFORE.test(before)) continue;
    const { value, currency } = amountOf(groups);
    if (value === undefined) continue;
    const postfix = COMPARATOR_AFTER.exec(after);
    const rest = after.slice(postfix?.[0].length ?? 0);
    const comparator = comparatorOf(before, postfix?.groups?.phrase, NO_SUBJECT.test(text));
    const counted = COUNTED.exec(rest);
    const kind = kindOf(Boolean(currency), DURATION_UNIT.test(rest), Boolean(counted), comparator !== undefined, rest);
    if (!kind) continue;
    const phraseStart = match.index - (comparator?.length ?? 0);
    // The phrase runs to the counted noun, or for an unknown unit to the word naming it.
    const unitWords = kind === 'count' ? counted?.[0] : kind === 'other' ? /^ [a-z-]+/.exec(rest)?.[0] : '';
    const phraseEnd = match.index + match[0].length + (postfix?.[0].length ?? 0) + (unitWords?.length ?? 0);
    quantities.push({
      kind,
      value,
      op: comparator?.op,
      limit: comparator?.limit ?? false,
      currency,
      noun: kind === 'count' ? counted?.groups?.noun : undefined,
      phrase: text.slice(phraseStart, phraseEnd).trim(),
    });
  }
  return quantities;
}

function kindOf(
  hasCurrency: boolean,
  hasUnit: boolean,
  hasNoun: boolean,
  hasComparator: boolean,
  rest: string,
): Quantity['kind'] | undefined {
  if (hasCurrency) return 'money';
  if (hasUnit) return 'duration';
  if (hasNoun) return 'count';
  if (hasComparator) return BARE_AMOUNT_END.test(rest) ? 'money' : 'other';
  return undefined;
}

/** An amount between two bounds, both inclusive: `between USD 9,000 and 9,999.99`. */
export interface AmountRange {
  low: number;
  high: number;
  currency?: string;
  phrase: string;
}

export function findRange(text: string): AmountRange | undefined {
  const match = RANGE.exec(text);
  if (!match?.groups) return undefined;
  const low = amountOf(match.groups, 'low');
  const high = amountOf(match.groups, 'high');
  if (low.value === undefined || high.value === undefined || low.value > high.value) return undefined;
  return { low: low.value, high: high.value, currency: low.currency ?? high.currency, phrase: match[0] };
}

function amountOf(groups: Record<string, string | undefined>, name = ''): { value?: number; currency?: string } {
  const currency = currencyOf(groups[`${name}prefix`], groups[`${name}suffix`]);
  const abbreviation = groups[`${name}abbreviation`];
  // `5m` is five million next to a currency; without one it is more likely five minutes.
  if (abbreviation === 'm' && !currency) return {};
  const digits = groups[`${name}digits`];
  const base = digits ? parseNumeral(digits, Boolean(currency)) : wordsToNumber(groups[`${name}words`] ?? '');
  const scale = SCALES[groups[`${name}scale`] ?? abbreviation ?? ''];
  // Rounding to the contract's four decimals keeps 1.15 million at exactly 1150000.
  const value = base === undefined || !scale ? base : Number((base * scale).toFixed(4));
  return { value, currency };
}

function currencyOf(prefix: string | undefined, suffix: string | undefined): string | undefined {
  for (const word of [prefix, suffix]) {
    if (!word) continue;
    if (CURRENCY_CODES.includes(word)) return word;
    const code = CURRENCY_SYMBOLS[word] ?? CURRENCY_WORDS[word];
    if (code) return code;
  }
  return undefined;
}

interface Comparator {
  op: Inequality;
  limit: boolean;
  /** Characters of the text before the number that the comparator covers. */
  length: number;
}

/**
 * The comparator attached to a number and the side of it to flag. After a modal verb ("must not exceed",
 * "must be at least") or as a limit phrase ("up to", "limited to") the sentence states what is allowed,
 * so the violation is its complement; elsewhere ("any cash transaction exceeding") it names what to flag.
 */
function comparatorOf(before: string, postfix: string | undefined, noSubject: boolean): Comparator | undefined {
  if (postfix) {
    const op = POSTFIX_COMPARATORS[postfix];
    return op && flaggedSide(op, negated(MODAL_BEFORE.exec(before)?.groups, noSubject), false, 0);
  }
  const match = COMPARATOR_BEFORE.exec(before);
  const phrase = match?.groups?.phrase ?? '';
  const op = PREFIX_COMPARATORS[phrase];
  if (!match || !op) return undefined;
  return flaggedSide(op, negated(match.groups, noSubject), LIMIT_PHRASES.has(phrase), match[0].trimStart().length);
}

/** "No card payment may exceed": the determiner negates the modal as "must not" would. */
const NO_SUBJECT = /^(?:no|none of the) [a-z-]+(?: [a-z-]+){0,3} (?:may|shall|must|can|will|should)\b/;

function negated(
  modal: Record<string, string | undefined> | undefined,
  noSubject: boolean,
): Record<string, string | undefined> | undefined {
  if (!modal?.modal || !noSubject) return modal;
  return { ...modal, negation: modal.negation ? undefined : ' not' };
}

function flaggedSide(
  op: Inequality,
  modal: Record<string, string | undefined> | undefined,
  limitPhrase: boolean,
  length: number,
): Comparator {
  const stated = modal?.negation ? complement(op) : op;
  const limit = limitPhrase || Boolean(modal?.modal);
  return { op: limit ? complement(stated) : stated, limit, length };
}

/** How a window's length is written, the rule-language window and what the reading approximates. */
export interface TimeWindow {
  window: string;
  phrase: string;
  /** `per day`, `in any 30-day period`: a window whatever else the sentence says; `within 7 days` may be a deadline. */
  explicit: boolean;
  approximation?: string;
}

const UNIT_WINDOWS: Record<string, { size: number; suffix: 's' | 'm' | 'h' | 'd'; approximation?: string }> = {
  second: { size: 1, suffix: 's' },
  minute: { size: 1, suffix: 'm' },
  hour: { size: 1, suffix: 'h' },
  day: { size: 1, suffix: 'd' },
  week: { size: 7, suffix: 'd' },
  month: { size: 30, suffix: 'd', approximation: 'a month read as a rolling 30 days' },
  quarter: { size: 90, suffix: 'd', approximation: 'a quarter read as a rolling 90 days' },
  year: { size: 365, suffix: 'd', approximation: 'a year read as a rolling 365 days' },
};

const COUNT = `(?<count>\\d+|${NUMBER_IN_WORDS})`;
const UNIT = '(?<qualifier>business |calendar |working )?(?<unit>second|minute|hour|day|week|month|quarter|year)s?';
const EXPLICIT_WINDOW = new RegExp(
  `\\b(?:per|each|every|any|a single|one|the same|a rolling|any rolling|in a|on a|in one)(?: ${COUNT}(?:-| ))?(?: ?${UNIT})(?: period)?\\b`,
);
const ADVERB_WINDOW = /\b(?<adverb>daily|weekly|monthly|quarterly|annually|yearly|per annum)\b/;
const ADVERB_UNITS: Record<string, string> = {
  daily: 'day',
  weekly: 'week',
  monthly: 'month',
  quarterly: 'quarter',
  annually: 'year',
  yearly: 'year',
  'per annum': 'year',
};
const SPAN_WINDOW = new RegExp(`\\b(?:within|in|over|during|in the last|in the past) ${COUNT}(?:-| )${UNIT}\\b`);

/** The period a sentence aggregates over, if it names one. */
export function findWindow(text: string): TimeWindow | undefined {
  const explicit = EXPLICIT_WINDOW.exec(text);
  if (explicit?.groups) return windowOf(explicit[0], explicit.groups, true);
  const adverb = ADVERB_WINDOW.exec(text)?.groups?.adverb;
  if (adverb) return windowOf(adverb, { unit: ADVERB_UNITS[adverb] }, true);
  const span = SPAN_WINDOW.exec(text);
  return span?.groups ? windowOf(span[0], span.groups, false) : undefined;
}

function windowOf(
  phrase: string,
  groups: Record<string, string | undefined>,
  explicit: boolean,
): TimeWindow | undefined {
  const unit = UNIT_WINDOWS[groups.unit ?? ''];
  const count = !groups.count ? 1 : /^\d+$/.test(groups.count) ? Number(groups.count) : wordsToNumber(groups.count);
  if (!unit || !count || !Number.isInteger(count)) return undefined;
  const size = unit.size * count;
  // The rule language caps windows at 366 days.
  if (unit.suffix === 'd' && size > 366) return undefined;
  const approximation = groups.qualifier
    ? `a ${groups.qualifier.trim()} day read as a rolling day`
    : unit.approximation;
  return { window: `${size}${unit.suffix}`, phrase: phrase.trim(), explicit, approximation };
}

const GROUP_DETERMINERS = '(?:per|each|every|one|a single|a given|the same|same|any one|any single)';

/** The party a window is kept per: `one account`, `the same vendor`, `per employee`. */
export function findGroup(text: string): { field: Field; phrase: string } | undefined {
  const found = PARTY_NOUNS.flatMap(({ pattern, value }) => {
    const match = new RegExp(`\\b${GROUP_DETERMINERS} (?:[a-z-]+ )??${pattern.source}`).exec(text);
    return match ? [{ field: value, phrase: match[0], index: match.index }] : [];
  });
  const first = found.sort((a, b) => a.index - b.index)[0];
  return first && { field: first.field, phrase: first.phrase };
}

/** The field a counted party noun stands for: `five or more different accounts` counts distinct accounts. */
export function countedField(noun: string | undefined): Field | undefined {
  if (!noun || TRANSACTION_NOUNS.test(noun)) return undefined;
  return termValues(PARTY_NOUNS, noun)[0];
}

function alternatives(words: string[]): string {
  return [...words]
    .sort((a, b) => b.length - a.length)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|');
}
