import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withDatabase } from './helpers';

/**
 * The product's client sends a statement with plain parameters in one flight (docs/architecture.md,
 * "Round trips"): each value goes as the text it is. Described first, postgres.js would have written
 * the boolean through the type the server described (`x === true`), and 'true' would arrive false.
 */
describe('statements with parameters', () => {
  it('reach Postgres as written, whatever type the server gives their parameter', async () => {
    const [row] = await withDatabase((db) =>
      db.execute<Record<string, unknown>>(sql`select
        ${'true'}::boolean as flag,
        ${'{"limit": 10000.5}'}::jsonb ->> 'limit' as limit,
        ${'2026-12-06T10:00:00+05:30'}::timestamptz = '2026-12-06T04:30:00Z' as same_instant,
        ${42} + 1 as next,
        ${'9007199254740993'}::bigint::text as beyond_doubles,
        ${null}::text is null as absent,
        ${"it's; -- not code"} as text`),
    );
    expect(row).toEqual({
      flag: true,
      limit: '10000.5',
      same_instant: true,
      next: 43,
      beyond_doubles: '9007199254740993',
      absent: true,
      text: "it's; -- not code",
    });
  });
});
