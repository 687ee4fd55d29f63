import { SourceError, type SourcePage, type SourceRow } from './reader';

/** A page of a cursor query: the cursor moves to the cursor column of its last row. */
export function pageAfter(rows: SourceRow[], cursorColumn: string, limit: number, cursor: string | null): SourcePage {
  if (rows.length === 0) return { rows, cursor, last: true };
  const value = rows[rows.length - 1]![cursorColumn];
  if (value === undefined || value === null)
    throw new SourceError(`The query's rows have no value in the cursor column "${cursorColumn}".`);
  return { rows, cursor: String(value), last: rows.length < limit };
}
