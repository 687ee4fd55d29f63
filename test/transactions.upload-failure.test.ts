import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { withTenant } from '../db/tenant';
import { api, apiJson, registerOrganization, type Session, setPlan, withDatabase, withOwnerDatabase } from './helpers';

/** Rows per batch in worker/transactions/upload.ts: the file below spans two batches. */
const BATCH = 5000;
const FILE_ROWS = BATCH + 10;
/** In the second batch, so the first batch commits before the database refuses this row. */
const POISONED_ROW = BATCH + 5;

type Row = { id: string; occurred_at: string; amount: string; currency: string; account: string };

/** Row n (1-based) of a file whose ids are unique to this run; only the poisoned row's id has the "-B" mark. */
function fileRows(run: string, length = FILE_ROWS): Row[] {
  return Array.from({ length }, (_, i) => ({
    id: `MIDFILE-${run}-${i + 1 === POISONED_ROW ? 'B' : 'A'}-${i + 1}`,
    occurred_at: '2026-03-01T09:30:00Z',
    amount: '1',
    currency: 'EUR',
    account: 'ACC-1',
  }));
}

const formats: [string, string, (rows: Row[]) => string][] = [
  ['NDJSON', 'application/x-ndjson', (rows) => `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`],
  [
    'CSV',
    'text/csv',
    (rows) =>
      'id,occurred_at,amount,currency,account\n' +
      rows.map((r) => [r.id, r.occurred_at, r.amount, r.currency, r.account].join(',')).join('\n') +
      '\n',
  ],
];

/**
 * A real database failure, no mock: as the table owner, a CHECK constraint that only this run's
 * poisoned id violates. NOT VALID so existing rows (other test files share the table) are not checked.
 */
function poisonedIdConstraint(run: string) {
  // DDL takes no bind parameters; `run` is hex only, so it is safe in the name and in the LIKE pattern.
  const name = sql.raw(`test_midfile_failure_${run}`);
  return {
    add: () =>
      withOwnerDatabase((db) =>
        db.execute(
          sql`alter table transactions add constraint ${name} check (external_id not like ${sql.raw(`'MIDFILE-${run}-B%'`)}) not valid`,
        ),
      ),
    drop: () => withOwnerDatabase((db) => db.execute(sql`alter table transactions drop constraint if exists ${name}`)),
  };
}

async function storedCount(org: Session): Promise<number> {
  const [row] = await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx.execute<{ count: string }>(sql`select count(*) as count from transactions`),
    ),
  );
  return Number(row!.count);
}

async function usedThisMonth(org: Session): Promise<number> {
  const subscription = await apiJson('GET', '/api/subscription', 200, {
    token: org.access_token,
  });
  return subscription.usage.transactions_per_month;
}

describe('errors', () => {
  it.each(formats)(
    '%s: a database failure mid-file answers 503 with what was committed, and re-sending the file is safe',
    async (_, contentType, encode) => {
      const org = await registerOrganization('Midfile Failure');
      const run = crypto.randomUUID().replaceAll('-', '').slice(0, 16);
      const rows = fileRows(run);
      const body = encode(rows);
      const send = () =>
        api('POST', '/api/transactions', {
          token: org.access_token,
          rawBody: body,
          headers: { 'content-type': contentType },
        });

      const constraint = poisonedIdConstraint(run);
      await constraint.add();
      try {
        const failed = await send();
        const problem = await failed.json<{
          status: number;
          detail: string;
          committed: number;
          committed_through_row: number;
        }>();
        expect(failed.status, JSON.stringify(problem)).toBe(503);
        expect(failed.headers.get('content-type')).toBe('application/problem+json');
        expect(failed.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
        expect(problem).toMatchObject({ status: 503, committed: BATCH, committed_through_row: BATCH });
        expect(problem.detail).toContain(`${BATCH} new rows were committed`);
        expect(problem.detail).toContain(`up to row ${BATCH} is stored`);
      } finally {
        await constraint.drop();
      }

      // The first batch is stored whole; the failed batch left nothing behind, not even its valid rows.
      expect(await storedCount(org)).toBe(BATCH);
      expect((await api('GET', `/api/transactions/${rows[BATCH - 1]!.id}`, { token: org.access_token })).status).toBe(
        200,
      );
      expect((await api('GET', `/api/transactions/${rows[BATCH]!.id}`, { token: org.access_token })).status).toBe(404);
      // The failed batch's reservation was released: only stored rows count against the plan.
      expect(await usedThisMonth(org)).toBe(BATCH);

      const resent = await send();
      expect(resent.status, await resent.clone().text()).toBe(200);
      expect(await resent.json()).toEqual({ accepted: FILE_ROWS - BATCH, duplicates: BATCH, rejected: 0, errors: [] });
      expect(await storedCount(org)).toBe(FILE_ROWS);
      expect(await usedThisMonth(org)).toBe(FILE_ROWS);
    },
    120_000,
  );

  it('with two batches in flight (a plan without a monthly limit): what the answer says is stored is stored', async () => {
    const org = await registerOrganization('Midfile Failure Concurrent');
    await setPlan(org.organization.id, 'enterprise');
    const run = crypto.randomUUID().replaceAll('-', '').slice(0, 16);
    // Three batches: the second fails while the first and maybe the third are being written.
    const rows = fileRows(run, 3 * BATCH);
    const body = rows.map((row) => JSON.stringify(row)).join('\n');
    const send = () =>
      api('POST', '/api/transactions', {
        token: org.access_token,
        rawBody: body,
        headers: { 'content-type': 'application/x-ndjson' },
      });

    const constraint = poisonedIdConstraint(run);
    await constraint.add();
    let committed: number;
    try {
      const failed = await send();
      const problem = await failed.json<{ committed: number; committed_through_row: number; detail: string }>();
      expect(failed.status, JSON.stringify(problem)).toBe(503);
      expect(problem.committed_through_row).toBe(BATCH);
      expect(problem.detail).toContain(`rows ${BATCH + 1} to ${2 * BATCH}`);
      committed = problem.committed;
    } finally {
      await constraint.drop();
    }
    // The third batch may have committed beside the first; the answer counted whatever did.
    expect([BATCH, 2 * BATCH]).toContain(committed);
    expect(await storedCount(org)).toBe(committed);
    expect(await usedThisMonth(org)).toBe(committed);

    const resent = await send();
    expect(await resent.json()).toEqual({
      accepted: rows.length - committed,
      duplicates: committed,
      rejected: 0,
      errors: [],
    });
    expect(await storedCount(org)).toBe(rows.length);
  }, 120_000);
});
