import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/tenant';
import { type NormalizedName, normalizedText, normalizeName, phoneticText } from './names';
import { compareNames, describeComparison, roundScore } from './score';

/**
 * Searching lists by name: Postgres proposes candidates by trigram similarity of the folded name
 * or of its phonetic keys (pg_trgm, GIN indexes), the scorer decides and explains.
 */

export const DEFAULT_THRESHOLD = 0.85;
// Candidate generation is wide on purpose: the scorer, not the trigrams, decides.
const CANDIDATE_SIMILARITY = 0.3;
const CANDIDATES_PER_NAME = 100;
// A listed country other than the one searched lowers the score by this factor.
const COUNTRY_MISMATCH_FACTOR = 0.9;

export interface ScreeningMatch {
  list_id: string;
  list_name: string;
  entry_id: string;
  name: string;
  matched_name: string;
  type: string;
  country: string | null;
  program: string | null;
  score: number;
  explanation: string;
}

type CandidateRow = {
  list_id: string;
  list_name: string;
  entry_id: string;
  entry_name: string;
  type: string;
  country: string | null;
  program: string | null;
  name: string;
};

const candidateColumns = sql`n.list_id, l.name as list_name, e.entry_id, e.name as entry_name, e.type, e.country, e.program, n.name`;

/**
 * Candidate names for one searched name, in the lists' current versions: trigram-close to the
 * folded name, holding it as a part (a listed name with more words), or close in sound.
 */
async function candidatesFor(tx: Tx, query: NormalizedName, listIds: string[] | undefined): Promise<CandidateRow[]> {
  const [normalized, phonetic] = [normalizedText(query), phoneticText(query)];
  if (normalized === '') return [];
  await tx.execute(sql`select set_config('pg_trgm.similarity_threshold', ${String(CANDIDATE_SIMILARITY)}, true)`);
  const lists = listIds ? sql`and n.list_id = any(${`{${listIds.join(',')}}`}::uuid[])` : sql``;
  return tx.execute<CandidateRow>(sql`
    select ${candidateColumns}
    from screening_names n
    join screening_lists l on l.id = n.list_id and l.current_version = n.version
    join screening_entries e on e.id = n.entry_ref
    where (n.normalized % ${normalized}::text or ${normalized}::text <% n.normalized or n.phonetic % ${phonetic}::text) ${lists}
    order by greatest(similarity(n.normalized, ${normalized}::text), word_similarity(${normalized}::text, n.normalized),
      similarity(n.phonetic, ${phonetic}::text)) desc, n.id
    limit ${CANDIDATES_PER_NAME}`);
}

/** Scores candidates against the searched name: each entry once, by its best name. */
export function scoreCandidates(
  query: NormalizedName,
  candidates: readonly CandidateRow[],
  country: string | null,
): ScreeningMatch[] {
  const best = new Map<string, ScreeningMatch>();
  for (const candidate of candidates) {
    const listed = normalizeName(candidate.name);
    const comparison = compareNames(query, listed);
    let score = comparison.score;
    let explanation = describeComparison(comparison, query, listed);
    if (country && candidate.country && candidate.country !== country) {
      score = roundScore(score * COUNTRY_MISMATCH_FACTOR);
      explanation += `; listed country ${candidate.country}, searched ${country}`;
    } else if (country && candidate.country === country) {
      explanation += `; same country ${country}`;
    }
    const key = `${candidate.list_id}/${candidate.entry_id}`;
    const previous = best.get(key);
    if (previous && !betterName(score, candidate.name, candidate.entry_name, previous)) continue;
    best.set(key, {
      list_id: candidate.list_id,
      list_name: candidate.list_name,
      entry_id: candidate.entry_id,
      name: candidate.entry_name,
      matched_name: candidate.name,
      type: candidate.type,
      country: candidate.country,
      program: candidate.program,
      score,
      explanation: `${explanation}; score ${score.toFixed(4)}`,
    });
  }
  return [...best.values()].sort(byScore);
}

/** A higher score wins; on a tie the entry's own name, then the first in code point order. */
function betterName(score: number, name: string, entryName: string, previous: ScreeningMatch): boolean {
  if (score !== previous.score) return score > previous.score;
  const [primary, previousPrimary] = [name === entryName, previous.matched_name === entryName];
  if (primary !== previousPrimary) return primary;
  return name < previous.matched_name;
}

/** Descending score; ties by list, then entry id (code point order). */
export function byScore(a: ScreeningMatch, b: ScreeningMatch): number {
  if (a.score !== b.score) return b.score - a.score;
  if (a.list_id !== b.list_id) return a.list_id < b.list_id ? -1 : 1;
  return a.entry_id < b.entry_id ? -1 : a.entry_id > b.entry_id ? 1 : 0;
}

export interface SearchQuery {
  name: string;
  country?: string | null;
  listIds?: string[];
  threshold?: number;
  limit?: number;
}

/** `POST /api/screening/search`: every entry whose best name scores at or above the threshold. */
export async function searchLists(tx: Tx, search: SearchQuery): Promise<ScreeningMatch[]> {
  const query = normalizeName(search.name);
  const candidates = await candidatesFor(tx, query, search.listIds);
  const threshold = search.threshold ?? DEFAULT_THRESHOLD;
  return scoreCandidates(query, candidates, search.country ?? null)
    .filter((match) => match.score >= threshold)
    .slice(0, search.limit ?? 50);
}

/** The best match of a name in one list (its current version), whatever its score; null when nothing came close. */
export async function bestMatchIn(tx: Tx, listId: string, name: string): Promise<ScreeningMatch | null> {
  const query = normalizeName(name);
  const [best] = scoreCandidates(query, await candidatesFor(tx, query, [listId]), null);
  return best ?? null;
}
