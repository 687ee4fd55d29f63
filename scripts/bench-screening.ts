/**
 * `npm run bench:screening [-- --entries N --queries N]`: screening quality and speed.
 *
 * Generates a seeded watch list of N entries (default 100,000: persons, organizations, vessels,
 * some with aliases), loads it through the upload code path (parse, normalise, store), then runs
 * a labelled query set through the search code path at the default threshold (0.85):
 * - positives: listed names written differently (case, accents, punctuation, token order,
 *   honorifics, legal forms, a missing middle name, one typo, a transliteration variant);
 *   recall is the share whose entry is among the matches;
 * - negatives: names that are not listed but share a first or last name (or company words) with
 *   listed ones; the false-positive rate is the share with any match.
 * Prints recall, false-positive rate and the search latency percentiles (each search is one
 * tenant transaction: candidates from Postgres, scoring in JavaScript), as one JSON line last.
 * Honours DATABASE_URL; without it an embedded Postgres (PGlite) is started.
 */
import os from 'node:os';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { applyMigrations } from '../db/migrate';
import { withTenant } from '../db/tenant';
import { systemActor } from '../worker/platform/audit';
import { uploadList } from '../worker/screening/lists';
import { searchLists } from '../worker/screening/search';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

const entryCount = Number(argument('--entries') ?? 100_000);
const queryCount = Number(argument('--queries') ?? 1_000);

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

type Random = () => number;

function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seededRandom(24);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

const FIRST = (
  'john james robert michael william david richard joseph thomas charles mary patricia jennifer linda elizabeth ' +
  'barbara susan jessica sarah karen muhammad ahmad ali omar yusuf ibrahim hasan husayn abdullah khalid ' +
  'fatima aisha maryam zainab ivan sergei dmitri aleksandr vladimir nikolai andrei olga tatiana natalia ' +
  'wei jing li ming hui chen yan jose juan carlos luis miguel ana maria carmen pedro jorge hans klaus ' +
  'peter anna eva pierre jean marie francois giovanni marco luca sofia kim min ji hyun raj amit priya'
).split(' ');
const LAST = (
  'smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez ' +
  'wilson anderson taylor moore jackson martin lee thompson white harris clark lewis walker hall young ' +
  'ivanov petrov sidorov smirnov kuznetsov popov volkov sokolov wang zhang liu chen yang huang zhao wu ' +
  'khan rahman hussain ahmed malik qureshi siddiqui haddad nasser saleh mansour kim park choi jung kang ' +
  'muller schmidt schneider fischer weber meyer wagner rossi russo ferrari esposito bianchi dubois moreau ' +
  'patel sharma singh kumar gupta'
).split(' ');
const SYLLABLES = 'ka lo mer ti san vor dan bel ri zu no ha pe tor mil gan sol vi ra den ko lu fen ar bo'.split(' ');
// Names and words never listed: a negative pairs one of them with a listed first name, surname or company word.
const UNLISTED_FIRST = 'xavier quentin beatrix ludmila oswald phineas gwendolyn cornelius thaddeus winifred'.split(' ');
const UNLISTED_LAST = (
  'kowalczyk nakamura oyelaran fitzgerald abernathy vandermeer okonkwo castellanos lindqvist papadopoulos ' +
  'yamamoto gallagher bergstrom quinteros achterberg'
).split(' ');
const UNLISTED_WORDS = 'bakery florist orchestra vineyard library dentistry'.split(' ');
const WORDS = (
  'global trading import export shipping energy oil gas metals mining capital finance holding ' +
  'logistics marine industrial technologies systems petro chemical steel aviation construction ' +
  'agro textile pharma security engineering investment maritime resources commodities'
).split(' ');
const LEGAL = ['LLC', 'Ltd', 'Limited', 'GmbH', 'S.A.', 'JSC', 'FZE', 'PJSC', 'Inc.', 'Corp.', 'Co.', 'B.V.'];
const HONORIFICS = ['Mr', 'Mr.', 'Dr', 'Sheikh', 'Gen.', 'Mrs'];
const TRANSLITERATIONS: Record<string, string[]> = {
  muhammad: ['Mohammed', 'Mohamed', 'Mohammad'],
  ahmad: ['Ahmed'],
  yusuf: ['Youssef', 'Yousef'],
  husayn: ['Hussein', 'Hussain'],
  hasan: ['Hassan'],
  omar: ['Umar'],
  sergei: ['Sergey'],
  dmitri: ['Dmitry'],
  aleksandr: ['Alexander'],
  nikolai: ['Nikolay'],
  andrei: ['Andrey'],
  tatiana: ['Tatyana'],
};

