import { sql } from 'drizzle-orm';
import { type Tx, uuidArray } from '../../db/tenant';
import { type Actor, recordAudit } from '../platform/audit';
import { blockingKeys, type NormalizedName, normalizedText, normalizeName } from './names';
import { compareNames, describeComparison, roundScore } from './score';

/**
 * Searching lists by name: Postgres proposes candidates (names sharing blocking keys, ranked by
 * the keys' rarity and pg_trgm similarity), the scorer decides and explains.
 */

export const DEFAULT_THRESHOLD = 0.85;
// Candidate generation is wide on purpose: the scorer, not the keys, decides.
const CANDIDATE_POOL = 200;
const CANDIDATES_PER_NAME = 60;
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
 * Candidate names for one searched name, in the lists' current versions: the names sharing its
 * blocking keys, a rare key counting more than a common one (a first name shared by thousands
 * says little), the best few ranked again with trigram similarity of the folded names (pg_trgm).
 */
async function candidatesFor(tx: Tx, query: NormalizedName, listIds: string[] | undefined): Promise<CandidateRow[]> {
  const keys = blockingKeys(query);
  if (keys.length === 0) return [];
  const normalized = normalizedText(query);
  const lists = listIds ? sql`and k.list_id = any(${uuidArray(listIds)})` : sql``;
  return tx.execute<CandidateRow>(sql`
    select ${candidateColumns}
    from (
      select x.name_id, sum(x.weight) as weight
      from (
        select k.name_id, 1.0 / ln(2 + count(*) over (partition by k.key)) as weight
        from screening_name_keys k
        where k.key = any(array(select jsonb_array_elements_text(${JSON.stringify(keys)}::jsonb)))
          and k.org_id = app_current_org() ${lists}
          and (k.list_id, k.version) in (select id, current_version from screening_lists)
      ) x
      group by x.name_id order by weight desc limit ${CANDIDATE_POOL}
    ) r
    join screening_names n on n.id = r.name_id
    join screening_entries e on e.id = n.entry_ref
    join screening_lists l on l.id = n.list_id
    order by r.weight + similarity(n.normalized, ${normalized}::text) desc, n.id
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

/** A user's screening of a name: the matches, and the search in the audit trail (who screened whom is part of the compliance record). */
export async function screenName(tx: Tx, actor: Actor, search: SearchQuery): Promise<ScreeningMatch[]> {
  const found = await searchLists(tx, search);
  await recordAudit(tx, actor.origin, {
    orgId: actor.orgId,
    actorId: actor.userId,
    action: 'screening.searched',
    details: { name: search.name, country: search.country ?? null, matches: found.length },
  });
  return found;
}

/** The best match of a name in one list (its current version), whatever its score; null when nothing came close. */
export async function bestMatchIn(tx: Tx, listId: string, name: string): Promise<ScreeningMatch | null> {
  const query = normalizeName(name);
  const [best] = scoreCandidates(query, await candidatesFor(tx, query, [listId]), null);
  return best ?? null;
}
