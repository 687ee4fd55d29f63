import { z } from '@hono/zod-openapi';
import { type SQL, type SQLChunk, sql } from 'drizzle-orm';
import { decodeCursor } from './pagination';

/**
 * The keyset condition: rows strictly past the cursor's row in the listing's order, one row
 * comparison over the sort columns (a composite index on them serves it).
 */
export function pastKey(order: 'asc' | 'desc', columns: SQLChunk[], key: SQLChunk[]): SQL {
  const left = sql.join(columns, sql`, `);
  const right = sql.join(key, sql`, `);
  return order === 'asc' ? sql`(${left}) > (${right})` : sql`(${left}) < (${right})`;
}

/** The sort key of a newest-first listing: created_at as Postgres writes it (microseconds), then the id. */
const newestFirstKey = z.tuple([z.string().max(64), z.uuid()]);

/** The keyset condition of a newest-first listing by `(created_at, id)`, from the request's `cursor`. */
export function olderThan(createdAt: SQLChunk, id: SQLChunk, cursor: string | undefined): SQL | undefined {
  const after = decodeCursor(cursor, newestFirstKey);
  return after && pastKey('desc', [createdAt, id], [sql`${after[0]}::timestamptz`, sql`${after[1]}::uuid`]);
}
