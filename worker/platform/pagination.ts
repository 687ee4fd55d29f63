import { z } from '@hono/zod-openapi';
import { ApiError } from './errors';

/** The `limit` and `cursor` query parameters every list endpoint takes. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
});

type SortKey = readonly (string | number)[];
export type Page<T> = { items: T[]; next_cursor: string | null };

/** `{items, next_cursor}` for the OpenAPI document. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** The cursor is the base64url JSON of the last item's sort key: opaque to callers. */
function encodeCursor(key: SortKey): string {
  const bytes = new TextEncoder().encode(JSON.stringify(key));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

/** The sort key inside `cursor`, checked against `shape`; a forged or stale cursor is a 400. */
export function decodeCursor<T extends z.ZodType<SortKey>>(
  cursor: string | undefined,
  shape: T,
): z.infer<T> | undefined {
  if (cursor === undefined) return undefined;
  const parsed = shape.safeParse(parseCursorJson(cursor));
  if (!parsed.success) {
    throw new ApiError('validation_failed', 'The request has invalid fields.', {
      errors: [{ path: 'cursor', message: 'Invalid cursor.' }],
    });
  }
  return parsed.data;
}

function parseCursorJson(cursor: string): unknown {
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    return undefined;
  }
}

/** Turns `limit + 1` fetched rows into a page: the extra row only says that a next page exists. */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  view: (row: Row) => Item,
  sortKey: (row: Row) => SortKey,
): Page<Item> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(view),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey(last)) : null,
  };
}
