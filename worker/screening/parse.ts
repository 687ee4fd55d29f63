import { ISO_COUNTRY_CODES } from '../platform/countries';
import type { FieldError } from '../platform/errors';
import { csvRecords, lines, MAX_LINE_CHARACTERS, textChunks } from '../transactions/readers';

/**
 * Reading an uploaded list: CSV with the header `id,name,aliases,type,country,program`, or
 * FollowTheMoney JSON lines (OpenSanctions' export format). A list is loaded whole or not at all:
 * every bad row is reported and nothing is stored.
 */

export const ENTRY_TYPES = ['person', 'organization', 'vessel'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

export interface ListEntry {
  entry_id: string;
  name: string;
  aliases: string[];
  type: EntryType;
  country: string | null;
  program: string | null;
}

export type ListFormat = 'csv' | 'ftm';

export interface ParsedList {
  format: ListFormat;
  entries: ListEntry[];
  /** FollowTheMoney entities that are not persons, organizations or vessels (addresses, sanctions...). */
  skipped: number;
  errors: FieldError[];
}

export const MAX_LIST_ENTRIES = 500_000;
const MAX_ALIASES = 100;
const MAX_NAME = 500;
const MAX_REPORTED_ERRORS = 100;
const CSV_HEADER = ['id', 'name', 'aliases', 'type', 'country', 'program'];

/** FollowTheMoney schemata screened, as the list's entry types. */
const FTM_TYPES: Record<string, EntryType> = {
  Person: 'person',
  Organization: 'organization',
  Company: 'organization',
  LegalEntity: 'organization',
  PublicBody: 'organization',
  Vessel: 'vessel',
  Airplane: 'vessel',
};

/** CSV when the first line is the CSV header, FollowTheMoney when it is a JSON object. */
export async function parseList(file: File): Promise<ParsedList> {
  const head = (await file.slice(0, 4096).text()).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return parseFollowTheMoney(file);
  return parseCsv(file);
}

class Collector {
  readonly entries: ListEntry[] = [];
  readonly errors: FieldError[] = [];
  private readonly seen = new Set<string>();

  add(row: number, entry: Omit<ListEntry, 'entry_id'> & { entry_id: string }): void {
    const problems: FieldError[] = [];
    const at = (field: string) => `rows.${row}.${field}`;
    if (entry.entry_id === '') problems.push({ path: at('id'), message: 'every entry needs an id' });
    else if (entry.entry_id.length > 200) problems.push({ path: at('id'), message: 'an id is at most 200 characters' });
    else if (this.seen.has(entry.entry_id))
      problems.push({ path: at('id'), message: `${entry.entry_id} appears more than once` });
    if (entry.name === '') problems.push({ path: at('name'), message: 'every entry needs a name' });
    if ([entry.name, ...entry.aliases].some((name) => name.length > MAX_NAME))
      problems.push({ path: at('name'), message: `a name is at most ${MAX_NAME} characters` });
    if (entry.aliases.length > MAX_ALIASES)
      problems.push({ path: at('aliases'), message: `at most ${MAX_ALIASES} aliases` });
    if (entry.country !== null && !ISO_COUNTRY_CODES.has(entry.country))
      problems.push({ path: at('country'), message: `${entry.country} is not an ISO 3166 alpha-2 country code` });
    if (this.entries.length >= MAX_LIST_ENTRIES)
      problems.push({ path: at('id'), message: `a list holds at most ${MAX_LIST_ENTRIES} entries` });
    if (problems.length > 0) {
      if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push(...problems);
      return;
    }
    this.seen.add(entry.entry_id);
    this.entries.push(entry);
  }

  fail(path: string, message: string): void {
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ path, message });
  }
}

function cleanNames(names: string[], primary: string): string[] {
  const seen = new Set([primary]);
  return names
    .map((name) => name.trim())
    .filter((name) => {
      if (name === '' || seen.has(name)) return false;
      seen.add(name);
      return true;
    });
}

