/// <reference path="./jaro-winkler.d.ts" />
import { distance as editDistance } from 'fastest-levenshtein';
import jaroWinkler from 'jaro-winkler';
import type { NormalizedName } from './names';

/**
 * The name scorer: two normalised names aligned token by token (order does not matter), each pair
 * scored by Jaro-Winkler gated by edit distance, or by equal phonetic keys; tokens left over cost
 * their length, except a missing middle name, which costs less. Weights are token lengths, so a
 * long distinctive token counts more than an initial.
 */

/** How a pair of tokens was found alike. */
export type Likeness = 'same' | 'spelling' | 'phonetic' | 'initial';

export interface TokenPair {
  query: string;
  listed: string;
  similarity: number;
  likeness: Likeness;
}

export interface NameComparison {
  /** 0 to 1, four decimals. */
  score: number;
  pairs: TokenPair[];
  unmatchedQuery: string[];
  unmatchedListed: string[];
  /** The names are the same once their tokens are written together (Abdulrahman, Abdul Rahman). */
  joined: boolean;
}

// Below this a pair of tokens is not the same word misspelt: they stay unmatched.
const MIN_TOKEN_SIMILARITY = 0.8;
const PHONETIC_SIMILARITY = 0.9;
const MIN_PHONETIC_SPELLING = 0.7;
const INITIAL_SIMILARITY = 0.8;
const JOINED_SCORE = 0.97;
// A middle name present on one side only costs this share of its length.
const MISSING_MIDDLE_WEIGHT = 0.3;

/** Four decimals, the precision scores are stored and compared with everywhere. */
export function roundScore(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 10_000) / 10_000;
}

function hasDigit(token: string): boolean {
  return /\p{N}/u.test(token);
}

/** Typos allowed in a word: one up to 7 letters, then one more per 4 letters. */
function allowedEdits(length: number): number {
  return Math.max(1, Math.floor(length / 4));
}

function phoneticAlike(a: [string, string], b: [string, string]): boolean {
  const codes = new Set(a.filter((code) => code.length >= 3));
  return b.some((code) => codes.has(code));
}

function compareTokens(
  query: string,
  listed: string,
  queryKeys: [string, string],
  listedKeys: [string, string],
): { similarity: number; likeness: Likeness } {
  if (query === listed) return { similarity: 1, likeness: 'same' };
  // Numbers (registration, IMO) only match exactly.
  if (hasDigit(query) || hasDigit(listed)) return { similarity: 0, likeness: 'spelling' };
  if (query.length === 1 || listed.length === 1) {
    const initial = query[0] === listed[0] ? INITIAL_SIMILARITY : 0;
    return { similarity: initial, likeness: 'initial' };
  }
  const longest = Math.max(query.length, listed.length);
  const jaro = jaroWinkler(query, listed);
  const spelling =
    editDistance(query, listed) <= allowedEdits(longest) && Math.min(query.length, listed.length) >= 3 ? jaro : 0;
  // Sounding alike counts only for spellings not far apart (bakery and pekaar share a key, not a name).
  const phonetic = jaro >= MIN_PHONETIC_SPELLING && phoneticAlike(queryKeys, listedKeys) ? PHONETIC_SIMILARITY : 0;
  const similarity = Math.max(spelling, phonetic);
  if (similarity < MIN_TOKEN_SIMILARITY) return { similarity: 0, likeness: 'spelling' };
  return { similarity, likeness: phonetic > spelling ? 'phonetic' : 'spelling' };
}

/** Compares a searched name with a listed name (or alias). */
export function compareNames(query: NormalizedName, listed: NormalizedName): NameComparison {
  const candidates: { i: number; j: number; similarity: number; likeness: Likeness }[] = [];
  for (const [i, q] of query.tokens.entries()) {
    for (const [j, l] of listed.tokens.entries()) {
      const { similarity, likeness } = compareTokens(
        q,
        l,
        query.phonetic[i] as [string, string],
        listed.phonetic[j] as [string, string],
      );
      if (similarity > 0) candidates.push({ i, j, similarity, likeness });
    }
  }
  // Greedy alignment, best pairs first (ties: longer tokens, then written order), each token used once.
  candidates.sort(
    (a, b) =>
      b.similarity - a.similarity ||
      (listed.tokens[b.j]?.length ?? 0) - (listed.tokens[a.j]?.length ?? 0) ||
      a.i - b.i ||
      a.j - b.j,
  );
  const [usedQuery, usedListed] = [new Set<number>(), new Set<number>()];
  const aligned: typeof candidates = [];
  for (const candidate of candidates) {
    if (usedQuery.has(candidate.i) || usedListed.has(candidate.j)) continue;
    usedQuery.add(candidate.i);
    usedListed.add(candidate.j);
    aligned.push(candidate);
  }
  const unmatchedQuery = query.tokens.filter((_, i) => !usedQuery.has(i));
  const unmatchedListed = listed.tokens.filter((_, j) => !usedListed.has(j));
  let matched = 0;
  let total = 0;
  for (const { i, j, similarity } of aligned) {
    const weight = (query.tokens[i]?.length ?? 0) + (listed.tokens[j]?.length ?? 0);
    matched += similarity * weight;
    total += weight;
  }
  // One side wholly found in the other with two or more tokens: what is left is a middle name.
  const middle = aligned.length >= 2 && (unmatchedQuery.length === 0 || unmatchedListed.length === 0);
  const leftOver = [...unmatchedQuery, ...unmatchedListed].reduce((sum, token) => sum + token.length, 0);
  total += leftOver * (middle ? MISSING_MIDDLE_WEIGHT : 1);
  const tokenScore = total === 0 ? 0 : matched / total;
  const joined =
    query.tokens.length !== listed.tokens.length &&
    query.tokens.length > 0 &&
    query.tokens.join('') === listed.tokens.join('');
  return {
    score: roundScore(joined ? Math.max(tokenScore, JOINED_SCORE) : tokenScore),
    pairs: aligned.map(({ i, j, similarity, likeness }) => ({
      query: query.tokens[i] as string,
      listed: listed.tokens[j] as string,
      similarity: roundScore(similarity),
      likeness,
    })),
    unmatchedQuery,
    unmatchedListed,
    joined,
  };
}

const LIKENESS_WORDS: Record<Likeness, string> = {
  same: 'same word',
  spelling: 'spelling variant',
  phonetic: 'sounds alike',
  initial: 'initial',
};

/** A sentence saying why a name matched: each aligned token pair, the tokens left over, the words set aside. */
export function describeComparison(comparison: NameComparison, query: NormalizedName, listed: NormalizedName): string {
  const parts: string[] = [];
  if (comparison.joined) parts.push('the same letters written as one word');
  if (comparison.pairs.length > 0) {
    parts.push(
      comparison.pairs
        .map((pair) =>
          pair.likeness === 'same'
            ? `"${pair.query}" = "${pair.listed}"`
            : `"${pair.query}" ~ "${pair.listed}" (${LIKENESS_WORDS[pair.likeness]}, ${pair.similarity.toFixed(2)})`,
        )
        .join(', '),
    );
  }
  if (comparison.unmatchedQuery.length > 0)
    parts.push(`not in the listed name: ${comparison.unmatchedQuery.join(' ')}`);
  if (comparison.unmatchedListed.length > 0)
    parts.push(`not in the searched name: ${comparison.unmatchedListed.join(' ')}`);
  const dropped = [...new Set([...query.dropped, ...listed.dropped])];
  if (dropped.length > 0) parts.push(`ignored: ${dropped.join(', ')}`);
  return parts.join('; ');
}
