import { countryCodes } from '../../platform/countries';
import type { Field } from '../../rules/language';
import { wordsToNumber } from './numbers';
import {
  type AmountRange,
  type Compared,
  countedField,
  findGroup,
  findQuantities,
  findRange,
  findWindow,
  isCompared,
  type Quantity,
  type TimeWindow,
} from './quantities';
import {
  CURRENCY_CODES,
  EXPENSE_CATEGORIES,
  REQUIREMENTS,
  type Requirement,
  ROLE_FIELDS,
  TRANSACTION_NOUNS,
  TRANSACTION_TYPES,
  termValues,
} from './vocabulary';

type Modality = 'prohibition' | 'obligation' | 'recommendation' | 'permission';

/** Everything the deterministic extractor understood in one sentence. */
export interface SentenceReading {
  /** The analysis text: lower case except currency codes, one space between words. */
  text: string;
  modality: Modality;
  types: string[];
  categories: string[];
  personalData: boolean;
  /** The kind of transaction the sentence names (`expenses`, `purchases`), for names. */
  noun?: string;
  countries?: { field: 'country' | 'counterparty_country'; codes: string[] };
  /** The first amount with a comparator. */
  money?: Compared;
  /** `between USD 9,000 and 9,999.99`. */
  range?: AmountRange;
  /** The first count of transactions or of distinct parties, with a comparator. */
  count?: Compared;
  window?: TimeWindow;
  group?: { field: Field; phrase: string };
  requirements: { requirement: Requirement; count?: Compared }[];
  fieldPair?: { field: Field; otherField: Field; phrase: string };
  /** `total`, `aggregate`, `cumulative`: an amount summed over the window rather than per transaction. */
  aggregated: boolean;
  /** `just below the threshold`, `structuring`: many transactions kept under a reporting threshold. */
  structuring: boolean;
  /** `multiple`, `several`: a count without a number. */
  multiple: boolean;
  /** `splitting a purchase`: orders kept under an approval threshold. */
  splitting: boolean;
  /** `per night`, `per person`: a rate the transaction amount does not carry. */
  perUnit?: string;
  /** Comparisons the extractor could not place (`fewer than 2 approvals`): each lowers confidence. */
  unread: string[];
  /** What the sentence is about when no field records it (`refunds`): the draft then covers more than it says. */
  unknownSubject?: string;
  /** `international`, `cross-border`: the two countries differ; `domestic`: they are the same. */
  border?: { scope: 'international' | 'domestic'; phrase: string };
  /** `must be reported ... within one business day`: a deadline for an action outside the data, not a window. */
  deadline?: string;
  /** `just below`, `slightly under`: amounts kept under a threshold rather than over it. */
  justBelow: boolean;
  /** `unless ...`, `except ...`: what the sentence exempts, and the types or categories it names. */
  exception?: { phrase: string; types: string[]; categories: string[]; satisfiedByRequirement: boolean };
}

const DEFINITION = /\b(?:means|is defined as|are defined as|refers to)\b/;
/** "must not exceed" states a limit, an obligation like "must stay under", not a prohibition. */
const PROHIBITION =
  /\b(?:prohibited|forbidden|not (?:be )?permitted|not (?:be )?allowed|banned|(?:(?:must|shall|may|can) not|cannot|never)(?! (?:be )?(?:exceed|more|greater|higher|less|fewer|above|over|below|under)\b)|(?:not be|(?:are|is) not) reimbursed|no [a-z]+ (?:may|shall|must|can))\b/;
const OBLIGATION =
  /\b(?:must|shall|required|requires?|needs? to|is to be|are to be|has to|have to|subject to|(?:limited|capped|restricted) to|not to exceed)\b/;
const RECOMMENDATION = /\b(?:should|ought to|recommended|encouraged)\b/;
const PERMISSION = /\b(?:may|allowed|permitted)\b/;

const OWN_COUNTRY = /\b(?:incurred|conducted|occurring|occurred|executed|spent|initiated|originat\w*|booked) in\b/;
const AGGREGATED =
  /\b(?:total|totals|totall?ing|totall?ed|in total|aggregate|aggregated|cumulative|cumulatively|combined)\b/;
const STRUCTURING =
  /\b(?:just|slightly|immediately) (?:below|under)\b|\bstructur\w*|\b(?:avoid|evade|circumvent)\w* (?:the |a |an )?(?:[a-z-]+ )?(?:reporting|threshold)/;
const MULTIPLE = /\b(?:multiple|several|repeated|a series of)\b/;
const SPLITTING = /\b(?:split\w*|divid\w*|break\w* up)\b/;
const JUST_BELOW = /\b(?:just|slightly|immediately) (?:below|under)\b/;
const BORDER =
  /\b(?<international>international|cross-border|cross border|foreign|overseas|outward)\b|\b(?<domestic>domestic)\b/;