async function parseCsv(file: File): Promise<ParsedList> {
  const collector = new Collector();
  let header: string[] | null = null;
  let row = 0;
  for await (const record of csvRecords(textChunks(file.stream()))) {
    if (header === null) {
      header = record.fields.map((field) =>
        field
          .replace(/^\uFEFF/, '')
          .trim()
          .toLowerCase(),
      );
      if (CSV_HEADER.some((column, i) => header?.[i] !== column) || header.length !== CSV_HEADER.length) {
        collector.fail('file', `the header must be ${CSV_HEADER.join(',')}`);
        break;
      }
      continue;
    }
    row++;
    if (record.problem) {
      collector.fail(`rows.${row}`, `line ${record.line}: ${record.problem}`);
      continue;
    }
    if (record.fields.length !== CSV_HEADER.length) {
      collector.fail(`rows.${row}`, `line ${record.line} has ${record.fields.length} fields, not ${CSV_HEADER.length}`);
      continue;
    }
    const [id, name, aliases, type, country, program] = record.fields.map((field) => field.trim()) as string[];
    const entryType = (type ?? '').toLowerCase();
    if (!(ENTRY_TYPES as readonly string[]).includes(entryType)) {
      collector.fail(`rows.${row}.type`, 'type is person, organization or vessel');
      continue;
    }
    collector.add(row, {
      entry_id: id ?? '',
      name: name ?? '',
      aliases: cleanNames((aliases ?? '').split(';'), name ?? ''),
      type: entryType as EntryType,
      country: country ? country.toUpperCase() : null,
      program: program || null,
    });
  }
  if (header === null) collector.fail('file', 'the file is empty');
  return { format: 'csv', entries: collector.entries, skipped: 0, errors: collector.errors };
}

type FtmEntity = { id?: unknown; schema?: unknown; caption?: unknown; properties?: Record<string, unknown> };

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

async function parseFollowTheMoney(file: File): Promise<ParsedList> {
  const collector = new Collector();
  let skipped = 0;
  let row = 0;
  for await (const { text, line, tooLong } of lines(textChunks(file.stream()))) {
    if (tooLong) {
      row++;
      collector.fail(
        `rows.${row}`,
        `line ${line} is longer than ${MAX_LINE_CHARACTERS.toLocaleString('en-US')} characters`,
      );
      continue;
    }
    if (text.trim() === '') continue;
    row++;
    let entity: FtmEntity;
    try {
      entity = JSON.parse(text) as FtmEntity;
    } catch {
      collector.fail(`rows.${row}`, `line ${line} is not valid JSON`);
      continue;
    }
    const type = typeof entity.schema === 'string' ? FTM_TYPES[entity.schema] : undefined;
    if (type === undefined) {
      skipped++;
      continue;
    }
    const properties = entity.properties ?? {};
    const names = strings(properties.name);
    const name = (names[0] ?? (typeof entity.caption === 'string' ? entity.caption : '')).trim();
    const country = [
      ...strings(properties.country),
      ...strings(properties.nationality),
      ...strings(properties.jurisdiction),
      ...strings(properties.flag),
    ][0];
    collector.add(row, {
      entry_id: typeof entity.id === 'string' ? entity.id : '',
      name,
      aliases: cleanNames(
        [...names.slice(1), ...strings(properties.alias), ...strings(properties.previousName)],
        name,
      ).slice(0, MAX_ALIASES),
      type,
      // FollowTheMoney writes ISO codes in lower case, and some territories beyond ISO (e.g. "suhh"): those are kept out.
      country:
        country && /^[a-z]{2}$/.test(country) && ISO_COUNTRY_CODES.has(country.toUpperCase())
          ? country.toUpperCase()
          : null,
      program: strings(properties.programId)[0] ?? strings(properties.program)[0] ?? null,
    });
  }
  if (row === 0) collector.fail('file', 'the file is empty');
  return { format: 'ftm', entries: collector.entries, skipped, errors: collector.errors };
}