const capital = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const coined = () => capital(Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES)).join(''));

type Generated = {
  id: string;
  type: 'person' | 'organization' | 'vessel';
  tokens: string[];
  name: string;
  aliases: string[];
};

function generateEntry(i: number): Generated {
  const roll = random();
  const id = `E-${i}`;
  if (roll < 0.7) {
    const first = capital(pick(FIRST));
    const middle = random() < 0.4 ? capital(pick(FIRST)) : null;
    const last = random() < 0.5 ? capital(pick(LAST)) : coined();
    const tokens = middle ? [first, middle, last] : [first, last];
    const aliases = random() < 0.3 ? [`${last}, ${first}`] : [];
    return { id, type: 'person', tokens, name: tokens.join(' '), aliases };
  }
  if (roll < 0.95) {
    const tokens = [random() < 0.6 ? coined() : capital(pick(WORDS)), capital(pick(WORDS))];
    if (random() < 0.4) tokens.push(capital(pick(WORDS)));
    return { id, type: 'organization', tokens, name: `${tokens.join(' ')} ${pick(LEGAL)}`, aliases: [] };
  }
  const tokens = [coined(), capital(pick(WORDS))];
  return { id, type: 'vessel', tokens, name: tokens.join(' '), aliases: [] };
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// Variants of a listed name, as a counterparty or a clerk would write it.

function typo(word: string): string {
  if (word.length < 5) return word;
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.33) return word.slice(0, at) + word.slice(at + 1);
  if (kind < 0.66) return word.slice(0, at) + word[at + 1] + word[at] + word.slice(at + 2);
  const letter = 'aeiou'[Math.floor(random() * 5)] as string;
  return word.slice(0, at) + letter + word.slice(at + 1);
}

const ACCENTED: Record<string, string> = { a: 'á', e: 'é', o: 'ö', u: 'ü', i: 'í', n: 'ñ' };