/** An action a person takes by a deadline: the window after it is the deadline, not a period to aggregate over. */
const DEADLINE =
  /\b(?:reported|report to|notified|notify|filed|file|submitted|submit|disclosed|escalated|escalate|informed|logged|recorded|documented|declared)\b(?:(?! (?:in|within) (?:any|the same|a single|a rolling)\b)[^;:])*?\b(?<deadline>(?:within|no later than|not later than) (?:\d+|one|two|three|four|five|six|seven|ten|fifteen|thirty|a|an)?(?:[ -](?:business|working|calendar))?[ -]?(?:hours?|days?|weeks?|months?))\b/;
const EXCEPTION =
  /\b(?:unless|except(?: for| where| when| if)?|other than|excluding|with the exception of)\b(?<phrase>[^.;]*)/;
const PER_UNIT = /\bper (?:night|person|head|guest|attendee|participant|trip)\b/;
const PERSONAL_DATA = /\bpersonal data\b/;
const SUBJECT_NOUN = /\b(expense|purchase|payment|transfer|deposit|withdrawal|invoice|claim)s?\b/;

/** Where the grammatical subject of a sentence ends: its verb, a preposition, a comparator, a number or punctuation. */
const SUBJECT_END =
  /\b(?:must|shall|should|may|will|can|cannot|is|are|be|requires?|required|needs?|to|from|of|with|in|into|by|for|at|on|above|over|below|under|exceed\w*|more|less|fewer|total\w*|that|which|who|made|incurred|located)\b|[(,;:\d]/;
const DETERMINERS = /^(?:(?:any|all|each|every|a|an|the|no|single|total|multiple|several)(?:\s+|$))+/;
/** People who act on transactions: "Staff must escalate ..." is about the transactions in the object. */
const ACTORS =
  /^(?:(?:branch )?staff|(?:line )?managers?|employees?|the company|company|personnel|officers?|directors?|payees?|approvers?|requesters?|systems?)$/;
const KNOWN_SUBJECT = /\b(?:transactions?|funds|personal data)\b/;

const SELF_APPROVAL =
  /\b(?:approv|authori[sz])\w* (?:their|his or her|his|her) own\b|\bself-approv\w*|\b(?:approv|authori[sz])\w* (?:a|an|the|any) [a-z]+(?: [a-z]+)? (?:that|which) (?:they|he or she|he|she) (?:requested|submitted|raised|initiated|created)\b/;
const SAME_PERSON =
  /\bthe (?<left>[a-z]+(?: [a-z]+)?)(?: of (?:a|an|the|each|any) [a-z]+)? (?:must|shall|may|should|can) not be the same (?:person |individual |party )?as (?:the |its |their )?(?<right>[a-z]+(?: [a-z]+)?)/;

/** Reads one sentence; undefined for definitions and for sentences that oblige or forbid nothing. */
export function readSentence(sentence: string): SentenceReading | undefined {
  const text = analysisText(sentence);
  const modality = modalityOf(text);
  if (!modality || DEFINITION.test(text)) return undefined;
  const quantities = findQuantities(text);
  const compared = quantities.filter(isCompared);
  const fieldPair = fieldPairOf(text);
  const codes = countryCodes(sentence);
  const exception = exceptionOf(text);
  // What the exception names (`except card payments`) is excluded, so it is not the subject too.
  const main = exception ? text.slice(0, text.indexOf(exception.phrase)) : text;
  const count = compared.find(isTransactionCount);
  // In "escalate any pattern of three deposits ... within 7 days" the span belongs to the pattern, not to the action.
  const pattern = count || AGGREGATED.test(text) || MULTIPLE.test(text) || STRUCTURING.test(text);
  const deadline = pattern ? undefined : DEADLINE.exec(text)?.groups?.deadline;
  const window = findWindow(text);
  const border = BORDER.exec(text)?.groups;
  return {
    text,
    modality,
    types: termValues(TRANSACTION_TYPES, main),
    categories: termValues(EXPENSE_CATEGORIES, main),
    personalData: PERSONAL_DATA.test(text),
    noun: SUBJECT_NOUN.exec(text)?.[1],
    countries: codes.length ? { field: OWN_COUNTRY.test(text) ? 'country' : 'counterparty_country', codes } : undefined,
    money: compared.find((quantity) => quantity.kind === 'money'),
    range: findRange(text),
    count,
    window: deadline && window && deadline.includes(window.phrase) ? undefined : window,
    group: findGroup(text),
    requirements: fieldPair ? [] : requirementsOf(text, modality, compared),
    fieldPair,
    aggregated: AGGREGATED.test(text),
    structuring: STRUCTURING.test(text),
    multiple: MULTIPLE.test(text),
    splitting: SPLITTING.test(text),
    perUnit: PER_UNIT.exec(text)?.[0],
    unread: quantities.filter((quantity) => quantity.kind === 'other').map((quantity) => quantity.phrase),
    unknownSubject: fieldPair ? undefined : unknownSubject(text),
    border: border?.international
      ? { scope: 'international', phrase: border.international }
      : border?.domestic
        ? { scope: 'domestic', phrase: border.domestic }
        : undefined,
    deadline,
    justBelow: JUST_BELOW.test(text),
    exception,
  };
}

function exceptionOf(text: string): SentenceReading['exception'] {
  const match = EXCEPTION.exec(text);
  if (!match?.groups) return undefined;
  const phrase = match[0].trim();
  return {
    phrase,
    types: termValues(TRANSACTION_TYPES, phrase),
    categories: termValues(EXPENSE_CATEGORIES, phrase),
    satisfiedByRequirement: REQUIREMENTS.some((requirement) => requirement.pattern.test(phrase)),
  };
}

/**
 * Lower case, typographic punctuation made plain, list markers and line breaks made spaces. Currency codes
 * keep their capitals so that `ALL` or `TRY` in prose is not read as a currency.
 */
function analysisText(sentence: string): string {
  return sentence
    .replace(/[’‘]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, '-')
    .replace(/^\s*[-*•]\s+/gm, ' ')
    .replace(/\s+/g, ' ')
    .replace(/[A-Za-z]+/g, (word) => (CURRENCY_CODES.includes(word) ? word : word.toLowerCase()))
    .trim();
}

function modalityOf(text: string): Modality | undefined {
  if (PROHIBITION.test(text)) return 'prohibition';
  if (OBLIGATION.test(text)) return 'obligation';
  if (RECOMMENDATION.test(text)) return 'recommendation';
  if (PERMISSION.test(text)) return 'permission';
  return undefined;
}

function isTransactionCount(quantity: Quantity): boolean {
  if (quantity.kind !== 'count' || !quantity.noun) return false;
  return TRANSACTION_NOUNS.test(quantity.noun) || countedField(quantity.noun) !== undefined;
}

/**
 * What a transaction must carry: read from obligations ("require approval", "must be supported by a
 * receipt") and from "without ..." in any sentence. A counted requirement keeps its count.
 */
function requirementsOf(text: string, modality: Modality, compared: Compared[]): SentenceReading['requirements'] {
  return REQUIREMENTS.flatMap((requirement) => {
    const stated = modality === 'obligation' && requirement.pattern.test(text);
    const withoutIt = new RegExp(`\\bwithout (?:an? |the |prior |written )*${requirement.pattern.source}`).test(text);
    if (!stated && !withoutIt) return [];
    const count = requirement.countable
      ? compared.find((quantity) => quantity.noun && requirement.pattern.test(quantity.noun))
      : undefined;
    return [{ requirement, count }];
  });
}

function fieldPairOf(text: string): SentenceReading['fieldPair'] {
  const selfApproval = SELF_APPROVAL.exec(text);
  if (selfApproval)
    return { field: 'attributes.approved_by', otherField: 'attributes.requested_by', phrase: selfApproval[0] };
  const samePerson = SAME_PERSON.exec(text);
  const field = roleField(samePerson?.groups?.left);
  const otherField = roleField(samePerson?.groups?.right);
  if (!samePerson || !field || !otherField || field === otherField) return undefined;
  return { field, otherField, phrase: samePerson[0] };
}

/** The subject of the sentence when it is neither a person nor anything the extractor maps to a field. */
function unknownSubject(text: string): string | undefined {
  const subject = text
    .slice(0, SUBJECT_END.exec(text)?.index ?? text.length)
    .trim()
    .replace(DETERMINERS, '');
  const firstWord = subject.split(' ')[0] ?? '';
  if (!subject || firstWord.endsWith('ing') || wordsToNumber(firstWord) !== undefined || ACTORS.test(subject))
    return undefined;
  const terms = [...TRANSACTION_TYPES, ...EXPENSE_CATEGORIES].map((term) => term.pattern);
  const known = [...terms, KNOWN_SUBJECT, SUBJECT_NOUN].some((pattern) => pattern.test(subject));
  return known ? undefined : subject;
}

/** `approver` -> attributes.approved_by; tries the two words captured, then the first alone. */
function roleField(words: string | undefined): Field | undefined {
  if (!words) return undefined;
  return termValues(ROLE_FIELDS, words)[0] ?? termValues(ROLE_FIELDS, words.split(' ')[0] ?? '')[0];
}
