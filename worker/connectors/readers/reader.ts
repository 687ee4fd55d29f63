import type { AddressPolicy } from '../../platform/address-guard';

/** A row as the customer's system gave it, with dates and big numbers as text. */
export type SourceRow = Record<string, unknown>;

/**
 * One page of new rows and the cursor that stands past them. `last`: the source has nothing after
 * this page (the run ends once it is committed).
 */
export type SourcePage = { rows: SourceRow[]; cursor: string | null; last: boolean };

/**
 * What every connector kind implements: pages of rows after a cursor. A new kind (MongoDB next)
 * is one file with one of these and its entry in READERS (readers/index.ts).
 */
export interface ConnectorReader {
  nextPage(cursor: string | null): Promise<SourcePage>;
  close(): Promise<void>;
}

/** What a reader is built from: the shown config, the decrypted secrets, and the address policy. */
export type ReaderInput<Config> = { config: Config; secret: ConnectorSecret; policy: AddressPolicy };

/** What is stored encrypted: the URL (with any credentials) and the custom headers of REST. */
export type ConnectorSecret = { url: string; headers?: Record<string, string> };

/** The failure of the customer's system (unreachable, refused, a query error): it ends the run. */
export class SourceError extends Error {}

/** Rows per page of a database query (`:limit`): one upload batch. */
export const DEFAULT_PAGE_SIZE = 1000;

/** `:cursor` and `:limit` in a query, not the `::type` casts beside them. */
export const QUERY_PLACEHOLDER = /(?<![:\w]):(cursor|limit)\b/g;

/** A value read from a database as a JSON-safe value: dates as RFC 3339 text, big numbers as text. */
export function plainValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return undefined;
  return value;
}

const SQL_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?:([+-]\d{2})(?::?(\d{2}))?)?$/;

/** `2026-01-05 10:00:00.5+00` (Postgres, MySQL text) as `2026-01-05T10:00:00.5+00:00`; a naive one stays naive. */
export function rfc3339(text: string): string {
  const match = SQL_TIMESTAMP.exec(text);
  if (!match) return text;
  const [, date, time, hours, minutes] = match;
  return hours === undefined ? `${date}T${time}` : `${date}T${time}${hours}:${minutes ?? '00'}`;
}
