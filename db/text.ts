import { type SQL, type SQLChunk, sql } from 'drizzle-orm';

/** A timestamptz as RFC 3339 in UTC with its microseconds, written by Postgres (a JavaScript Date drops them). */
export function utcText(column: SQLChunk): SQL<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** `text` anywhere in a value, as an `ilike` pattern: its `%`, `_` and backslashes matched literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}
