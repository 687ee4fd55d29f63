/**
 * Synthetic data the benchmarks share, generated in Postgres (generate_series), not through the API.
 */
import type postgres from 'postgres';

/** Where generated transactions fall in time, and the prefix of their external ids (unique per organization). */
export type TimeSpan = { start: Date; days: number; idPrefix: string };
const DEFAULT_SPAN: TimeSpan = { start: new Date('2026-01-01T00:00:00Z'), days: 90, idPrefix: 'TX-' };

/** ~N transactions over `span` (90 days from 2026-01-01 by default) for 20,000 accounts; a few accounts structure cash, a few counterparties are shells. */
export async function generateTransactions(
  sql: postgres.Sql,
  orgId: string,
  count: number,
  span: TimeSpan = DEFAULT_SPAN,
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select set_config('app.org_id', ${orgId}, true), set_config('role', 'nitilens_app', true), setseed(0.42)`;
    await tx.unsafe(
      `
      insert into transactions (org_id, external_id, occurred_at, amount, currency, account, counterparty, type, country, counterparty_country, channel, attributes)
      select $1::uuid, $3 || i,
        $4::timestamptz + (i::float8 / $2 * $5 * 86400) * interval '1 second',
        case when structurer and r1 < 0.5 then round((9000 + r2 * 999.99)::numeric, 2) else round((r2 ^ 4 * 25000)::numeric, 2) end,
        case when r3 < 0.85 then 'USD' when r3 < 0.93 then 'EUR' when r3 < 0.97 then 'GBP' else 'JPY' end,
        'ACC-' || lpad(account::text, 5, '0'),
        case when r4 < 0.001 then 'SHELL-' || (100 + (r5 * 900)::int) else 'VEND-' || (1 + (r5 * 4999)::int) end,
        case when structurer and r1 < 0.5 then 'cash' when r6 < 0.15 then 'cash' when r6 < 0.35 then 'wire' when r6 < 0.85 then 'card' else 'ach' end,
        case when r7 < 0.9 then 'US' else 'GB' end,
        case when r8 < 0.001 then 'IR' when r8 < 0.9 then 'US' else 'AE' end,
        case when r9 < 0.6 then 'erp' when r9 < 0.9 then 'api' else 'branch' end,
        jsonb_build_object('department', case when r9 < 0.5 then 'procurement' else 'treasury' end)
      from (
        select i, account, account % 200 = 0 as structurer,
          random() as r1, random() as r2, random() as r3, random() as r4, random() as r5, random() as r6, random() as r7, random() as r8, random() as r9
        from (select i, 1 + (random() * 19999)::int as account from generate_series(1, $2) as i) numbered
      ) draws`,
      [orgId, count, span.idPrefix, span.start.toISOString(), span.days],
    );
  });
  // Stored history is normally vacuumed by autovacuum: index-only window probes then skip the heap.
  await sql`vacuum (analyze) transactions`;
}
