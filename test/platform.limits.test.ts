import { env } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { API_LIMITS, BACKTEST_LIMITS } from '../db/client';
import { withTenant } from '../db/tenant';
import { orgHub } from '../durable-objects/org-hub';
import {
  api,
  apiJson,
  expectProblem,
  registerOrganization,
  type Session,
  withDatabase,
  withOwnerDatabase,
} from './helpers';
import { insertTransactions } from './rules-fixtures';

/** Eight distinct counts over a year of one currency: every row's window is the whole history. */
const heavyCondition = {
  all: ['account', 'counterparty', 'type', 'amount', 'country', 'channel', 'occurred_at', 'attributes.ref'].map(
    (field) => ({
      aggregate: { fn: 'count_distinct', field, group_by: ['currency'], window: '366d' },
      op: 'gt',
      value: 0,
    }),
  ),
};

/**
 * The embedded PGlite (`npm test` without TEST_DATABASE_URL) is one session with no timers: it takes
 * the limits but cannot enforce them, and a held row lock would block every other connection. There
 * the tests check that each transaction carries its limits; on a real Postgres (CI), what they do.
 */
const enforcesTimeouts = inject('pgUrl') !== inject('pgOwnerUrl');

async function expectLimitsSet(orgId: string): Promise<void> {
  const settings = (limits?: typeof API_LIMITS) =>
    withDatabase((db) =>
      withTenant(
        db,
        orgId,
        (tx) =>
          tx.execute(
            sql`select current_setting('statement_timeout') as statement, current_setting('lock_timeout') as lock, current_setting('idle_in_transaction_session_timeout') as idle`,
          ),
        limits,
      ),
    );
  expect((await settings(API_LIMITS))[0]).toEqual({ statement: '8s', lock: '3s', idle: '15s' });
  expect((await settings(BACKTEST_LIMITS))[0]).toEqual({ statement: '15s', lock: '2s', idle: '20s' });
}

let heavy: Session;
let heavyRuleId: string;

beforeAll(async () => {
  heavy = await registerOrganization('Heavy History Org');
  // 40,000 transactions of one currency in a year, inserted in the organization's context.
  await withOwnerDatabase((db) =>
    db.transaction(async (tx) => {
      await tx.execute(
        sql`select set_config('app.org_id', ${heavy.organization.id}, true), set_config('role', 'nitilens_app', true)`,
      );
      await tx.execute(sql`
        insert into transactions (org_id, external_id, occurred_at, amount, currency, account, counterparty, type, attributes)
        select ${heavy.organization.id}::uuid, 'H-' || i, timestamptz '2026-01-01T00:00:00Z' + i * interval '13 minutes',
          (i % 977)::numeric, 'USD', 'ACC-' || (i % 311), 'V-' || (i % 97), 'wire', jsonb_build_object('ref', 'R' || i)
        from generate_series(1, 40000) as i`);
    }),
  );
  const rule = await apiJson('POST', '/api/rules', 201, {
    token: heavy.access_token,
    body: { name: 'Eight yearly distinct counts', severity: 'low', condition: heavyCondition },
  });
  heavyRuleId = rule.id;
}, 120_000);

describe('errors', () => {
  it('answers a rule test that runs past its time budget with 422 and a way out, and Postgres stops it', async () => {
    if (!enforcesTimeouts) return expectLimitsSet(heavy.organization.id);
    const started = Date.now();
    const response = await api('POST', `/api/rules/${heavyRuleId}/test`, { token: heavy.access_token, body: {} });
    const problem = await expectProblem(response, 422);
    expect(problem.detail).toContain('too expensive to test over the whole history');
    expect(problem.detail).toContain('narrow the range');
    expect(Date.now() - started).toBeLessThan(40_000);
    // Nothing of the test is still running in Postgres once the answer is out.
    const running = await withOwnerDatabase((db) =>
      db.execute(
        sql`select count(*)::int as n from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and datname = current_database() and query like '%count(distinct%'`,
      ),
    );
    expect(running[0]).toMatchObject({ n: 0 });
  }, 60_000);

  it('answers a request that waits too long for a lock with 503 and Retry-After, not a hang or a 500', async () => {
    const org = await registerOrganization('Locked Org');
    if (!enforcesTimeouts) return expectLimitsSet(org.organization.id);
    const status = await withOwnerDatabase((db) =>
      db.transaction(async (tx) => {
        // Another session holds the organization's row, as a long migration or a stuck writer would.
        await tx.execute(sql`select id from organizations where id = ${org.organization.id} for update`);
        const response = await api('PATCH', '/api/rules/settings', {
          token: org.access_token,
          body: { four_eyes: true },
        });
        return {
          status: response.status,
          retryAfter: response.headers.get('retry-after'),
          body: await response.json<{ detail: string }>(),
        };
      }),
    );
    expect(status.status).toBe(503);
    expect(Number(status.retryAfter)).toBeGreaterThan(0);
    expect(status.body.detail).toContain('Try again');
  }, 30_000);
});

describe('security', () => {
  it('runs at most two rule tests of an organization at once: the third is 429 with Retry-After', async () => {
    const org = await registerOrganization('Busy Tester Org');
    await insertTransactions(org.organization.id, [{ id: 'T1', occurred_at: '2026-02-01T00:00:00Z', amount: '5' }]);
    const rule = await apiJson('POST', '/api/rules', 201, {
      token: org.access_token,
      body: { name: 'Any', severity: 'low', condition: { field: 'amount', op: 'gt', value: 1 } },
    });
    // Two tests of this organization are running (held the way a running test holds them).
    const hub = orgHub(env, org.organization.id);
    const running = [
      await hub.acquireWorkSlot('backtest', 2, 60_000),
      await hub.acquireWorkSlot('backtest', 2, 60_000),
    ];
    const refused = await api('POST', `/api/rules/${rule.id}/test`, { token: org.access_token, body: {} });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json<{ detail: string }>()).detail).toContain('2 rule tests or impact reports running');

    // Another organization is not held up by this one's tests.
    await apiJson('POST', `/api/rules/${heavyRuleId}/test`, 200, {
      token: heavy.access_token,
      body: { from: '2026-12-31T00:00:00Z' },
    });

    for (const grant of running) if (grant.granted) await hub.releaseWorkSlot('backtest', grant.token);
    await apiJson('POST', `/api/rules/${rule.id}/test`, 200, { token: org.access_token, body: {} });
  });

  it('gives concurrent rule tests a 200 or a 429, never a 500, and frees every slot afterwards', async () => {
    const org = await registerOrganization('Parallel Tester Org');
    await insertTransactions(org.organization.id, [{ id: 'T1', occurred_at: '2026-02-01T00:00:00Z', amount: '5' }]);
    const rule = await apiJson('POST', '/api/rules', 201, {
      token: org.access_token,
      body: { name: 'Any', severity: 'low', condition: { field: 'amount', op: 'gt', value: 1 } },
    });
    const statuses = await Promise.all(
      Array.from(
        { length: 8 },
        async () => (await api('POST', `/api/rules/${rule.id}/test`, { token: org.access_token, body: {} })).status,
      ),
    );
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(statuses).toContain(200);
    await apiJson('POST', `/api/rules/${rule.id}/test`, 200, { token: org.access_token, body: {} });
    await apiJson('POST', `/api/rules/${rule.id}/test`, 200, { token: org.access_token, body: {} });
  });
});
