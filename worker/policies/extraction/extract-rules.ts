import type { Aggregate, Condition, Field } from '../../rules/language';
import type { Clause } from './clauses';
import { allOf, anyOf, complement, type Inequality, missing, oneOf, predicate } from './conditions';
import { type Compared, countedField, type Quantity, type TimeWindow } from './quantities';
import { readSentence, type SentenceReading } from './reading';
import type { DraftRule, Severity } from './schemas';
import { splitSentences } from './sentences';

/** A condition with what it was read from and what had to be assumed, before naming and scoring. */
interface Shape {
  condition: Condition;
  name: string;
  understood: string[];
  assumptions: Assumption[];
}

interface Assumption {
  note: string;
  /** How much the assumption lowers confidence. */
  cost: number;
}

/** A pattern reading is never certain: even a fully understood sentence keeps a margin for what patterns miss. */
const BASE_CONFIDENCE = 0.95;
/** Structuring is flagged in the band just under the threshold: 90% of it up to one cent below. */
const STRUCTURING_BAND = 0.9;

/**
 * Proposes draft rules for the obligations the clauses state, one per sentence that states one, each
 * citing its clause and sentence. Deterministic: the same clauses always give the same drafts.
 */
export function extractDraftRules(clauses: Pick<Clause, 'key' | 'text'>[]): DraftRule[] {
  return clauses.flatMap((clause) =>
    splitSentences(clause.text).flatMap(({ text }) => {
      const draft = draftFromSentence(text);
      return draft ? [{ ...draft, clause_ref: clause.key, source_text: text }] : [];
    }),
  );
}

/**
 * Each clause's obligations that no draft enforces: what the drafts citing it list as not enforced,
 * and every sentence that obliges or forbids something but yields no draft (retention, training,
 * telling the customer ...). Works for any extractor's drafts: a sentence is covered when a draft quotes it.
 */
export function notEnforcedByClause(
  clauses: Pick<Clause, 'key' | 'text'>[],
  drafts: Pick<DraftRule, 'clause_ref' | 'source_text' | 'not_enforced'>[],
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const clause of clauses) {
    const cited = drafts.filter((draft) => draft.clause_ref === clause.key);
    const parts = cited.flatMap((draft) => draft.not_enforced);
    for (const { text } of splitSentences(clause.text)) {
      if (!readSentence(text)) continue;
      const squashed = squash(text);
      if (
        cited.some(
          (draft) => squash(draft.source_text).includes(squashed) || squashed.includes(squash(draft.source_text)),
        )
      )
        continue;
      parts.push(`No rule checks "${squashed.replace(/[.;:]$/, '')}": nothing a transaction records shows it.`);
    }
    if (parts.length > 0) result.set(clause.key, [...new Set(parts)]);
  }
  return result;
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function draftFromSentence(sentence: string): Omit<DraftRule, 'clause_ref' | 'source_text'> | undefined {
  const reading = readSentence(sentence);
  if (!reading || !isEnforceable(reading)) return undefined;
  const shape =
    fieldMismatch(reading) ??
    structuring(reading) ??
    splitPurchases(reading) ??
    windowed(reading) ??
    perTransaction(reading);
  if (!shape) return undefined;
  const assumptions = [...shape.assumptions, ...commonAssumptions(reading)];
  const confidence = assumptions.reduce((score, { cost }) => score - cost, BASE_CONFIDENCE);
  return {
    name: shape.name,
    description: `Flags ${lowerFirst(shape.name)}.`,
    severity: severityOf(reading),
    condition: shape.condition,
    confidence: Math.round(Math.max(0.05, confidence) * 100) / 100,
    reason: [...shape.understood, ...assumptions.map(({ note }) => `assumed: ${note}`)].join('; ').slice(0, 2000),
    // The words for types and categories are stated by grounding, with the stored values they map onto.
    assumptions: [
      ...shape.understood.filter((line) => !SUBJECT_LINE.test(line)).map(sentenceOf),
      ...assumptions.map(({ note }) => sentenceOf(`assumed: ${note}`)),
    ],
    not_enforced: notEnforcedOf(reading),
  };
}

const SUBJECT_LINE = /^(?:type |expense category )/;

