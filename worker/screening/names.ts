import { doubleMetaphone } from 'double-metaphone';

/**
 * Name normalisation for screening: what two spellings of one name have in common once case,
 * accents, punctuation, honorifics, legal forms and common transliteration variants are set aside.
 */

/** A name as the scorer compares it. */
export interface NormalizedName {
  /** Folded tokens in their written order: lower case, no accents, variants mapped to one spelling. */
  tokens: string[];
  /** The double-metaphone keys of each token (primary, alternate). */
  phonetic: [string, string][];
  /** Words set aside (honorifics, legal forms), for the explanation. */
  dropped: string[];
}

/** Letters NFKD does not decompose into a base letter and a mark. */
const LETTER_FOLDS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
  ħ: 'h',
  ŀ: 'l',
};

/** Titles and honorifics that say nothing about who is meant. */
const HONORIFICS = new Set(
  (
    'mr mrs ms miss mx dr prof professor sir dame lord lady madam mme mlle monsieur herr frau sr jr snr jnr ' +
    'rev reverend fr hon honorable honourable excellency sheikh shaikh sheik haji hajji alhaji ' +
    'gen general col colonel maj major capt captain lt lieutenant sgt cmdr commander adm admiral'
  ).split(' '),
);

/** Legal-form words: the same company with or without them is the same company. */
const LEGAL_FORMS = new Set(
  (
    'ltd limited llc lc inc incorporated corp corporation co company cos plc llp lp gmbh ag kg ohg ug ev ' +
    'sa sarl sas sasu srl spa sapa snc bv nv vof oy oyj ab asa as aps pte pty pvt private ooo oao zao pao ' +
    'jsc ojsc cjsc pjsc tov fze fzco fzc fzllc kk kabushiki kaisha sdn bhd tbk lda ltda sl sad ' +
    'sro spol zrt kft doo dd ad eood the'
  ).split(' '),
);

/** Common transliteration variants of one name, each mapped to one spelling. */
const VARIANTS: Record<string, string> = Object.fromEntries(
  [
    'muhammad mohammed mohamed mohammad muhammed mohamad muhamad mohamud mohd mouhamed mehmet mehmed',
    'ahmad ahmed ahmet',
    'yusuf yousef youssef yusef yousuf yussuf yosef',
    'husayn hussein hussain husain husein hossein',
    'hasan hassan',
    'abdul abdel abdal abdoul abdoulaye',
    'usama osama',
    'umar omar omer',
    'uthman othman osman usman',
    'ibrahim ebrahim brahim',
    'abu abou',
    'abdullah abdallah abdulla',
    'qadhafi gaddafi gadhafi kadhafi qaddafi kaddafi',
    'aleksandr alexander aleksander alexandr oleksandr',
    'aleksei alexei alexey aleksey oleksii',
    'sergei sergey serhiy',
    'dmitri dmitry dmitriy dmytro',
    'yuri yury yuriy iouri jurij',
    'nikolai nikolay mykola',
    'andrei andrey andriy',
    'evgeni evgeny yevgeny yevgeniy evgeniy',
    'mikhail mykhailo michail',
    'tatiana tatyana',
    'yelena elena',
    'vyacheslav viacheslav',
  ].flatMap((line) => {
    const [canonical, ...others] = line.split(' ') as [string, ...string[]];
    return [canonical, ...others].map((variant) => [variant, canonical]);
  }),
);

const MARKS = /\p{M}/gu;
const APOSTROPHES = /['’`ʼ‘]/g;
const SEPARATORS = /[^\p{L}\p{N}]+/u;

/** Lower case, accents and special letters folded, apostrophes and dots closed up. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþıħŀ]/g, (letter) => LETTER_FOLDS[letter] ?? letter)
    .replace(APOSTROPHES, '')
    .replace(/\./g, '');
}

/** The name's tokens for scoring; honorifics and legal forms are dropped unless nothing else is left. */
export function normalizeName(name: string): NormalizedName {
  const words = foldText(name)
    .split(SEPARATORS)
    .filter((word) => word.length > 0);
  const kept = words.filter((word) => !HONORIFICS.has(word) && !LEGAL_FORMS.has(word));
  const tokens = (kept.length > 0 ? kept : words).map((word) => VARIANTS[word] ?? word);
  return {
    tokens,
    phonetic: tokens.map((token) => (/^\p{L}+$/u.test(token) ? doubleMetaphone(token) : [token, token])),
    dropped: kept.length > 0 ? words.filter((word) => !kept.includes(word)) : [],
  };
}

/** The form stored for trigram candidate generation: the folded tokens, space separated. */
export function normalizedText(name: NormalizedName): string {
  return name.tokens.join(' ');
}

/** The phonetic form stored for trigram candidate generation: each token's primary key. */
export function phoneticText(name: NormalizedName): string {
  return name.phonetic.map(([primary]) => primary).join(' ');
}

/**
 * Blocking keys: a listed name is a candidate for a searched name when they share keys. Each
 * token gives itself, its phonetic key, and (five letters or more) its first and last four
 * letters, so a token with one typo still shares a key with the listed spelling.
 */
export function blockingKeys(name: NormalizedName): string[] {
  const keys = new Set<string>();
  for (const [i, token] of name.tokens.entries()) {
    keys.add(`=${token}`);
    const [primary] = name.phonetic[i] ?? [''];
    if (primary.length >= 2 && primary !== token) keys.add(`~${primary}`);
    if (token.length >= 5 && !/\p{N}/u.test(token)) {
      keys.add(`<${token.slice(0, 4)}`);
      keys.add(`>${token.slice(-4)}`);
    }
  }
  return [...keys];
}
