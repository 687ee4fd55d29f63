import { inArray } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { scans } from '../db/schema';
import { withTenant } from '../db/tenant';
import { api, apiJson, approvedRule, registerOrganization, type Session, withDatabase } from './helpers';

type Problem = { status: number; detail: string; errors?: { path: string; message: string }[]; running?: string[] };

let org: Session;

beforeAll(async () => {
  org = await registerOrganization('Scan Limits Org');
  await approvedRule(org.access_token, { condition: { field: 'amount', op: 'gt', value: 1000 } });
});

/** Scans of the organization that are still running (as a long scan would be). */
async function runningScans(count: number): Promise<string[]> {
  const rows = await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx
        .insert(scans)
        .values(Array.from({ length: count }, () => ({ orgId: org.organization.id, status: 'running' })))
        .returning({ id: scans.id }),
    ),
  );
  return rows.map((row) => row.id);
}

async function finish(ids: string[]): Promise<void> {
  await withDatabase((db) =>
    withTenant(db, org.organization.id, (tx) =>
      tx.update(scans).set({ status: 'completed', finishedAt: new Date() }).where(inArray(scans.id, ids)),
    ),
  );
}

describe('security', () => {
  it('refuses a fourth scan while three are queued or running, naming them, and starts it once one ends', async () => {
    const ids = await runningScans(3);
    const refused = await api('POST', '/api/scans', { token: org.access_token, body: {} });
    expect(refused.status).toBe(409);
    const problem = await refused.json<Problem>();
    expect(problem.detail).toContain('3 scans queued or running');
    expect(problem.running?.sort()).toEqual([...ids].sort());

    await finish(ids.slice(0, 1));
    await apiJson('POST', '/api/scans', 202, { token: org.access_token, body: {} });
    await finish(ids);
  });

  it('keeps a schedule at least 15 minutes between runs, naming the field', async () => {
    for (const cron_expression of ['* * * * *', '*/5 * * * *', '0,10 * * * *', '0,59 * * * *', '0-14 3 * * *']) {
      const response = await api('POST', '/api/scans/schedules', {
        token: org.access_token,
        body: { frequency: 'cron', cron_expression },
      });
      expect(response.status, cron_expression).toBe(400);
      const problem = await response.json<Problem>();
      expect(problem.errors).toEqual([
        { path: 'cron_expression', message: expect.stringContaining('every 15 minutes') },
      ]);
    }
    for (const cron_expression of ['*/15 * * * *', '0,50 0 * * *', '59 * * * *', '0 9 * * 1-5']) {
      const created = await apiJson('POST', '/api/scans/schedules', 201, {
        token: org.access_token,
        body: { frequency: 'cron', cron_expression },
      });
      await apiJson('DELETE', `/api/scans/schedules/${created.id}`, 204, { token: org.access_token });
    }
  });

  it('allows 20 schedules per organization; the 21st is 409, even when asked for all at once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 24 }, () =>
        api('POST', '/api/scans/schedules', { token: org.access_token, body: { frequency: 'daily' } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 409)).toHaveLength(4);
    const refused = responses.find((response) => response.status === 409)!;
    expect((await refused.json<Problem>()).detail).toContain('20 scan schedules');
    const page = await apiJson('GET', '/api/scans/schedules?limit=200', 200, { token: org.access_token });
    expect(page.items).toHaveLength(20);
  });
});