/** What the sentence obliges that the draft does not check: deadlines for actions, exemptions no field records. */
function notEnforcedOf(reading: SentenceReading): string[] {
  const parts: string[] = [];
  if (reading.deadline)
    parts.push(`The deadline "${reading.deadline}": the action it sets happens outside the transaction data.`);
  const { exception } = reading;
  if (exception && !exception.types.length && !exception.categories.length && !exception.satisfiedByRequirement)
    parts.push(`The exception "${exception.phrase}": no transaction field records it, so the draft flags those too.`);
  if (reading.unknownSubject)
    parts.push(`The restriction to "${reading.unknownSubject}": no transaction field records it.`);
  return parts;
}

function sentenceOf(mapping: string): string {
  return `${capitalize(mapping)}.`;
}

/**
 * A permission ("may be approved by the budget holder") delegates, it does not forbid; only a permission
 * with a limit ("may claim up to USD 75") says what is not allowed.
 */
function isEnforceable(reading: SentenceReading): boolean {
  if (reading.modality !== 'permission') return true;
  const statesLimit = Boolean(reading.money?.limit || reading.count?.limit);
  return statesLimit && !reading.requirements.some(({ requirement }) => requirement.label === 'approval');
}

function fieldMismatch(reading: SentenceReading): Shape | undefined {
  const pair = reading.fieldPair;
  if (!pair) return undefined;
  const subject = subjectOf(reading);
  return {
    condition: allOf([...subject.filters, { field: pair.field, op: 'eq', other_field: pair.otherField }]),
    name: `${capitalize(roleName(pair.field))} is also the ${roleName(pair.otherField)}`,
    understood: [...subject.understood, `"${pair.phrase}" -> ${pair.field} eq ${pair.otherField}`],
    assumptions: [],
  };
}

function structuring(reading: SentenceReading): Shape | undefined {
  const { money, window, count } = reading;
  if (!reading.structuring || !money || !window || !(count || reading.multiple)) return undefined;
  // "totalling more than 10,000" is a sum over the window, even in a clause about structuring.
  if (reading.aggregated && !reading.justBelow) return undefined;
  const threshold = money.value;
  const band: [number, number] = [roundCents(threshold * STRUCTURING_BAND), roundCents(threshold - 0.01)];
  const subject = subjectOf(reading);
  const inBand = [...subject.filters, predicate('amount', 'between', band)];
  const group = groupOf(reading);
  const [op, value] = count ? [count.op, count.value] : (['gte', 2] as const);
  return {
    condition: allOf([
      ...inBand,
      aggregateOf({ fn: 'count', group_by: [group.field], window: window.window }, inBand, op, value),
    ]),
    name: capitalize(`${reading.types[0] ? `${reading.types[0]} ` : ''}structuring below ${formatAmount(money)}`),
    understood: [
      ...subject.understood,
      `"${money.phrase}" -> amount between [${band.join(', ')}] (the ${Math.round((1 - STRUCTURING_BAND) * 100)}% below the threshold)`,
      count ? `"${count.phrase}" -> count ${op} ${value}` : 'a count without a number -> count gte 2',
      `"${window.phrase}" -> window ${window.window}`,
      ...group.understood,
    ],
    assumptions: [
      ...group.assumptions,
      ...(count ? [] : [{ note: '"multiple" or "several" read as two or more', cost: 0.1 }]),
    ],
  };
}

/** Purchases split to stay under a threshold: several below it to one party in the window, together above it. */
function splitPurchases(reading: SentenceReading): Shape | undefined {
  const { money, window } = reading;
  if (!reading.splitting || !money || !window) return undefined;
  const subject = subjectOf(reading);
  const below = [...subject.filters, predicate('amount', 'lt', money.value)];
  // A purchase is split across orders to one supplier: that is the party to group by when none is named.
  const group = groupOf(reading, 'counterparty');
  const minimum = reading.count?.value ?? 2;
  const base = { group_by: [group.field], window: window.window };
  return {
    condition: allOf([
      ...below,
      aggregateOf({ fn: 'count', ...base }, below, 'gte', minimum),
      aggregateOf({ fn: 'sum', field: 'amount', ...base }, below, 'gt', money.value),
    ]),
    name: `Split purchases below ${formatAmount(money)}`,
    understood: [
      ...subject.understood,
      `"${money.phrase}" -> amount lt ${money.value}, together gt ${money.value}`,
      `${reading.count ? `"${reading.count.phrase}"` : 'splitting'} -> count gte ${minimum}`,
      `"${window.phrase}" -> window ${window.window}`,
      ...group.understood,
    ],
    assumptions: [
      ...group.assumptions,
      ...(reading.count ? [] : [{ note: 'a split means two or more orders', cost: 0.05 }]),
    ],
  };
}