function variantOf(entry: Generated): { text: string; how: string } {
  const tokens = [...entry.tokens];
  const kind = pick([
    'case',
    'accents',
    'punctuation',
    'order',
    'honorific',
    'legal',
    'middle',
    'typo',
    'transliteration',
  ]);
  switch (kind) {
    case 'case':
      return { text: random() < 0.5 ? tokens.join(' ').toUpperCase() : tokens.join(' ').toLowerCase(), how: kind };
    case 'accents':
      return { text: tokens.join(' ').replace(/[aeouin]/, (letter) => ACCENTED[letter] ?? letter), how: kind };
    case 'punctuation':
      return { text: tokens.join(random() < 0.5 ? '-' : ', '), how: kind };
    case 'order':
      return { text: [...tokens.slice(1), tokens[0]].join(' '), how: kind };
    case 'honorific':
      return {
        text: entry.type === 'person' ? `${pick(HONORIFICS)} ${tokens.join(' ')}` : tokens.join(' '),
        how: kind,
      };
    case 'legal':
      return {
        text: entry.type === 'organization' ? `${tokens.join(' ')} ${pick(LEGAL)}` : tokens.join(' '),
        how: kind,
      };
    case 'middle':
      return { text: tokens.length === 3 ? `${tokens[0]} ${tokens[2]}` : tokens.join(' '), how: kind };
    case 'typo': {
      const longest = tokens.reduce((best, token, i) => (token.length > (tokens[best]?.length ?? 0) ? i : best), 0);
      tokens[longest] = typo(tokens[longest] as string);
      return { text: tokens.join(' '), how: kind };
    }
    default: {
      const index = tokens.findIndex((token) => TRANSLITERATIONS[token.toLowerCase()]);
      if (index >= 0) tokens[index] = pick(TRANSLITERATIONS[(tokens[index] as string).toLowerCase()] ?? []);
      return { text: tokens.join(' '), how: kind };
    }
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main() {
  const embedded: EmbeddedPostgres | undefined = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: undefined, port: 0 });
  const url = process.env.DATABASE_URL ?? (embedded as EmbeddedPostgres).url;
  await applyMigrations(url);
  const client = postgres(url, { max: 2, onnotice: () => {} });
  const db = drizzle(client);
  try {
    const [org] = await client<
      { id: string }[]
    >`insert into organizations (name) values ('Screening bench') returning id`;
    const orgId = org!.id;
    const entries = Array.from({ length: entryCount }, (_, i) => generateEntry(i));
    const csv = [
      'id,name,aliases,type,country,program',
      ...entries.map((entry) =>
        [entry.id, entry.name, entry.aliases.join(';'), entry.type, '', 'BENCH'].map(csvCell).join(','),
      ),
    ].join('\n');
    const importStart = performance.now();
    const list = await uploadList(db, systemActor(orgId), {
      file: new File([csv], 'bench.csv', { type: 'text/csv' }),
      name: 'Bench list',
    });
    const importSeconds = (performance.now() - importStart) / 1000;
    // As autovacuum leaves a freshly loaded table: statistics, and a visibility map for index-only scans.
    await client`vacuum analyze screening_name_keys, screening_names, screening_entries`;

    const positives = Array.from({ length: queryCount }, () => {
      const entry = pick(entries);
      return { entry, ...variantOf(entry) };
    });
    const negatives: string[] = [];
    while (negatives.length < queryCount) {
      const roll = random();
      if (roll < 0.5) negatives.push(`${capital(pick(FIRST))} ${capital(pick(UNLISTED_LAST))}`);
      else if (roll < 0.8) negatives.push(`${capital(pick(UNLISTED_FIRST))} ${capital(pick(LAST))}`);
      else negatives.push(`${capital(pick(WORDS))} ${capital(pick(UNLISTED_WORDS))} ${pick(LEGAL)}`);
    }

    const latencies: number[] = [];
    const timedSearch = async (name: string) => {
      const start = performance.now();
      const matches = await withTenant(db, orgId, (tx) => searchLists(tx, { name }));
      latencies.push(performance.now() - start);
      return matches;
    };
    // Warm-up: the first searches pay for connections and the index pages' first reads.
    for (const { text } of positives.slice(0, 20)) await timedSearch(text);
    latencies.length = 0;

    const missedBy = new Map<string, number>();
    const missedExamples: string[] = [];
    let found = 0;
    for (const positive of positives) {
      const matches = await timedSearch(positive.text);
      if (matches.some((match) => match.entry_id === positive.entry.id)) found++;
      else {
        missedBy.set(positive.how, (missedBy.get(positive.how) ?? 0) + 1);
        if (missedExamples.length < 10) missedExamples.push(`${positive.text} -> ${positive.entry.name}`);
      }
    }
    let falsePositives = 0;
    const falseExamples: string[] = [];
    for (const negative of negatives) {
      const matches = await timedSearch(negative);
      if (matches.length > 0) {
        falsePositives++;
        if (falseExamples.length < 10)
          falseExamples.push(`${negative} -> ${matches[0]!.matched_name} ${matches[0]!.score}`);
      }
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const round = (n: number, places = 4) => Math.round(n * 10 ** places) / 10 ** places;
    console.log(`missed positives by variant: ${JSON.stringify(Object.fromEntries(missedBy))}`);
    console.log(`missed examples:\n  ${missedExamples.join('\n  ')}`);
    console.log(`false-positive examples:\n  ${falseExamples.join('\n  ')}`);
    console.log(
      JSON.stringify({
        benchmark: 'screening',
        database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
        entries: list.entries,
        import_seconds: round(importSeconds, 1),
        threshold: 0.85,
        positives: positives.length,
        negatives: negatives.length,
        recall: round(found / positives.length),
        false_positive_rate: round(falsePositives / negatives.length),
        searches: latencies.length,
        search_p50_ms: round(percentile(sorted, 50), 1),
        search_p95_ms: round(percentile(sorted, 95), 1),
        search_p99_ms: round(percentile(sorted, 99), 1),
        cpus: os.cpus().length,
      }),
    );
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

await main();
