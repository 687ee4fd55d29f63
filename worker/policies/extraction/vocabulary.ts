import type { Field } from '../../rules/language';

/**
 * The words policies use for the things a transaction records. Patterns run on the lower-cased sentence
 * (currency codes keep their capitals); the attribute names are the conventions the corpus documents.
 */

export const CURRENCY_CODES = [
  'USD',
  'EUR',
  'GBP',
  'INR',
  'JPY',
  'CNY',
  'CHF',
  'CAD',
  'AUD',
  'NZD',
  'SGD',
  'HKD',
  'AED',
  'SAR',
  'QAR',
  'KWD',
  'BHD',
  'OMR',
  'ZAR',
  'BRL',
  'MXN',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'CZK',
  'HUF',
  'RON',
  'TRY',
  'RUB',
  'KRW',
  'IDR',
  'MYR',
  'THB',
  'PHP',
  'VND',
  'PKR',
  'BDT',
  'LKR',
  'NPR',
  'NGN',
  'KES',
  'EGP',
  'ILS',
  'ARS',
  'CLP',
  'COP',
  'PEN',
];

/** Written before the amount. `$` alone is the US dollar, as in US policies. */
export const CURRENCY_SYMBOLS: Record<string, string> = {
  us$: 'USD',
  c$: 'CAD',
  a$: 'AUD',
  s$: 'SGD',
  hk$: 'HKD',
  $: 'USD',
  '€': 'EUR',
  '£': 'GBP',
  '₹': 'INR',
  '¥': 'JPY',
  'rs.': 'INR',
  rs: 'INR',
};

/** Written after the amount: `10,000 US dollars`. */
export const CURRENCY_WORDS: Record<string, string> = {
  'us dollars': 'USD',
  'u.s. dollars': 'USD',
  dollars: 'USD',
  dollar: 'USD',
  euros: 'EUR',
  euro: 'EUR',
  'pounds sterling': 'GBP',
  pounds: 'GBP',
  pound: 'GBP',
  rupees: 'INR',
  rupee: 'INR',
  yen: 'JPY',
};

interface Term<T> {
  pattern: RegExp;
  value: T;
}

/** Payment instruments map to the transaction `type`; generic nouns (payment, transfer) do not. */
export const TRANSACTION_TYPES: Term<string>[] = [
  { pattern: /\bcash\b/, value: 'cash' },
  { pattern: /\b(?:wires?|wire transfers?|telegraphic transfers?|swift transfers?)\b/, value: 'wire' },
  { pattern: /\bcheques?\b/, value: 'check' },
  { pattern: /\b(?:card payments?|card transactions?|(?:credit|debit|corporate|purchasing) cards?)\b/, value: 'card' },
  { pattern: /\bach\b/, value: 'ach' },
  { pattern: /\b(?:crypto(?:currency|currencies|-assets?)?|virtual assets?)\b/, value: 'crypto' },
];

/** Expense categories, read from `attributes.category`. */
export const EXPENSE_CATEGORIES: Term<string>[] = [
  { pattern: /\b(?:meals?|dinners?|lunch(?:es)?|breakfasts?|subsistence)\b/, value: 'meals' },
  { pattern: /\b(?:hotels?|accommodation|lodging)\b/, value: 'lodging' },
  { pattern: /\b(?:air ?fares?|air travel|air tickets?)\b/, value: 'airfare' },
  { pattern: /\b(?:taxis?|taxi fares?|ride-hailing|rideshare)\b/, value: 'taxi' },
  { pattern: /\b(?:car rentals?|rental cars?|hire cars?)\b/, value: 'car_rental' },
  { pattern: /\b(?:entertainment|hospitality)\b/, value: 'entertainment' },
  { pattern: /\bgifts?\b/, value: 'gifts' },
];

/** Nouns naming the party a window is kept per, after a determiner such as `one` or `the same`. */
export const PARTY_NOUNS: Term<Field>[] = [
  {
    pattern: /\b(?:accounts?|customers?|clients?|employees?|cardholders?|account holders?|travell?ers?|claimants?)\b/,
    value: 'account',
  },
  {
    pattern: /\b(?:vendors?|suppliers?|counterpart(?:y|ies)|payees?|beneficiar(?:y|ies)|merchants?|recipients?)\b/,
    value: 'counterparty',
  },
];

/** Nouns that count transactions: `more than 10 transactions`, `three or more cash deposits`. */
export const TRANSACTION_NOUNS =
  /^(?:transactions?|payments?|deposits?|withdrawals?|transfers?|wires?|purchases?|purchase orders?|orders?|invoices?|expenses?|claims?|cheques?|remittances?|times|occasions)$/;

export interface Requirement {
  pattern: RegExp;
  attribute: `attributes.${string}`;
  label: string;
  /** Counted requirements (`at least three quotations`) compare the attribute as a number. */
  countable?: boolean;
}

export const REQUIREMENTS: Requirement[] = [
  {
    pattern:
      /\b(?:approv(?:al|ed|e)|authori[sz](?:ation|ed)|sign-off|signed off|pre-approv\w*)\b(?! (?:threshold|limit)s?\b)/,
    attribute: 'attributes.approved_by',
    label: 'approval',
  },
  { pattern: /\breceipts?\b/, attribute: 'attributes.receipt', label: 'receipt' },
  { pattern: /\bpurchase orders?\b/, attribute: 'attributes.purchase_order', label: 'purchase order' },
  {
    pattern: /\b(?:quotations?|quotes?|bids?|tenders?)\b/,
    attribute: 'attributes.quotes',
    label: 'quotations',
    countable: true,
  },
  { pattern: /\bdue diligence\b/, attribute: 'attributes.due_diligence', label: 'due diligence' },
  { pattern: /\bstandard contractual clauses\b/, attribute: 'attributes.scc', label: 'standard contractual clauses' },
  { pattern: /\bjustification\b/, attribute: 'attributes.justification', label: 'justification' },
  {
    pattern: /\b(?:originator|ordering customer|remitter) (?:information|details|name|data|identity)\b/,
    attribute: 'attributes.originator',
    label: 'originator information',
  },
  {
    pattern: /\b(?:beneficiary|payee) (?:information|details|data|identity)\b/,
    attribute: 'attributes.beneficiary',
    label: 'beneficiary information',
  },
];

/** People a policy says must differ, and the field that records each. */
export const ROLE_FIELDS: Term<Field>[] = [
  { pattern: /^(?:payee|beneficiary|vendor|supplier|recipient)$/, value: 'counterparty' },
  { pattern: /^(?:approver|approving (?:officer|manager))$/, value: 'attributes.approved_by' },
  { pattern: /^(?:requester|requestor|requisitioner|submitter|claimant|initiator)$/, value: 'attributes.requested_by' },
  { pattern: /^account holder$/, value: 'account' },
];

export function termValues<T>(terms: Term<T>[], text: string): T[] {
  return [...new Set(terms.filter((term) => term.pattern.test(text)).map((term) => term.value))];
}