/** Counts of transactions or parties, or sums of amounts, over a window. */
function windowed(reading: SentenceReading): Shape | undefined {
  const { count, money, window } = reading;
  if (!window) return undefined;
  if (count) return countOverWindow(reading, count, window);
  if (money && (window.explicit || reading.aggregated)) return sumOverWindow(reading, money, window);
  return undefined;
}

function countOverWindow(reading: SentenceReading, count: Compared, window: TimeWindow): Shape | undefined {
  const subject = subjectOf(reading);
  const amount = amountOf(reading);
  const members = [...subject.filters, ...amount.filters];
  const distinct = countedField(count.noun);
  const group = groupOf(reading, distinct === 'account' ? 'counterparty' : 'account');
  if (distinct === group.field) return undefined;
  const base = { group_by: [group.field], window: window.window };
  const aggregate: Aggregate = distinct ? { fn: 'count_distinct', field: distinct, ...base } : { fn: 'count', ...base };
  return withRequirements(reading, {
    condition: allOf([...members, aggregateOf(aggregate, members, count.op, count.value)]),
    name: `${countWords(count.op, count.value)} ${countedLabel(reading, count, distinct)} per ${group.field} in ${window.window}`,
    understood: [
      ...subject.understood,
      ...amount.understood,
      `"${count.phrase}" -> ${distinct ? `count_distinct ${distinct}` : 'count'} ${count.op} ${count.value}`,
      `"${window.phrase}" -> window ${window.window}`,
      ...group.understood,
    ],
    assumptions: group.assumptions,
  });
}

function sumOverWindow(reading: SentenceReading, money: Compared, window: TimeWindow): Shape {
  const subject = subjectOf(reading);
  const group = groupOf(reading);
  const aggregate: Aggregate = { fn: 'sum', field: 'amount', group_by: [group.field], window: window.window };
  return withRequirements(reading, {
    condition: allOf([...subject.filters, aggregateOf(aggregate, subject.filters, money.op, money.value)]),
    name: `${subject.label} totalling ${OP_WORDS[money.op]} ${formatAmount(money)} per ${group.field} in ${window.window}`,
    understood: [
      ...subject.understood,
      `"${money.phrase}" -> sum of amount ${money.op} ${money.value}`,
      `"${window.phrase}" -> window ${window.window}`,
      ...group.understood,
    ],
    assumptions: group.assumptions,
  });
}

/** A threshold on the transaction itself, a list of countries, or a requirement on transactions of a kind. */
function perTransaction(reading: SentenceReading): Shape | undefined {
  const subject = subjectOf(reading);
  const amount = amountOf(reading);
  const { countries } = reading;
  const requiresOfAKind = reading.requirements.length > 0 && subject.filters.length > 0;
  // A whole payment instrument can be forbidden ("transactions in cryptocurrency are prohibited"); a category alone is too vague.
  const forbidsOneType = reading.modality === 'prohibition' && reading.types.length === 1;
  if (!amount.filters.length && !countries && !requiresOfAKind && !forbidsOneType) return undefined;
  const destination = countries
    ? ` ${countries.field === 'country' ? 'in' : 'involving'} ${countries.codes.join(', ')}`
    : '';
  return withRequirements(reading, {
    condition: allOf([...subject.filters, ...amount.filters]),
    name: `${subject.label}${amount.label}${destination}`,
    understood: [...subject.understood, ...amount.understood],
    assumptions: [],
  });
}

/** The amount condition of a sentence: a threshold (`exceeding USD 10,000`) or a range (`between 9,000 and 9,999.99`). */
function amountOf(reading: SentenceReading): { filters: Condition[]; understood: string[]; label: string } {
  const { money, range } = reading;
  if (money) {
    return {
      filters: [predicate('amount', money.op, money.value)],
      understood: [`"${money.phrase}" -> amount ${money.op} ${money.value}`],
      label: ` ${OP_WORDS[money.op]} ${formatAmount(money)}`,
    };
  }
  if (range) {
    return {
      filters: [predicate('amount', 'between', [range.low, range.high])],
      understood: [`"${range.phrase}" -> amount between [${range.low}, ${range.high}]`],
      label: ` between ${formatAmount({ value: range.low, currency: range.currency })} and ${formatAmount({ value: range.high })}`,
    };
  }
  return { filters: [], understood: [], label: '' };
}

