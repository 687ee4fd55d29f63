import type { z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import { transactions } from '../db/schema';
import { withTenant } from '../db/tenant';
import { countingTransactions } from '../worker/overview/counters';
import type { Page } from '../worker/platform/pagination';
import type { Condition } from '../worker/rules/language';
import type { violationView } from '../worker/violations/schemas';
import { apiJson, withDatabase } from './helpers';

/** A transaction row as the rules read it; `id` is the external id. */
type TransactionFixture = {
  id: string;
  occurred_at: string;
  amount: string;
  currency?: string;
  account?: string;
  counterparty?: string | null;
  type?: string | null;
  country?: string | null;
  attributes?: Record<string, unknown>;
};

/** Inserts transactions straight into the organization's table (no ingest path), in order. */
export async function insertTransactions(orgId: string, rows: TransactionFixture[]): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, orgId, async (tx) => {
      // Counted like every insert of transactions, so the overview sees them (worker/overview/counters.ts).
      const insert = tx.insert(transactions).values(
        rows.map((row) => ({
          orgId,
          externalId: row.id,
          occurredAt: new Date(row.occurred_at),
          amount: row.amount,
          currency: row.currency ?? 'USD',
          account: row.account ?? 'ACC-1',
          counterparty: row.counterparty ?? null,
          type: row.type ?? null,
          country: row.country ?? null,
          attributes: row.attributes ?? {},
        })),
      );
      await tx.execute(countingTransactions(insert.getSQL(), sql`select 1`));
    }),
  );
}

/** Polls the scan until it finishes (the local queue delivers within seconds). */
export async function waitForScan(token: string, scanId: string, timeoutMs = 25_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const scan = await apiJson('GET', `/api/scans/${scanId}`, 200, { token });
    if (scan.status === 'completed' || scan.status === 'failed') return scan;
    if (Date.now() > deadline) throw new Error(`scan ${scanId} still ${scan.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type ViolationView = z.infer<typeof violationView>;

/** Every violation of the organization, as the API lists them (following cursors, `limit` a page). */
export async function listAllViolations(token: string, query = '', limit = 200): Promise<ViolationView[]> {
  const items: ViolationView[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<ViolationView> = await apiJson(
      'GET',
      `/api/violations?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
      200,
      { token },
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

/** Rows of a tenant table, for assertions the API does not expose. */
export async function countRows(
  orgId: string,
  table: 'violations' | 'scan_chunks' | 'rule_versions' | 'audit_log',
  where = sql`true`,
): Promise<number> {
  const [row] = await withDatabase((db) =>
    withTenant(db, orgId, (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)} where ${where}`),
    ),
  );
  return row!.n;
}

/** The contract's structuring example (section 6): three or more cash deposits of 9,000 to 9,999.99 from one account in seven days. */
export const CONTRACT_STRUCTURING = {
  all: [
    { field: 'type', op: 'eq', value: 'cash' },
    { field: 'amount', op: 'between', value: [9000, 9999.99] },
    {
      aggregate: {
        fn: 'count',
        group_by: ['account'],
        window: '7d',
        where: {
          all: [
            { field: 'type', op: 'eq', value: 'cash' },
            { field: 'amount', op: 'between', value: [9000, 9999.99] },
          ],
        },
      },
      op: 'gte',
      value: 3,
    },
  ],
} satisfies Condition;