/** Adds "and a required attribute is missing" (any of them, when the sentence requires several). */
function withRequirements(reading: SentenceReading, shape: Shape): Shape {
  if (reading.requirements.length === 0) return shape;
  const unmet = reading.requirements.map(({ requirement, count }) => {
    if (!count) return missing(requirement.attribute);
    // A required count ("at least three quotations") states what is allowed; its complement is the violation.
    const stated = count.limit ? complement(count.op) : count.op;
    const short = complement(stated);
    return anyOf([missing(requirement.attribute), predicate(requirement.attribute, short, count.value)]);
  });
  const members = 'all' in shape.condition ? shape.condition.all : [shape.condition];
  return {
    condition: allOf([...members, anyOf(unmet)]),
    name: `${shape.name} without ${reading.requirements.map(({ requirement }) => requirement.label).join(' or ')}`,
    understood: [
      ...shape.understood,
      ...reading.requirements.map(
        ({ requirement, count }) =>
          `${count ? `"${count.phrase}"` : requirement.label} -> ${requirement.attribute} required`,
      ),
    ],
    assumptions: [
      ...shape.assumptions,
      {
        note: `the transaction records ${reading.requirements.map(({ requirement }) => requirement.attribute).join(' and ')}`,
        cost: 0.05,
      },
    ],
  };
}

function aggregateOf(aggregate: Aggregate, where: Condition[], op: Inequality, value: number): Condition {
  return { aggregate: where.length ? { ...aggregate, where: allOf(where) } : aggregate, op, value };
}

interface Subject {
  filters: Condition[];
  understood: string[];
  /** `Cash transactions`, `Meal expenses`: how names refer to the transactions. */
  label: string;
}

const TYPE_LABELS: Record<string, string> = {
  cash: 'Cash transactions',
  wire: 'Wire transfers',
  check: 'Cheque payments',
  card: 'Card payments',
  ach: 'ACH payments',
  crypto: 'Crypto transactions',
};
const CATEGORY_LABELS: Record<string, string> = {
  meals: 'Meal expenses',
  lodging: 'Hotel expenses',
  airfare: 'Airfares',
  taxi: 'Taxi fares',
  car_rental: 'Car rentals',
  entertainment: 'Entertainment expenses',
  gifts: 'Gifts',
};

/** The transactions a sentence is about: their type, expense category, data category, countries and currency. */
function subjectOf(reading: SentenceReading): Subject {
  const filters: Condition[] = [];
  const understood: string[] = [];
  if (reading.types.length) {
    filters.push(oneOf('type', reading.types));
    understood.push(`type ${reading.types.join(' or ')}`);
  }
  if (reading.categories.length) {
    filters.push(oneOf('attributes.category', reading.categories));
    understood.push(`expense category ${reading.categories.join(' or ')}`);
  }
  if (reading.border) {
    const op = reading.border.scope === 'international' ? 'ne' : 'eq';
    filters.push({ field: 'country', op, other_field: 'counterparty_country' });
    understood.push(`"${reading.border.phrase}" -> country ${op} counterparty_country`);
  }
  const exempted = reading.exception;
  if (exempted?.types.length) {
    filters.push({ not: oneOf('type', exempted.types) });
    understood.push(`"${exempted.phrase}" -> type not ${exempted.types.join(' or ')}`);
  }
  if (exempted?.categories.length) {
    filters.push({ not: oneOf('attributes.category', exempted.categories) });
    understood.push(`"${exempted.phrase}" -> expense category not ${exempted.categories.join(' or ')}`);
  }
  if (reading.personalData) {
    filters.push(predicate('attributes.personal_data', 'eq', true));
    understood.push('"personal data" -> attributes.personal_data eq true');
  }
  if (reading.countries) {
    filters.push(predicate(reading.countries.field, 'in', reading.countries.codes));
    understood.push(`countries -> ${reading.countries.field} in [${reading.countries.codes.join(', ')}]`);
  }
  const currency = reading.money?.currency ?? reading.range?.currency;
  if (currency) filters.push(predicate('currency', 'eq', currency));
  const typeNoun = reading.types.length === 1 && reading.noun && ['deposit', 'withdrawal'].includes(reading.noun);
  const label =
    (typeNoun ? `${capitalize(reading.types[0] ?? '')} ${reading.noun}s` : undefined) ??
    TYPE_LABELS[reading.types[0] ?? ''] ??
    CATEGORY_LABELS[reading.categories[0] ?? ''] ??
    (reading.personalData ? 'Personal data transfers' : reading.noun ? `${capitalize(reading.noun)}s` : 'Transactions');
  return { filters, understood, label };
}

function groupOf(
  reading: SentenceReading,
  fallback: Field = 'account',
): { field: Field; understood: string[]; assumptions: Assumption[] } {
  if (reading.group)
    return {
      field: reading.group.field,
      understood: [`"${reading.group.phrase}" -> group_by ${reading.group.field}`],
      assumptions: [],
    };
  return {
    field: fallback,
    understood: [],
    assumptions: [{ note: `grouped per ${fallback} (the sentence names no party)`, cost: 0.15 }],
  };
}

/** Readings that lower confidence whatever the shape. */
function commonAssumptions(reading: SentenceReading): Assumption[] {
  const assumptions: Assumption[] = [];
  if (reading.window?.approximation) assumptions.push({ note: reading.window.approximation, cost: 0.1 });
  if (reading.money && !reading.money.currency)
    assumptions.push({ note: 'no currency named, so amounts in any currency compare', cost: 0.05 });
  if (reading.perUnit)
    assumptions.push({ note: `"${reading.perUnit}" compared against the whole transaction amount`, cost: 0.2 });
  if (reading.unknownSubject) {
    assumptions.push({
      note: `no field records "${reading.unknownSubject}", so the draft covers every transaction of the kind it names`,
      cost: 0.3,
    });
  }
  for (const phrase of reading.unread) assumptions.push({ note: `"${phrase}" not understood and left out`, cost: 0.3 });
  if (reading.modality === 'permission')
    assumptions.push({ note: 'what the sentence permits read as a limit', cost: 0.1 });
  return assumptions;
}

const SEVERE_TOPICS = /\b(?:sanction\w*|embargo\w*|terroris\w*)/;
const ESCALATION_TOPICS =
  /\b(?:report\w*|escalat\w*|suspicious|structur\w*|money laundering|investigat\w*|fraud\w*|block\w*)/;

/** Sanctions and forbidden destinations are critical; other prohibitions and reportable patterns high; "should" low. */
function severityOf(reading: SentenceReading): Severity {
  if (SEVERE_TOPICS.test(reading.text) || (reading.modality === 'prohibition' && reading.countries)) return 'critical';
  if (reading.modality === 'prohibition' || reading.countries || ESCALATION_TOPICS.test(reading.text)) return 'high';
  if (reading.modality === 'recommendation') return 'low';
  return 'medium';
}

const OP_WORDS: Record<Inequality, string> = { gt: 'over', gte: 'of at least', lt: 'under', lte: 'of at most' };

function countWords(op: Inequality, value: number): string {
  const words: Record<Inequality, string> = {
    gt: `More than ${value}`,
    gte: `${value} or more`,
    lt: `Fewer than ${value}`,
    lte: `At most ${value}`,
  };
  return words[op];
}

/** `cash deposits`, `distinct accounts`: the counted noun with the transaction type it was qualified by. */
function countedLabel(reading: SentenceReading, count: Quantity, distinct: Field | undefined): string {
  // "on three occasions" counts whatever the sentence is about.
  const noun =
    count.noun === 'times' || count.noun === 'occasions' || !count.noun
      ? `${reading.noun ?? 'transaction'}s`
      : count.noun;
  if (distinct) return `distinct ${noun}`;
  const type = reading.types[0];
  return type && !noun.includes(type) ? `${type} ${noun}` : noun;
}

function formatAmount(money: { value: number; currency?: string }): string {
  const amount = money.value.toLocaleString('en-US', { maximumFractionDigits: 4 });
  return money.currency ? `${money.currency} ${amount}` : amount;
}

const ROLE_NAMES: Record<string, string> = {
  'attributes.approved_by': 'approver',
  'attributes.requested_by': 'requester',
  counterparty: 'payee',
  account: 'account holder',
};

function roleName(field: Field): string {
  return ROLE_NAMES[field] ?? field;
}

function roundCents(value: number): number {
  return Math.round(value * 100) / 100;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text;
}
